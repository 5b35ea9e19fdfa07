"""The validation checks, shared by tests/test_validation.py and
scripts/validation_report.py (which writes docs/validation.md).

A check against theory passes when the 95% Student-t interval over the replications
contains the analytic value AND the interval's half-width is within the check's precision
bound: an interval too wide to say anything (too few replications, too short a run) fails
instead of passing more easily. Utilisation checks bound the error directly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from itr_sim.analysis.queueing import erlang_c
from itr_sim.analysis.stats import mean_ci
from itr_sim.analysis.validation import littles_law, tier_waits
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

HERE = Path(__file__).parent / "data" / "validation"
WITHIN = 15.0  # minutes, for P(W <= t)
THEORY, BOOKKEEPING, BIAS = "theory", "bookkeeping", "bias"


@dataclass
class Check:
    """``tolerance``: ``"95% CI"`` (theory inside the interval), ``"abs x"`` (|mean - theory|
    <= x) or ``"outside CI"`` (a deliberately biased set-up: the theory must be missed).
    ``max_half`` bounds the interval's half-width (same unit as the values)."""

    name: str
    theory: float
    mean: float
    lo: float
    hi: float
    unit: str
    tolerance: str
    max_half: float | None = None
    kind: str = THEORY

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2

    @property
    def precise(self) -> bool:
        return self.max_half is None or self.half_width <= self.max_half

    @property
    def ok(self) -> bool:
        if self.tolerance.startswith("abs"):
            return abs(self.mean - self.theory) <= float(self.tolerance.split()[1])
        inside = self.lo <= self.theory <= self.hi
        if self.tolerance == "outside CI":
            return not inside and self.precise
        return inside and self.precise


def ci_check(name: str, theory: float, values, unit: str, max_half: float,
             kind: str = THEORY) -> Check:
    mean, lo, hi = mean_ci(values)
    return Check(name, theory, mean, lo, hi, unit,
                 "outside CI" if kind == BIAS else "95% CI", max_half, kind)


def abs_check(name: str, theory: float, values, unit: str, within: float,
              kind: str = THEORY) -> Check:
    mean, lo, hi = mean_ci(values)
    return Check(name, theory, mean, lo, hi, unit, f"abs {within:g}", None, kind)


def mmc(load: float, replications: int | None = None) -> list[Check]:
    """Single tier, 5 agents, 1 h mean: M/M/5 at the given load. Mean waits to 10% of the
    theory (20% at load 0.95, whose relaxation time is 307 h), service levels to 0.02."""
    rate_per_hour = 5 * load
    loaded = load_scenario(HERE / "mmc.yaml",
                           sets={"demand.customers.callers.tickets_per_week": rate_per_hour * 168})
    result = run_scenario(loaded, replications=replications)
    table = tier_waits(result, WITHIN)
    theory = erlang_c(5, rate_per_hour / 60, 60.0)
    precision = 0.20 if load > 0.9 else 0.10
    name = f"M/M/5 load {load:.2f}"
    out = [ci_check(f"{name}: mean wait", theory.mean_wait, table["mean_wait_min"], "min",
                    precision * theory.mean_wait),
           ci_check(f"{name}: P(W <= {WITHIN:g} min)", theory.service_level(WITHIN),
                    table["service_level"], "", 0.02),
           abs_check(f"{name}: utilisation", load, table["utilisation"], "", 0.02)]
    if load == 0.8:
        law = littles_law(result)
        # both sides come from the same log: this checks the log's bookkeeping (every
        # ticket's time in the system is accounted for), not the model against theory
        lw_mean, lw_lo, lw_hi = mean_ci(law["lambda_W"])
        out.append(Check("Little's law on the M/M/5 log: L vs lambda W", lw_mean,
                         float(law["L"].mean()), lw_lo, lw_hi, "tickets", "abs 0.05",
                         None, BOOKKEEPING))
    return out


def cobham_waits(c: int, mu: float, rates: list[float]) -> list[float]:
    """Mean waits per class of a non-preemptive priority M/M/c queue with one service rate
    ``mu`` for all classes, most urgent class first (Cobham 1954):
    W_k = W0 / ((1 - s_{k-1}) (1 - s_k)), s_k = (rate_1 + ... + rate_k) / (c mu),
    W0 = P(wait) / (c mu), P(wait) the Erlang C probability at the total load."""
    total = sum(rates)
    p_wait = erlang_c(c, total, 1.0 / mu).p_wait
    w0 = p_wait / (c * mu)
    out, before = [], 0.0
    for rate in rates:
        after = before + rate / (c * mu)
        out.append(w0 / ((1.0 - before) * (1.0 - after)))
        before = after
    return out


def priority() -> list[Check]:
    """5 agents, 1 h mean, 4/h split 20/30/50% over critical/major/minor, `severity` queue:
    mean wait per severity against Cobham's formula, to 10% of the theory."""
    result = run_scenario(load_scenario(HERE / "priority.yaml"))
    table = tier_waits(result, WITHIN, by_severity=True)
    shares = {"critical": 0.2, "major": 0.3, "minor": 0.5}
    theory = cobham_waits(5, 1 / 60, [4 / 60 * s for s in shares.values()])
    return [ci_check(f"priority M/M/5 load 0.80: {severity} mean wait", w,
                     table.loc[table["severity"] == severity, "mean_wait_min"], "min", 0.1 * w)
            for severity, w in zip(shares, theory, strict=True)]


def network() -> list[Check]:
    """Three tiers, 12/5/2 agents, 40/h, 15 min / 60 min / 4 h, 10% escalation each. Mean
    waits to 10% of the theory (L3: 20%; it relaxes in 180 h)."""
    result = run_scenario(load_scenario(HERE / "network.yaml"))
    table = tier_waits(result, WITHIN)
    out = []
    for tier, agents, rate, aht in (("L1", 12, 40.0, 15.0), ("L2", 5, 4.0, 60.0),
                                    ("L3", 2, 0.4, 240.0)):
        rows = table[table["unit"] == tier]
        theory = erlang_c(agents, rate / 60, aht)
        w = theory.mean_wait / 60
        out.append(ci_check(f"network {tier}: mean wait", w, rows["mean_wait_min"] / 60, "h",
                            (0.2 if tier == "L3" else 0.1) * w))
        out.append(abs_check(f"network {tier}: utilisation", theory.occupancy,
                             rows["utilisation"], "", 0.02))
    return out


def warmup() -> list[Check]:
    """M/M/2, 4 h mean, 80% load (Erlang C mean wait 7.111 h; relaxation time 180 h), run
    twice: started empty with no warm-up and a one-week horizon, 100 replications (biased
    low: the interval must miss the theory); with a 4-week warm-up and 30 weeks, 40
    replications (must contain it, to 15%)."""
    theory = erlang_c(2, 0.4 / 60, 240.0).mean_wait / 60
    out = []
    for sets, label, kind in (
            ({"warmup": "0w", "horizon": "1w", "replications": 100},
             "no warm-up, 1 week", BIAS),
            ({}, "4-week warm-up, 30 weeks", THEORY)):
        table = tier_waits(run_scenario(load_scenario(HERE / "warmup.yaml", sets=sets)),
                           WITHIN)
        out.append(ci_check(f"M/M/2 {label}: mean wait", theory,
                            table["mean_wait_min"] / 60, "h", 0.15 * theory, kind))
    return out
