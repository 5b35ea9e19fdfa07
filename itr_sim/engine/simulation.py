"""One replication: tickets through tiers and teams under shifts, into an event log.

The engine is callback-driven SimPy: a ticket is not a process. A handling session is one
timeout whose callback decides what happens next; a preempted session is invalidated by a
token instead of being interrupted. There is no polling: tickets that arrive outside their
coverage are parked with one timeout until it opens, shift changes are one process per unit
walking its precomputed staffing steps, arrivals are a chain of timeouts (each bringing in
every arrival due by then), and SLA thresholds are computed from timestamps.

Rules (docs/engine.md):

* A tier works on a ticket only while the ticket's coverage calendar (its level's calendar
  for its severity) is open; best-effort and emergency tickets are always covered. Work in
  progress continues when coverage closes.
* At a shift end that leaves fewer agents than tickets in service, the sessions started
  last are handed back to the head of the queue with their remaining handling time
  (``released``), so a unit never serves more tickets than it has agents on duty.
* A tier's handling time is drawn once per ticket when it reaches the tier; waiting states
  (customer, parts, vendor, in that order, each at most once per tier) split it into
  sessions: a session before a wait does a uniform 30-70% share of the remaining work.
* Routing (docs/engine.md, "Routing as real logs need it"): entry shares pick a technical
  ticket's first tier; a tier's routing matrix decides each visit's outcome (resolved, or a
  hand-over up, across or back down); ``max_visits`` makes the tier of the last allowed
  visit resolve; ``reopen`` brings a closed ticket back to the tier that resolved it. Each
  has its own random stream, so the draws of a scenario without them are unchanged.

Speed (docs/performance.md): what all tickets of one (customer, severity, type) share is
worked out once (:class:`~itr_sim.engine.staffed.Profile`), random values come in blocks
(:mod:`itr_sim.engine.draws`) and log rows are written as integer codes.
"""

from __future__ import annotations

import bisect
import gc
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import simpy

from itr_sim.engine.arrivals import Arrivals, ArrivalStream
from itr_sim.engine.complaints import Callbacks, Stages, team_hook
from itr_sim.engine.draws import Draws, Source, Uniforms, stream
from itr_sim.engine.escalation import Escalation
from itr_sim.engine.jobs import JobUnit
from itr_sim.engine.kcp import Gates
from itr_sim.engine.log import Event, EventLog, TicketTable
from itr_sim.engine.onsite import Visits
from itr_sim.engine.parts import Stock
from itr_sim.engine.staffed import Profile, Ticket, Unit
from itr_sim.engine.staffing import Staffing, staffing_of
from itr_sim.engine.updates import ProgressUpdates, job_units
from itr_sim.model.catalog import ClockName
from itr_sim.model.load import LoadedScenario
from itr_sim.model.org import RESOLVED as RESOLVED_KEY
from itr_sim.model.org import StaffedUnit
from itr_sim.rules.coverage import Coverage
from itr_sim.rules.dispatch import COMPLAINTS, entry_shares, route
from itr_sim.rules.entitlement import Outcome, entitle
from itr_sim.units import MINUTES_PER_WEEK, DurationKind

__all__ = ["Replication", "ReplicationResult", "Sink", "Source", "scenario_origin"]

# the codes of :class:`~itr_sim.engine.log.Event` bound as plain integers, as the log stores them
ARRIVED, ENTITLED, REJECTED = Event.ARRIVED.value, Event.ENTITLED.value, Event.REJECTED.value
QUEUED, ENGAGED, RELEASED = Event.QUEUED.value, Event.ENGAGED.value, Event.RELEASED.value
WAITING_CUSTOMER, WAITING_VENDOR = Event.WAITING_CUSTOMER.value, Event.WAITING_VENDOR.value
WAITING_PARTS, RESUMED = Event.WAITING_PARTS.value, Event.RESUMED.value
HANDED_OVER, RESTORED = Event.HANDED_OVER.value, Event.RESTORED.value
RESOLVED, CLOSED, CALLBACK = Event.RESOLVED.value, Event.CLOSED.value, Event.CALLBACK.value
COMPLAINT_RAISED, REOPENED = Event.COMPLAINT_RAISED.value, Event.REOPENED.value


def scenario_origin(loaded: LoadedScenario) -> datetime:
    """The scenario start as an aware datetime in the organisation's time zone."""
    start = loaded.scenario.start
    return start.replace(tzinfo=ZoneInfo(loaded.scenario.organisation.timezone))


@dataclass
class ReplicationResult:
    log: EventLog
    tickets: TicketTable
    staffing: dict[str, Staffing]
    origin: datetime
    horizon_min: float
    warmup_min: float
    replication: int
    streamed: Any = None      # the sink's result in streaming mode (the log is then empty)
    peak_log_rows: int = 0    # the most rows the log held at once


class Sink(Protocol):
    """Takes the finished part of the log in streaming mode (see :meth:`Replication.run`)."""

    def consume(self, events: pd.DataFrame, tickets: pd.DataFrame) -> None: ...

    def result(self) -> Any: ...


class Replication:
    """One replication of a loaded scenario."""

    def __init__(self, loaded: LoadedScenario, seeds: np.random.SeedSequence,
                 replication: int = 0, arrivals: Arrivals | None = None,
                 sink: Sink | None = None, flush_every_min: float = MINUTES_PER_WEEK) -> None:
        self.sink = sink
        self.flush_every = flush_every_min
        self.peak_rows = 0
        self.loaded = loaded
        self.sc, self.cat = loaded.scenario, loaded.catalog
        self.seeds = seeds
        self.replication = replication
        self.env = simpy.Environment()
        self.origin = scenario_origin(loaded)
        self.horizon = self.sc.horizon.minutes
        self.coverage = Coverage(self.cat, self.origin)
        self.tickets = TicketTable()
        self.log = EventLog(self.tickets)
        self.code = self.tickets.codes.code
        self.row = self.log.writer()
        self.ticket_row = self.tickets.writer()
        org = self.sc.organisation
        calendars = {name: self.cat.calendar(name) for name in self.cat.calendars}
        specs: dict[str, StaffedUnit] = {**org.tiers, **org.teams}
        jobbed = job_units(org)  # units that also take update and visit jobs
        self.units = {name: (JobUnit if name in jobbed else Unit)(self, name, spec, staffing_of(
            spec, org.timezone, self.origin, self.horizon, calendars), self.code(name))
            for name, spec in specs.items()}
        self.updates = ProgressUpdates(self, org.updates) if org.updates else None
        self.onsite = Visits(self, org.onsite) if org.onsite is not None else None
        for unit in self.units.values():
            if unit.tier is not None and unit.tier.escalates_to is not None:
                unit.next = self.units[unit.tier.escalates_to]
            if unit.tier is not None and unit.tier.routing is not None:
                routes = unit.tier.routes()
                unit.matrix = (_cumulative(list(routes.values())),
                               [None if k == RESOLVED_KEY else self.units[k] for k in routes])
        self.max_visits = org.max_visits or 0
        self.entry_uniform = Uniforms(self.stream(Source.ROUTING, "entry shares")) \
            if isinstance(org.entry, dict) else None
        self.reopen = org.reopen
        self.reopening: set[int] = set()   # closed tickets with a reopening to come
        if org.reopen is not None:
            self.reopen_uniform = Uniforms(self.stream(Source.CLOSURE, "reopen"))
            self.reopen_delay = Draws(org.reopen.delay, self.stream(Source.CLOSURE,
                                                                     "reopen delay"))
        self.sev_rank = {s: i for i, s in enumerate(self.cat.severities)}
        self.restore_severities = {
            sev for level in self.cat.levels.values()
            for sev, target in level.targets.items() if target.restore is not None}
        self.profiles: dict[tuple[str, str | None, str, str | None], Profile] = {}
        self.first, self.shift_end = self.code("first"), self.code("shift end")
        self.complaint_share = self.sc.demand.complaint_on_breach
        self.pausing: dict[ClockName, set[str]] = {}
        self.complaint_uniform = Uniforms(self.stream(Source.COMPLAINTS, "complaints"))
        self.confirmation = None if org.confirmation is None else Draws(
            org.confirmation, self.stream(Source.CLOSURE, "confirmation"))
        self.callback_uniform = Uniforms(self.stream(Source.CLOSURE, "callback"))
        self.parts = org.parts
        self.stock = Stock(self.env, org.parts, seeds) if org.parts else None
        if org.parts is not None:
            classes = list(org.parts.classes.items())
            self.part_names = [name for name, _ in classes]
            shares = np.cumsum([c.share for _, c in classes])
            self.part_cumulative = (shares / shares[-1]).tolist()
            self.parts_uniform = Uniforms(self.stream(Source.PARTS, "need"))
            self.standard = Draws(org.parts.standard, self.stream(Source.PARTS, "standard"))
            self.express = Draws(org.parts.express, self.stream(Source.PARTS, "express"))
        self.escalation = Escalation(self) if Escalation.wanted(self) else None
        self.kcp = None if org.kcp is None else Gates(self, org.kcp)  # KCP gates
        callback = org.callback
        self.stages = None if org.complaints is None else Stages(self)
        self.callbacks = None if callback is None or (
            callback.team is None and callback.survey is None) else Callbacks(self)
        self.team_done = team_hook(self.stages, self.callbacks)
        # a replayed trace is one window; generated demand comes four weeks at a time
        self.trace = arrivals
        self.demand = None if arrivals is not None else ArrivalStream(
            self.sc, self.cat, self.origin, self.horizon, seeds, Source.ARRIVALS)

    def stream(self, source: int, name: str) -> np.random.Generator:
        """A child stream of the replication's seed, keyed by source and name."""
        return stream(self.seeds, source, name)

    # -- running ----------------------------------------------------------------------
    def run(self) -> ReplicationResult:
        """Run to the horizon. With a sink (streaming mode), the rows of closed tickets are
        handed to it every ``flush_every_min`` simulated minutes, and the rest at the end,
        so that the log never holds much more than the open tickets."""
        for unit in self.units.values():
            self.env.process(unit.shifts())
        if self.sink is not None:
            self.env.process(self._flushes())
        if self._next_window():
            self.env.timeout(self._times[0]).callbacks.append(lambda _e: self._arrive(0))
        # Tickets, events and callbacks are freed by reference counting as they finish; the
        # cyclic collector would only rescan the many live ones (a third of the run time
        # of a large organisation), so it pauses during the run.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.horizon)
        finally:
            if collecting:
                gc.enable()
        streamed = None
        if self.sink is not None:
            self.flush(final=True)
            streamed = self.sink.result()
        self.peak_rows = max(self.peak_rows, len(self.log))
        return ReplicationResult(self.log, self.tickets,
                                 {n: u.staffing for n, u in self.units.items()},
                                 self.origin, self.horizon, self.sc.warmup.minutes,
                                 self.replication, streamed, self.peak_rows)

    def _flushes(self):
        while True:
            yield self.env.timeout(self.flush_every)
            self.flush(final=False)

    def flush(self, *, final: bool) -> None:
        """Hand the rows of every closed ticket (all tickets when ``final``) to the sink. A
        closed ticket gets no more rows: its closure and callback are written at once."""
        assert self.sink is not None
        log = self.log
        self.peak_rows = max(self.peak_rows, len(log))
        done = np.full(len(self.tickets), final)
        if not final:
            done[log.ticket_ids[log.event == CLOSED]] = True
            if self.reopening:  # closed for now, but coming back
                done[list(self.reopening)] = False
        chunk = log.split(done)
        self.row = log.writer()
        if not len(chunk):
            return
        events = chunk.to_frame()
        events.insert(0, "replication", self.replication)
        ids = np.unique(events["ticket"].to_numpy())
        tickets = self.tickets.to_frame(ids)
        closed = np.zeros(len(self.tickets), dtype=bool)
        closed[chunk.ticket_ids[chunk.event == CLOSED]] = True
        tickets["closed"] = closed[ids]
        tickets["warmup"] = tickets["arrived_min"] < self.sc.warmup.minutes
        tickets.insert(0, "replication", self.replication)
        self.sink.consume(events, tickets)

    def _next_window(self) -> bool:
        """Load the next window of arrivals that has any; False when there is none left."""
        while True:
            if self.demand is None:
                arrivals, self.trace = self.trace, None
            else:
                arrivals = self.demand.window()
            if arrivals is None:
                return False
            if len(arrivals):
                self.arrivals = arrivals
                self._times = arrivals.time.tolist()
                self._contracts = arrivals.contract.tolist()
                return True

    def _arrive(self, i: int) -> None:
        """Bring in arrival ``i`` and every later one due by now, then wait for the next."""
        now, times, arr = self.env.now, self._times, self.arrivals
        customers, severities, rtypes = arr.customer, arr.severity, arr.rtype
        contracts, n = self._contracts, len(times)
        while i < n and times[i] <= now:
            self.new_request(customers[i], contracts[i], severities[i], rtypes[i], now)
            i += 1
        if i < n:
            self.env.timeout(times[i] - now).callbacks.append(lambda _e: self._arrive(i))
        elif self._next_window():
            self.env.timeout(self._times[0] - now).callbacks.append(lambda _e: self._arrive(0))

    def profile(self, customer: str, severity: str | None, rtype: str, level: str | None
                ) -> Profile:
        """KCP1 and KCP2 for one (customer, severity, type): complaints skip entitlement and
        keep ``level``."""
        p = Profile()
        code, cat, org = self.code, self.cat, self.sc.organisation
        if rtype == COMPLAINTS:
            p.kind = "complaint"
        else:
            p.kind = cat.request_types[rtype].kind.value
            ent = entitle(self.sc.demand.customers.get(customer), severity, cat.severities[0])
            level = ent.level
            p.rejected = ent.outcome is Outcome.REJECTED
            p.emergency = ent.outcome is Outcome.EMERGENCY_ONLY
            p.outcome_code = code(ent.outcome.value)
        p.level = level
        p.kind_code, p.customer_code = code(p.kind), code(customer)
        p.level_code, p.severity_code, p.type_code = code(level), code(severity), code(rtype)
        p.severity_rank = self.sev_rank.get(severity or "", len(self.sev_rank))
        p.restore_due = p.kind == "technical" and severity in self.restore_severities
        if level is not None:
            clock = self.coverage.level_clock(level, severity)
            p.clock = None if clock.calendar.is_24x7 else clock
        if self.parts is not None and p.kind == "technical":
            p.parts_need = self.parts.need.get(rtype, 0.0)
        try:
            p.unit = self.units[route(org, cat, rtype)]
        except KeyError:
            p.unit = None
        shares = entry_shares(org, cat, rtype, severity)
        if shares is not None:
            p.entries = (_cumulative(list(shares.values())), [self.units[k] for k in shares])
        return p

    def new_request(self, customer: str, contract: int, severity: str | None, rtype: str,
                    now: float, *, parent: int = -1, level: str | None = None,
                    to: Unit | None = None) -> Ticket:
        """A request reaches the organisation: register, entitle (KCP1), dispatch (KCP2);
        ``to``: the unit that takes it instead (a complaint's stage)."""
        key = (customer, severity, rtype, level)
        p = self.profiles.get(key)
        if p is None:
            p = self.profiles[key] = self.profile(customer, severity, rtype, level)
        tid = len(self.tickets.kind)
        self.ticket_row(p.kind_code, p.customer_code, contract, p.level_code, p.severity_code,
                        p.type_code, now, parent)
        ticket = Ticket(tid, customer, severity, rtype, now, p)
        row = self.row
        row(tid, now, ARRIVED, 0, p.kind_code)
        if p.outcome_code >= 0:
            if p.rejected:
                row(tid, now, REJECTED, 0, self.code("not entitled"))
                row(tid, now, CLOSED, 0, self.code("rejected"))
                return ticket
            row(tid, now, ENTITLED, 0, p.outcome_code)
            ticket.emergency = p.emergency
        if p.parts_need and self.parts_uniform() < p.parts_need:
            k = bisect.bisect_right(self.part_cumulative, self.parts_uniform())
            ticket.part = self.part_names[min(k, len(self.part_names) - 1)]
        unit = p.unit if to is None else to
        if unit is None:
            row(tid, now, CLOSED, 0, self.code("no team handles it"))
            return ticket
        if p.entries is not None:
            assert self.entry_uniform is not None
            unit = _pick(p.entries, self.entry_uniform())
        if self.kcp is not None:
            self.kcp.dispatch(ticket, unit, now, p.kind)  # KCP2 and severity changes
            return ticket
        self.reach(ticket, unit, now)
        return ticket

    # -- a ticket reaches a unit ------------------------------------------------------------
    def reach(self, ticket: Ticket, unit: Unit, now: float) -> None:
        self.row(ticket.id, now, QUEUED, unit.code)
        if unit.by_ola:
            ticket.ola_due = self.ola_deadline(ticket, unit, now)
        ticket.remaining = unit.handling(ticket.severity, ticket.rtype)()
        if unit.tier is not None:
            ticket.visits += 1
            waits = []
            if unit.p_customer and unit.wait_uniform() < unit.p_customer:
                waits.append("customer")
            if ticket.part is not None and ticket.visits == 1:
                waits.append("parts")
            if unit.p_vendor and unit.wait_uniform() < unit.p_vendor:
                waits.append("vendor")
            if self.onsite is not None and ticket.visits == 1:
                self.onsite.plan(ticket, waits)
            ticket.waits = waits
            if unit.timebox is not None:
                self.escalation.start(ticket, unit, now)  # type: ignore[union-attr]
        else:
            ticket.waits = []
        self.admit(ticket, unit, now)

    def admit(self, ticket: Ticket, unit: Unit, now: float) -> None:
        """Put the ticket in the unit's queue now, or when its coverage opens."""
        if ticket.box is not None and \
                self.escalation.back(ticket, unit, now):  # type: ignore[union-attr]
            return  # its time-box ran out while it was away: handed over
        clock = ticket.clock
        if clock is not None and unit.tier is not None and not ticket.emergency and \
                not clock.is_open(now):
            opens = clock.next_open(now)
            self.env.timeout(opens - now).callbacks.append(
                lambda _e: self.admit(ticket, unit, opens))
            return
        unit.enqueue(ticket, now)

    def ola_deadline(self, ticket: Ticket, unit: Unit, now: float) -> float:
        """Deadline of the unit's resolve OLA for a visit starting ``now`` (inf without a
        budget), on the ticket's coverage calendar, without pauses."""
        budget = None if unit.tier is None or ticket.severity is None else \
            unit.tier.ola_budget(ticket.severity, "resolve", ticket.customer)
        if budget is None:
            return math.inf
        if ticket.level is None:
            return now + budget.nominal_minutes
        return self.coverage.budget_deadline(ticket.level, ticket.severity, budget, now)

    def next_deadline(self, ticket: Ticket) -> float:
        if not ticket.engaged:
            clock = ClockName.RESPONSE
        elif ticket.restore_due and not ticket.restored:
            clock = ClockName.RESTORE
        else:
            clock = ClockName.RESOLVE
        return self.deadline(ticket, clock)

    def deadline(self, ticket: Ticket, clock: ClockName) -> float:
        """The ticket's deadline for ``clock`` without pauses (computed once)."""
        if ticket.deadlines is None:
            ticket.deadlines = {}
        value = ticket.deadlines.get(clock)
        if value is None:
            value = ticket.deadlines[clock] = self.coverage.deadline(
                ticket.level, ticket.severity, clock, ticket.arrived)
        return value

    # -- sessions -----------------------------------------------------------------------
    def start_session(self, unit: Unit, ticket: Ticket, now: float) -> None:
        first = not ticket.engaged
        ticket.engaged = True
        ticket.returned = False
        self.row(ticket.id, now, ENGAGED, unit.code, self.first if first else 0)
        if first and self.complaint_share > 0:
            self.check_breach(ticket, ClockName.RESPONSE, now)
        if first and self.updates is not None:
            self.updates.start(ticket, now)
        length = ticket.remaining * (0.3 + 0.4 * unit.uniform()) if ticket.waits \
            else ticket.remaining
        ticket.session_start = now
        ticket.session_len = length
        ticket.token += 1
        unit.busy[ticket.id] = ticket
        token = ticket.token
        self.env.timeout(length).callbacks.append(
            lambda _e: self.end_session(unit, ticket, token))

    def release(self, unit: Unit, ticket: Ticket) -> None:
        """Hand a ticket in service back to the head of the queue (shift end)."""
        now = self.env.now
        del unit.busy[ticket.id]
        ticket.token += 1
        ticket.remaining = max(ticket.remaining - (now - ticket.session_start), 0.0)
        ticket.returned = True
        self.row(ticket.id, now, RELEASED, unit.code, self.shift_end)
        unit.enqueue(ticket, now, dispatch=False)

    def end_session(self, unit: Unit, ticket: Ticket, token: int) -> None:
        if token != ticket.token:
            return  # released at a shift end; the callback is stale
        now = self.env.now
        del unit.busy[ticket.id]
        ticket.remaining = max(ticket.remaining - ticket.session_len, 0.0)
        if ticket.waits:
            self.wait(unit, ticket, ticket.waits.pop(0), now)
        else:
            self.finish(unit, ticket, now)
        unit.dispatch(now)

    def wait(self, unit: Unit, ticket: Ticket, what: str, now: float) -> None:
        if what == "parts":
            assert self.stock is not None and ticket.part is not None
            part = ticket.part

            def ready() -> None:
                delay = self.delivery_delay(ticket)
                self.env.timeout(delay).callbacks.append(
                    lambda _e: self.resume(unit, ticket, "waiting_parts", now))

            in_stock = self.stock.take(part, ready)
            self.row(ticket.id, now, WAITING_PARTS, unit.code,
                     self.code(part if in_stock else f"{part} backorder"))
            return
        if what == "onsite":
            assert self.onsite is not None
            self.onsite.wait(unit, ticket, now)
            return
        event = WAITING_CUSTOMER if what == "customer" else WAITING_VENDOR
        self.row(ticket.id, now, event, unit.code)
        reason = f"waiting_{what}"
        self.env.timeout(unit.waiting[what]()).callbacks.append(
            lambda _e: self.resume(unit, ticket, reason, now))

    def delivery_delay(self, ticket: Ticket) -> float:
        now = self.env.now
        target = None
        if ticket.level is not None and ticket.severity is not None:
            targets = self.cat.levels[ticket.level].targets.get(ticket.severity)
            target = None if targets is None else targets.parts
        if target is None:
            return self.standard()
        if target.kind is DurationKind.ELAPSED:
            return self.express()
        return max(self.coverage.deadline(ticket.level, ticket.severity, ClockName.PARTS, now)
                   - now, 0.0)

    def resume(self, unit: Unit, ticket: Ticket, reason: str, since: float) -> None:
        now = self.env.now
        ticket.pauses.append((since, now, reason))
        self.row(ticket.id, now, RESUMED, unit.code, self.code(reason))
        self.admit(ticket, unit, now)

    def finish(self, unit: Unit, ticket: Ticket, now: float) -> None:
        """End of a ticket's last session at a unit: restore, resolve or hand over."""
        if self.kcp is not None and self.kcp.finish(unit, ticket, now):
            return  # the end of a review
        row = self.row
        if unit.tier is None:
            if self.team_done is not None and self.team_done(ticket, unit, now):
                return  # a callback made
            row(ticket.id, now, RESOLVED, unit.code)
            self.close(ticket, now)
            return
        uniform = unit.uniform
        if unit.matrix is None:
            target = unit.next
            solves = target is None or uniform() < (
                unit.resolves if unit.resolve_of is None else unit.resolve_of(ticket))
        else:
            assert unit.route_uniform is not None
            target = _pick(unit.matrix, unit.route_uniform())
            solves = target is None
        if ticket.box is not None:
            solves = Escalation.solves(ticket, solves, target is None)
        if self.max_visits and ticket.visits >= self.max_visits:
            solves = True  # the visit cap: this tier resolves it
        if ticket.emergency:
            if solves or uniform() < unit.restores:
                self.restore(ticket, unit, now)
                row(ticket.id, now, CLOSED, unit.code, self.code("emergency recovery"))
                return
        elif solves:
            if self.kcp is None or not self.kcp.review(unit, ticket, now):
                self.resolve(ticket, unit, now)
            return
        elif ticket.restore_due and not ticket.restored and uniform() < unit.restores:
            self.restore(ticket, unit, now)
        assert target is not None
        row(ticket.id, now, HANDED_OVER, unit.code, target.code)
        delay = 0.0 if unit.handover is None else unit.handover()
        if delay <= 0:
            self.reach(ticket, target, now)
        else:
            self.env.timeout(delay).callbacks.append(
                lambda _e: self.reach(ticket, target, self.env.now))

    def resolve(self, ticket: Ticket, unit: Unit, now: float) -> None:
        """The tier ``unit`` resolves the ticket (restoring it first if due): a knowledge
        article may be written, a permanent fix may defer the resolution (``fix_pending``
        now, :meth:`resolved` later); otherwise :meth:`resolved` now."""
        if ticket.restore_due and not ticket.restored:
            self.restore(ticket, unit, now)
        escalation = self.escalation
        if escalation is not None:
            if unit.writes:
                escalation.resolved_by(ticket, unit, now)
            if escalation.fix and escalation.deferred(ticket, unit, now):
                return
        self.resolved(ticket, unit, now)

    def resolved(self, ticket: Ticket, unit: Unit, now: float) -> None:
        """``unit`` resolves the ticket now; its closure follows."""
        self.row(ticket.id, now, RESOLVED, unit.code)
        if self.updates is not None:
            self.updates.stop(ticket)
        if self.complaint_share > 0:
            self.check_breach(ticket, ClockName.RESOLVE, now)
        self.close(ticket, now, unit if self.reopen is not None or self.kcp is not None
                   else None)

    def restore(self, ticket: Ticket, unit: Unit, now: float) -> None:
        ticket.restored = True
        self.row(ticket.id, now, RESTORED, unit.code)
        if self.complaint_share > 0:
            self.check_breach(ticket, ClockName.RESTORE, now)

    def close(self, ticket: Ticket, now: float, tier: Unit | None = None) -> None:
        """Closure after the customer's confirmation, and the satisfaction callback. Nothing
        happens to a ticket after it is resolved, so both rows are written at once with
        their (later) times, unless they fall after the horizon: the log is in time order
        per ticket, not overall (:meth:`EventLog.to_frame` sorts it). With ``reopen``, a
        ticket resolved at ``tier`` may come back there after the closure; it then gets no
        callback for this closure."""
        when = now if self.confirmation is None else now + max(self.confirmation(), 0.0)
        if self.kcp is not None and self.kcp.closing(ticket, tier, when):
            return  # KCP5: not confirmed, reopened at ``tier``
        if when >= self.horizon:
            return
        self.row(ticket.id, when, CLOSED, 0,
                 0 if self.kcp is None or tier is None else self.kcp.confirmed)
        reopen = self.reopen
        if tier is not None and reopen is not None and \
                self.reopen_uniform() < reopen.probability:
            at = when + max(self.reopen_delay(), 0.0)
            if at < self.horizon:
                self.reopening.add(ticket.id)
                self.env.timeout(at - self.env.now).callbacks.append(
                    lambda _e: self.reopened(ticket, tier, at))
                return
        callback = self.sc.organisation.callback
        if callback is not None and self.callback_uniform() < callback.share:
            at = when + callback.after.minutes
            if at < self.horizon:
                if self.callbacks is None:
                    self.row(ticket.id, at, CALLBACK)
                else:
                    self.callbacks.call(ticket, at)

    def reopened(self, ticket: Ticket, tier: Unit, now: float) -> None:
        """A closed ticket comes back to the tier that resolved it, as a new visit."""
        self.reopening.discard(ticket.id)
        ticket.reopened = True
        self.row(ticket.id, now, REOPENED, tier.code)
        self.reach(ticket, tier, now)

    # -- complaints ---------------------------------------------------------------------
    def check_breach(self, ticket: Ticket, clock: ClockName, stop: float) -> None:
        """Raise a complaint, with the demand's probability, on the first breached clock.
        The chance is drawn first, so that most checks need no deadline (same law: a
        complaint when the clock is breached and the draw falls below the share)."""
        if ticket.complained or ticket.level is None or ticket.reopened or \
                self.complaint_uniform() >= self.complaint_share:
            return
        deadline = self.deadline(ticket, clock)
        if deadline == math.inf:
            return
        pausing = self.pausing.get(clock)
        if pausing is None:
            pausing = self.pausing[clock] = set(self.cat.pauses(clock))
        if pausing and ticket.pauses:
            bc = self.coverage.level_clock(ticket.level, ticket.severity)
            deadline = bc.extend(deadline, ticket.arrived,
                                 [(a, b) for a, b, why in ticket.pauses if why in pausing])
        if stop <= deadline:
            return
        ticket.complained = True
        now = self.env.now
        self.row(ticket.id, now, COMPLAINT_RAISED, 0, self.code(clock.value))
        if self.stages is not None:
            self.stages.raise_complaint(ticket, now)
        elif any(COMPLAINTS in team.handles for team in self.sc.organisation.teams.values()):
            self.new_request(ticket.customer, 0, None, COMPLAINTS, now, parent=ticket.id,
                             level=ticket.level)


def _cumulative(shares: list[float]) -> list[float]:
    """Cumulative shares, the last exactly 1 (so a draw below 1 always finds a target)."""
    out = np.cumsum(shares).tolist()
    return [*(x / out[-1] for x in out[:-1]), 1.0]


def _pick(choices: tuple[list[float], list[Any]], u: float) -> Any:
    """The choice whose cumulative share first exceeds the uniform ``u``."""
    cumulative, targets = choices
    return targets[bisect.bisect_right(cumulative, u)]
