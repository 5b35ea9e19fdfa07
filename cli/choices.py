"""Choices of the command-line options, as enums so that help lists them and the parser
rejects anything else (exit 2)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Executor", "Staffing"]


class Executor(StrEnum):
    """Where replications or roster evaluations run with --jobs > 1 or --scheduler."""

    PROCESS = "process"
    DASK = "dask"


class Staffing(StrEnum):
    """The roster under more contracts: today's, or re-optimised least-cost staffing."""

    FIXED = "fixed"
    REOPTIMISED = "reoptimised"
