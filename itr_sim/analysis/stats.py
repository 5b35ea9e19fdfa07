"""Means and 95% intervals across replications, and the verdict of a target by its
interval."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy.special import ndtri, stdtrit  # scipy.stats costs 0.4 s more to import

__all__ = ["MIN_USEFUL_REPLICATIONS", "TOLERANCE", "VERDICTS", "mean_ci", "share_interval",
           "verdict", "wilson"]


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of per-replication values. NaNs (a replication
    without data for that figure) are dropped; fewer than two values give a NaN interval."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stdtrit(len(x) - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


MIN_USEFUL_REPLICATIONS = 5
"""Below this many replications a 95% interval is too wide to judge a target by: its half
width is t(0.975, n-1) / sqrt(n) standard deviations of the per-replication values, 8.98 at
n = 2, 2.48 at 3, 1.59 at 4, 1.24 at 5 and 0.72 at 10, so with fewer than five nearly every
target comes out "at risk" (docs/reports.md)."""

VERDICTS = ("met", "at risk", "missed")
"""The verdicts of :func:`verdict`, best first."""


TOLERANCE = 1e-12
"""Rounding allowance when a bound is compared with a target (a mean of shares such as 19/20
may come out 0.9499999999999999)."""


def share_interval(shares: Iterable[float], counts: Iterable[float] | None = None,
                   level: float = 0.95) -> tuple[float, float, float]:
    """Mean and interval of an attainment (a share of due clocks met) measured in each
    replication: the Student-t interval of the per-replication shares, widened to contain
    the Wilson score interval of the pooled clocks when ``counts`` (due clocks per
    replication) are given, and kept in [0, 1]. The Wilson side matters for small cells: a
    few tickets, all met in every replication, show no spread between replications but are
    not thereby certain. With one replication the t-interval is the mean itself. NaN shares
    (a replication without a due clock) are left out; NaN everywhere gives NaNs."""
    x = np.asarray(list(shares), float)
    has = ~np.isnan(x)
    if not has.any():
        return math.nan, math.nan, math.nan
    mean, lo, hi = mean_ci(x[has], level)
    if math.isnan(lo):
        lo = hi = mean
    if counts is not None:
        c = np.asarray(list(counts), float)[has]
        if not np.isnan(c).any() and c.sum() > 0:
            hits = round(float((x[has] * c).sum()))
            w_lo, w_hi = wilson(hits, round(float(c.sum())), level)
            lo, hi = min(lo, w_lo), max(hi, w_hi)
    return mean, max(lo, 0.0), min(hi, 1.0)


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of ``k`` successes in ``n`` trials, two-sided, without
    continuity correction (Newcombe 1998): the formula of ``scipy.stats.binomtest(k, n)
    .proportion_ci(level, "wilson")``, with 0 and 1 as the bounds at ``k = 0`` and
    ``k = n``."""
    z = float(ndtri(0.5 + 0.5 * level))
    p = k / n
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    delta = z / denom * math.sqrt(4 * n * p * (1 - p) + z**2)
    return (0.0 if k == 0 else center - delta), (1.0 if k == n else center + delta)


def verdict(mean: float | None, low: float | None, high: float | None,
            target: float, *, higher_is_better: bool = True) -> str:
    """A target's verdict by the interval rule, the one rule of every verdict shown (run
    --check, the report, staff, sweep): ``"missed"`` only when the whole interval is on the
    wrong side of the target (``high < target`` for an attainment), ``"met"`` when the whole
    interval is on the right side (``low >= target``), ``"at risk"`` when it straddles the
    target. Without an interval (one replication, or a figure without data in some) the mean
    decides between ``"met"`` and ``"at risk"``: a single run never proves a miss. With
    ``higher_is_better=False`` (a cap, such as an occupancy cap) the sides swap."""
    def known(x: float | None) -> bool:
        return x is not None and not math.isnan(x)

    if not higher_is_better:
        def neg(x: float | None) -> float | None:
            return -x if known(x) else x  # type: ignore[operator]
        return verdict(neg(mean), neg(high), neg(low), -target)
    if known(low) and known(high):
        if high < target - TOLERANCE:  # type: ignore[operator]
            return "missed"
        return "met" if low >= target - TOLERANCE else "at risk"  # type: ignore[operator]
    if known(mean):
        return "met" if mean >= target - TOLERANCE else "at risk"  # type: ignore[operator]
    return "at risk"
