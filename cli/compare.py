"""``itr-sim compare``: what-if KPI deltas with confidence intervals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from itr_sim.analysis.compare import compare as compare_runs
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario, parse_assignments
from itr_sim.model.source import ScenarioError

EXIT_BAD_INPUT = 2


def compare(
    a: Annotated[Path, typer.Argument(help="Scenario A (the reference).")],
    b: Annotated[Path | None, typer.Argument(
        help="Scenario B; without it, B is A with the --set overrides.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override KEY=VALUE for B (repeatable).")] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, help="Replications of both (default: A's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of both (default: A's).")
                    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    all_rows: Annotated[bool, typer.Option(
        "--all", help="Show every KPI, not only the significant changes.")] = False,
) -> None:
    """Run A and B with common random numbers; print KPI deltas B - A with 95% intervals."""
    try:
        sets = parse_assignments(set_ or [])
        loaded_a = load_scenario(a)
        if b is None and not sets:
            raise ScenarioError([])
        loaded_b = load_scenario(b or a, sets=sets)
    except ScenarioError as exc:
        if not exc.diagnostics:
            typer.echo("give scenario B, or --set overrides for B", err=True)
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    n = replications or max(loaded_a.scenario.replications, 2)
    root = loaded_a.scenario.seed if seed is None else seed
    results = []
    for loaded in (loaded_a, loaded_b):
        results.append(analyse(run_scenario(loaded, replications=n, seed=root)))
    report = compare_runs(*results)
    if b is None:
        report["b"] = f"{report['a']} + " + ", ".join(f"{k}={v}" for k, v in sets.items())
    if as_json:
        typer.echo(json.dumps(report, indent=2, allow_nan=False))
        return
    render(report, all_rows)


def render(report: dict[str, Any], all_rows: bool = False) -> None:
    console = Console(width=120)
    rows = [r for r in report["kpis"] if all_rows or r["significant"]]
    table = Table(title=f"B - A: B = {report['b']}, A = {report['a']}  "
                        f"({report['replications']} paired replications, seed {report['seed']})")
    for column in ("KPI", "A", "B", "B - A", "95% CI", ""):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for r in rows:
        lo, hi = r["ci95"]
        ci = "-" if lo is None else \
            f"[{_fmt(r['kpi'], lo, delta=True)}, {_fmt(r['kpi'], hi, delta=True)}]"
        table.add_row(r["kpi"], _fmt(r["kpi"], r["a"]), _fmt(r["kpi"], r["b"]),
                      _fmt(r["kpi"], r["delta"], delta=True), ci,
                      "[bold]significant[/]" if r["significant"] else "")
    console.print(table)
    hidden = len(report["kpis"]) - len(rows)
    if hidden:
        console.print(f"{hidden} KPI(s) without a significant change hidden; --all shows them")


def _fmt(kpi: str, value: float, delta: bool = False) -> str:
    """Shares as % (differences in percentage points), money with separators."""
    plus = "+" if delta and value > 0 else ""
    share = (kpi.startswith(("sla.", "utilisation.", "quality.first_time_fix"))
             or kpi.endswith("resolved_share"))
    if share:
        return f"{plus}{value * 100:.1f} pt" if delta else f"{value * 100:.1f}%"
    if kpi.startswith(("cost.", "margin.")):
        return f"{plus}{value:,.0f}"
    return f"{plus}{value:.2f}"
