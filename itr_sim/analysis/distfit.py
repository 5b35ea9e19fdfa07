"""Fitting durations: lognormal, gamma and Weibull by maximum likelihood (scipy.stats, location
fixed at 0), a goodness-of-fit table, and ``empirical`` quantiles when no family fits.

A family fits when its Kolmogorov-Smirnov distance is at most ``max(0.03, 1.36/sqrt(n))``
(the 5% critical value, floored so that large samples are not held to a distance no model
of service times meets) and its median and 90th percentile are within 10% of the sample's.
Of the families that fit, the one with the smallest distance wins. Durations below
:data:`FLOOR_MIN` (logs record minutes or seconds; zeros are common) are raised to it for the
likelihood only; the empirical quantiles keep them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["FLOOR_MIN", "QUANTILES", "Fit", "fit_duration", "fmt_minutes"]

FLOOR_MIN = 0.5
QUANTILES = (0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 100)
MAX_CV = 10.0
MIN_SHAPE = 0.1
MIN_SAMPLE = 20


@dataclass
class Fit:
    """The chosen distribution (YAML-ready mapping), why, and the table of candidates."""

    spec: dict[str, Any]
    chosen: str
    n: int
    table: list[dict[str, Any]] = field(default_factory=list)
    median: float = math.nan
    p90: float = math.nan
    mean: float = math.nan

    def comment(self) -> str:
        return (f"{self.chosen}: n={self.n}, sample median {fmt_minutes(self.median)}, "
                f"p90 {fmt_minutes(self.p90)}, mean {fmt_minutes(self.mean)}")


def fmt_minutes(m: float) -> str:
    """A duration in the unit grammar: minutes with at most 2 decimals."""
    if not math.isfinite(m):
        return "nan"
    return f"{round(max(m, 0.0), 2):g}m"


def _family(name: str, x: np.ndarray) -> tuple[dict[str, Any], Any] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "lognormal":
            s, _, scale = stats.lognorm.fit(x, floc=0)
            frozen = stats.lognorm(s, scale=scale)
            mean, cv = frozen.mean(), math.sqrt(math.expm1(s * s))
            params = {"mean": fmt_minutes(mean), "cv": round(float(cv), 3)}
            ok = 0 < cv <= MAX_CV
        elif name == "gamma":
            a, _, scale = stats.gamma.fit(x, floc=0)
            frozen = stats.gamma(a, scale=scale)
            mean, cv = a * scale, 1 / math.sqrt(a)
            params = {"mean": fmt_minutes(mean), "cv": round(float(cv), 3)}
            ok = 0 < cv <= MAX_CV
        else:
            c, _, scale = stats.weibull_min.fit(x, floc=0)
            frozen = stats.weibull_min(c, scale=scale)
            mean = scale * math.gamma(1 + 1 / c)
            params = {"mean": fmt_minutes(mean), "shape": round(float(c), 3)}
            ok = MIN_SHAPE <= c <= 20
    if not ok or not math.isfinite(mean) or mean <= 0:
        return None
    return params, frozen


def fit_duration(sample: Any, *, empirical: bool = True) -> Fit:
    """Fit durations in minutes. ``empirical=False`` (an engine without the ``empirical``
    family) falls back to the lognormal through the sample's median and 90th percentile."""
    x = np.asarray(sample, float)
    x = x[np.isfinite(x) & (x >= 0)]
    n = len(x)
    if n == 0:
        raise ValueError("no durations to fit")
    med, p90, mean = (float(v) for v in (np.median(x), np.quantile(x, 0.9), x.mean()))
    xf = np.maximum(x, FLOOR_MIN)
    table: list[dict[str, Any]] = []
    best: tuple[float, str, dict[str, Any]] | None = None
    limit = max(0.03, 1.36 / math.sqrt(n))
    if n >= MIN_SAMPLE and x.max() > 0:
        for name in ("lognormal", "gamma", "weibull"):
            try:
                got = _family(name, xf)
            except (ValueError, RuntimeError, FloatingPointError):
                got = None
            if got is None:
                table.append({"family": name, "fits": False, "note": "no valid parameters"})
                continue
            params, frozen = got
            d = float(stats.kstest(xf, frozen.cdf).statistic)
            em = float(frozen.median() / max(med, FLOOR_MIN) - 1)
            e9 = float(frozen.ppf(0.9) / max(p90, FLOOR_MIN) - 1)
            fits = d <= limit and abs(em) <= 0.10 and abs(e9) <= 0.10
            table.append({"family": name, "params": params, "ks": round(d, 4),
                          "ks_limit": round(limit, 4), "median_error": round(em, 4),
                          "p90_error": round(e9, 4), "fits": fits})
            if fits and (best is None or d < best[0]):
                best = (d, name, params)
    fit = Fit({}, "", n, table, med, p90, mean)
    if x.max() <= 0:
        fit.spec, fit.chosen = {"fixed": {"value": "0m"}}, "every duration is 0"
    elif best is not None:
        fit.spec, fit.chosen = {best[1]: best[2]}, f"{best[1]} by maximum likelihood"
    elif empirical:
        qs = np.quantile(x, [q / 100 for q in QUANTILES])
        qs = np.maximum.accumulate(qs)
        fit.spec = {"empirical": {"quantiles": {f"{q}%": fmt_minutes(v)
                                                for q, v in zip(QUANTILES, qs, strict=True)}}}
        fit.chosen = ("empirical quantiles (no family fits)" if n >= MIN_SAMPLE
                      else f"empirical quantiles (n < {MIN_SAMPLE}: no family tried)")
    else:
        sigma = max(math.log(max(p90, FLOOR_MIN) / max(med, FLOOR_MIN)), 0.01) / 1.2816
        m = max(med, FLOOR_MIN) * math.exp(sigma * sigma / 2)
        cv = min(math.sqrt(math.expm1(sigma * sigma)), MAX_CV)
        fit.spec = {"lognormal": {"mean": fmt_minutes(m), "cv": round(float(cv), 3)}}
        fit.chosen = "lognormal through the sample median and p90 (no family fits)"
    return fit
