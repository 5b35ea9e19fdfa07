"""Complaint KPIs per stage of ``organisation.complaints`` (docs/kpis.md, "Complaints in
stages").

A stage visit runs from a complaint's ``queued`` row at the stage's team to the end of its
work there: ``complaint_escalated`` (the stage's limit passed) or ``resolved``. A visit is
*within its limit* when the complaint was resolved there before the limit passed (no
escalation, no ``complaint_overdue`` at the last stage); visits still open at the horizon
count only once their limit has passed (as breached), like any due clock.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.kpis import only_kept
from itr_sim.analysis.stats import mean_ci, share_interval, verdict
from itr_sim.model.complaints import Complaints

__all__ = ["stage_summary", "stage_table", "stage_visits"]

COLUMNS = ["replication", "ticket", "stage", "start_min", "end_min", "ended", "within", "due"]


def stage_visits(events: pd.DataFrame, tickets: pd.DataFrame, spec: Complaints
                 ) -> pd.DataFrame:
    """One row per stage visit of a complaint that arrived after the warm-up: its stage
    (the team), start and end (NaN: still there at the horizon), how it ``ended``
    (``resolved``, ``escalated`` or ``open``), ``within`` its limit, and ``due`` (ended, or
    open past its limit)."""
    stages = [s.team for s in spec.stages]
    ev = only_kept(events, tickets)
    ev = ev[ev["kind"].astype(str) == "complaint"]
    if ev.empty:
        return pd.DataFrame(columns=COLUMNS)
    ev = ev.sort_values(["replication", "ticket", "time_min"], kind="stable")
    rows = []
    for (rep, tid), g in ev.groupby(["replication", "ticket"], sort=False):
        current: list[Any] | None = None
        for name, unit, time in zip(g["event"].astype(str), g["unit"].astype(str),
                                    g["time_min"], strict=True):
            if name == "closed":
                break  # what follows is the callback, not the procedure
            if name == "queued" and unit in stages:
                current = [rep, tid, unit, time, np.nan, "open", False, False]
                rows.append(current)
            elif current is None:
                continue
            elif name == "complaint_overdue":
                current[7] = True
            elif name in ("complaint_escalated", "resolved"):
                current[4] = time
                current[5] = "escalated" if name == "complaint_escalated" else "resolved"
                current[6] = name == "resolved" and not current[7]
                current[7] = True
                current = None
    return pd.DataFrame(rows, columns=COLUMNS)


def stage_table(visits: pd.DataFrame, spec: Complaints, replications: int) -> pd.DataFrame:
    """Per replication and stage: ``reached`` (visits), ``hours`` (mean time in the stage of
    the visits that ended), ``due`` and ``within`` visits, ``attainment`` (within / due)."""
    rows = []
    for rep in range(replications):
        mine = visits[visits["replication"] == rep]
        for stage in (s.team for s in spec.stages):
            g = mine[mine["stage"] == stage]
            ended = g[g["ended"] != "open"]
            due = int(g["due"].sum())
            within = int(g["within"].sum())
            rows.append({"replication": rep, "stage": stage, "reached": len(g),
                         "hours": float(((ended["end_min"] - ended["start_min"]) / 60).mean())
                         if len(ended) else np.nan,
                         "due": due, "within": within,
                         "attainment": within / due if due else np.nan})
    return pd.DataFrame(rows)


def stage_summary(table: pd.DataFrame, events: pd.DataFrame, tickets: pd.DataFrame,
                  spec: Complaints, replications: int) -> dict[str, Any]:
    """The ``complaints`` object of ``--json``: per stage the complaints reaching it, the
    hours in it and the share within its limit (with the verdict against
    ``complaints.attainment``), and major complaints per replication by reason."""
    out: dict[str, Any] = {"stages": {}, "major": {}}
    target = spec.attainment
    for stage in (s.team for s in spec.stages):
        g = table[table["stage"] == stage].set_index("replication").reindex(range(replications))
        mean, lo, hi = share_interval(g["attainment"], g["due"].where(g["due"] > 0))
        out["stages"][stage] = {
            "reached": _ci(g["reached"]), "hours": _ci(g["hours"]),
            "within_limit": {"share": _num(mean), "ci95": [_num(lo), _num(hi)],
                             "target": target, "n": int(g["due"].sum()),
                             "verdict": None if target is None or np.isnan(mean)
                             else verdict(mean, lo, hi, target)}}
    kept = only_kept(events, tickets)
    major = kept[kept["event"].astype(str) == "complaint_major"]
    for reason in ("vip", "repeated"):
        per = major[major["detail"].astype(str) == reason].groupby("replication").size()
        out["major"][reason] = _ci(per.reindex(range(replications)).fillna(0))
    return out


def _ci(values: pd.Series) -> dict[str, Any]:
    mean, lo, hi = mean_ci(values)
    return {"mean": _num(mean), "ci95": [_num(lo), _num(hi)]}


def _num(x: float) -> float | None:
    return None if x is None or np.isnan(x) else float(x)
