"""Queueing theory: Erlang B, C and A, staffing for a service level, tier estimates.

Time is in minutes throughout (rates per minute, durations in minutes). Offered load
``a = rate x mean handling`` (Erlangs).

* Erlang B by the recursion ``B(k) = a B(k-1) / (k + a B(k-1))``, stable for thousands of
  agents; Erlang C from it: ``C = c B / (c - a (1 - B))``.
* Erlang C (M/M/c): P(wait) = C, mean wait C / (c mu - lambda), service level
  P(W <= t) = 1 - C exp(-(c mu - lambda) t), occupancy a / c.
* Erlang A (M/M/c+M, exponential patience with mean ``patience``): the stationary
  birth-death distribution in log space; P(wait) = P(N >= c) (arrivals see time averages),
  P(abandon) = theta E[(N - c)+] / lambda; the service level is P(V <= t) for the *offered*
  wait V (the time until an agent would be free, ignoring the caller's own patience): given
  k callers ahead, V is a sum of exponential stages with rates c mu + j theta, j = k..0,
  evaluated for every k at once with one matrix exponential of the pure-death chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm
from scipy.special import logsumexp

from itr_sim.units import MINUTES_PER_WEEK

__all__ = [
    "MAX_AGENTS",
    "ErlangA",
    "ErlangC",
    "QueueingInputError",
    "Staffing",
    "TierEstimate",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "required_agents",
    "tier_estimates",
]


MAX_AGENTS = 100_000
"""Largest staffing searched for (beyond it the inputs are almost surely mistaken)."""


class QueueingInputError(ValueError):
    """Inputs a queueing formula cannot take (zero handling time, no patience, ...)."""


def check_inputs(rate: float, aht: float, *, patience: float | None = None,
                 target: float | None = None, max_occupancy: float = 1.0,
                 shrinkage: float = 0.0, agents: int | None = None) -> None:
    """Raise :class:`QueueingInputError` with a hint for inputs outside the formulas'
    domain: each would divide by zero or search for ever."""
    values = [rate, aht, max_occupancy, shrinkage,
              *(v for v in (patience, target) if v is not None)]
    if not all(math.isfinite(v) for v in values):
        raise QueueingInputError("every input must be a finite number")
    if rate < 0:
        raise QueueingInputError(f"the arrival rate must not be negative, got {rate:g}/min")
    if aht <= 0:
        raise QueueingInputError("the mean handling time must be above 0m: with no work "
                                 "there is nothing to staff")
    if agents is not None and not 0 <= agents <= MAX_AGENTS:
        raise QueueingInputError(f"agents must be between 0 and {MAX_AGENTS:,}, got {agents:,}")
    if patience is not None and rate <= 0:
        raise QueueingInputError("Erlang A (--patience) needs an arrival rate above 0: with "
                                 "no arrivals nobody waits or abandons")
    if patience is not None and patience <= 0:
        raise QueueingInputError("the mean patience must be above 0m (with zero patience "
                                 "every caller who waits abandons at once); leave out "
                                 "--patience for Erlang C")
    if target is not None and not 0 <= target < 1:
        raise QueueingInputError("the service-level target must be below 100%: no finite "
                                 "staffing answers every call within a threshold for sure")
    if not 0 < max_occupancy <= 1:
        raise QueueingInputError("the occupancy cap must be above 0% (and at most 100%): "
                                 "at 0% no agent may ever be busy")
    if not 0 <= shrinkage < 1:
        raise QueueingInputError("shrinkage must be below 100%: at 100% no paid hour is "
                                 "spent on the queue, so no roster is enough")


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c with ``load`` Erlangs."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must be non-negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


@dataclass(frozen=True)
class ErlangC:
    agents: int
    load: float
    p_wait: float
    mean_wait: float  # minutes, over all callers
    occupancy: float
    rate: float  # per minute
    aht: float  # minutes

    def service_level(self, within: float) -> float:
        """P(W <= within) (minutes)."""
        if self.p_wait >= 1.0:
            return 0.0
        gap = self.agents / self.aht - self.rate
        return 1.0 - self.p_wait * math.exp(-gap * within)

    @property
    def stable(self) -> bool:
        return self.load < self.agents


def erlang_c(agents: int, rate: float, aht: float) -> ErlangC:
    """M/M/c with ``rate`` arrivals per minute and mean handling ``aht`` minutes. An
    unstable system (load >= agents) has P(wait) = 1 and an infinite mean wait."""
    check_inputs(rate, aht, agents=agents)
    load = rate * aht
    if load >= agents:
        return ErlangC(agents, load, 1.0, math.inf, 1.0, rate, aht)
    b = erlang_b(agents, load)
    c = agents * b / (agents - load * (1.0 - b))
    return ErlangC(agents, load, c, c * aht / (agents - load), load / agents, rate, aht)


@dataclass(frozen=True)
class ErlangA:
    agents: int
    load: float
    p_wait: float
    p_abandon: float
    mean_wait: float  # minutes: mean time in queue over all callers (served or abandoned)
    occupancy: float
    _ahead: np.ndarray  # P(an arrival finds k callers waiting), k = 0..K-1, given it waits
    _rates: np.ndarray  # stage rates c mu + j theta

    def service_level(self, within: float) -> float:
        """P(V <= within): the offered wait is at most ``within`` minutes."""
        if self.p_wait == 0.0:
            return 1.0
        k = len(self._rates)
        # pure-death chain over "callers ahead" j = k-1..0 then served (absorbing state k)
        q = np.zeros((k + 1, k + 1))
        for j in range(k):
            q[j, j] = -self._rates[j]
            q[j, j - 1 if j > 0 else k] = self._rates[j]
        absorbed = expm(q * within)[:k, k]
        return float((1.0 - self.p_wait) + self.p_wait * np.dot(self._ahead, absorbed))


def erlang_a(agents: int, rate: float, aht: float, patience: float,
             tolerance: float = 1e-12) -> ErlangA:
    """M/M/c+M with mean patience ``patience`` minutes (always stable)."""
    check_inputs(rate, aht, patience=patience, agents=agents)
    mu, theta = 1.0 / aht, 1.0 / patience
    logs = [0.0]
    n = 0
    while True:  # log p_n up to a negligible tail
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        logs.append(logs[-1] + math.log(rate) - math.log(death))
        if n > agents and logs[-1] - max(logs) < math.log(tolerance):
            break
        if n > 100_000:  # pragma: no cover - only for absurd inputs
            break
    log_p = np.array(logs) - logsumexp(logs)
    p = np.exp(log_p)
    states = np.arange(len(p))
    waiting = np.maximum(states - agents, 0)
    p_wait = float(p[agents:].sum())
    mean_queue = float(np.dot(p, waiting))
    p_abandon = theta * mean_queue / rate
    busy = float(np.dot(p, np.minimum(states, agents)))
    ahead = p[agents:] / p_wait if p_wait > 0 else np.zeros(1)
    keep = int(np.searchsorted(np.cumsum(ahead), 1.0 - 1e-10)) + 1  # drop the far tail
    ahead = ahead[:keep]
    rates = agents * mu + np.arange(len(ahead)) * theta
    return ErlangA(agents, rate * aht, p_wait, p_abandon, mean_queue / rate, busy / agents,
                   ahead, rates)


@dataclass(frozen=True)
class Staffing:
    on_queue: int  # agents answering, from the service-level target and occupancy cap
    rostered: int  # on_queue grossed up for shrinkage
    service_level: float
    occupancy: float
    p_wait: float
    mean_wait: float


def required_agents(rate: float, aht: float, target: float, within: float, *,
                    max_occupancy: float = 1.0, shrinkage: float = 0.0,
                    patience: float | None = None) -> Staffing:
    """Fewest agents with P(W <= within) >= target and occupancy <= max_occupancy (Erlang C,
    or Erlang A given a mean ``patience``); ``rostered`` adds shrinkage (breaks, training)."""
    check_inputs(rate, aht, patience=patience, target=target, max_occupancy=max_occupancy,
                 shrinkage=shrinkage)
    load = rate * aht
    if load / max_occupancy > MAX_AGENTS:
        raise QueueingInputError(f"the load needs more than {MAX_AGENTS:,} agents; check the "
                                 "rate and handling time units")
    c = max(1, math.floor(load / max_occupancy))
    while True:
        if patience is None:
            result: ErlangA | ErlangC = erlang_c(c, rate, aht)
            ok = result.load < c
        else:
            result = erlang_a(c, rate, aht, patience)
            ok = True
        if ok and result.occupancy <= max_occupancy + 1e-12 and \
                result.service_level(within) >= target:
            return Staffing(c, math.ceil(c / (1.0 - shrinkage) - 1e-9),
                            result.service_level(within), result.occupancy, result.p_wait,
                            result.mean_wait)
        c += 1
        if c > MAX_AGENTS:
            raise QueueingInputError(f"no staffing up to {MAX_AGENTS:,} agents meets the "
                                     "target; lower the target or lengthen the threshold")


@dataclass(frozen=True)
class TierEstimate:
    """Erlang C view of one tier or team on its average staffing (a Jackson-network
    approximation: each tier an M/M/c queue fed by the unresolved share of the one before)."""

    unit: str
    rate_per_hour: float
    aht_min: float
    agents: float  # average agents on duty (staffed hours / 168)
    load: float
    queue: ErlangC | None  # None when no agent is ever on duty

    @property
    def utilisation(self) -> float:
        return self.load / self.agents if self.agents else math.inf


def tier_estimates(loaded) -> list[TierEstimate]:
    """Instant first estimates per tier and team of a loaded scenario. Average staffing
    rounds down to whole agents for Erlang C; shifts, coverage calendars and waiting states
    are ignored: the simulation decides."""
    from itr_sim.model.checks import unit_demand

    out = []
    for unit, (per_week, aht, staffed) in unit_demand(loaded.scenario, loaded.catalog).items():
        rate = per_week / MINUTES_PER_WEEK
        agents = staffed / 168.0
        whole = math.floor(agents + 1e-9)
        queue = erlang_c(whole, rate, aht) if whole >= 1 and aht > 0 else None
        out.append(TierEstimate(unit, rate * 60.0, aht, agents, rate * aht, queue))
    return out
