"""The ``itr-sim`` command: a thin layer over the library.

Exit status: 0 ok, 1 a target missed (with ``--check``, later commands), 2 bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.compare import compare as compare_command
from itr_sim.cli.erlang import erlang as erlang_command
from itr_sim.cli.report import report as report_command
from itr_sim.cli.run import run as run_command
from itr_sim.cli.staff import staff_command
from itr_sim.cli.sweep import sweep as sweep_command

from itr_sim import __version__
from itr_sim.model.load import validate_file
from itr_sim.model.schema import FORMATS, reference_markdown, schema_text
from itr_sim.model.source import Level

app = typer.Typer(
    name="itr-sim",
    help="Design a technical-support service and simulate it before selling it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_BAD_INPUT = 2


def _version(value: bool) -> None:
    if value:
        typer.echo(f"itr-sim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """itr-sim: SLA catalogue + support organisation + demand -> predicted service."""


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Catalogue and scenario YAML files.")],
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
) -> None:
    """Check YAML files; print `file:line: key.path: message` for every problem.

    Exit 0 when every file is valid (warnings are printed), 2 otherwise."""
    errors = warnings = 0
    for path in paths:
        found = validate_file(path)
        for diagnostic in found:
            typer.echo(str(diagnostic))
        errors += sum(d.level is Level.ERROR for d in found)
        warnings += sum(d.level is Level.WARNING for d in found)
    summary = (f"{len(paths)} file(s) checked: {errors} error(s), {warnings} warning(s)")
    typer.echo(summary, err=True)
    if errors or (strict and warnings):
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema(
    kind: Annotated[str | None, typer.Option(
        help="catalog or scenario; default: both, as one JSON object keyed by kind")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write KIND.schema.json files into this folder instead of printing.")] = None,
    reference: Annotated[Path | None, typer.Option(
        help="Also write the Markdown YAML reference to this file.")] = None,
) -> None:
    """Print or write the JSON Schema of the YAML formats (for editors and CI)."""
    kinds = list(FORMATS) if kind is None else [kind]
    if kind is not None and kind not in FORMATS:
        typer.echo(f"unknown kind {kind!r}; use one of: {', '.join(FORMATS)}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if out is None and reference is None:
        if len(kinds) == 1:
            typer.echo(schema_text(kinds[0]), nl=False)
        else:
            body = ",\n".join(f'"{k}": ' + schema_text(k).rstrip() for k in kinds)
            typer.echo("{" + body + "}")
        return
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for k in kinds:
            (out / f"{k}.schema.json").write_text(schema_text(k), encoding="utf-8")
            typer.echo(f"wrote {out / f'{k}.schema.json'}", err=True)
    if reference is not None:
        reference.write_text(reference_markdown(), encoding="utf-8")
        typer.echo(f"wrote {reference}", err=True)


app.command(name="run")(run_command)
app.command(name="erlang")(erlang_command)
app.command(name="compare")(compare_command)
app.command(name="report")(report_command)
app.command(name="sweep")(sweep_command)
app.command(name="staff")(staff_command)


if __name__ == "__main__":  # pragma: no cover
    app()
