"""The validation checks, shared by tests/test_validation.py and
scripts/validation_report.py (which writes docs/validation.md)."""

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


@dataclass
class Check:
    name: str
    theory: float
    mean: float
    lo: float
    hi: float
    unit: str
    tolerance: str

    @property
    def ok(self) -> bool:
        if self.tolerance.startswith("abs"):
            return abs(self.mean - self.theory) <= float(self.tolerance.split()[1])
        return self.lo <= self.theory <= self.hi


def mmc(load: float) -> list[Check]:
    """Single tier, 5 agents, 1 h mean: M/M/5 at the given load."""
    rate_per_hour = 5 * load
    loaded = load_scenario(HERE / "mmc.yaml",
                           sets={"demand.customers.callers.tickets_per_week": rate_per_hour * 168})
    result = run_scenario(loaded)
    table = tier_waits(result, WITHIN)
    theory = erlang_c(5, rate_per_hour / 60, 60.0)
    out = []
    for column, value, unit in (("mean_wait_min", theory.mean_wait, "min"),
                                ("service_level", theory.service_level(WITHIN), "")):
        mean, lo, hi = mean_ci(table[column])
        out.append(Check(f"M/M/5 load {load:.2f}: {column}", value, mean, lo, hi, unit,
                         "95% CI"))
    mean, lo, hi = mean_ci(table["utilisation"])
    out.append(Check(f"M/M/5 load {load:.2f}: utilisation", load, mean, lo, hi, "",
                     "abs 0.02"))
    if load == 0.8:
        law = littles_law(result)
        l_mean, _, _ = mean_ci(law["L"])
        lw_mean, lw_lo, lw_hi = mean_ci(law["lambda_W"])
        out.append(Check("Little's law on the M/M/5 log: L vs lambda W", lw_mean, l_mean,
                         lw_lo, lw_hi, "tickets", "abs 0.05"))
    return out


def network() -> list[Check]:
    """Three tiers, 12/5/2 agents, 40/h, 15 min / 60 min / 4 h, 10% escalation each."""
    result = run_scenario(load_scenario(HERE / "network.yaml"))
    table = tier_waits(result, WITHIN)
    out = []
    for tier, agents, rate, aht in (("L1", 12, 40.0, 15.0), ("L2", 5, 4.0, 60.0),
                                    ("L3", 2, 0.4, 240.0)):
        rows = table[table["unit"] == tier]
        theory = erlang_c(agents, rate / 60, aht)
        mean, lo, hi = mean_ci(rows["mean_wait_min"] / 60)
        out.append(Check(f"network {tier}: mean wait", theory.mean_wait / 60, mean, lo, hi,
                         "h", "95% CI"))
        mean, lo, hi = mean_ci(rows["utilisation"])
        out.append(Check(f"network {tier}: utilisation", theory.occupancy, mean, lo, hi, "",
                         "abs 0.02"))
    return out
