"""The KPIs of a real ticket log (a folder written by ``itr-sim ingest``), computed by the same
functions as a simulated run's (:mod:`itr_sim.analysis.kpis`, :mod:`~itr_sim.analysis.summary`),
so that ``itr-sim report`` and :func:`itr_sim.load_run` read a real quarter as they read a
simulated one.

A log is one "replication" with no warm-up: every case counts, the measured period runs from
local midnight of the first arrival to the last row. What a log cannot give (agents on duty,
and so utilisation; cost and revenue; KCP1 entitlement outcomes; OLA budgets of an
organisation) is left out of the summary, never invented: the summary's ``not_in_log`` names
it (docs/real-logs.md).
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pandas as pd

from itr_sim.analysis.clock_table import evaluate_clocks
from itr_sim.analysis.kpis import (
    attainment,
    backlog,
    clock_times,
    entitlement_counts,
    quality,
    service_counts,
    ticket_counts,
    tier_figures,
)
from itr_sim.analysis.ladders import notifications, weekly_load
from itr_sim.analysis.stats import TOLERANCE
from itr_sim.analysis.summary import Analysis, ci95, strict_json, summary_sections
from itr_sim.model.catalog import Catalog
from itr_sim.units import MINUTES_PER_WEEK

__all__ = ["KIND", "NOT_IN_LOG", "analyse_log", "log_tickets"]

KIND = "ingested"
"""``metadata.json``'s ``kind`` of a folder written by ``itr-sim ingest``."""

NOT_IN_LOG = ("agents on duty", "utilisation", "cost", "revenue", "entitlement", "OLA",
              "complaints")
"""Figures of a simulated run that a ticket log cannot give (the summary's ``not_in_log``)."""

def log_tickets(events: pd.DataFrame) -> pd.DataFrame:
    """The ticket table of a simulated run, for a log: replication, ticket, kind, level,
    severity, customer, ``arrived_min``, ``closed`` (ever closed) and ``warmup`` (False: a log
    has no warm-up)."""
    ev = events if "replication" in events.columns else events.assign(replication=0)
    keys = ["replication", "ticket"]
    name = ev["event"].astype(str)
    first = ev.drop_duplicates(keys).set_index(keys)
    arrived = ev[name == "arrived"].groupby(keys)["time_min"].min()
    closed = ev[name == "closed"].groupby(keys).size()
    out = pd.DataFrame(index=arrived.index)
    for col in ("kind", "level", "severity", "customer"):
        out[col] = first[col].astype(str).reindex(out.index) if col in first else "technical"
    out["arrived_min"] = arrived
    out["closed"] = closed.reindex(out.index).fillna(0) > 0
    out["warmup"] = False
    return out.reset_index()


def _lines(events: pd.DataFrame) -> list[str]:
    """The lines of a log in order (L1, L2, ...: the units tickets were queued at)."""
    queued = events.loc[events["event"].astype(str) == "queued", "unit"].astype(str)
    return sorted(set(queued) - {""})


def analyse_log(events: pd.DataFrame, catalog: Catalog, origin: datetime, end_min: float,
                source: dict[str, Any]) -> Analysis:
    """The KPI tables and summary of an ingested log against ``catalog`` (one replication,
    measured from ``origin`` to ``end_min``). ``source`` (file, mapping, catalog, ...) is
    kept as the summary's ``source``; the summary's ``metadata`` has the keys the report
    reads of a simulated run's (start, timezone, horizon, warm-up 0)."""
    events = events if "replication" in events.columns else events.assign(replication=0)
    path = _lines(events)
    weeks = end_min / MINUTES_PER_WEEK
    tickets = log_tickets(events)
    clocks = evaluate_clocks(events, catalog, origin, end_min)
    tiers = tier_figures(events, tickets, path)
    att = attainment(clocks, tickets)
    times = clock_times(clocks, tickets)
    backlog_series, backlog_summary = backlog(events, tickets, 0.0, end_min)
    qual = quality(events, tickets, clocks, path[0] if path else "", weeks, end_min)
    notes = notifications(clocks, catalog, origin, end_min)
    # the parts of a RunResult that summary_sections reads: the lines and catalogue, one
    # replication without a warm-up, no teams
    org = SimpleNamespace(path=lambda: path, tiers={}, teams={})
    run = SimpleNamespace(
        loaded=SimpleNamespace(scenario=SimpleNamespace(organisation=org), catalog=catalog),
        replications=[SimpleNamespace(horizon_min=end_min, warmup_min=0.0)])
    no_util = pd.DataFrame({"replication": pd.Series(dtype=int),
                            "unit": pd.Series(dtype=str), "utilisation": pd.Series(dtype=float)})
    no_sla = pd.DataFrame(columns=["outcome", "severity", "clock", "mean", "p50", "p90", "n"])
    local = origin.replace(tzinfo=None)
    tz = str(origin.tzinfo) if origin.tzinfo is not None else "UTC"
    out: dict[str, Any] = {
        "scenario": str(source.get("file", "real log")).split(".")[0], "seed": None,
        "replications": 1,
        "measured_weeks": weeks, "currency": catalog.currency,
        "metadata": {"kind": KIND, "start": local.isoformat(), "timezone": tz,
                     "horizon_min": end_min, "warmup_min": 0.0},
        "source": source, "not_in_log": list(NOT_IN_LOG)}
    out.update(summary_sections(run, ticket_counts(tickets), tiers, no_util, att,  # type: ignore[arg-type]
                                service_counts(clocks, tickets), times,
                                outcomes=entitlement_counts(events, tickets), no_sla=no_sla))
    _measured(out["sla"], out["services"])
    out.pop("entitlement", None)  # a log has no KCP1 outcomes
    out.pop("teams", None)  # tiers keep ``utilisation: null``: not in the log
    out["ola"] = {}
    out["escalations_per_week"] = weekly_load(notes, 0.0, end_min, 1)
    b = backlog_summary
    out["backlog"] = {k: ci95(b[k]) for k in ("mean_open", "open_at_end", "mean_age_h_at_end")}
    out["quality"] = {k: ci95(qual[k]) for k in ("first_time_fix", "reopen_rate",
                                                 "complaints_per_week", "frt", "ofr",
                                                 "long_standing")}
    out["quality"]["complaints_per_week"] = {"mean": None, "ci95": [None, None]}
    tables = {"clocks": clocks, "notifications": notes, "attainment": att, "times": times,
              "tiers": tiers, "backlog": backlog_series, "backlog_summary": b,
              "quality": qual}
    return Analysis(tables, strict_json(out))


def _measured(sla: dict[str, Any], services: dict[str, Any]) -> None:
    """A log's attainments are measured, not sampled: no interval, and the verdict is
    ``missed`` when the attainment is below the target (``met`` otherwise)."""
    cells = [c for sevs in sla.values() for clocks in sevs.values() for c in clocks.values()]
    cells += [c for clocks in services.values() for c in clocks.values()]
    for cell in cells:
        cell["ci95"] = [None, None]
        if cell.get("target") is not None and cell["attainment"] is not None:
            cell["verdict"] = ("met" if cell["attainment"] >= cell["target"] - TOLERANCE
                               else "missed")
