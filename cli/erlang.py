"""``itr-sim erlang``: Erlang C/A answers from the command line, or per tier of a scenario."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from itr_sim.analysis.queueing import (
    QueueingInputError,
    erlang_a,
    erlang_c,
    required_agents,
    tier_estimates,
)
from itr_sim.model.load import load_scenario
from itr_sim.model.source import ScenarioError
from itr_sim.units import DurationKind, UnitError, parse_duration, parse_fraction, parse_rate

EXIT_BAD_INPUT = 2


def erlang(
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario YAML: estimate every tier and team on its average staffing.")] = None,
    rate: Annotated[str | None, typer.Option(help="Arrival rate, e.g. 9.5/h.")] = None,
    aht: Annotated[str | None, typer.Option(help="Mean handling time, e.g. 1h.")] = None,
    agents: Annotated[int | None, typer.Option(min=1, help="Agents on duty.")] = None,
    target: Annotated[str, typer.Option(help="Service-level target, e.g. 80%.")] = "80%",
    within: Annotated[str, typer.Option(help="Answer-time threshold, e.g. 15m.")] = "15m",
    max_occupancy: Annotated[str, typer.Option(help="Occupancy cap, e.g. 85%.")] = "100%",
    shrinkage: Annotated[str, typer.Option(help="Share of paid time off the queue.")] = "0%",
    patience: Annotated[str | None, typer.Option(
        help="Mean patience (Erlang A, with abandonment), e.g. 10m.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Erlang C (or A with --patience): waits and service level for given agents, and the
    agents needed for a target; or, given a SCENARIO, a first estimate per tier."""
    try:
        if scenario is not None:
            result: Any = _scenario(scenario)
        else:
            if rate is None or aht is None:
                raise UnitError("give --rate and --aht (or a scenario file)")
            result = _single(parse_rate(rate), _minutes("--aht", aht), agents,
                             parse_fraction(target), _minutes("--within", within),
                             parse_fraction(max_occupancy), parse_fraction(shrinkage),
                             None if patience is None else _minutes("--patience", patience))
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (UnitError, QueueingInputError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2, allow_nan=False))
        return
    for line in _lines(result):
        typer.echo(line)


def _minutes(option: str, text: str) -> float:
    """An elapsed duration in minutes (business days mean nothing to a queue)."""
    duration = parse_duration(text)
    if duration.kind is not DurationKind.ELAPSED:
        raise UnitError(f"{option}: {text!r} is not an elapsed duration; use m, h, d or w")
    return duration.minutes


def _single(rate: float, aht: float, agents: int | None, target: float, within: float,
            cap: float, shrink: float, patience: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"rate_per_hour": rate * 60, "aht_min": aht, "load": rate * aht,
                           "model": "erlang_c" if patience is None else "erlang_a"}
    if agents is not None:
        if patience is None:
            q = erlang_c(agents, rate, aht)
            out["given"] = {"agents": agents, "p_wait": q.p_wait,
                            "mean_wait_min": q.mean_wait if q.stable else None,
                            "service_level": q.service_level(within),
                            "occupancy": q.occupancy, "stable": q.stable}
        else:
            a = erlang_a(agents, rate, aht, patience)
            out["given"] = {"agents": agents, "p_wait": a.p_wait, "p_abandon": a.p_abandon,
                            "mean_wait_min": a.mean_wait,
                            "service_level": a.service_level(within), "occupancy": a.occupancy,
                            "stable": True}
    need = required_agents(rate, aht, target, within, max_occupancy=cap, shrinkage=shrink,
                           patience=patience)
    out["required"] = {"target": target, "within_min": within, "max_occupancy": cap,
                       "shrinkage": shrink, "on_queue": need.on_queue,
                       "rostered": need.rostered, "service_level": need.service_level,
                       "occupancy": need.occupancy}
    return out


def _scenario(path: Path) -> dict[str, Any]:
    loaded = load_scenario(path)
    units = {}
    for e in tier_estimates(loaded):
        q = e.queue
        units[e.unit] = {
            "rate_per_hour": e.rate_per_hour, "aht_min": e.aht_min,
            "average_agents": e.agents, "load": e.load,
            "utilisation": e.utilisation if math.isfinite(e.utilisation) else None,
            "stable": e.load < e.agents,
            "p_wait": None if q is None or not q.stable else q.p_wait,
            "mean_wait_min": None if q is None or not q.stable else q.mean_wait,
        }
    return {"scenario": loaded.scenario.scenario, "units": units}


def _lines(result: dict[str, Any]) -> list[str]:
    if "units" in result:
        lines = [f"{result['scenario']}: Erlang C per unit on average staffing "
                 "(first estimate; the simulation decides)",
                 f"  {'unit':<14}{'rate/h':>8}{'AHT min':>9}{'agents':>8}{'load':>7}"
                 f"{'util':>7}{'P(wait)':>9}{'Wq min':>9}"]
        for name, u in result["units"].items():
            util = "-" if u["utilisation"] is None else f"{u['utilisation']:.0%}"
            pw = "-" if u["p_wait"] is None else f"{u['p_wait']:.3f}"
            wq = "-" if u["mean_wait_min"] is None else f"{u['mean_wait_min']:.1f}"
            lines.append(f"  {name:<14}{u['rate_per_hour']:>8.2f}{u['aht_min']:>9.1f}"
                         f"{u['average_agents']:>8.2f}{u['load']:>7.2f}{util:>7}{pw:>9}{wq:>9}")
            if not u["stable"]:
                lines.append(f"  warning: {name} offered load {u['load']:.2f} Erlangs >= "
                             f"{u['average_agents']:.2f} agents on average: unstable")
        return lines
    lines = [f"{result['model']}: {result['rate_per_hour']:g}/h x {result['aht_min']:g} min = "
             f"{result['load']:.2f} Erlangs"]
    g = result.get("given")
    if g:
        if not g["stable"]:
            lines.append(f"  warning: {g['agents']} agents < load: the queue grows without "
                         "bound")
        else:
            extra = f", P(abandon) {g['p_abandon']:.4f}" if "p_abandon" in g else ""
            lines.append(f"  {g['agents']} agents: P(wait) {g['p_wait']:.6f}, mean wait "
                         f"{g['mean_wait_min']:.2f} min, service level "
                         f"{g['service_level']:.6f}, occupancy {g['occupancy']:.1%}{extra}")
    r = result["required"]
    lines.append(f"  {r['target']:.0%} within {r['within_min']:g} min (occupancy <= "
                 f"{r['max_occupancy']:.0%}): {r['on_queue']} agents on the queue "
                 f"(service level {r['service_level']:.4f}), {r['rostered']} rostered with "
                 f"{r['shrinkage']:.0%} shrinkage")
    return lines
