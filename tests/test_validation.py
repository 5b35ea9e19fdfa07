"""(a) Theory tests: the simulator, through its YAML loader and normal engine, against
Erlang C where theory is exact. Fixed seeds; a check passes when the 95% confidence interval
of the replications contains the analytic value (utilisation: within 2 points)."""

import pytest
from validation_cases import mmc, network

from itr_sim.analysis.queueing import erlang_c

pytestmark = pytest.mark.slow


def test_the_analytic_values_themselves():
    assert erlang_c(12, 40 / 60, 15.0).mean_wait / 60 == pytest.approx(0.0562, abs=5e-5)
    assert erlang_c(5, 4 / 60, 60.0).mean_wait / 60 == pytest.approx(0.5541, abs=5e-5)
    assert erlang_c(2, 0.4 / 60, 240.0).mean_wait / 60 == pytest.approx(7.111, abs=5e-4)


@pytest.mark.parametrize("load", [0.5, 0.8, 0.95])
def test_mmc_against_erlang_c(load):
    for check in mmc(load):
        assert check.ok, check


def test_three_tier_network_against_erlang_c():
    for check in network():
        assert check.ok, check
