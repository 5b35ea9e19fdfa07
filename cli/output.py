"""Output shared by the commands: GitHub Actions workflow annotations, and how much a command
says on stderr (--quiet, --verbose), with spinners for long steps."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer

__all__ = ["bars_off", "detail", "github_annotation", "info", "set_verbosity", "step"]


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(kind: str, message: str, *, file: str | None = None,
                      line: int | None = None, title: str | None = None) -> str:
    """One workflow command (``::error file=a.yaml,line=3,title=...::message``) that GitHub
    Actions shows on the file's line in a pull request; ``kind`` is error, warning or notice.
    Values are escaped as the runner expects (``%``, newlines, and ``:``/``,`` in properties)."""
    if kind not in ("error", "warning", "notice"):
        raise ValueError(f"unknown annotation kind {kind!r}")
    props = [f"file={_escape_property(file)}"] if file else []
    if file and line:
        props.append(f"line={int(line)}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{kind} {','.join(props)}" if props else f"::{kind}"
    return f"{head}::{_escape_data(message)}"


# -- how much the commands say on stderr (`itr-sim --quiet` / `--verbose`) -------------------

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = {"now": NORMAL}


def set_verbosity(quiet: bool, verbose: bool) -> None:
    """--quiet: only errors and the results asked for; --verbose: each step with its time."""
    _level["now"] = QUIET if quiet else VERBOSE if verbose else NORMAL


def info(message: str) -> None:
    """A progress or file message on stderr (``wrote ...``), left out with --quiet."""
    if _level["now"] >= NORMAL:
        typer.echo(message, err=True)


def detail(message: str) -> None:
    """A step and its time on stderr, only with --verbose."""
    if _level["now"] >= VERBOSE:
        typer.echo(message, err=True)


def bars_off() -> bool:
    """Whether progress bars stay hidden: with --quiet, or when stderr is not a terminal."""
    return _level["now"] == QUIET or not sys.stderr.isatty()


@contextmanager
def step(what: str) -> Iterator[None]:
    """A long step: a spinner on a terminal (not with --quiet), and with --verbose a line
    when it ends, with its time."""
    started = time.perf_counter()
    if bars_off():
        yield
    else:
        from rich.console import Console  # only for the spinner: `validate` never loads rich

        with Console(stderr=True).status(what + "..."):
            yield
    detail(f"{what}: {time.perf_counter() - started:.1f} s")
