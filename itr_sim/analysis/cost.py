"""Fully allocated cost to serve: staffed agent hours x cost per hour, allocated to service
levels.

This is an accounting view, not the cost of a contract: with unchanged staff it falls per
contract as a level grows and moves for levels whose demand did not change. The marginal
cost to serve and price floors are in :mod:`itr_sim.analysis.economics` (docs/economics.md).

A unit's cost over the measured period is its staffed agent-minutes x its cost per agent
hour (idle time included: staffing is paid whether busy or not). It is allocated to the
levels in proportion to the busy minutes their tickets used at that unit; tickets without an
SLA (best effort, emergency recovery) form the level ``none``. Revenue is the level's price
per contract-year x contracts x the measured share of a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from itr_sim.engine.staffing import Staffing
from itr_sim.model.catalog import Catalog
from itr_sim.model.scenario import Scenario
from itr_sim.units import MINUTES_PER_WEEK, WEEKS_PER_YEAR

__all__ = ["cost_by_level"]


def cost_by_level(sess: pd.DataFrame, tickets: pd.DataFrame,
                  staffing: dict[int, dict[str, Staffing]], sc: Scenario, cat: Catalog,
                  start: float, end: float) -> pd.DataFrame:
    """Per replication and level: cost, revenue, margin, contracts and tickets."""
    units = {**sc.organisation.tiers, **sc.organisation.teams}
    weeks = (end - start) / MINUTES_PER_WEEK
    levels = tickets[["replication", "ticket", "level"]].copy()
    levels["level"] = levels["level"].astype(object).where(levels["level"].notna(), "none")
    busy = sess.assign(lo=sess["start"].clip(lower=start), hi=sess["end"].clip(upper=end))
    busy = busy[busy["hi"] > busy["lo"]].merge(levels, on=["replication", "ticket"])
    busy["minutes"] = busy["hi"] - busy["lo"]
    used: dict[tuple[int, str], dict[str, float]] = {}
    for (rep, unit, level), minutes in busy.groupby(
            ["replication", "unit", "level"])["minutes"].sum().items():
        used.setdefault((rep, unit), {})[str(level)] = float(minutes)
    kept = tickets[~tickets["warmup"] & (tickets["kind"].astype(str) != "complaint")]
    contracts = {name: 0 for name in cat.levels}
    for cust in sc.demand.customers.values():
        if cust.contract == "active":
            contracts[cust.level] += cust.count
    rows = []
    for rep, per_unit in staffing.items():
        cost = dict.fromkeys([*cat.levels, "none"], 0.0)
        for unit, steps in per_unit.items():
            unit_cost = steps.agent_minutes(start, end) / 60.0 * units[unit].cost_per_agent_hour
            shares = used.get((rep, unit), {})
            total = sum(shares.values())
            if total <= 0:
                cost["none"] += unit_cost  # idle all period: no level to charge
                continue
            for level, minutes in shares.items():
                cost[level] = cost.get(level, 0.0) + unit_cost * minutes / total
        counts = kept[kept["replication"] == rep]["level"].astype(object).fillna("none") \
            .value_counts()
        for level, value in cost.items():
            spec = cat.levels.get(level)
            price = spec.price.per_contract_year if spec and spec.price else 0.0
            revenue = price * contracts.get(level, 0) * weeks / WEEKS_PER_YEAR
            n = int(counts.get(level, 0))
            rows.append({"replication": rep, "level": level, "cost": value,
                         "revenue": revenue, "margin": revenue - value,
                         "contracts": contracts.get(level, 0), "tickets": n,
                         "cost_per_ticket": value / n if n else np.nan})
    return pd.DataFrame(rows)
