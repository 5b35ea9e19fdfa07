"""``itr-sim sweep``: a grid of overrides, each point with the same seed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from itr_sim.cli.choices import Executor
from itr_sim.cli.output import bars_off, info
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from itr_sim.analysis.sweep import grid_points
from itr_sim.analysis.sweep import sweep as run_sweep
from itr_sim.files import check_target, write_atomic
from itr_sim.model.load import parse_assignments
from itr_sim.model.source import ScenarioError

EXIT_BAD_INPUT = 2


def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    grid: Annotated[list[str], typer.Option(
        "--grid", help="KEY=V1,V2,... (repeatable); the sweep runs every combination.")],
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=1)] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1)] = 1,
    executor: Annotated[Executor, typer.Option(
        help="Where replications run with --jobs > 1.")] = Executor.PROCESS,
    scheduler: Annotated[str | None, typer.Option(help="dask scheduler address.")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the table as CSV.")] = None,
    force: Annotated[bool, typer.Option(help="Let --out replace an existing file.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the rows as a JSON list instead of the table.")] = False,
) -> None:
    """Run a grid of what-ifs with common random numbers; print one row per point: targets
    met, at risk and missed (by their 95% intervals), the worst gap, cost, backlog and each
    line's utilisation and mean wait."""
    if out is not None and (problem := check_target(out, force, example="sweep.csv")):
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        axes = {}
        for item in grid:
            key, sep, values = item.partition("=")
            if not sep or not values:
                raise ScenarioError([])
            axes[key] = [parse_assignments([f"{key}={v}"])[key] for v in values.split(",")]
        points = grid_points(axes)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=Console(stderr=True),
                      disable=bars_off()) as bar:
            task = bar.add_task("sweeping", total=len(points))
            table = run_sweep(scenario, axes, replications=replications, seed=seed, jobs=jobs,
                              executor=executor.value, scheduler=scheduler,
                              progress=lambda done, _n: bar.update(task, completed=done))
    except ScenarioError as exc:
        if not exc.diagnostics:
            typer.echo("--grid takes KEY=V1,V2,...", err=True)
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    rows = [{k: _plain(v) for k, v in r.items()} for r in table.to_dict("records")]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        console = Console()
        console.print(_table(rows, list(axes), console.width))
    if out is not None:
        write_atomic(out, table.to_csv(index=False, lineterminator="\n"))
        info(f"wrote {out}")


def _plain(value: Any) -> Any:
    """JSON-ready: NumPy scalars as Python numbers, NaN as None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _short(key: str) -> str:
    """A grid key as a column heading: organisation.tiers.L1.shifts.0.agents -> L1.shifts.0
    .agents (the last four parts)."""
    return ".".join(key.split(".")[-4:])


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column.endswith("utilisation") or column == "worst_gap":
        return f"{value * 100:+.1f} pt" if column == "worst_gap" else f"{value:.0%}"
    if column.endswith("_min"):
        return f"{value / 60:,.1f} h"
    if column == "cost_total":
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


HEADINGS = {"at_risk": "at risk", "worst_gap": "worst gap", "cost_total": "cost",
            "backlog_mean_open": "backlog"}


def _heading(column: str, keys: list[str]) -> str:
    if column in keys:
        return _short(column)
    return HEADINGS.get(column, column.replace(".mean_wait_min", " wait")
                        .replace(".utilisation", " util"))


def _table(rows: list[dict[str, Any]], keys: list[str], width: int) -> Table:
    """One row per grid point when that fits in ``width`` columns; otherwise transposed, one
    row per figure and one column per point, so a narrow terminal wraps nothing."""
    columns = list(rows[0]) if rows else keys
    cells = [[_cell(c, row[c]) for c in columns] for row in rows]
    headings = [_heading(c, keys) for c in columns]
    need = sum(max([len(h), *(len(r[i]) for r in cells)]) + 3 for i, h in enumerate(headings))
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    if need <= width:
        for column, heading in zip(columns, headings, strict=True):
            table.add_column(heading, justify="left" if column in keys else "right")
        for row in cells:
            table.add_row(*row)
        return table
    table.add_column("")
    for i in range(len(rows)):
        table.add_column(f"point {i + 1}", justify="right", overflow="fold")
    for j, heading in enumerate(headings):
        table.add_row(heading, *(row[j] for row in cells))
    return table
