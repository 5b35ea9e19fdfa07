"""What-if comparison of two runs with common random numbers.

Both runs use the same seed and number of replications, so replication r of A and of B see
the same arrivals (and, where the organisations agree, the same handling draws). The effect
of the change is estimated from the paired differences B - A per replication, with a 95%
Student-t interval; it is *significant* when the interval excludes zero. Pairing removes the
common noise, so intervals are much narrower than comparing two independent means.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from itr_sim.analysis.stats import mean_ci
from itr_sim.analysis.summary import Analysis

__all__ = ["compare", "per_replication"]


def per_replication(analysis: Analysis) -> pd.DataFrame:
    """KPI values per replication: columns replication, kpi, value."""
    t = analysis.tables
    weeks = analysis.summary["measured_weeks"]
    frames = []
    att = t["attainment"]
    frames.append(pd.DataFrame({
        "replication": att["replication"],
        "kpi": "sla." + att["level"].astype(str) + "." + att["severity"].astype(str) + "."
               + att["clock"].astype(str),
        "value": att["attainment"]}))
    outcomes = t["entitlement"]
    frames.append(pd.DataFrame({"replication": outcomes["replication"],
                                "kpi": "entitlement." + outcomes["outcome"].astype(str),
                                "value": outcomes["arrived"].astype(float)}))
    for column in ("resolved_share", "mean_wait_min"):
        tiers = t["tiers"]
        frames.append(pd.DataFrame({"replication": tiers["replication"],
                                    "kpi": "tiers." + tiers["tier"] + "." + column,
                                    "value": tiers[column]}))
    util = t["utilisation"]
    frames.append(pd.DataFrame({"replication": util["replication"],
                                "kpi": "utilisation." + util["unit"],
                                "value": util["utilisation"]}))
    cost = t["cost"].groupby("replication")["cost"].sum().reset_index()
    frames.append(pd.DataFrame({"replication": cost["replication"], "kpi": "cost.total",
                                "value": cost["cost"]}))
    margin = t["cost"]
    frames.append(pd.DataFrame({"replication": margin["replication"],
                                "kpi": "margin." + margin["level"].astype(str),
                                "value": margin["margin"]}))
    b = t["backlog_summary"]
    frames.append(pd.DataFrame({"replication": b["replication"], "kpi": "backlog.mean_open",
                                "value": b["mean_open"]}))
    q = t["quality"]
    for column in ("first_time_fix", "complaints_per_week"):
        frames.append(pd.DataFrame({"replication": q["replication"],
                                    "kpi": "quality." + column, "value": q[column]}))
    notes = t["notifications"]
    reps = sorted(b["replication"].unique())
    per = notes.groupby("replication").size().reindex(reps, fill_value=0) / weeks
    frames.append(pd.DataFrame({"replication": reps, "kpi": "escalations.per_week",
                                "value": per.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def compare(a: Analysis, b: Analysis) -> dict[str, Any]:
    """Paired comparison of two analyses run with the same seed and replications."""
    pa, pb = per_replication(a), per_replication(b)
    both = pa.merge(pb, on=["replication", "kpi"], suffixes=("_a", "_b")).dropna()
    rows = []
    for kpi, group in both.groupby("kpi", sort=True):
        diff = group["value_b"] - group["value_a"]
        mean, lo, hi = mean_ci(diff)
        significant = not math.isnan(lo) and (lo > 0 or hi < 0)
        rows.append({"kpi": kpi, "a": float(group["value_a"].mean()),
                     "b": float(group["value_b"].mean()), "delta": mean,
                     "ci95": [None if math.isnan(lo) else lo, None if math.isnan(hi) else hi],
                     "significant": bool(significant)})
    return {"a": a.summary["scenario"], "b": b.summary["scenario"],
            "seed": a.summary["seed"], "replications": a.summary["replications"],
            "kpis": rows}
