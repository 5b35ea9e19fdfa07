"""Regression testing of KPIs: good directions, practical tolerances and the test.

Two sets of per-replication KPI values (tidy tables ``replication, kpi, value``, see
:func:`itr_sim.analysis.compare.per_replication`) are compared KPI by KPI:

* the difference of the means, B - A, with a 95% interval and a two-sided p-value: the paired
  t-test on the per-replication differences when both sides ran with the same seed (common
  random numbers), Welch's unequal-variance t-test otherwise;
* the p-values of all KPIs are adjusted together by Benjamini-Hochberg
  (:func:`scipy.stats.false_discovery_control`), so that among the KPIs called significant at
  most 5% are expected to be false discoveries, however many KPIs there are;
* a change is a **regression** when it is significant after that adjustment, goes in the KPI's
  bad direction (:func:`direction`) and is larger than the KPI's practical tolerance
  (:data:`DEFAULT_TOLERANCES`, or one given by the user); an **improvement** likewise in the
  good direction. A KPI without a good direction (utilisation, entitlement counts) is at most
  ``changed``; KPIs on one side only are ``new`` or ``gone`` and never fail.

``check``, ``compare`` and the false-alarm script all use :func:`compare_tables`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase

import numpy as np
import pandas as pd

__all__ = ["ALPHA", "DEFAULT_TOLERANCES", "DIRECTIONS", "KpiChange", "Tolerance",
           "compare_tables", "direction", "family", "identical", "parse_tolerance",
           "tolerance_for"]

ALPHA = 0.05
"""False discovery rate of the Benjamini-Hochberg control."""

HIGHER, LOWER, NEITHER = 1, -1, 0

DIRECTIONS: tuple[tuple[str, int, str], ...] = (
    # (KPI name pattern, good direction, family of its tolerance); the first match counts
    ("sla.*", HIGHER, "share"),
    ("service.*", HIGHER, "share"),
    ("ola.*", HIGHER, "share"),
    ("quality.first_time_fix", HIGHER, "share"),
    ("quality.reopen_rate", LOWER, "share"),
    ("tiers.*.resolved_share", NEITHER, "share"),
    ("utilisation.*", NEITHER, "share"),
    ("tiers.*.mean_wait_min", LOWER, "time"),
    ("times.*", LOWER, "time"),
    ("cost.*", LOWER, "money"),
    ("penalt*", LOWER, "money"),
    ("margin.*", HIGHER, "money"),
    ("revenue.*", HIGHER, "money"),
    ("backlog.*", LOWER, "count"),
    ("escalations.*", LOWER, "count"),
    ("quality.complaints_per_week", LOWER, "count"),
    ("entitlement.*", NEITHER, "count"),
)
"""Every KPI's good direction (+1 higher is better, -1 lower is better, 0 neither: a change
is reported, never a regression) and the family of its tolerance. A KPI matching no pattern
has no direction and the ``count`` family."""


@dataclass(frozen=True)
class Tolerance:
    """The smallest change that matters: ``value`` absolute (in the KPI's unit; shares as
    fractions, so 0.01 is one percentage point) or, when ``relative``, a fraction of the
    reference mean's magnitude."""

    value: float
    relative: bool = False

    def exceeded_by(self, delta: float, reference: float) -> bool:
        limit = self.value * abs(reference) if self.relative else self.value
        return abs(delta) > limit + 1e-12

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"


DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "share": Tolerance(0.01),  # 1 percentage point of attainment, share or utilisation
    "time": Tolerance(0.05, relative=True),  # 5% of a wait or a time
    "money": Tolerance(0.05, relative=True),  # 5% of a cost or a margin
    "count": Tolerance(0.10, relative=True),  # 10% of a backlog, a rate per week, a count
}
"""Default practical tolerance per family (docs/ci.md)."""


def _rule(kpi: str) -> tuple[int, str]:
    for pattern, good, fam in DIRECTIONS:
        if fnmatchcase(kpi, pattern):
            return good, fam
    return NEITHER, "count"


def direction(kpi: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when neither."""
    return _rule(kpi)[0]


def family(kpi: str) -> str:
    """share, time, money or count: which default tolerance applies."""
    return _rule(kpi)[1]


def parse_tolerance(text: str) -> tuple[str, Tolerance]:
    """``KPI=VALUE`` (KPI may be a pattern such as ``sla.*``): VALUE ``5%`` is relative to
    the reference mean, ``2pt`` is absolute percentage points (0.02), a plain number is
    absolute in the KPI's unit. Raises ValueError with the accepted forms."""
    hint = ("give KPI=VALUE, e.g. sla.*=2pt (percentage points), cost.total=3% (relative) or "
            "tiers.L2.mean_wait_min=30 (absolute, in the KPI's unit)")
    pattern, sep, raw = text.partition("=")
    raw = raw.strip().lower()
    if not sep or not pattern.strip() or not raw:
        raise ValueError(f"--tolerance {text!r}: {hint}")
    try:
        if raw.endswith("%"):
            tol = Tolerance(float(raw[:-1]) / 100, relative=True)
        elif raw.endswith("pt"):
            tol = Tolerance(float(raw[:-2]) / 100)
        else:
            tol = Tolerance(float(raw))
    except ValueError:
        raise ValueError(f"--tolerance {text!r}: {raw!r} is not a number; {hint}") from None
    if not math.isfinite(tol.value) or tol.value < 0:
        raise ValueError(f"--tolerance {text!r}: the tolerance must be a finite number >= 0; "
                         f"{hint}")
    return pattern.strip(), tol


def tolerance_for(kpi: str, given: tuple[tuple[str, Tolerance], ...] = ()) -> Tolerance:
    """The last given tolerance whose pattern matches ``kpi``, else its family's default."""
    for pattern, tol in reversed(given):
        if fnmatchcase(kpi, pattern):
            return tol
    return DEFAULT_TOLERANCES[family(kpi)]


@dataclass(frozen=True)
class KpiChange:
    """One KPI, B against A. ``p``: two-sided p-value of the test; ``q``: after the
    Benjamini-Hochberg adjustment across all KPIs (NaN when it could not be tested: fewer
    than two values on a side or pair). ``verdict``: regression, improvement, changed
    (significant but within the tolerance, or a KPI without a good direction), same, new
    (only in B) or gone (only in A)."""

    kpi: str
    direction: int
    a: float
    b: float
    delta: float
    ci95: tuple[float, float]
    p: float
    q: float
    paired: bool
    tolerance: Tolerance
    verdict: str

    @property
    def significant(self) -> bool:
        return not math.isnan(self.q) and self.q <= ALPHA


def identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """True when every KPI both tables hold has the same value in every replication (NaN
    equal to NaN): a re-run that reproduced the reference exactly."""
    both = a.merge(b, on=["replication", "kpi"], how="outer", suffixes=("_a", "_b"),
                   indicator=True)
    common = set(a["kpi"]) & set(b["kpi"])
    both = both[both["kpi"].isin(common)]
    if (both["_merge"] != "both").any():
        return False
    va, vb = both["value_a"].to_numpy(float), both["value_b"].to_numpy(float)
    return bool(np.all((va == vb) | (np.isnan(va) & np.isnan(vb))))


def _paired(xa: np.ndarray, xb: np.ndarray) -> tuple[float, float, float, float]:
    """Mean difference, 95% interval and p-value of the paired t-test."""
    keep = ~(np.isnan(xa) | np.isnan(xb))
    d = xb[keep] - xa[keep]
    if len(d) == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(d.mean())
    if len(d) < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(d.std(ddof=1)) / math.sqrt(len(d))
    return (mean, *_t(mean, se, len(d) - 1))


def _welch(xa: np.ndarray, xb: np.ndarray) -> tuple[float, float, float, float]:
    """Difference of means, its 95% interval and the p-value of Welch's t-test."""
    xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
    if len(xa) == 0 or len(xb) == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(xb.mean() - xa.mean())
    if len(xa) < 2 or len(xb) < 2:
        return mean, math.nan, math.nan, math.nan
    va, vb = float(xa.var(ddof=1)) / len(xa), float(xb.var(ddof=1)) / len(xb)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(xa) - 1) + vb ** 2 / (len(xb) - 1)) if se > 0 \
        else len(xa) + len(xb) - 2
    return (mean, *_t(mean, se, df))


def _t(mean: float, se: float, df: float) -> tuple[float, float, float]:
    """Interval and two-sided p-value of a t statistic; without spread, a difference is
    certain (p 0) and no difference is none (p 1)."""
    scale = max(1.0, abs(mean))
    if se <= 1e-12 * scale:
        return mean, mean, 0.0 if abs(mean) > 1e-12 * scale else 1.0
    from scipy import stats  # here, not at import: `run` loads this module and needs no test

    half = float(stats.t.ppf(0.975, df)) * se
    p = float(2 * stats.t.sf(abs(mean) / se, df))
    return mean - half, mean + half, p


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, *, paired: bool,
                   tolerances: tuple[tuple[str, Tolerance], ...] = ()) -> list[KpiChange]:
    """Every KPI of A and B (tables ``replication, kpi, value``), sorted by name: B - A with
    the test of the module docstring. ``paired`` when both ran with the same seed and
    replications."""
    by_a = {str(k): g for k, g in a.groupby("kpi", sort=False)}
    by_b = {str(k): g for k, g in b.groupby("kpi", sort=False)}
    names = sorted(set(by_a) | set(by_b))
    tests: list[tuple[float, float, float, float]] = []
    for kpi in names:
        ga, gb = by_a.get(kpi), by_b.get(kpi)
        if ga is None or gb is None:
            tests.append((math.nan, math.nan, math.nan, math.nan))
        elif paired:
            both = ga.merge(gb, on="replication", suffixes=("_a", "_b"))
            tests.append(_paired(both["value_a"].to_numpy(float),
                                 both["value_b"].to_numpy(float)))
        else:
            tests.append(_welch(ga["value"].to_numpy(float), gb["value"].to_numpy(float)))
    ps = np.array([t[3] for t in tests], float)
    qs = np.full(len(ps), math.nan)
    tested = ~np.isnan(ps)
    if tested.any():
        from scipy import stats

        qs[tested] = stats.false_discovery_control(ps[tested], method="bh")
    out = []
    for kpi, (delta, lo, hi, p), q in zip(names, tests, qs, strict=True):
        ga, gb = by_a.get(kpi), by_b.get(kpi)
        good, tol = direction(kpi), tolerance_for(kpi, tolerances)
        if ga is None or gb is None:
            verdict = "gone" if gb is None else "new"
        else:
            verdict = _verdict(delta, float(_mean(ga)), float(q), good, tol)
        out.append(KpiChange(kpi, good, _mean(ga), _mean(gb), delta, (lo, hi), p, float(q),
                             paired, tol, verdict))
    return out


def _mean(group: pd.DataFrame | None) -> float:
    if group is None or not group["value"].notna().any():
        return math.nan
    return float(group["value"].mean())


def _verdict(delta: float, reference: float, q: float, good: int, tol: Tolerance) -> str:
    if math.isnan(q) or q > ALPHA:
        return "same"
    if good == NEITHER or not tol.exceeded_by(delta, reference):
        return "changed"
    return "improvement" if delta * good > 0 else "regression"
