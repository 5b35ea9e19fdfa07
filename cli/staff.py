"""``itr-sim staff``: the least-cost roster that keeps every target staffing can reach."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.choices import Executor, confidence_option
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from itr_sim.analysis.staff import StaffingResult, staff
from itr_sim.analysis.summary import strict_json
from itr_sim.files import check_target, write_atomic
from itr_sim.model.load import load_scenario, parse_assignments
from itr_sim.model.source import ScenarioError

EXIT_NO_PLAN = 1
EXIT_BAD_INPUT = 2


def staff_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override KEY=VALUE by dotted path (repeatable), e.g. horizon=4w.")
    ] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, max=1000,
        help="Replications per evaluation (default: the scenario's).")] = None,
    confidence: Annotated[str, typer.Option(
        help="A target is met when the lower bound of its interval at this confidence "
             "reaches it; 0% uses the mean.")] = "95%",
    max_evaluations: Annotated[int, typer.Option(
        min=3, max=100_000, help="Evaluation budget of the search.")] = 200,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the search.")] = None,
    final_replications: Annotated[int | None, typer.Option(
        min=2, max=1000, help="Replications of the out-of-sample check (default: twice "
        "--replications).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=256,
                                      help="Evaluate rosters on this many processes.")] = 1,
    executor: Annotated[Executor, typer.Option(
        help="Where roster evaluations run with --jobs > 1 or --scheduler.")] = Executor.PROCESS,
    scheduler: Annotated[str | None, typer.Option(help="dask scheduler address.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    write: Annotated[Path | None, typer.Option(
        help="Write a what-if scenario that extends SCENARIO with the plan.")] = None,
    force: Annotated[bool, typer.Option(help="Let --write replace an existing file.")] = False,
) -> None:
    """Find the fewest agents per tier and shift, at least cost, that keep every target.

    Exit 0 with a least-cost plan that meets every target staffing can reach (the others
    are named with their lever); 1 when there is no such plan: the evaluation budget ran
    out first, or the bounds cannot carry the offered work; 2 for bad input. Method:
    docs/staffing.md."""
    err = Console(stderr=True)
    level = confidence_option(confidence)
    if write is not None:
        problem = check_target(write, force, example="staffed.yaml")
        if problem:
            err.print(f"--write: {problem}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT)
    try:
        loaded = load_scenario(scenario, sets=parse_assignments(set_ or []))
        for warning in loaded.warnings:
            err.print(str(warning), markup=False)
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=err, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("staffing: evaluations", total=max_evaluations)

            def progress(done: int, best: float | None) -> None:
                shown = "none feasible yet" if best is None else f"best {best:,.0f}"
                bar.update(task, completed=done, description=f"staffing: {done} evaluations, "
                                                            f"{shown}")

            result = staff(loaded, replications=replications, confidence=level,
                           max_evaluations=max_evaluations, seed=seed,
                           final_replications=final_replications, jobs=jobs,
                           executor=executor.value, scheduler=scheduler, progress=progress)
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            err.print(str(diagnostic), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if as_json:
        typer.echo(json.dumps(strict_json(result.to_json()), indent=2, allow_nan=False))
    else:
        _print(result, loaded.scenario.scenario)
    if write is not None and result.ok:
        _write_whatif(write, scenario, result, loaded.scenario.scenario)
        err.print(f"wrote {write}", markup=False)
    if result.status == "budget_exhausted":
        err.print(f"the search used its {max_evaluations} evaluations before it ended: the "
                  "roster shown is the cheapest seen that keeps every reachable target, not a "
                  "least-cost plan; raise --max-evaluations or narrow the bounds (staffing: in "
                  "the scenario)", markup=False)
    elif result.status == "infeasible_bounds":
        err.print("no roster within the bounds can carry the offered work of every unit "
                  "(see `not reachable` above); raise the units' staffing max", markup=False)
    if not result.ok:
        if write is not None:
            err.print(f"{write} not written: there is no plan to write", markup=False)
        raise typer.Exit(EXIT_NO_PLAN)


def whatif_text(base: Path, target: Path, result: StaffingResult, name: str) -> str:
    """A what-if scenario that extends ``base`` with the plan's agents."""
    rel = os.path.relpath(base.resolve(), target.resolve().parent)
    lines = [
        f"# Least-cost roster from `itr-sim staff {base.name}`: {result.replications} "
        f"replications per evaluation, seed {result.seed},",
        f"# targets met at the lower bound of their {result.confidence:.0%} interval. Staff cost "
        f"over {result.weeks:g} measured weeks: {result.cost_now:,.0f} -> {result.cost:,.0f} "
        f"{result.currency}.",
    ]
    if result.unreachable:
        lines.append("# Not reachable by staffing: " + ", ".join(result.unreachable) + ".")
    missed = result.missed_out_of_sample()
    verdict = "missed " + ", ".join(missed) if missed else "no target missed"
    lines.append(f"# Out of sample (seed {result.final_seed}, {result.final_replications} "
                 f"replications): {verdict}.")
    lines += [f"scenario: {name}_staffed",
              "description: " + json.dumps(f"{name} with the least-cost roster of itr-sim staff"),
              f"extends: {json.dumps(rel)}", "overrides:"]
    changed = [v for v in result.variables if result.plan[v.key] != v.now]
    for v in changed:
        unit, index = v.key
        lines.append(f"  organisation.{v.group}.{unit}.shifts.{index}.agents: "
                     f"{result.plan[v.key]}   # today {v.now}")
    if not changed:
        lines[-1] = "overrides: {}"
    return "\n".join(lines) + "\n"


def _write_whatif(path: Path, base: Path, result: StaffingResult, name: str) -> None:
    write_atomic(path, whatif_text(base, path, result, name))


def _print(result: StaffingResult, name: str) -> None:
    console = Console()
    console.print(f"{name}: least-cost roster, {result.replications} replications per "
                  f"evaluation (seed {result.seed}); a target counts as met when the lower "
                  f"bound of its {result.confidence:.0%} interval reaches it", markup=False)
    table = Table(show_edge=False)
    for column, justify in (("unit", "left"), ("shift", "left"), ("today", "right"),
                            ("plan", "right"), ("binding targets", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for v in result.variables:
        unit, _ = v.key
        agents = result.plan[v.key]
        mark = "" if agents == v.now else f" ({agents - v.now:+d})"
        binding = ", ".join(result.binding.get(v.key, [])) or (
            "fixed" if v.fixed else "at its minimum" if agents - v.step < v.low else "")
        table.add_row(unit, f"{v.days} {v.hours}", str(v.now), f"{agents}{mark}", binding)
    console.print(table)
    change = result.cost - result.cost_now
    share = f", {change / result.cost_now:+.1%}" if result.cost_now else ""
    console.print(f"staff cost over {result.weeks:g} measured weeks: {result.cost_now:,.0f} -> "
                  f"{result.cost:,.0f} {result.currency} ({change:+,.0f}{share})", markup=False)
    reachable = result.reachable
    missed, unclear = result.missed_out_of_sample(), result.at_risk_out_of_sample()
    console.print(f"out of sample (seed {result.final_seed}, {result.final_replications} "
                  f"replications): {len(reachable) - len(missed) - len(unclear)} of "
                  f"{len(reachable)} reachable targets met, {len(unclear)} within the interval, "
                  f"{len(missed)} missed", markup=False)
    for key in missed + unclear:
        judged = result.out_of_sample[key]
        console.print(f"  {judged.verdict}: {key} {judged.value:.1%} (CI {judged.ci[0]:.1%}-"
                      f"{judged.ci[1]:.1%}) vs {judged.info.target:.0%}", markup=False)
    rows = result.to_json()["unreachable"]
    for reason, title in (("missed", "missed even with every shift at its maximum"),
                          ("unproven", "unproven at the maximum: the interval contains the "
                                       "target (raise --replications or the horizon)")):
        mine = [row for row in rows if row["reason"] == reason]
        if mine:
            console.print(f"not reachable by staffing, {title}:", markup=False)
        for row in mine:
            at, ci = row["attainment_at_bound"], row["ci95_at_bound"]
            shown = "" if at is None else (f" {at:.1%} ({ci[0]:.1%}-{ci[1]:.1%}) vs "
                                           f"{row['target']:.0%}")
            lever = f"; lever: {row['lever']}" if reason == "missed" else ""
            console.print(f"  {_label(row)}:{shown}{lever}", markup=False)
    console.print(f"{result.evaluations} evaluations, {result.seconds:.0f} s", markup=False)


def _label(row: dict[str, object]) -> str:
    parts = [row.get(k) for k in ("level", "severity", "clock", "unit")]
    return " ".join(str(p) for p in parts if p)
