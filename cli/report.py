"""``itr-sim report``: one self-contained HTML file with figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.output import info, step

from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.files import check_target, write_atomic
from itr_sim.model.load import load_scenario, parse_assignments
from itr_sim.model.source import ScenarioError
from itr_sim.report.html import from_run, from_run_dir, is_report, render
from itr_sim.report.runfolder import RunFolderError

EXIT_BAD_INPUT = 2


def report(
    source: Annotated[Path, typer.Argument(
        help="A scenario YAML (simulated now) or a folder written by `itr-sim run --out`.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "report.html"),
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=1, help="Replications when simulating.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override KEY=VALUE when simulating (repeatable).")] = None,
    force: Annotated[bool, typer.Option(
        help="Replace an existing OUTPUT that is not an itr-sim report.")] = False,
) -> None:
    """Write an HTML report a leader can mail around: are we keeping our SLAs, and where
    does it hurt.

    An existing OUTPUT is replaced only when it is an earlier itr-sim report, or with
    --force; the new file appears in one rename."""
    problem = check_target(output, force or is_report(output), example="report.html")
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        if source.is_dir():
            inputs = from_run_dir(source)
        else:
            loaded = load_scenario(source, sets=parse_assignments(set_ or []))
            with step(f"simulating {loaded.scenario.scenario}"):
                result = run_scenario(loaded, replications=replications)
            with step("analysing"):
                inputs = from_run(result, analyse(result))
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except RunFolderError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    with step("drawing the report"):
        page = render(inputs)
    write_atomic(output, page)
    info(f"wrote {output}")
