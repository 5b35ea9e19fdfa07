"""One replication: tickets through tiers and teams under shifts, into an event log.

The engine is callback-driven SimPy: a ticket is not a process. A handling session is one
timeout whose callback decides what happens next; a preempted session is invalidated by a
token instead of being interrupted. There is no polling: tickets that arrive outside their
coverage are parked with one timeout until it opens, shift changes are one process per unit
walking its precomputed staffing steps, and SLA thresholds are computed from timestamps.

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
"""

from __future__ import annotations

import heapq
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import simpy

from itr_sim.engine.arrivals import Arrivals, generate_arrivals
from itr_sim.engine.log import Event, EventLog, TicketTable
from itr_sim.engine.parts import Stock
from itr_sim.engine.staffing import Staffing, staffing_of
from itr_sim.model.catalog import ClockName
from itr_sim.model.demand import Customer
from itr_sim.model.load import LoadedScenario
from itr_sim.model.org import QueueDiscipline, StaffedUnit, Tier
from itr_sim.rules.coverage import Coverage
from itr_sim.rules.dispatch import COMPLAINTS, queue_key, route
from itr_sim.rules.entitlement import Outcome, entitle
from itr_sim.units import DurationKind

__all__ = ["Replication", "ReplicationResult", "Source", "scenario_origin"]


class Source:
    """Random sources; each gets its own stream (per unit or customer where it matters)."""

    ARRIVALS = 0
    HANDLING = 1
    ROUTING = 2
    WAITING = 3
    PARTS = 4
    COMPLAINTS = 5
    CLOSURE = 6


def scenario_origin(loaded: LoadedScenario) -> datetime:
    """The scenario start as an aware datetime in the organisation's time zone."""
    start = loaded.scenario.start
    return start.replace(tzinfo=ZoneInfo(loaded.scenario.organisation.timezone))


class Ticket:
    __slots__ = (
        "arrived",
        "complained",
        "customer",
        "deadlines",
        "emergency",
        "engaged",
        "id",
        "level",
        "part",
        "pauses",
        "remaining",
        "restore_due",
        "restored",
        "returned",
        "rtype",
        "session_len",
        "session_start",
        "sev_rank",
        "severity",
        "token",
        "unit",
        "waits",
    )

    def __init__(self, tid: int, customer: str, level: str | None, severity: str | None,
                 rtype: str, sev_rank: int, arrived: float) -> None:
        self.id = tid
        self.customer = customer
        self.level = level
        self.severity = severity
        self.rtype = rtype
        self.sev_rank = sev_rank
        self.arrived = arrived
        self.emergency = False
        self.engaged = False
        self.restored = False
        self.restore_due = False
        self.complained = False
        self.returned = False
        self.part: str | None = None
        self.waits: list[str] = []
        self.pauses: list[tuple[float, float, str]] = []
        self.remaining = 0.0
        self.session_start = 0.0
        self.session_len = 0.0
        self.token = 0
        self.unit = ""
        self.deadlines: dict[ClockName, float] = {}


class Unit:
    """A staffed tier or team: a priority queue and the tickets in service."""

    def __init__(self, sim: Replication, name: str, spec: StaffedUnit, staffing: Staffing):
        self.sim = sim
        self.name = name
        self.spec = spec
        self.tier = spec if isinstance(spec, Tier) else None
        self.by_deadline = spec.queue is QueueDiscipline.DEADLINE
        self.staffing = staffing
        self.capacity = staffing.at(0.0)
        self.queue: list[tuple[tuple[float, ...], Ticket]] = []
        self.busy: dict[int, Ticket] = {}
        self.max_busy_over_capacity = 0
        root = sim.seeds
        self.handling_rng = sim.stream(Source.HANDLING, name, root)
        self.routing_rng = sim.stream(Source.ROUTING, name, root)
        self.waiting_rng = sim.stream(Source.WAITING, name, root)

    def enqueue(self, ticket: Ticket, *, dispatch: bool = True) -> None:
        ticket.unit = self.name
        deadline = self.sim.next_deadline(ticket) if self.by_deadline else math.inf
        key = queue_key(self.spec.queue, queued_at=self.sim.env.now,
                        severity_rank=ticket.sev_rank, deadline=deadline,
                        seq=ticket.id, returned=ticket.returned)
        heapq.heappush(self.queue, (key, ticket))
        if dispatch:
            self.dispatch()

    def dispatch(self) -> None:
        while len(self.busy) < self.capacity and self.queue:
            _, ticket = heapq.heappop(self.queue)
            self.sim.start_session(self, ticket)

    def set_capacity(self, capacity: int) -> None:
        self.capacity = capacity
        excess = len(self.busy) - capacity
        if excess > 0:
            latest = sorted(self.busy.values(), key=lambda t: (t.session_start, t.id))[-excess:]
            for ticket in latest:
                self.sim.release(self, ticket)
        self.dispatch()

    def shifts(self):  # type: ignore[no-untyped-def]
        env = self.sim.env
        for t, capacity in zip(self.staffing.times, self.staffing.capacity, strict=True):
            if t <= env.now:
                continue
            yield env.timeout(t - env.now)
            self.set_capacity(capacity)


@dataclass
class ReplicationResult:
    log: EventLog
    tickets: TicketTable
    staffing: dict[str, Staffing]
    origin: datetime
    horizon_min: float
    warmup_min: float
    replication: int


class Replication:
    """One replication of a loaded scenario."""

    def __init__(self, loaded: LoadedScenario, seeds: np.random.SeedSequence,
                 replication: int = 0, arrivals: Arrivals | None = None) -> None:
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
        org = self.sc.organisation
        calendars = {name: self.cat.calendar(name) for name in self.cat.calendars}
        specs: dict[str, StaffedUnit] = {**org.tiers, **org.teams}
        self.units = {name: Unit(self, name, spec, staffing_of(
            spec, org.timezone, self.origin, self.horizon, calendars))
            for name, spec in specs.items()}
        self.entry = org.entry_tier()
        self.routes: dict[str, str] = {}
        self.sev_rank = {s: i for i, s in enumerate(self.cat.severities)}
        self.restore_severities = {
            sev for level in self.cat.levels.values()
            for sev, target in level.targets.items() if target.restore is not None}
        self.rng_parts = self.stream(Source.PARTS, "parts", seeds)
        self.rng_complaints = self.stream(Source.COMPLAINTS, "complaints", seeds)
        self.rng_closure = self.stream(Source.CLOSURE, "closure", seeds)
        self.stock = Stock(self.env, org.parts, self.rng_parts) if org.parts else None
        self.arrivals = arrivals if arrivals is not None else generate_arrivals(
            self.sc, self.cat, self.origin, self.horizon, seeds, Source.ARRIVALS)

    @staticmethod
    def stream(source: int, name: str, root: np.random.SeedSequence) -> np.random.Generator:
        """A child stream of the replication's seed, keyed by source and name."""
        key = (*root.spawn_key, source, zlib.crc32(name.encode("utf-8")))
        return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=key))

    # -- running ----------------------------------------------------------------------
    def run(self) -> ReplicationResult:
        for unit in self.units.values():
            self.env.process(unit.shifts())
        self.env.process(self._arrivals())
        self.env.run(until=self.horizon)
        return ReplicationResult(self.log, self.tickets,
                                 {n: u.staffing for n, u in self.units.items()},
                                 self.origin, self.horizon, self.sc.warmup.minutes,
                                 self.replication)

    def _arrivals(self):  # type: ignore[no-untyped-def]
        env, arr = self.env, self.arrivals
        customers = self.sc.demand.customers
        for i in range(len(arr)):
            t = float(arr.time[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            self.new_request(arr.customer[i], int(arr.contract[i]), arr.severity[i],
                             arr.rtype[i], customers.get(arr.customer[i]))

    def new_request(self, customer: str, contract: int, severity: str | None, rtype: str,
                    spec: Customer | None, *, parent: int = -1,
                    level: str | None = None) -> Ticket:
        """A request reaches the organisation: register, entitle (KCP1), dispatch (KCP2).
        Complaints (``rtype == "complaints"``) skip entitlement and keep ``level``."""
        now = self.env.now
        kind = "complaint" if rtype == COMPLAINTS else self.cat.request_types[rtype].kind.value
        outcome = None
        if rtype != COMPLAINTS:
            ent = entitle(spec, severity, self.cat.severities[0])
            outcome, level = ent.outcome, ent.level
        tid = self.tickets.add(kind=kind, customer=customer, contract=contract, level=level,
                               severity=severity, rtype=rtype, arrived=now, parent=parent)
        ticket = Ticket(tid, customer, level, severity, rtype,
                        self.sev_rank.get(severity or "", len(self.sev_rank)), now)
        ticket.restore_due = kind == "technical" and severity in self.restore_severities
        self.log.add(tid, now, Event.ARRIVED, detail=kind)
        if outcome is not None:
            if outcome is Outcome.REJECTED:
                self.log.add(tid, now, Event.REJECTED, detail="not entitled")
                self.log.add(tid, now, Event.CLOSED, detail="rejected")
                return ticket
            self.log.add(tid, now, Event.ENTITLED, detail=outcome.value)
            ticket.emergency = outcome is Outcome.EMERGENCY_ONLY
        parts = self.sc.organisation.parts
        if parts is not None and kind == "technical" and \
                self.rng_parts.uniform() < parts.need.get(rtype, 0.0):
            classes = list(parts.classes.items())
            p = np.array([c.share for _, c in classes])
            ticket.part = classes[int(self.rng_parts.choice(len(classes), p=p / p.sum()))][0]
        unit = self.routes.get(rtype)
        if unit is None:
            try:
                unit = self.routes[rtype] = route(self.sc.organisation, self.cat, rtype)
            except KeyError:
                unit = None
        if unit is None:
            self.log.add(tid, now, Event.CLOSED, detail="no team handles it")
            return ticket
        self.reach(ticket, unit)
        return ticket

    # -- a ticket reaches a unit ------------------------------------------------------------
    def reach(self, ticket: Ticket, unit_name: str) -> None:
        unit = self.units[unit_name]
        self.log.add(ticket.id, self.env.now, Event.QUEUED, unit_name)
        ticket.remaining = float(unit.spec.handling_for(ticket.severity, ticket.rtype)
                                 .sample(unit.handling_rng))
        ticket.waits = []
        if unit.tier is not None:
            waiting = unit.tier.waiting
            if waiting.customer and unit.waiting_rng.uniform() < waiting.customer.probability:
                ticket.waits.append("customer")
            if ticket.part is not None and unit_name == self.entry:
                ticket.waits.append("parts")
            if waiting.vendor and unit.waiting_rng.uniform() < waiting.vendor.probability:
                ticket.waits.append("vendor")
        self.admit(ticket, unit)

    def admit(self, ticket: Ticket, unit: Unit) -> None:
        """Put the ticket in the unit's queue now, or when its coverage opens."""
        now = self.env.now
        if unit.tier is not None and not ticket.emergency and \
                not self.coverage.is_covered(ticket.level, ticket.severity, now):
            opens = self.coverage.next_covered(ticket.level, ticket.severity, now)
            self.env.timeout(opens - now).callbacks.append(
                lambda _e: self.admit(ticket, unit))
            return
        unit.enqueue(ticket)

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
        value = ticket.deadlines.get(clock)
        if value is None:
            value = ticket.deadlines[clock] = self.coverage.deadline(
                ticket.level, ticket.severity, clock, ticket.arrived)
        return value

    # -- sessions -----------------------------------------------------------------------
    def start_session(self, unit: Unit, ticket: Ticket) -> None:
        now = self.env.now
        first = not ticket.engaged
        ticket.engaged = True
        ticket.returned = False
        self.log.add(ticket.id, now, Event.ENGAGED, unit.name, "first" if first else None)
        if first:
            self.check_breach(ticket, ClockName.RESPONSE, now)
        share = unit.routing_rng.uniform(0.3, 0.7) if ticket.waits else 1.0
        ticket.session_start = now
        ticket.session_len = ticket.remaining * share
        ticket.token += 1
        unit.busy[ticket.id] = ticket
        token = ticket.token
        self.env.timeout(ticket.session_len).callbacks.append(
            lambda _e: self.end_session(unit, ticket, token))

    def release(self, unit: Unit, ticket: Ticket) -> None:
        """Hand a ticket in service back to the head of the queue (shift end)."""
        now = self.env.now
        del unit.busy[ticket.id]
        ticket.token += 1
        ticket.remaining = max(ticket.remaining - (now - ticket.session_start), 0.0)
        ticket.returned = True
        self.log.add(ticket.id, now, Event.RELEASED, unit.name, "shift end")
        unit.enqueue(ticket, dispatch=False)

    def end_session(self, unit: Unit, ticket: Ticket, token: int) -> None:
        if token != ticket.token:
            return  # released at a shift end; the callback is stale
        del unit.busy[ticket.id]
        ticket.remaining = max(ticket.remaining - ticket.session_len, 0.0)
        if ticket.waits:
            self.wait(unit, ticket, ticket.waits.pop(0))
        else:
            self.finish(unit, ticket)
        unit.dispatch()

    def wait(self, unit: Unit, ticket: Ticket, what: str) -> None:
        now = self.env.now
        if what == "parts":
            assert self.stock is not None and ticket.part is not None
            part = ticket.part

            def ready() -> None:
                delay = self.delivery_delay(ticket)
                self.env.timeout(delay).callbacks.append(
                    lambda _e: self.resume(unit, ticket, "waiting_parts", now))

            in_stock = self.stock.take(part, ready)
            self.log.add(ticket.id, now, Event.WAITING_PARTS, unit.name,
                         part if in_stock else f"{part} backorder")
            return
        assert unit.tier is not None
        spec = getattr(unit.tier.waiting, what)
        event = Event.WAITING_CUSTOMER if what == "customer" else Event.WAITING_VENDOR
        self.log.add(ticket.id, now, event, unit.name)
        duration = float(spec.duration.sample(unit.waiting_rng))
        reason = f"waiting_{what}"
        self.env.timeout(duration).callbacks.append(
            lambda _e: self.resume(unit, ticket, reason, now))

    def delivery_delay(self, ticket: Ticket) -> float:
        parts = self.sc.organisation.parts
        assert parts is not None
        now = self.env.now
        target = None
        if ticket.level is not None and ticket.severity is not None:
            targets = self.cat.levels[ticket.level].targets.get(ticket.severity)
            target = None if targets is None else targets.parts
        if target is None:
            return float(parts.standard.sample(self.rng_parts))
        if target.kind is DurationKind.ELAPSED:
            return float(parts.express.sample(self.rng_parts))
        return max(self.coverage.deadline(ticket.level, ticket.severity, ClockName.PARTS, now)
                   - now, 0.0)

    def resume(self, unit: Unit, ticket: Ticket, reason: str, since: float) -> None:
        now = self.env.now
        ticket.pauses.append((since, now, reason))
        self.log.add(ticket.id, now, Event.RESUMED, unit.name, reason)
        self.admit(ticket, unit)

    def finish(self, unit: Unit, ticket: Ticket) -> None:
        """End of a ticket's last session at a unit: restore, resolve or hand over."""
        now = self.env.now
        tier = unit.tier
        if tier is None:
            self.log.add(ticket.id, now, Event.RESOLVED, unit.name)
            self.close(ticket)
            return
        last = tier.escalates_to is None
        rng = unit.routing_rng
        solves = last or rng.uniform() < tier.resolves
        if ticket.emergency:
            if solves or rng.uniform() < tier.restores:
                self.restore(ticket, unit)
                self.log.add(ticket.id, now, Event.CLOSED, unit.name, "emergency recovery")
                return
        elif solves:
            if ticket.restore_due and not ticket.restored:
                self.restore(ticket, unit)
            self.log.add(ticket.id, now, Event.RESOLVED, unit.name)
            self.check_breach(ticket, ClockName.RESOLVE, now)
            self.close(ticket)
            return
        elif ticket.restore_due and not ticket.restored and rng.uniform() < tier.restores:
            self.restore(ticket, unit)
        target = tier.escalates_to
        assert target is not None
        self.log.add(ticket.id, now, Event.HANDED_OVER, unit.name, target)
        delay = 0.0 if tier.handover is None else float(tier.handover.sample(rng))
        self.after(delay, lambda: self.reach(ticket, target))

    def restore(self, ticket: Ticket, unit: Unit) -> None:
        ticket.restored = True
        self.log.add(ticket.id, self.env.now, Event.RESTORED, unit.name)
        self.check_breach(ticket, ClockName.RESTORE, self.env.now)

    def close(self, ticket: Ticket) -> None:
        org = self.sc.organisation
        delay = 0.0 if org.confirmation is None else float(
            org.confirmation.sample(self.rng_closure))

        def closed() -> None:
            self.log.add(ticket.id, self.env.now, Event.CLOSED)
            callback = org.callback
            if callback is not None and self.rng_closure.uniform() < callback.share:
                self.after(callback.after.minutes,
                           lambda: self.log.add(ticket.id, self.env.now, Event.CALLBACK))

        self.after(delay, closed)

    def after(self, delay: float, action: Callable[[], None]) -> None:
        if delay <= 0:
            action()
        else:
            self.env.timeout(delay).callbacks.append(lambda _e: action())

    # -- complaints ---------------------------------------------------------------------
    def check_breach(self, ticket: Ticket, clock: ClockName, stop: float) -> None:
        """Raise a complaint, with the demand's probability, on the first breached clock."""
        share = self.sc.demand.complaint_on_breach
        if ticket.complained or share <= 0 or ticket.level is None:
            return
        deadline = self.deadline(ticket, clock)
        if deadline == math.inf:
            return
        pausing = set(self.cat.pauses(clock))
        if pausing and ticket.pauses:
            bc = self.coverage.level_clock(ticket.level, ticket.severity)
            paused = sum(bc.elapsed(a, min(b, stop)) for a, b, why in ticket.pauses
                         if why in pausing and a < stop)
            if paused > 0:
                deadline = bc.add(deadline, paused)
        if stop <= deadline:
            return
        if self.rng_complaints.uniform() >= share:
            return
        ticket.complained = True
        self.log.add(ticket.id, self.env.now, Event.COMPLAINT_RAISED, None, clock.value)
        if any(COMPLAINTS in team.handles for team in self.sc.organisation.teams.values()):
            self.new_request(ticket.customer, 0, None, COMPLAINTS, None,
                             parent=ticket.id, level=ticket.level)
