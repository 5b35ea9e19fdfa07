"""(a) Theory tests: the simulator, through its YAML loader and normal engine, against
queueing theory where it is exact (Erlang C; Cobham's formula for non-preemptive priorities).
Fixed seeds. A check passes when the 95% confidence interval of the replications contains
the analytic value and is narrow enough to mean something (see validation_cases.py);
utilisation within 2 points. Little's law on one log is a bookkeeping check of the event
log, not a validation. The warm-up case shows that too short a warm-up is caught."""

import pytest
from validation_cases import (
    BIAS,
    BOOKKEEPING,
    Check,
    cobham_waits,
    mmc,
    network,
    priority,
    warmup,
)

from itr_sim.analysis.queueing import erlang_c


def test_the_analytic_values_themselves():
    """Fails if Erlang C drifts from published values (hand-checked with the closed form)."""
    assert erlang_c(12, 40 / 60, 15.0).mean_wait / 60 == pytest.approx(0.0562, abs=5e-5)
    assert erlang_c(5, 4 / 60, 60.0).mean_wait / 60 == pytest.approx(0.5541, abs=5e-5)
    assert erlang_c(2, 0.4 / 60, 240.0).mean_wait / 60 == pytest.approx(7.111, abs=5e-4)


def test_cobham_by_hand_and_by_the_conservation_law():
    """Fails if Cobham's waits use the wrong W0 or the wrong cumulative loads.

    c = 5, mu = 1/h, 4/h split 20/30/50%: P(wait) = 0.5541 (Erlang C at a = 4), W0 =
    0.5541 / 5 h = 6.649 min; s = 0.16, 0.40, 0.80: W1 = 6.649 / 0.84 = 7.915 min,
    W2 = 6.649 / (0.84 x 0.60) = 13.19 min, W3 = 6.649 / (0.60 x 0.20) = 55.41 min.
    Kleinrock's conservation law: the load-weighted mean (equal service times: the
    arrival-weighted mean) equals the FCFS wait, 33.25 min; one class is Erlang C itself."""
    w = cobham_waits(5, 1 / 60, [0.8 / 60, 1.2 / 60, 2.0 / 60])
    assert w == pytest.approx([7.915, 13.19, 55.41], abs=0.01)
    fcfs = erlang_c(5, 4 / 60, 60.0).mean_wait
    assert 0.2 * w[0] + 0.3 * w[1] + 0.5 * w[2] == pytest.approx(fcfs)
    assert cobham_waits(5, 1 / 60, [4 / 60]) == pytest.approx([fcfs])


def test_a_wide_interval_does_not_pass():
    """Fails if a check passes on an interval that contains the theory only because it is
    wide (fewer replications must not make a pass easier), or if the deliberately biased
    warm-up case passes by containing the theory."""
    assert Check("tight", 10.0, 10.2, 9.5, 10.9, "min", "95% CI", 1.0).ok
    assert not Check("wide", 10.0, 10.2, 7.0, 13.4, "min", "95% CI", 1.0).ok
    assert not Check("missed", 10.0, 12.0, 11.0, 13.0, "min", "95% CI", 1.0).ok
    assert Check("biased", 10.0, 6.0, 5.5, 6.5, "min", "outside CI", 1.0, BIAS).ok
    assert not Check("unbiased", 10.0, 9.8, 9.3, 10.3, "min", "outside CI", 1.0, BIAS).ok
    assert not Check("vague", 10.0, 6.0, 3.0, 9.0, "min", "outside CI", 1.0, BIAS).ok


@pytest.mark.slow
@pytest.mark.parametrize("load", [0.5, 0.8, 0.95])
def test_mmc_against_erlang_c(load):
    for check in mmc(load):
        assert check.ok, check
        if check.kind == BOOKKEEPING:
            assert "Little" in check.name


def test_fewer_replications_do_not_make_a_pass_easier():
    """Fails if an interval widened by too few replications (3 instead of 20) still passes
    because it contains the theory: the precision bound must reject it."""
    wait = next(c for c in mmc(0.95, replications=3) if c.name.endswith("mean wait"))
    assert not wait.precise and not wait.ok, wait


@pytest.mark.slow
def test_priority_mmc_against_cobham():
    """Fails if the `severity` discipline does not serve the most severe first, pre-empts,
    or is FCFS (each class would wait 33 min instead of 7.9 / 13.2 / 55.4 min)."""
    for check in priority():
        assert check.ok, check


@pytest.mark.slow
def test_three_tier_network_against_erlang_c():
    for check in network():
        assert check.ok, check


@pytest.mark.slow
def test_too_short_a_warmup_is_caught():
    """Fails if the warm-up is not applied (both runs would agree) or if a run started
    empty were not biased low (the check's interval would contain the theory)."""
    biased, proper = warmup()
    assert biased.ok and biased.hi < biased.theory, biased
    assert proper.ok, proper
