"""``itr-sim export``: a run folder's event log for process-mining tools (XES or CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.choices import ExportFormat
from itr_sim.cli.output import info

from itr_sim.files import check_target
from itr_sim.report.export import export_events
from itr_sim.report.runfolder import RunFolderError, open_run_folder

EXIT_BAD_INPUT = 2


def export(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `itr-sim run --out`.")],
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", help="xes (IEEE 1849, for ProM, Disco, Celonis, pm4py) or csv (one row "
        "per event, the same standard column names).")] = ExportFormat.XES,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write; default RUN_DIR/../<run folder>.<format>.")] = None,
    include_warmup: Annotated[bool, typer.Option(
        help="Keep tickets that arrived in the warm-up.")] = False,
    include_open: Annotated[bool, typer.Option(
        help="Keep tickets still open at the end of the horizon.")] = False,
    force: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
) -> None:
    """Export the event log of a run folder for process-mining tools: one case per ticket
    (`REPLICATION-TICKET`), with concept:name, time:timestamp, org:group and
    lifecycle:transition. Tickets of the warm-up and tickets still open are left out unless
    asked for."""
    out = output if output is not None else run_dir.parent / f"{run_dir.name}.{fmt.value}"
    problem = check_target(out, force, example=f"events.{fmt.value}")
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        run = open_run_folder(run_dir)
        summary = export_events(run, out, fmt.value, include_warmup=include_warmup,
                                include_open=include_open)
    except RunFolderError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    info(f"wrote {out}: {summary.cases} cases, {summary.events} events; left out "
         f"{summary.left_out_warmup} warm-up and {summary.left_out_open} open tickets")
