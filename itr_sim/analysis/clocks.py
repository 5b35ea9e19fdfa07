"""SLA clocks of every ticket, computed from an event log.

The same code reads a simulated log and a real ITSM export (see :mod:`itr_sim.ingest`). A
clock's start and stop events are fixed (docs/kpis.md):

=========  ==========================  ===========================================
clock      starts                      stops
=========  ==========================  ===========================================
response   ``arrived``                 first ``engaged``
restore    ``arrived``                 first ``restored`` (else ``resolved``)
resolve    ``arrived`` (or reopening)  ``resolved``
update     first ``engaged``           ``resolved``; measures the longest gap between
                                        customer-visible events against the budget
parts      ``waiting_parts``           the ``resumed`` that ends it
onsite     ``arrived``                 first ``onsite_arrived``; only for tickets
                                        with a visit (a ``waiting_onsite`` event)
=========  ==========================  ===========================================

The update clock's customer-visible events include ``update_sent``, the progress updates
the engine sends with ``organisation.updates`` (docs/engine.md).

Pauses come from ``waiting_<reason>`` ... ``resumed`` (detail ``waiting_<reason>``) for the
reasons the catalogue lets pause that clock; a pause moves the deadline by the covered time
it lasted. Severity changes (``severity_changed``, detail = new severity) follow the
catalogue's policy, reopening (``reopened``) its ``on_reopen``. A clock still running at the
end of the log is ``open``, or ``breached`` once past its deadline; lateness keeps accruing.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.calendar import BusinessClock
from itr_sim.model.catalog import Catalog, ClockName, PauseReason
from itr_sim.rules.coverage import Coverage
from itr_sim.units import Duration, DurationKind

__all__ = ["CLOCK_COLUMNS", "ClockEvaluator", "evaluate_clocks_per_ticket", "pause_intervals"]

VISIBLE = {"engaged", "waiting_customer", "waiting_vendor", "waiting_parts", "resumed",
           "restored", "handed_over", "resolved", "update_sent"}
CLOCK_COLUMNS = [
    "replication", "ticket", "clock", "cycle", "level", "severity", "start_min", "stop_min",
    "deadline_min", "budget", "business_elapsed_min", "paused_waiting_customer_min",
    "paused_waiting_vendor_min", "paused_waiting_parts_min", "status", "breached",
    "lateness_min",
]


@dataclass
class _Ticket:
    level: str | None
    severity: str | None
    events: list[tuple[float, str, str, str]]  # time, event, unit, detail
    kind: str = "technical"


TEXT_COLUMNS = ["clock", "level", "severity", "budget", "status"]
"""Columns of the clock table held as categoricals (categories sorted)."""

SERVICE_STOPS = {"response": "engaged", "acknowledge": "engaged", "resolve": "resolved",
                 "reply": "resolved", "close": "closed"}
"""Stop events of the clocks of non-technical and complaint services, by target name."""


class ClockEvaluator:
    """Evaluates the clocks of tickets against a catalogue on one time axis."""

    def __init__(self, catalog: Catalog, origin: datetime, end_min: float) -> None:
        self.catalog = catalog
        self.coverage = Coverage(catalog, origin)
        self.end = end_min
        self.rank = {s: i for i, s in enumerate(catalog.severities)}

    def ticket(self, ticket: _Ticket) -> list[dict[str, Any]]:
        if ticket.kind in ("non_technical", "complaint"):
            return self._service(ticket)
        if ticket.level is None or ticket.severity is None or \
                ticket.level not in self.catalog.levels:
            return []
        ev = ticket.events
        arrived = next((t for t, e, _, _ in ev if e == "arrived"), ev[0][0] if ev else 0.0)
        pauses = pause_intervals(ev, self.end)
        changes = [(t, d) for t, e, _, d in ev if e == "severity_changed" and d]
        first = lambda name: next((t for t, e, _, _ in ev if e == name), None)  # noqa: E731
        engaged = first("engaged")
        restored = first("restored")
        rows: list[dict[str, Any]] = []
        rows += self._clock(ticket, ClockName.RESPONSE, arrived, engaged, pauses, changes)
        rows += self._clock(ticket, ClockName.RESTORE, arrived,
                            restored if restored is not None else first("resolved"),
                            pauses, changes)
        rows += self._resolve(ticket, arrived, pauses, changes)
        if engaged is not None:
            rows += self._update(ticket, engaged, pauses, changes)
        for a, b, why in pauses:
            if why == PauseReason.WAITING_PARTS:
                rows += self._clock(ticket, ClockName.PARTS, a, None if b >= self.end else b,
                                    [], [])
        if first("waiting_onsite") is not None:
            rows += self._clock(ticket, ClockName.ONSITE, arrived, first("onsite_arrived"),
                                pauses, changes)
        return rows

    def _service(self, ticket: _Ticket) -> list[dict[str, Any]]:
        """Clocks of a non-technical request or a complaint, from the catalogue's service
        targets (``response``/``acknowledge`` stop at the first engagement,
        ``resolve``/``reply`` at resolution, ``close`` at closure)."""
        service = self.catalog.non_technical if ticket.kind == "non_technical" \
            else self.catalog.complaints
        if service is None or not ticket.events or \
                any(e == "rejected" for _, e, _, _ in ticket.events):
            return []  # a rejected request (KCP1) is no commitment: no clocks
        bc = self.coverage.clock(service.calendar)
        start = ticket.events[0][0]
        rows = []
        for name, budget in service.targets.items():
            stop_event = SERVICE_STOPS.get(name)
            if stop_event is None:
                continue
            stop = next((t for t, e, _, _ in ticket.events if e == stop_event), None)
            end = stop if stop is not None else self.end
            deadline = bc.deadline(start, budget)
            breached = end > deadline
            rows.append(self._row(ticket, name, 1, None, start, stop, deadline, budget,
                                  bc.elapsed(start, end), {}, breached,
                                  bc.elapsed(deadline, end) if breached else 0.0))
        return rows

    def _resolve(self, ticket: _Ticket, arrived: float, pauses: list, changes: list
                 ) -> list[dict[str, Any]]:
        ev = ticket.events
        resolved = [t for t, e, _, _ in ev if e == "resolved"]
        reopened = [t for t, e, _, _ in ev if e == "reopened"]
        if not reopened:
            stop = resolved[0] if resolved else None
            return self._clock(ticket, ClockName.RESOLVE, arrived, stop, pauses, changes)
        if self.catalog.policies.on_reopen == "continue":
            # the time between a resolution and the reopening does not count
            extra = []
            for r in reopened:
                before = [t for t in resolved if t <= r]
                if before:
                    extra.append((before[-1], r, "reopen"))
            later = [t for t in resolved if t > reopened[-1]]
            stop = later[0] if later else None
            return self._clock(ticket, ClockName.RESOLVE, arrived, stop, pauses + extra,
                               changes, extra_pause_reasons={"reopen"})
        rows = []
        starts = [arrived, *reopened]
        for cycle, start in enumerate(starts, 1):
            nxt = starts[cycle] if cycle < len(starts) else math.inf
            stops = [t for t in resolved if start <= t <= nxt]
            rows += self._clock(ticket, ClockName.RESOLVE, start, stops[0] if stops else None,
                                pauses, changes, cycle=cycle)
        return rows

    def _update(self, ticket: _Ticket, engaged: float, pauses: list, changes: list
                ) -> list[dict[str, Any]]:
        severity = _severity_at(ticket.severity, changes, math.inf)
        budget = self._budget(ticket.level, severity, ClockName.UPDATE)
        if budget is None or budget.kind is not DurationKind.ELAPSED:
            return []
        bc = self.coverage.level_clock(ticket.level or "", severity)
        allowed = set(self.catalog.pauses(ClockName.UPDATE))
        stop = next((t for t, e, _, _ in ticket.events if e == "resolved"), None)
        end = stop if stop is not None else self.end
        touches = sorted({t for t, e, _, _ in ticket.events
                          if e in VISIBLE and engaged <= t <= end} | {end})
        worst, worst_at = 0.0, engaged
        for a, b in zip([engaged, *touches[:-1]], touches, strict=True):
            gap = bc.elapsed(a, b) - _paused(bc, pauses, a, b, allowed)[0]
            if gap > worst:
                worst, worst_at = gap, a
        breached = worst > budget.minutes
        return [self._row(ticket, ClockName.UPDATE, 1, severity, engaged, stop,
                          bc.add(worst_at, budget.minutes), budget, worst, {}, breached,
                          max(worst - budget.minutes, 0.0))]

    def _budget(self, level: str | None, severity: str | None, clock: ClockName
                ) -> Duration | None:
        if level is None or severity is None:
            return None
        targets = self.catalog.levels[level].targets.get(severity)
        return None if targets is None else getattr(targets, clock.value)

    def _clock(self, ticket: _Ticket, clock: ClockName, start: float, stop: float | None,
               pauses: list, changes: list, *, cycle: int = 1,
               extra_pause_reasons: set[str] | None = None) -> list[dict[str, Any]]:
        level = ticket.level or ""
        end = stop if stop is not None else self.end
        allowed = set(self.catalog.pauses(clock)) | (extra_pause_reasons or set())
        # severity changes while the clock runs, per policy
        anchor, consumed = start, 0.0
        severity = ticket.severity
        policies = self.catalog.policies
        for when, new in changes:
            if not start < when < end or new not in self.rank or new == severity:
                continue
            upgrade = self.rank[new] < self.rank.get(severity or "", len(self.rank))
            policy = policies.severity_upgrade if upgrade else policies.severity_downgrade
            if policy == "retroactive":
                anchor, consumed = start, 0.0
            elif policy == "restart":
                anchor, consumed = when, 0.0
            else:  # keep_elapsed
                bc_old = self.coverage.level_clock(level, severity)
                consumed += bc_old.elapsed(anchor, when) - \
                    _paused(bc_old, pauses, anchor, when, allowed)[0]
                anchor = when
            severity = new
        budget = self._budget(ticket.level, severity, clock)
        if budget is None:
            return []
        bc = self.coverage.level_clock(level, severity)
        cutoff = self.catalog.levels[level].nbd_cutoff
        if budget.kind is DurationKind.ELAPSED:
            deadline = bc.add(anchor, max(budget.minutes - consumed, 0.0))
        else:
            deadline = bc.deadline(anchor, budget, nbd_cutoff_min=cutoff)
        deadline = bc.extend(deadline, anchor, [(a, b) for a, b, why in pauses if why in allowed])
        paused_total, by_reason = _paused(bc, pauses, anchor, end, allowed)
        elapsed = consumed + bc.elapsed(anchor, end) - paused_total
        breached = end > deadline
        lateness = 0.0
        if breached:
            lateness = bc.elapsed(deadline, end) - _paused(bc, pauses, deadline, end, allowed)[0]
        return [self._row(ticket, clock, cycle, severity, start, stop, deadline, budget,
                          elapsed, by_reason, breached, lateness)]

    def _row(self, ticket: _Ticket, clock: ClockName | str, cycle: int, severity: str | None,
             start: float, stop: float | None, deadline: float, budget: Duration,
             elapsed: float, by_reason: dict[str, float], breached: bool, lateness: float
             ) -> dict[str, Any]:
        if stop is None:
            status = "breached" if breached else "open"
        else:
            status = "breached" if breached else "met"
        return {
            "clock": str(clock), "cycle": cycle, "level": ticket.level, "severity": severity,
            "start_min": start, "stop_min": math.nan if stop is None else stop,
            "deadline_min": deadline, "budget": budget.text, "business_elapsed_min": elapsed,
            "paused_waiting_customer_min": by_reason.get("waiting_customer", 0.0),
            "paused_waiting_vendor_min": by_reason.get("waiting_vendor", 0.0),
            "paused_waiting_parts_min": by_reason.get("waiting_parts", 0.0),
            "status": status, "breached": breached, "lateness_min": lateness,
        }


def pause_intervals(events: list[tuple[float, str, str, str]], end: float
                    ) -> list[tuple[float, float, str]]:
    """(start, end, reason) of a ticket's pauses from its (time, event, unit, detail) rows:
    ``waiting_<reason>`` to the ``resumed`` with that detail; one still open ends at
    ``end``."""
    out: list[tuple[float, float, str]] = []
    open_at: dict[str, float] = {}
    for t, e, _, d in events:
        if e.startswith("waiting_"):
            open_at.setdefault(e, t)
        elif e == "resumed" and d in open_at:
            out.append((open_at.pop(d), t, d))
    out += [(a, end, why) for why, a in open_at.items()]
    return sorted(out)


def _paused(bc: BusinessClock, pauses: list, a: float, b: float, allowed: Collection[str]
            ) -> tuple[float, dict[str, float]]:
    total = 0.0
    by_reason: dict[str, float] = {}
    for p0, p1, why in pauses:
        if why not in allowed:
            continue
        lo, hi = max(p0, a), min(p1, b)
        if hi > lo:
            covered = bc.elapsed(lo, hi)
            total += covered
            by_reason[why] = by_reason.get(why, 0.0) + covered
    return total, by_reason


def _severity_at(initial: str | None, changes: list, t: float) -> str | None:
    severity = initial
    for when, new in changes:
        if when < t:
            severity = new
    return severity


def evaluate_clocks_per_ticket(events: pd.DataFrame, catalog: Catalog, origin: datetime,
                               end_min: float) -> pd.DataFrame:
    """One row per (replication, ticket, clock, cycle), columns :data:`CLOCK_COLUMNS`,
    ticket by ticket: the reference for :func:`itr_sim.analysis.clock_table.evaluate_clocks`.

    ``events`` needs columns ticket, time_min, event, unit, detail, level, severity (and
    replication; 0 if absent); ``level``/``severity`` are the ticket's at arrival."""
    evaluator = ClockEvaluator(catalog, origin, end_min)
    frame = events
    if "replication" not in frame.columns:
        frame = frame.assign(replication=0)
    frame = frame.sort_values(["replication", "ticket", "time_min"], kind="stable")
    rep = frame["replication"].to_numpy()
    tid = frame["ticket"].to_numpy()
    times = frame["time_min"].to_numpy(float)
    names = frame["event"].astype(str).to_numpy()
    units = frame["unit"].astype(str).to_numpy()
    details = frame["detail"].astype(str).to_numpy()
    levels = frame["level"].astype(object).where(frame["level"].notna(), None).to_numpy()
    sevs = frame["severity"].astype(object).where(frame["severity"].notna(), None).to_numpy()
    kinds = (frame["kind"].astype(str).to_numpy() if "kind" in frame.columns
             else np.full(len(frame), "technical", dtype=object))
    rows: list[dict[str, Any]] = []
    if len(frame) == 0:
        return pd.DataFrame(columns=CLOCK_COLUMNS)
    bounds = np.flatnonzero((rep[1:] != rep[:-1]) | (tid[1:] != tid[:-1])) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(frame)], strict=True):
        ticket = _Ticket(levels[lo], sevs[lo], list(zip(
            times[lo:hi].tolist(), names[lo:hi].tolist(), units[lo:hi].tolist(),
            details[lo:hi].tolist(), strict=True)), kinds[lo])
        for row in evaluator.ticket(ticket):
            row["replication"] = rep[lo]
            row["ticket"] = tid[lo]
            rows.append(row)
    table = pd.DataFrame(rows, columns=CLOCK_COLUMNS)
    return table.astype(dict.fromkeys(TEXT_COLUMNS, "category"))
