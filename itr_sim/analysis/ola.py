"""OLA clocks per tier: from the hand-over to a tier until it resolves or hands over.

Each visit of a ticket to a tier with an OLA budget for the ticket's severity is one clock.
It starts when the ticket is queued at the tier (for the entry tier, on arrival) and stops
when that tier resolves it, hands it over, or closes it under emergency recovery. It runs on
the ticket's coverage calendar (24x7 without an SLA), with its level's NBD cut-off, and
pauses like the resolve clock (a pause still open at the end of the log counts up to the end).
Attribution: an SLA breach is attributed to every tier whose OLA overran before the SLA
clock stopped.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from itr_sim.analysis.clocks import pause_intervals
from itr_sim.calendar import BusinessClock, Calendar
from itr_sim.model.catalog import Catalog, ClockName
from itr_sim.model.org import Organisation
from itr_sim.rules.coverage import Coverage

__all__ = ["OLA_COLUMNS", "attribute_breaches", "ola_clocks"]

OLA_COLUMNS = ["replication", "ticket", "tier", "severity", "start_min", "stop_min",
               "deadline_min", "breached"]
STOPS = {"resolved", "handed_over", "closed"}


def ola_clocks(events: pd.DataFrame, catalog: Catalog, org: Organisation, origin: datetime,
               end_min: float) -> pd.DataFrame:
    coverage = Coverage(catalog, origin)
    always = BusinessClock(Calendar(timezone=org.timezone), origin)
    pausing = set(catalog.pauses(ClockName.RESOLVE))
    tiers = {name: t for name, t in org.tiers.items() if t.ola}
    event = events["event"].astype(str)
    frame = events[events["unit"].isin(list(tiers)) | event.str.startswith("waiting")
                   | (event == "resumed")]
    frame = frame.sort_values(["replication", "ticket", "time_min"], kind="stable")
    rep_ = frame["replication"].to_numpy()
    tid_ = frame["ticket"].to_numpy()
    cols = [frame["time_min"].to_numpy(float).tolist(), frame["event"].astype(str).tolist(),
            frame["unit"].astype(str).tolist(), frame["detail"].astype(str).tolist()]
    levels = frame["level"].astype(object).tolist()
    sevs = frame["severity"].astype(object).tolist()
    rows = []
    if len(frame) == 0:
        return pd.DataFrame(columns=OLA_COLUMNS)
    bounds = np.flatnonzero((rep_[1:] != rep_[:-1]) | (tid_[1:] != tid_[:-1])) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(frame)], strict=True):
        rep, tid, level, severity = rep_[lo], tid_[lo], levels[lo], sevs[lo]
        if not isinstance(severity, str):
            continue
        ticket_events = list(zip(*(c[lo:hi] for c in cols), strict=True))
        pauses = [(a, b) for a, b, why in pause_intervals(ticket_events, end_min)
                  if why in pausing]
        visits: list[tuple[str, float, float | None]] = []
        open_at: dict[str, float] = {}
        for t, name, unit, _ in ticket_events:
            if name == "queued" and unit in tiers and unit not in open_at:
                open_at[unit] = t
            elif name in STOPS and unit in open_at:
                visits.append((unit, open_at.pop(unit), t))
        visits += [(unit, start, None) for unit, start in open_at.items()]
        for unit, start, stop in visits:
            budget = tiers[unit].ola.get(severity)
            if budget is None:
                continue
            finish = end_min if stop is None else stop
            mine = [p for p in pauses if p[0] < finish]  # not moved by later tiers' pauses
            if isinstance(level, str):
                deadline = coverage.budget_deadline(level, severity, budget, start, mine)
            else:
                deadline = always.extend(always.deadline(start, budget), start, mine)
            rows.append((rep, tid, unit, severity, start, math.nan if stop is None else stop,
                         deadline, bool(finish > deadline)))
    return pd.DataFrame(rows, columns=OLA_COLUMNS)


def attribute_breaches(clocks: pd.DataFrame, olas: pd.DataFrame) -> pd.DataFrame:
    """For each breached SLA clock, the tiers whose OLA overran before the SLA clock
    stopped (``tiers`` is a comma-separated list, empty when no OLA overran)."""
    breached = clocks[clocks["breached"] & clocks["clock"].isin(
        ["response", "restore", "resolve"])]
    overran = olas[olas["breached"]]
    by_ticket: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for r in overran.itertuples(index=False):
        by_ticket.setdefault((r.replication, r.ticket), []).append((r.deadline_min, r.tier))
    rows = []
    for c in breached.itertuples(index=False):
        stop = c.stop_min if not np.isnan(c.stop_min) else math.inf
        tiers = [t for d, t in sorted(by_ticket.get((c.replication, c.ticket), []))
                 if d < stop]
        rows.append((c.replication, c.ticket, c.clock, c.level, c.severity,
                     ",".join(dict.fromkeys(tiers))))
    return pd.DataFrame(rows, columns=["replication", "ticket", "clock", "level", "severity",
                                       "tiers"])
