"""Tickets in the engine, and the staffed units (tiers and teams) that serve them."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

from itr_sim.calendar import BusinessClock
from itr_sim.engine.draws import Draws, Source, Uniforms
from itr_sim.engine.draws import stream as draws_stream
from itr_sim.engine.staffing import Staffing
from itr_sim.model.catalog import ClockName
from itr_sim.model.org import QueueDiscipline, StaffedUnit, Tier
from itr_sim.rules.dispatch import queue_order

if TYPE_CHECKING:
    from collections.abc import Callable

    from itr_sim.engine.escalation import Box
    from itr_sim.engine.simulation import Replication
    from itr_sim.model.escalation import Timebox

__all__ = ["Profile", "Ticket", "Unit"]


class Profile:
    """What every ticket of one (customer, severity, request type) shares, worked out once:
    its codes in the log, its KCP1 outcome, its coverage and where it goes first."""

    __slots__ = ("clock", "customer_code", "emergency", "entries", "kind", "kind_code", "level",
                 "level_code", "outcome_code", "parts_need", "rejected", "restore_due",
                 "severity_code", "severity_rank", "type_code", "unit")

    def __init__(self) -> None:
        self.kind = ""
        self.kind_code = self.customer_code = self.level_code = 0
        self.severity_code = self.type_code = self.severity_rank = 0
        self.outcome_code = -1         # -1: no KCP1 decision (complaints)
        self.level: str | None = None
        self.rejected = self.emergency = self.restore_due = False
        self.clock: BusinessClock | None = None   # coverage; None when always covered
        self.parts_need = 0.0
        self.unit: Unit | None = None
        # with entry shares: (cumulative shares, their tiers); None: always ``unit``
        self.entries: tuple[list[float], list[Unit]] | None = None


class Ticket:
    __slots__ = (
        "arrived", "box", "clock", "complained", "customer", "deadlines", "emergency",
        "engaged", "id", "level", "ola_due", "part", "pauses", "problem", "remaining",
        "reopened", "restore_due", "restored", "returned", "rtype", "session_len",
        "session_start", "sev_rank", "severity", "token", "visits", "waits",
    )

    def __init__(self, tid: int, customer: str, severity: str | None, rtype: str,
                 arrived: float, profile: Profile) -> None:
        self.id = tid
        self.customer = customer
        self.level = profile.level
        self.severity = severity
        self.rtype = rtype
        self.sev_rank = profile.severity_rank
        self.arrived = arrived
        self.clock = profile.clock
        self.restore_due = profile.restore_due
        self.emergency = self.engaged = self.restored = False
        self.complained = self.returned = self.reopened = False
        self.part: str | None = None
        self.waits: list[str] = []
        self.pauses: list[tuple[float, float, str]] = []
        self.remaining = self.session_start = self.session_len = 0.0
        self.token = 0
        self.visits = 0           # tier visits so far (reopened work included)
        self.deadlines: dict[ClockName, float] | None = None
        self.ola_due = 0.0  # deadline of the current tier visit's OLA (queue `ola`)
        self.box: Box | None = None   # the running time-box of a tier visit
        self.problem = -1             # knowledge problem class (-1: not drawn yet)


class Unit:
    """A staffed tier or team: a priority queue, the tickets in service and the unit's own
    random streams (handling per distribution, routing and waiting)."""

    def __init__(self, sim: Replication, name: str, spec: StaffedUnit, staffing: Staffing,
                 code: int) -> None:
        self.sim = sim
        self.name = name
        self.code = code
        self.spec = spec
        self.tier = spec if isinstance(spec, Tier) else None
        self.by_deadline = spec.queue is QueueDiscipline.DEADLINE
        self.by_ola = spec.queue is QueueDiscipline.OLA
        self.order = queue_order(spec.queue)
        self.staffing = staffing
        self.capacity = staffing.at(0.0)
        self.queue: list[tuple] = []
        self.busy: dict[int, Ticket] = {}
        def stream(source: int, key: str) -> np.random.Generator:
            return draws_stream(sim.seeds, source, key)

        self.uniform = Uniforms(stream(Source.ROUTING, name))
        self._handling: dict[tuple[str | None, str], Draws] = {}
        self._by_key: dict[str, Draws] = {}
        self.p_customer = self.p_vendor = 0.0
        self.waiting: dict[str, Draws] = {}
        self.handover: Draws | None = None
        self.resolves = self.restores = 1.0
        self.next: Unit | None = None
        # a routing matrix: (cumulative shares, their targets; None = resolved), its stream
        self.matrix: tuple[list[float], list[Unit | None]] | None = None
        self.route_uniform: Uniforms | None = None
        # set by :class:`~itr_sim.engine.escalation.Escalation` when the scenario uses it
        self.timebox: Timebox | None = None
        self.resolve_of: Callable[[Ticket], float] | None = None
        self.writes = False          # its resolutions may write knowledge articles
        tier = self.tier
        if tier is not None:
            self.wait_uniform = Uniforms(stream(Source.WAITING, name))
            for what in ("customer", "vendor"):
                spec_w = getattr(tier.waiting, what)
                if spec_w is not None:
                    setattr(self, f"p_{what}", spec_w.probability)
                    self.waiting[what] = Draws(spec_w.duration,
                                               stream(Source.WAITING, f"{name}/{what}"))
            if tier.handover is not None:
                self.handover = Draws(tier.handover, stream(Source.ROUTING, f"{name}/handover"))
            self.resolves, self.restores = tier.resolves, tier.restores
            if tier.routing is not None:
                self.route_uniform = Uniforms(stream(Source.ROUTING, f"{name}/routing"))

    def handling(self, severity: str | None, rtype: str) -> Draws:
        """The handling-time draws of a ticket: one stream per distribution key."""
        draws = self._handling.get((severity, rtype))
        if draws is None:
            handling = self.spec.handling
            key = next(k for k in (f"{severity}/{rtype}", severity, rtype, "default")
                       if k is not None and k in handling)
            draws = self._by_key.get(key)
            if draws is None:
                draws = self._by_key[key] = Draws(
                    handling[key],
                    draws_stream(self.sim.seeds, Source.HANDLING, f"{self.name}/{key}"))
            self._handling[(severity, rtype)] = draws
        return draws

    def enqueue(self, ticket: Ticket, now: float, *, dispatch: bool = True) -> None:
        if dispatch and not self.queue and len(self.busy) < self.capacity:
            self.sim.start_session(self, ticket, now)  # an agent is free: no queueing
            return
        deadline = self.sim.next_deadline(ticket) if self.by_deadline else \
            ticket.ola_due if self.by_ola else 0.0
        heapq.heappush(self.queue, (*self.order(ticket.returned, now, ticket.sev_rank,
                                                deadline, ticket.id), ticket))
        if dispatch:
            self.dispatch(now)

    def dispatch(self, now: float) -> None:
        busy, queue = self.busy, self.queue
        while len(busy) < self.capacity and queue:
            self.sim.start_session(self, heapq.heappop(queue)[-1], now)

    def set_capacity(self, capacity: int) -> None:
        now = self.sim.env.now
        self.capacity = capacity
        excess = len(self.busy) - capacity
        if excess > 0:
            latest = sorted(self.busy.values(), key=lambda t: (t.session_start, t.id))[-excess:]
            for ticket in latest:
                self.sim.release(self, ticket)
        self.dispatch(now)

    def shifts(self):
        env = self.sim.env
        for t, capacity in zip(self.staffing.times, self.staffing.capacity, strict=True):
            if t <= env.now:
                continue
            yield env.timeout(t - env.now)
            self.set_capacity(capacity)
