"""``itr-sim ola``: per-tier OLA budgets and attainment targets that protect the SLA."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from itr_sim.analysis.ola_design import (
    OlaDesign,
    OlaDesignError,
    OlaGroup,
    format_minutes,
    ola,
    proposal_overrides,
)
from itr_sim.analysis.summary import analyse, strict_json
from itr_sim.files import check_target, write_atomic
from itr_sim.model.load import LoadedScenario, load_scenario
from itr_sim.model.source import ScenarioError, dotted, read_yaml
from itr_sim.report.html import from_run, is_report, render

EXIT_NOT_PROTECTED = 1
EXIT_BAD_INPUT = 2


def ola_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    level: Annotated[str | None, typer.Option(
        help="Design for this service level only (its own SLA budget and target).")] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, max=1000,
        help="Replications of each simulation (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Seed of the measuring run; the check runs on seed + 1.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=256,
                                      help="Run replications on this many processes.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    write: Annotated[Path | None, typer.Option(
        help="Write a what-if scenario that extends SCENARIO with the proposed OLAs.")] = None,
    force: Annotated[bool, typer.Option(help="Let --write replace an existing file.")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Also write the HTML report of the measuring run with the OLA view.")] = None,
    rule: Annotated[str, typer.Option(
        help="Allocation rule: path (per escalation path, the default) or union (every "
             "path protected, union bound; docs/ola.md).")] = "path",
) -> None:
    """Propose per-tier OLA budgets and attainment targets that protect the SLA response,
    restore and resolve clocks, beside today's, and check them by simulation.

    Exit 0 when every proposal is realistic at today's staffing; 1 when some tier would
    need a staffing change (see `itr-sim staff`) or no OLA can protect an SLA; 2 for bad
    input. Method: docs/ola.md."""
    err = Console(stderr=True)
    if write is not None:
        problem = check_target(write, force, example="ola.yaml")
        if problem:
            err.print(f"--write: {problem}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT)
    if report is not None:
        problem = check_target(report, force or is_report(report), example="ola.html")
        if problem:
            err.print(f"--report: {problem}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT)
    loaded = load_scenario(scenario)
    for warning in loaded.warnings:
        err.print(str(warning), markup=False)
    try:
        design = ola(loaded, level=level, replications=replications, seed=seed, jobs=jobs,
                     rule=rule)
    except OlaDesignError as exc:
        err.print(_design_error(scenario, exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if as_json:
        typer.echo(json.dumps(strict_json(design.to_dict()), indent=2, allow_nan=False))
    else:
        _print(design)
    if write is not None:
        write_atomic(write, whatif_text(scenario, write, design, loaded))
        err.print(f"wrote {write}", markup=False)
    if report is not None and design.run is not None:
        inputs = from_run(design.run, analyse(design.run))
        inputs.ola = design.to_dict()
        write_atomic(report, render(inputs))
        err.print(f"wrote {report}", markup=False)
    if not design.protected:
        raise typer.Exit(EXIT_NOT_PROTECTED)


def _design_error(scenario: Path, exc: OlaDesignError) -> str:
    """``file:line: key.path: message`` for a scenario the design refuses, ``--option:
    message`` for a bad option."""
    if exc.key is None:
        return f"--{'rule' if str(exc).startswith('unknown rule') else 'level'}: {exc}"
    try:
        line = read_yaml(scenario).lines.line_of(exc.key)
    except ScenarioError:
        line = 0
    return f"{scenario}:{line}: {dotted(exc.key)}: {exc}"


def whatif_text(base: Path, target: Path, design: OlaDesign, loaded: LoadedScenario) -> str:
    """A what-if scenario that extends ``base`` with the proposed OLAs."""
    rel = os.path.relpath(base.resolve(), target.resolve().parent)
    name = loaded.scenario.scenario
    lines = [f"# OLA budgets from `itr-sim ola {base.name}`: {design.replications} "
             f"replications, seed {design.seed}; checked on seed {design.check_seed}.",
             f"# Rule: {design.rule}."]
    for g in design.groups:
        escalate = [f"{tb.tier} {tb.escalate}" for tb in g.tiers if tb.escalate]
        if escalate:
            lines.append(f"# {g.clock} {g.severity} on {g.calendar}: escalate budgets (hand "
                         f"over within; not expressible in YAML yet): {', '.join(escalate)}")
        if g.verdict != "ok":
            lines.append(f"# {g.clock} {g.severity} on {g.calendar} ({', '.join(g.levels)}): "
                         f"{g.verdict}: {g.note}")
    lines += [f"scenario: {name}_ola",
              "description: " + json.dumps(f"{name} with the OLA budgets of itr-sim ola"),
              f"extends: {json.dumps(rel)}", "overrides:"]
    overrides = proposal_overrides(design, loaded)
    for key, value in overrides.items():
        lines.append(f"  {key}: {json.dumps(value)}")
    if not overrides:
        lines[-1] = "overrides: {}"
    return "\n".join(lines) + "\n"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _paths(g: OlaGroup) -> str:
    if not g.paths or len(g.path) < 2:
        return ""
    return "; paths ending at " + ", ".join(
        f"{t} {share:.1%} ({within:.1%} within budget)"
        for t, (share, within) in zip(g.path, g.paths, strict=True) if share > 0)


def _print(design: OlaDesign) -> None:
    console = Console()
    console.print(f"{design.scenario}: OLA budgets that protect the SLA clocks, "
                  f"{design.replications} replications (seed {design.seed}), checked on seed "
                  f"{design.check_seed}", markup=False)
    console.print(f"rule: {design.rule}", markup=False)
    for g in design.groups:
        console.print(
            f"\n{g.clock} {g.severity} on {g.calendar} ({', '.join(g.levels)}): SLA "
            f"{g.sla_budget} at {g.sla_attainment_target:.0%}; per-tier target "
            f"{g.component_target:.1%}; hand-over reserve {format_minutes(g.handover_reserve_min)}"
            f"{_paths(g)}: {g.verdict}", markup=False)
        table = Table(show_edge=False)
        columns = ["tier", "today", "met", "visits", "quantile", "proposed", "target",
                   "checked", "realistic"]
        if g.rule == "path" and len(g.path) > 1:
            columns.insert(5, "escalate")
        for column in columns:
            table.add_column(column, justify="left" if column == "tier" else "right")
        for tb in g.tiers:
            cells = [tb.tier, tb.today or "-", _pct(tb.today_attainment), str(tb.visits),
                     format_minutes(tb.quantile_min), tb.proposed,
                     f"{tb.attainment_target:.1%}", _pct(tb.checked_attainment),
                     "yes" if tb.realistic else "no: staff"]
            if len(columns) > len(cells):
                cells.insert(5, tb.escalate or "-")
            table.add_row(*cells)
        console.print(table)
        if g.joint_attainment is not None:
            console.print(f"  joint: {_pct(g.joint_attainment)} of the tickets within every "
                          f"budget of their path (check seed {_pct(g.joint_checked)})",
                          markup=False)
        console.print(f"  check: SLA attainment {_pct(g.sla_attainment_checked)} (today "
                      f"{_pct(g.sla_attainment_today)}); when every OLA was met "
                      f"{_pct(g.sla_attainment_all_olas_met)}; SLA breaches with an OLA "
                      f"breach {_pct(g.attribution_coverage)}; {g.tickets_checked} tickets",
                      markup=False)
        if g.met_today:
            console.print("  SLA target met today (interval rule): " + ", ".join(
                f"{lv} {'yes' if ok else 'no'}" for lv, ok in g.met_today.items()),
                markup=False)
        if g.note:
            console.print(f"  note: {g.note}", markup=False)
    for v in design.vendors:
        console.print(f"\nvendor of {v.tier}: target {v.target} ({v.calendar}) at "
                      f"{v.attainment_target:.0%}: met {_pct(v.attainment)} of {v.waits} "
                      f"waits; {v.sla_breaches_attributed} SLA breaches attributed",
                      markup=False)
