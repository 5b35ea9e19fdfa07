"""Erlang B/C/A against published values and exact special cases (theory tests)."""

import math

import pytest
from scipy import stats

from itr_sim.analysis.queueing import erlang_a, erlang_b, erlang_c, required_agents

PER_HOUR = 1 / 60


def test_erlang_c_published_example():
    # lambda 9.5/h, mean service 1 h, 11 agents
    q = erlang_c(11, 9.5 * PER_HOUR, 60.0)
    assert q.p_wait == pytest.approx(0.547934, abs=5e-7)
    assert q.mean_wait / 60 == pytest.approx(0.365290, abs=5e-7)
    assert q.service_level(15) == pytest.approx(0.623411, abs=5e-7)
    assert q.occupancy == pytest.approx(9.5 / 11)
    staff = required_agents(9.5 * PER_HOUR, 60.0, 0.80, 15)
    assert staff.on_queue == 12
    assert staff.service_level == pytest.approx(0.812540, abs=5e-7)


def test_erlang_b_known_values_and_large_systems():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=1e-6)
    # hundreds of agents: finite, and in (0, 1)
    big = erlang_c(900, 850 / 60, 60.0)
    assert 0 < big.p_wait < 1 and math.isfinite(big.mean_wait)
    assert 0 < erlang_b(5000, 4900.0) < 1


def test_unstable_queue_is_flagged():
    q = erlang_c(5, 6 / 60, 60.0)
    assert not q.stable and q.p_wait == 1.0 and q.mean_wait == math.inf
    assert q.service_level(30) == 0.0


def test_occupancy_cap_and_shrinkage():
    free = required_agents(9.5 * PER_HOUR, 60.0, 0.5, 15)
    capped = required_agents(9.5 * PER_HOUR, 60.0, 0.5, 15, max_occupancy=0.75)
    assert capped.on_queue >= math.ceil(9.5 / 0.75) > free.on_queue
    assert capped.occupancy <= 0.75
    shrunk = required_agents(9.5 * PER_HOUR, 60.0, 0.8, 15, shrinkage=0.3)
    assert shrunk.rostered == math.ceil(12 / 0.7)


def test_erlang_a_with_patience_equal_to_service_is_poisson():
    # theta = mu: the number in system is Poisson(a), whatever c
    rate, aht, agents = 8 / 60, 60.0, 6
    q = erlang_a(agents, rate, aht, patience=60.0)
    a = rate * aht
    assert q.p_wait == pytest.approx(stats.poisson.sf(agents - 1, a), rel=1e-9)
    queue = sum(max(n - agents, 0) * stats.poisson.pmf(n, a) for n in range(200))
    assert q.p_abandon == pytest.approx((1 / 60) * queue / rate, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_without_abandonment():
    c = erlang_c(11, 9.5 * PER_HOUR, 60.0)
    a = erlang_a(11, 9.5 * PER_HOUR, 60.0, patience=1e9)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-6)
    assert a.p_abandon == pytest.approx(0, abs=1e-6)
    assert a.service_level(15) == pytest.approx(c.service_level(15), rel=1e-6)
    assert a.mean_wait == pytest.approx(c.mean_wait, rel=1e-5)


def test_impatience_shortens_waits_and_needs_fewer_agents():
    c = erlang_c(11, 10 * PER_HOUR, 60.0)
    a = erlang_a(11, 10 * PER_HOUR, 60.0, patience=20.0)
    assert a.mean_wait < c.mean_wait and a.service_level(15) > c.service_level(15)
    assert 0 < a.p_abandon < 0.2
    assert required_agents(10 * PER_HOUR, 60.0, 0.8, 15, patience=20.0).on_queue <= \
        required_agents(10 * PER_HOUR, 60.0, 0.8, 15).on_queue
    overloaded = erlang_a(5, 10 * PER_HOUR, 60.0, patience=20.0)  # always stable
    assert 0 < overloaded.p_abandon < 1 and overloaded.occupancy < 1
