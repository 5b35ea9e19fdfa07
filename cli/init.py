"""``itr-sim init``: a folder to start from, with the example scenarios and catalogues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.output import info

from itr_sim.starter import StarterError, copy_examples

EXIT_BAD_INPUT = 2


def init(
    folder: Annotated[Path, typer.Argument(help="Folder to create or fill.")] = Path("."),
    force: Annotated[bool, typer.Option(
        help="Replace example files that exist already (other files are never touched).")
    ] = False,
) -> None:
    """Copy the example scenarios (scenarios/), SLA catalogues (sla_catalog/) and the YAML
    schema for editors (docs/schema/) into FOLDER, then say what to run next."""
    try:
        written = copy_examples(folder, force=force)
    except StarterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    scenarios = sorted(p.name for p in written if p.parent.name == "scenarios")
    info(f"wrote {len(written)} files into {folder}: {len(scenarios)} scenarios "
         f"({', '.join(scenarios)}), catalogues and schema")
    where = "" if folder == Path(".") else f"cd {folder} && "
    info(f"next: {where}itr-sim run scenarios/baseline.yaml")
