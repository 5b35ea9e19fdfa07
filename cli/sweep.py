"""``itr-sim sweep``: a grid of overrides, each point with the same seed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from itr_sim.analysis.sweep import grid_points
from itr_sim.analysis.sweep import sweep as run_sweep
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
    executor: Annotated[str, typer.Option(help="process or dask.")] = "process",
    scheduler: Annotated[str | None, typer.Option(help="dask scheduler address.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the table as CSV.")] = None,
) -> None:
    """Run a grid of what-ifs with common random numbers; print one row per point."""
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
                      disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("sweeping", total=len(points))
            table = run_sweep(scenario, axes, replications=replications, seed=seed, jobs=jobs,
                              executor=executor, scheduler=scheduler,
                              progress=lambda done, _n: bar.update(task, completed=done))
    except ScenarioError as exc:
        if not exc.diagnostics:
            typer.echo("--grid takes KEY=V1,V2,...", err=True)
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if out is not None:
        table.to_csv(out, index=False)
        typer.echo(f"wrote {out}", err=True)
