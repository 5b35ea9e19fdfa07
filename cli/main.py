"""The ``itr-sim`` command: a thin layer over the library.

Exit status, the same for every command (docs/cli.md):

* 0 ok;
* 1 a target missed: ``run --check``, or no staffing plan from ``staff``;
* 2 bad input: an invalid file, option or value, a file that cannot be read or written;
* 3 an internal error (a bug): a one-line message and a hint to report it; the traceback
  only with ``itr-sim --debug COMMAND ...``.

Every command is wrapped once, here (:func:`_guarded`), so no command prints a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from itr_sim.cli.compare import compare as compare_command
from itr_sim.cli.erlang import erlang as erlang_command
from itr_sim.cli.headroom import headroom_command
from itr_sim.cli.price import price_command
from itr_sim.cli.report import report as report_command
from itr_sim.cli.run import run as run_command
from itr_sim.cli.staff import staff_command
from itr_sim.cli.sweep import sweep as sweep_command

from itr_sim import __version__
from itr_sim.engine.replicate import ExecutorUnavailable
from itr_sim.model.load import validate_file
from itr_sim.model.schema import FORMATS, reference_markdown, schema_text
from itr_sim.model.source import Level, ScenarioError
from itr_sim.units import UnitError

app = typer.Typer(
    name="itr-sim",
    help="Design a technical-support service and simulate it before selling it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK = 0
EXIT_TARGET_MISSED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
REPORT_HINT = ("this is a bug in itr-sim, not in your input; please report it with the command "
               "line and the input files (run with `itr-sim --debug ...` for the traceback)")

_debug = {"on": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"itr-sim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the traceback of an internal error (exit status 3).")] = False,
) -> None:
    """itr-sim: SLA catalogue + support organisation + demand -> predicted service.

    Exit status: 0 ok, 1 a target missed (run --check, staff), 2 bad input, 3 internal
    error."""
    _debug["on"] = debug


_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
"""The base of Typer's usage errors: click's in older Typer releases, Typer's own copy of it
in newer ones (which no longer install click), so it is found, not imported."""


def _guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command; turn what escapes it into a message and an exit status: bad input
    (diagnostics, unit errors, unreadable or unwritable files) exits 2, anything else is an
    internal error, exit 3, with a hint to report it (the traceback with --debug)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, _USAGE_ERROR, KeyboardInterrupt):
            raise
        except ScenarioError as exc:
            for diagnostic in exc.diagnostics:
                typer.echo(str(diagnostic), err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except (UnitError, OSError, ExecutorUnavailable) as exc:
            if _debug["on"]:
                raise
            typer.echo(f"error: {_oneline(exc)}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except Exception as exc:
            if _debug["on"]:
                raise
            typer.echo(f"internal error: {type(exc).__name__}: {_oneline(exc)}", err=True)
            typer.echo(f"hint: {REPORT_HINT}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None

    return run


def _oneline(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return text if len(text) <= 300 else text[:297] + "..."


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
app.command(name="price")(price_command)
app.command(name="headroom")(headroom_command)
for _info in app.registered_commands:
    if _info.callback is not None:
        _info.callback = _guarded(_info.callback)


if __name__ == "__main__":  # pragma: no cover
    app()
