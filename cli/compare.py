"""``itr-sim compare``: what-if KPI deltas with confidence intervals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from itr_sim.cli.choices import CompareFailOn
from itr_sim.cli.output import step
from rich.console import Console
from rich.table import Table

from itr_sim.analysis.compare import compare_values, per_replication, run_kpis
from itr_sim.analysis.regression import parse_tolerance
from itr_sim.analysis.summary import Analysis, analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import LoadedScenario, load_scenario, parse_assignments
from itr_sim.model.source import ScenarioError
from itr_sim.report.baseline import BaselineError, read_baseline
from itr_sim.report.gate import format_value
from itr_sim.report.runfolder import RunFolderError, open_run_folder
from itr_sim.units import MINUTES_PER_WEEK

EXIT_WORSE = 1
EXIT_BAD_INPUT = 2


def compare(
    a: Annotated[Path, typer.Argument(
        help="A, the reference: a scenario, a run folder (`itr-sim run --out`) or a baseline "
        "file (`itr-sim baseline`).")],
    b: Annotated[Path | None, typer.Argument(
        help="Scenario B; without it, B is scenario A with the --set overrides.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override KEY=VALUE for B (repeatable).")] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, help="Replications of both (default: A's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of both (default: A's).")
                    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    all_rows: Annotated[bool, typer.Option(
        "--all", help="Show every KPI, not only the significant changes.")] = False,
    fail_on: Annotated[CompareFailOn, typer.Option(
        "--fail-on", help="worse: exit 1 when a KPI is significantly worse in B by more than "
        "its tolerance (as `itr-sim check`).")] = CompareFailOn.NEVER,
    tolerance: Annotated[list[str] | None, typer.Option(
        help="Practical tolerance KPI=VALUE for --fail-on worse (repeatable; as `itr-sim "
        "check`).")] = None,
) -> None:
    """Run A and B with common random numbers; print KPI deltas B - A with 95% intervals,
    significant after Benjamini-Hochberg control across the KPIs.

    Exit 0 done, 1 a KPI worse in B with --fail-on worse, 2 bad input."""
    try:
        tolerances = tuple(parse_tolerance(t) for t in tolerance or [])
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    stored = _stored(a)
    try:
        sets = parse_assignments(set_ or [])
        loaded_a = None if stored is not None else load_scenario(a)
        if b is None and (stored is not None or not sets):
            raise ScenarioError([])
        loaded_b = load_scenario(b or a, sets=sets)
    except ScenarioError as exc:
        if not exc.diagnostics:
            typer.echo("give scenario B" + (" to run against the stored A" if stored else
                                            ", or --set overrides for B"), err=True)
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    weeks_a = _weeks(loaded_a) if loaded_a is not None else \
        (stored[1].get("measured_weeks") if stored is not None else None)
    if weeks_a is not None and abs(weeks_a - _weeks(loaded_b)) > 1e-9:  # before simulating
        typer.echo(f"error: A measures {weeks_a:g} weeks and B {_weeks(loaded_b):g}: totals, "
                   "counts and costs of different periods are not comparable; give both the "
                   "same horizon and warm-up (--set overrides apply to B only)", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if stored is not None:
        values_a, meta_a = stored
        n = replications or meta_a["replications"]
        root = meta_a["seed"] if seed is None else seed
    else:
        assert loaded_a is not None
        n = replications or max(loaded_a.scenario.replications, 2)
        root = loaded_a.scenario.seed if seed is None else seed
        with step(f"simulating A, {n} replications"):
            result_a = run_scenario(loaded_a, replications=n, seed=root)
            analysis_a = analyse(result_a)
            values_a, meta_a = run_kpis(result_a, analysis_a), _meta(analysis_a)
    with step(f"simulating B, {n} replications"):
        result_b = run_scenario(loaded_b, replications=n, seed=root)
        analysis_b = analyse(result_b)
        values_b = run_kpis(result_b, analysis_b)
    report = compare_values(values_a, values_b, meta_a, _meta(analysis_b),
                            tolerances=tolerances)
    if b is None:
        report["b"] = f"{report['a']} + " + ", ".join(f"{k}={v}" for k, v in sets.items())
    if as_json:
        typer.echo(json.dumps(report, indent=2, allow_nan=False))
    else:
        render(report, all_rows)
    if fail_on is CompareFailOn.WORSE and any(
            r["verdict"] == "regression" for r in report["kpis"]):
        raise typer.Exit(EXIT_WORSE)


def _meta(analysis: Analysis) -> dict[str, Any]:
    return {k: analysis.summary[k]
            for k in ("scenario", "seed", "replications", "measured_weeks")}


def _weeks(loaded: LoadedScenario) -> float:
    sc = loaded.scenario
    return (sc.horizon.minutes - sc.warmup.minutes) / MINUTES_PER_WEEK


def _stored(a: Path) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """A's per-replication KPI values and scenario, seed and replications when A is a run
    folder or a baseline file; None when it is a scenario."""
    try:
        if a.is_dir():
            run = open_run_folder(a)
            kpis = run.document("kpis")
            meta = {k: kpis[k]
                    for k in ("scenario", "seed", "replications", "measured_weeks")}
            if run.has_table("kpi_values"):
                return run.table("kpi_values"), meta
            # a folder written before kpi_values existed: what its tables hold
            tables = {name: run.table(name) for name in STORED_TABLES}
            return per_replication(Analysis(tables, kpis)), meta
        if a.suffix == ".json":
            stored = read_baseline(a)
            return stored.values, {"scenario": stored.scenario, "seed": stored.seed,
                                   "replications": stored.replications,
                                   "measured_weeks": stored.measured_weeks}
    except (RunFolderError, BaselineError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    return None


STORED_TABLES = ("attainment", "entitlement", "tiers", "utilisation", "cost", "backlog_summary",
                 "quality", "notifications")
"""The tables of a run folder that :func:`~itr_sim.analysis.compare.per_replication` reads."""


def render(report: dict[str, Any], all_rows: bool = False) -> None:
    console = Console()
    rows = [r for r in report["kpis"] if all_rows or r["significant"]]
    if report["paired"]:
        how = f"{report['replications']} paired replications, seed {report['seed']}"
    else:
        how = (f"{report['replications']} and {report['replications_b']} replications, seeds "
               f"{report['seed']} and {report['seed_b']}, Welch")
    title = f"B - A: B = {report['b']}, A = {report['a']}"
    table = Table(show_edge=False, pad_edge=False)
    for column in ("KPI", "A", "B", "B - A, 95% CI", ""):
        table.add_column(column, justify="left" if column in ("KPI", "") else "right",
                         overflow="fold")
    marks = {"regression": "worse", "improvement": "better"}
    for r in rows:
        lo, hi = r["ci95"]
        delta = format_value(r["kpi"], r["delta"], delta=True)
        if lo is not None:  # the paired t-interval is symmetric: B - A +- its half width
            half = format_value(r["kpi"], (hi - lo) / 2, delta=True).lstrip("+")
            delta = f"{delta} ± {half}"
        mark = marks.get(r["verdict"], "changed") if r["significant"] else ""
        table.add_row(r["kpi"], format_value(r["kpi"], r["a"]), format_value(r["kpi"], r["b"]),
                      delta, f"[bold]{mark}[/]" if mark else "")
    console.print(title, markup=False)
    console.print(table)
    hidden = len(report["kpis"]) - len(rows)
    if hidden:
        console.print(f"{hidden} KPI(s) without a significant change hidden; --all shows them")
    console.print(f"{how}; shown: significant after Benjamini-Hochberg control over "
                  f"{len(report['kpis'])} KPIs (q <= {report['fdr']:.0%}); worse/better: "
                  "beyond the tolerance in the bad/good direction, changed: within it or "
                  "without a direction")
