"""Intervals without scipy.stats (its import costs every `run` 0.4 s of CPU)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from itr_sim.analysis.stats import mean_ci, wilson


def test_wilson_matches_the_published_and_scipy_values():
    """8 successes in 10 at 95%: Wilson (1927) / Newcombe (1998) give 0.4902 to 0.9433.
    Over a grid of k, n and levels the bounds equal scipy's binomtest to the last bit (the
    same formula), with 0 at k = 0 and 1 at k = n. Fails on a continuity correction, a
    one-sided z, or the normal (Wald) interval."""
    lo, hi = wilson(8, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    for n in (1, 2, 5, 19, 100, 2557):
        for k in sorted({0, 1, n // 3, n - 1, n}):
            for level in (0.8, 0.9, 0.95, 0.99):
                ci = stats.binomtest(k, n).proportion_ci(level, "wilson")
                assert wilson(k, n, level) == (ci.low, ci.high), (k, n, level)


def test_t_interval_matches_the_t_quantile():
    """t(0.975, 9) = 2.262157 (tables); values 1..10 have s = 3.02765, so the half-width is
    2.262157 x 3.02765 / sqrt(10) = 2.16585. Fails if the quantile or its degrees of freedom
    are off (e.g. n instead of n - 1, or the normal 1.96)."""
    mean, lo, hi = mean_ci(range(1, 11))
    assert mean == 5.5
    assert mean - lo == pytest.approx(hi - mean)
    assert hi - mean == pytest.approx(2.16585, abs=1e-5)
    for n in (2, 3, 5, 30):
        x = np.arange(n, dtype=float) ** 1.5
        half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n)
        assert mean_ci(x)[2] - x.mean() == pytest.approx(half, rel=1e-14)


def test_the_run_analysis_does_not_import_scipy_stats():
    """Fails if the KPI path imports scipy.stats again (0.4 s of every run's CPU)."""
    code = ("import sys, itr_sim.analysis.summary, itr_sim.report.run; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
