"""Simulation against theory: per-tier waits, service levels and utilisation of a run,
and Little's law, for the validation suite (tests/test_validation.py, docs/validation.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from itr_sim.analysis.kpis import backlog, only_kept, sessions, utilisation, waits
from itr_sim.engine.replicate import RunResult

__all__ = ["littles_law", "tier_waits"]


def tier_waits(result: RunResult, within_min: float, *, by_severity: bool = False
               ) -> pd.DataFrame:
    """Per replication and tier (and severity, with ``by_severity``): mean wait
    (:func:`~itr_sim.analysis.kpis.waits`), P(W <= within) and the tier's utilisation, over
    tickets that arrived after the warm-up and were engaged."""
    events = result.events()
    tickets = result.tickets()
    wait = waits(only_kept(events, tickets))
    by = ["replication", "unit"]
    if by_severity:
        severity = tickets[["replication", "ticket", "severity"]].astype({"severity": str})
        wait = wait.merge(severity, on=["replication", "ticket"])
        by.append("severity")
    rep0 = result.replications[0]
    util = utilisation(sessions(events, rep0.horizon_min),
                       {r.replication: r.staffing for r in result.replications},
                       rep0.warmup_min, rep0.horizon_min)
    rows = []
    for key, group in wait.groupby(by):
        rep, unit = key[0], key[1]
        u = util[(util["replication"] == rep) & (util["unit"] == unit)]["utilisation"]
        row = {"replication": rep, "unit": str(unit), "n": len(group),
               "mean_wait_min": float(group["wait_min"].mean()),
               "service_level": float((group["wait_min"] <= within_min).mean()),
               "utilisation": float(u.iloc[0]) if len(u) else np.nan}
        if by_severity:
            row["severity"] = str(key[2])
        rows.append(row)
    return pd.DataFrame(rows)


def littles_law(result: RunResult) -> pd.DataFrame:
    """Per replication: L, the time-average number of customer tickets in the system
    (sampled hourly from the event log), against lambda x W: the arrival rate times the mean
    time from arrival to closure of the tickets that arrived in the measured period. They
    agree up to edge effects when the system is stationary."""
    events, tickets = result.events(), result.tickets()
    rep0 = result.replications[0]
    start, end = rep0.warmup_min, rep0.horizon_min
    _, summary = backlog(events, tickets, start, end)
    closed = events[events["event"] == "closed"].groupby(["replication", "ticket"])[
        "time_min"].min()
    rows = []
    for rep, group in tickets.groupby("replication"):
        customer = group[group["kind"].astype(str) != "complaint"]
        arrivals = customer[(customer["arrived_min"] >= start) & (customer["arrived_min"] < end)]
        leave = closed.reindex(list(zip(arrivals["replication"], arrivals["ticket"],
                                        strict=True))).to_numpy()
        done = ~np.isnan(leave)
        sojourn = (leave[done] - arrivals["arrived_min"].to_numpy()[done]).mean()
        rate = len(arrivals) / (end - start)
        rows.append({"replication": rep,
                     "L": float(summary.loc[summary["replication"] == rep,
                                            "mean_open"].iloc[0]),
                     "lambda_W": rate * sojourn})
    return pd.DataFrame(rows)
