"""``itr-sim baseline``: store scenarios' KPI values for ``itr-sim check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from itr_sim.analysis.summary import Analysis, analyse
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.load import LoadedScenario, load_scenario
from itr_sim.model.source import ScenarioError
from itr_sim.report.baseline import BaselineError, baseline_of, baseline_path, write_baseline

EXIT_BAD_INPUT = 2


def simulate(loaded: LoadedScenario, seed: int | None = None,
             replications: int | None = None, jobs: int = 1) -> tuple[RunResult, Analysis]:
    """Run and analyse a scenario (its own seed and replications unless given)."""
    result = run_scenario(loaded, seed=seed, replications=replications, jobs=jobs)
    return result, analyse(result)


def load_all(scenarios: list[Path]) -> list[LoadedScenario]:
    """Load every scenario; print every diagnostic and exit 2 if any is invalid."""
    loaded, failed = [], False
    for path in scenarios:
        try:
            loaded.append(load_scenario(path))
        except ScenarioError as exc:
            failed = True
            for diagnostic in exc.diagnostics:
                typer.echo(str(diagnostic), err=True)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)
    return loaded


def baseline(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    to: Annotated[Path, typer.Option("--to", help="Folder of the baseline files.")],
    force: Annotated[bool, typer.Option(
        help="Replace existing baselines (deliberately, with the scenario change).")] = False,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=1, help="Replications in parallel (local processes).")] = 1,
) -> None:
    """Run each scenario with its seed and replications; store its per-replication KPI
    values as TO/<scenario file name>.json, to be committed and checked by `itr-sim check`.

    Exit 0 stored, 2 bad input or a baseline that exists already (without --force): then
    nothing is run or written."""
    targets = [baseline_path(to, path) for path in scenarios]
    if len(set(targets)) < len(targets):
        typer.echo("error: two scenarios have the same file name and would share a baseline "
                   "file; check them with separate --to folders", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if not force:
        exist = [t for t in targets if t.exists()]
        for target in exist:
            typer.echo(f"error: {target}: a baseline exists already; pass --force to replace "
                       "it (deliberately, in the same commit as the scenario change)", err=True)
        if exist:
            raise typer.Exit(EXIT_BAD_INPUT)
    for loaded, target in zip(load_all(scenarios), targets, strict=True):
        result, analysis = simulate(loaded, jobs=jobs)
        stored = baseline_of(result, analysis)
        try:
            write_baseline(target, stored, force=force)
        except BaselineError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        typer.echo(f"{target}: {stored.scenario}, {stored.replications} replications, seed "
                   f"{stored.seed}, {stored.values['kpi'].nunique()} KPIs")
