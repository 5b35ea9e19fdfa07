"""The ``itr-sim`` command: a thin layer over the library.

Exit status, the same for every command (docs/cli.md):

* 0 ok;
* 1 a target missed: ``run --check``, or no staffing plan from ``staff``; a regression:
  ``check``, ``compare --fail-on worse``;
* 2 bad input: an invalid file, option or value, a file that cannot be read or written;
* 3 an internal error (a bug): a one-line message and a hint to report it; the traceback
  only with ``itr-sim --debug COMMAND ...``.

Every command is wrapped once, here (:func:`_guarded`), so no command prints a traceback.
"""

from __future__ import annotations

import atexit
import functools
import gc
import json
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from itr_sim.cli.output import github_annotation, info, set_verbosity
from typer.core import TyperCommand, TyperGroup

from itr_sim.model.source import Level, ScenarioError
from itr_sim.units import UnitError

atexit.register(gc.freeze)
"""At exit, the garbage collector's last pass over every object the process made (the loaded
modules, models and tables, freed anyway when the process ends) is skipped: a sixth of the
CPU time of `itr-sim validate` (docs/performance.md, "Start-up")."""

COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("itr_sim.cli.run", "run",
        "Simulate a scenario for N replications; print KPIs; write the event log and tables."),
    "compare": ("itr_sim.cli.compare", "compare",
        "Run A and B with common random numbers; print KPI deltas B - A with 95% intervals, "
        "significant after Benjamini-Hochberg control across the KPIs."),
    "report": ("itr_sim.cli.report", "report",
        "Write an HTML report a leader can mail around: are we keeping our SLAs, and where does "
        "it hurt."),
    "sweep": ("itr_sim.cli.sweep", "sweep",
        "Run a grid of what-ifs with common random numbers; print one row per point: targets met, "
        "at risk and missed (by their 95% intervals), the worst gap, cost, backlog and each "
        "line's utilisation and mean wait."),
    "staff": ("itr_sim.cli.staff", "staff_command",
        "Find the fewest agents per tier and shift, at least cost, that keep every target."),
    "ola": ("itr_sim.cli.ola", "ola_command",
        "Propose per-tier OLA budgets and attainment targets that protect the SLA response, "
        "restore and resolve clocks, beside today's, and check them by simulation."),
    "erlang": ("itr_sim.cli.erlang", "erlang",
        "Erlang C (or A with --patience): waits and service level for given agents, and the "
        "agents needed for a target; or, given a SCENARIO, a first estimate per tier."),
    "baseline": ("itr_sim.cli.baseline", "baseline",
        "Run each scenario with its seed and replications; store its per-replication KPI values "
        "as TO/<scenario file name>.json, to be committed and checked by `itr-sim check`."),
    "check": ("itr_sim.cli.check", "check",
        "Re-run each scenario with its baseline's seed and replications and fail on a regression: "
        "a KPI that changed in its bad direction, significantly after Benjamini-Hochberg control "
        "across the KPIs, by more than its tolerance (docs/ci.md)."),
    "ingest": ("itr_sim.cli.ingest", "ingest",
        "Read a ticket log with a mapping; write its event log, tickets and data checks as a run "
        "folder (for `fit`, `backtest` and the KPI code)."),
    "fit": ("itr_sim.cli.fit", "fit",
        "Fit demand, handling times, routing, waits, reopens and work slots; write a runnable "
        "scenario whose every value says where it came from."),
    "backtest": ("itr_sim.cli.backtest", "backtest",
        "Fit on cases arriving before the split; replay the rest's arrivals (and generate "
        "demand); compare with what really happened, beside the naive forecast."),
    "export": ("itr_sim.cli.export", "export",
        "Export the event log of a run folder for process-mining tools: one case per ticket "
        "(`REPLICATION-TICKET`), with concept:name, time:timestamp, org:group and "
        "lifecycle:transition. Tickets of the warm-up and tickets still open are left out unless "
        "asked for."),
    "price": ("itr_sim.cli.price", "price_command",
        "Price floor per contract-year: marginal cost to serve (re-optimised staffing, parts, "
        "fixed costs) plus expected service credits, with an interval, next to the list price and "
        "the margin it gives. Exit 0; 1 when staffing cannot carry the volume; 2 for bad input. "
        "Method: docs/economics.md."),
    "headroom": ("itr_sim.cli.headroom", "headroom_command",
        "Largest number of additional contracts of LEVEL at which every target still holds, by "
        "the confidence rule of `staff`. Exit 0; 2 for bad input. Method: docs/economics.md."),
    "init": ("itr_sim.cli.init", "init",
        "Copy the example scenarios (scenarios/), SLA catalogues (sla_catalog/) and the YAML "
        "schema for editors (docs/schema/) into FOLDER, then say what to run next."),
}
"""The commands in their own modules: module, function and the first paragraph of its
docstring (the help line of `itr-sim --help`, checked against the docstring by a test). A
command's module is imported only when that command runs or shows its own help, so `--help`
and `validate` do not load the simulation and analysis stack."""


class LazyGroup(TyperGroup):
    """The ``itr-sim`` group: the commands of :data:`COMMANDS` are built on first use."""

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute, help_text = COMMANDS[cmd_name]
        if self.listing:  # the group's help: a name and a line, without importing
            return TyperCommand(cmd_name, help=help_text)
        callback = getattr(import_module(module), attribute)
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                             context_settings=CONTEXT)
        single.command(name=cmd_name)(_guarded(callback))
        command = typer.main.get_command(single)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    cls=LazyGroup,
    context_settings=CONTEXT,
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
        from itr_sim import __version__

        typer.echo(f"itr-sim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the traceback of an internal error (exit status 3).")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Say nothing on stderr but errors and input warnings: no "
        "progress, no 'wrote' lines.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also say each step on stderr, with its time.")] = False,
) -> None:
    """itr-sim: SLA catalogue + support organisation + demand -> predicted service.

    Exit status: 0 ok, 1 a target missed (run --check, staff) or a regression (check,
    compare --fail-on worse), 2 bad input, 3 internal error."""
    _debug["on"] = debug
    set_verbosity(quiet, verbose)


_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
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
        except Exception as exc:
            if _debug["on"]:
                raise
            if isinstance(exc, _bad_input_types()):
                typer.echo(f"error: {_oneline(exc)}", err=True)
                raise typer.Exit(EXIT_BAD_INPUT) from None
            typer.echo(f"internal error: {type(exc).__name__}: {_oneline(exc)}", err=True)
            typer.echo(f"hint: {REPORT_HINT}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None

    return run


def _bad_input_types() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad input: a unit error, a file that cannot be read or written,
    an executor that is not installed (its class only exists once the engine is loaded, and
    only then can it be raised)."""
    found: list[type[BaseException]] = [UnitError, OSError]
    replicate = sys.modules.get("itr_sim.engine.replicate")
    if replicate is not None:
        found.append(replicate.ExecutorUnavailable)
    return tuple(found)


def _oneline(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return text if len(text) <= 300 else text[:297] + "..."


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Catalogue and scenario YAML files.")],
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the findings as one JSON object (files, errors, warnings, "
        "diagnostics with file, line, path, level and message).")] = False,
    github: Annotated[bool, typer.Option(
        help="Print the findings as GitHub Actions annotations (shown on the lines of a pull "
        "request).")] = False,
) -> None:
    """Check YAML files; print `file:line: key.path: message` for every problem.

    Exit 0 when every file is valid (warnings are printed), 2 otherwise."""
    from itr_sim.model.load import validate_file

    found = [d for path in paths for d in validate_file(path)]
    errors = sum(d.level is Level.ERROR for d in found)
    warnings = len(found) - errors
    if as_json:
        typer.echo(json.dumps({
            "files": [str(p) for p in paths], "errors": errors, "warnings": warnings,
            "diagnostics": [{"file": d.file, "line": d.line or None, "path": d.path,
                             "level": "error" if d.level is Level.ERROR else "warning",
                             "message": d.message} for d in found]}, indent=2))
    for diagnostic in found if not as_json else []:
        if github:
            kind = "error" if diagnostic.level is Level.ERROR else "warning"
            title = f"itr-sim validate: {diagnostic.path}" if diagnostic.path else None
            typer.echo(github_annotation(kind, diagnostic.message, file=diagnostic.file,
                                         line=diagnostic.line, title=title))
        else:
            typer.echo(str(diagnostic))
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
    from itr_sim.model.schema import FORMATS, reference_markdown, schema_text

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
            info(f"wrote {out / f'{k}.schema.json'}")
    if reference is not None:
        reference.write_text(reference_markdown(), encoding="utf-8")
        info(f"wrote {reference}")


for _info in app.registered_commands:
    if _info.callback is not None:
        _info.callback = _guarded(_info.callback)


if __name__ == "__main__":  # pragma: no cover
    app()
