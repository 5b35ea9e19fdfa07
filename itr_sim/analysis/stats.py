"""Means and 95% t-intervals across replications."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

__all__ = ["MIN_USEFUL_REPLICATIONS", "VERDICTS", "mean_ci", "verdict"]


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of per-replication values. NaNs (a replication
    without data for that figure) are dropped; fewer than two values give a NaN interval."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


MIN_USEFUL_REPLICATIONS = 5
"""Below this many replications a 95% interval is too wide to judge a target by: its half
width is t(0.975, n-1) / sqrt(n) standard deviations of the per-replication values, 8.98 at
n = 2, 2.48 at 3, 1.59 at 4, 1.24 at 5 and 0.72 at 10, so with fewer than five nearly every
target comes out "at risk" (docs/reports.md)."""

VERDICTS = ("met", "at risk", "missed")
"""The verdicts of :func:`verdict`, best first."""


def verdict(mean: float | None, low: float | None, high: float | None,
            target: float) -> str:
    """A target's verdict by the interval rule: ``"missed"`` only when the whole interval
    lies below the target (``high < target``), ``"met"`` when the whole interval reaches it
    (``low >= target``), ``"at risk"`` when the interval straddles it. Without an interval
    (one replication, or a figure without data in some) the mean decides between ``"met"``
    and ``"at risk"``: a single run never proves a miss."""
    def known(x: float | None) -> bool:
        return x is not None and not math.isnan(x)

    if known(low) and known(high):
        if high < target:  # type: ignore[operator]
            return "missed"
        return "met" if low >= target else "at risk"  # type: ignore[operator]
    if known(mean):
        return "met" if mean >= target else "at risk"  # type: ignore[operator]
    return "at risk"
