"""Choices of the command-line options, as enums so that help lists them and the parser
rejects anything else (exit 2)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CheckFailOn", "CompareFailOn", "Executor", "ExportFormat", "Staffing", "TableFormat",
           "confidence_option"]


class Executor(StrEnum):
    """Where replications or roster evaluations run with --jobs > 1 or --scheduler."""

    PROCESS = "process"
    DASK = "dask"


class TableFormat(StrEnum):
    """File format of a run folder's tables (itr_sim.report.runfolder.FORMATS)."""

    CSV = "csv"
    PARQUET = "parquet"
    AUTO = "auto"


class ExportFormat(StrEnum):
    """Format of `itr-sim export` (itr_sim.report.export.EXPORT_FORMATS)."""

    XES = "xes"
    CSV = "csv"


class CheckFailOn(StrEnum):
    """What makes `run --check` exit 1: missed targets, or also targets at risk."""

    MISSED = "missed"
    AT_RISK = "at-risk"


class CompareFailOn(StrEnum):
    """What makes `compare` exit 1: nothing, or a KPI worse in B beyond its tolerance."""

    NEVER = "never"
    WORSE = "worse"


class Staffing(StrEnum):
    """The roster under more contracts: today's, or re-optimised least-cost staffing."""

    FIXED = "fixed"
    REOPTIMISED = "reoptimised"


def confidence_option(text: str) -> float:
    """``--confidence`` of `staff`, `headroom` and `price`: a percentage from 0% (the mean
    decides) to below 100%; anything else exits 2 with the reason."""
    import typer

    from itr_sim.units import UnitError, parse_fraction

    try:
        level = parse_fraction(text)
        if not 0 <= level < 1:
            raise UnitError(f"{text!r}: give a confidence from 0% to 99.9%")
    except UnitError as exc:
        typer.echo(f"--confidence: {exc}", err=True)
        raise typer.Exit(2) from None
    return level
