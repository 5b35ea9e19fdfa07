"""OLA clocks per tier: from the hand-over to a tier until it resolves or hands over.

Each visit of a ticket to a tier with an OLA budget for the ticket's severity is one clock.
It starts when the ticket is queued at the tier (for the entry tier, on arrival) and stops
when that tier resolves it, hands it over, or closes it under emergency recovery. It runs on
the ticket's coverage calendar (24x7 without an SLA), with its level's NBD cut-off, and
pauses like the resolve clock (a pause still open at the end of the log counts up to the end).
Attribution: an SLA breach is attributed to every tier whose OLA overran before the SLA
clock stopped, and to every vendor whose underpinning contract overran before it stopped.

Response and restore OLAs (a tier's long-form ``ola:``) are clocks of the same visit: the
response OLA stops at the tier's first engagement, the restore OLA when the tier restores
service or hands the ticket over. A vendor clock runs from ``waiting_vendor`` to its
``resumed`` on the contract's calendar (24x7 without one), never paused.
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

__all__ = ["OLA_COLUMNS", "VENDOR_COLUMNS", "VISIT_COLUMNS", "attribute_breaches",
           "ola_clocks", "vendor_clocks", "visit_times"]

OLA_COLUMNS = ["replication", "ticket", "tier", "severity", "start_min", "stop_min",
               "deadline_min", "breached"]
STOPS = {"resolved", "handed_over", "closed"}
VENDOR_COLUMNS = ["replication", "ticket", "tier", "level", "severity", "start_min", "stop_min",
                  "deadline_min", "breached"]
VISIT_COLUMNS = ["replication", "ticket", "tier", "level", "severity", "customer", "start_min",
                 "stop_min", "at_tier_min", "handover_min", "resolved_here"]


def _ticket_groups(events: pd.DataFrame, keep: pd.Series):
    """(replication, ticket, level, severity, customer, rows) per ticket of ``events[keep]``
    with rows (time, event, unit, detail) in time order."""
    frame = events[keep].sort_values(["replication", "ticket", "time_min"], kind="stable")
    if len(frame) == 0:
        return
    rep_ = frame["replication"].to_numpy()
    tid_ = frame["ticket"].to_numpy()
    cols = [frame["time_min"].to_numpy(float).tolist(), frame["event"].astype(str).tolist(),
            frame["unit"].astype(str).tolist(), frame["detail"].astype(str).tolist()]
    levels = frame["level"].astype(object).tolist()
    sevs = frame["severity"].astype(object).tolist()
    custs = (frame["customer"].astype(object).tolist() if "customer" in frame
             else [None] * len(frame))
    bounds = np.flatnonzero((rep_[1:] != rep_[:-1]) | (tid_[1:] != tid_[:-1])) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(frame)], strict=True):
        yield (rep_[lo], tid_[lo], levels[lo], sevs[lo], custs[lo],
               list(zip(*(c[lo:hi] for c in cols), strict=True)))


def ola_clocks(events: pd.DataFrame, catalog: Catalog, org: Organisation, origin: datetime,
               end_min: float, clocks: tuple[str, ...] = ("resolve",)) -> pd.DataFrame:
    """One row per tier visit and OLA clock (columns :data:`OLA_COLUMNS`, and ``clock``
    when ``clocks`` asks for more than the resolve clock)."""
    coverage = Coverage(catalog, origin)
    always = BusinessClock(Calendar(timezone=org.timezone), origin)
    pausing = {c: set(catalog.pauses(ClockName(c))) for c in clocks}
    tiers = {name: t for name, t in org.tiers.items() if t.ola}
    event = events["event"].astype(str)
    keep = events["unit"].isin(list(tiers)) | event.str.startswith("waiting") \
        | (event == "resumed")
    rows = []
    for rep, tid, level, severity, customer, ticket_events in _ticket_groups(events, keep):
        if not isinstance(severity, str):
            continue
        all_pauses = pause_intervals(ticket_events, end_min)
        visits: list[tuple[str, float, float | None, float | None, float | None]] = []
        open_at: dict[str, list[float | None]] = {}
        for t, name, unit, _ in ticket_events:
            if name == "queued" and unit in tiers and unit not in open_at:
                open_at[unit] = [t, None, None]
            elif unit in open_at:
                if name == "engaged" and open_at[unit][1] is None:
                    open_at[unit][1] = t
                elif name == "restored" and open_at[unit][2] is None:
                    open_at[unit][2] = t
                elif name in STOPS:
                    start, engaged, restored = open_at.pop(unit)
                    visits.append((unit, start, t, engaged, restored))
        visits += [(unit, v[0], None, v[1], v[2]) for unit, v in open_at.items()]
        for unit, start, stop, engaged, restored in visits:
            for clock in clocks:
                budget = tiers[unit].ola_budget(
                    severity, clock, customer if isinstance(customer, str) else None)
                if budget is None:
                    continue
                end = {"resolve": stop, "response": engaged,
                       "restore": stop if restored is None else restored}[clock]
                assert start is not None
                finish = end_min if end is None else end
                mine = [(a, b) for a, b, why in all_pauses
                        if why in pausing[clock] and a < finish]
                if isinstance(level, str):
                    deadline = coverage.budget_deadline(level, severity, budget, start, mine)
                else:
                    deadline = always.extend(always.deadline(start, budget), start, mine)
                row = (rep, tid, unit, severity, start, math.nan if end is None else end,
                       deadline, bool(finish > deadline))
                rows.append(row if clocks == ("resolve",) else (*row, clock))
    columns = OLA_COLUMNS if clocks == ("resolve",) else [*OLA_COLUMNS, "clock"]
    return pd.DataFrame(rows, columns=columns)


def vendor_clocks(events: pd.DataFrame, catalog: Catalog, org: Organisation,
                  origin: datetime, end_min: float) -> pd.DataFrame:
    """One row per wait for a vendor under an underpinning contract (a tier's
    ``waiting.vendor.contract``): from ``waiting_vendor`` to its ``resumed`` (the end of the
    log while still open), against the contract's target on its calendar."""
    contracts = {name: t.waiting.vendor.contract for name, t in org.tiers.items()
                 if t.waiting.vendor is not None and t.waiting.vendor.contract is not None}
    if not contracts:
        return pd.DataFrame(columns=VENDOR_COLUMNS)
    clocks = {name: BusinessClock(catalog.calendar(c.calendar) if c.calendar
                                  else Calendar(timezone=org.timezone), origin)
              for name, c in contracts.items()}
    event = events["event"].astype(str)
    keep = events["unit"].isin(list(contracts)) & event.isin(["waiting_vendor", "resumed"])
    rows = []
    for rep, tid, level, severity, _, ticket_events in _ticket_groups(events, keep):
        open_at: dict[str, float] = {}
        spans: list[tuple[str, float, float | None]] = []
        for t, name, unit, detail in ticket_events:
            if name == "waiting_vendor":
                open_at[unit] = t
            elif name == "resumed" and detail == "waiting_vendor" and unit in open_at:
                spans.append((unit, open_at.pop(unit), t))
        spans += [(unit, a, None) for unit, a in open_at.items()]
        for unit, a, b in spans:
            contract, bc = contracts[unit], clocks[unit]
            deadline = bc.deadline(a, contract.target)
            finish = end_min if b is None else b
            rows.append((rep, tid, unit, level, severity, a, math.nan if b is None else b,
                         deadline, bool(finish > deadline)))
    return pd.DataFrame(rows, columns=VENDOR_COLUMNS)


def visit_times(events: pd.DataFrame, catalog: Catalog, org: Organisation, origin: datetime,
                end_min: float, clock: str = "resolve") -> pd.DataFrame:
    """Per tier visit of a ticket with an SLA level: the time it spent at the tier as the
    tier's OLA clock on ``clock`` measures it (covered minutes of the level's calendar for
    its severity, less the waits that pause that clock), and the hand-over delay that
    followed (same covered minutes; NaN when the tier did not hand over). A ``restore``
    visit ends when the tier restores service (later visits are left out: the clock has
    stopped); a ``response`` visit is the entry tier's, until an agent first engages.
    Visits still open at the end of the log are left out (their time is censored)."""
    coverage = Coverage(catalog, origin)
    pausing = set(catalog.pauses(ClockName(clock)))
    tiers = set(org.tiers)
    entry = org.entry_tier()
    event = events["event"].astype(str)
    keep = events["unit"].isin(list(tiers)) | event.str.startswith("waiting") \
        | (event == "resumed")
    stops = {"resolve": STOPS, "restore": STOPS | {"restored"}, "response": {"engaged"}}[clock]
    rows = []
    for rep, tid, level, severity, customer, ticket_events in _ticket_groups(events, keep):
        if not isinstance(severity, str) or not isinstance(level, str):
            continue
        bc = coverage.level_clock(level, severity)
        pauses = [(a, b) for a, b, why in pause_intervals(ticket_events, end_min)
                  if why in pausing]
        visits: list[list] = []
        open_at: dict[str, float] = {}
        for t, name, unit, _ in ticket_events:
            if name == "queued" and unit in tiers and unit not in open_at:
                if visits and visits[-1][3] == "handed_over" and visits[-1][4] is None:
                    visits[-1][4] = t
                open_at[unit] = t
            elif name in stops and unit in open_at:
                visits.append([unit, open_at.pop(unit), t, name, None])
                if clock != "resolve" and name != "handed_over":
                    break  # restored, or first engaged: the clock stopped
        if clock == "response":
            visits = [v for v in visits[:1] if v[0] == entry and v[3] == "engaged"]
        for unit, start, stop, how, reached in visits:
            paused = sum(bc.elapsed(max(a, start), min(b, stop)) for a, b in pauses
                         if b > start and a < stop)
            hand = bc.elapsed(stop, reached) if how == "handed_over" and reached is not None \
                else math.nan
            rows.append((rep, tid, unit, level, severity, customer, start, stop,
                         bc.elapsed(start, stop) - paused, hand, how != "handed_over"))
    return pd.DataFrame(rows, columns=VISIT_COLUMNS)


def attribute_breaches(clocks: pd.DataFrame, olas: pd.DataFrame,
                       vendors: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each breached SLA clock, the tiers whose OLA overran before the SLA clock
    stopped (``tiers`` is a comma-separated list, empty when no OLA overran); a vendor whose
    underpinning contract overran first is named ``vendor@TIER``."""
    breached = clocks[clocks["breached"] & clocks["clock"].isin(
        ["response", "restore", "resolve"])]
    overran = olas[olas["breached"]]
    by_ticket: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for r in overran.itertuples(index=False):
        by_ticket.setdefault((r.replication, r.ticket), []).append((r.deadline_min, r.tier))
    if vendors is not None:
        for r in vendors[vendors["breached"]].itertuples(index=False):
            by_ticket.setdefault((r.replication, r.ticket), []).append(
                (r.deadline_min, f"vendor@{r.tier}"))
    rows = []
    for c in breached.itertuples(index=False):
        stop = c.stop_min if not np.isnan(c.stop_min) else math.inf
        tiers = [t for d, t in sorted(by_ticket.get((c.replication, c.ticket), []))
                 if d < stop]
        rows.append((c.replication, c.ticket, c.clock, c.level, c.severity,
                     ",".join(dict.fromkeys(tiers))))
    return pd.DataFrame(rows, columns=["replication", "ticket", "clock", "level", "severity",
                                       "tiers"])
