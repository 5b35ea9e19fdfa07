"""Complaints in stages, and callbacks that take agent time and carry a survey.

Both are optional (``organisation.complaints``; ``organisation.callback.team`` or
``.survey``); the replication builds them once and calls them from a few hooks, so a scenario
without them runs exactly as before (docs/engine.md, "Complaints in stages" and
"Satisfaction survey").

Complaints in stages: a complaint starts at the first stage's team (a major one at the major
stage) and each stage has a limit counted from the complaint's arrival. When a stage's limit
passes before the complaint is resolved there, the work there stops (its agent or queue place
is freed) and the complaint goes to the next stage's team (``complaint_escalated``); at the
last stage the limit passing is written as ``complaint_overdue`` and the work goes on.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import TYPE_CHECKING

from itr_sim.engine.draws import Draws, Source, Uniforms
from itr_sim.engine.log import Event
from itr_sim.engine.staffed import Ticket, Unit
from itr_sim.rules.dispatch import COMPLAINTS

if TYPE_CHECKING:
    from itr_sim.engine.simulation import Replication

__all__ = ["Callbacks", "Stages", "team_hook"]

ESCALATED, OVERDUE = Event.COMPLAINT_ESCALATED.value, Event.COMPLAINT_OVERDUE.value
MAJOR, ANSWERED = Event.COMPLAINT_MAJOR.value, Event.SURVEY_ANSWERED.value
QUEUED, CALLBACK = Event.QUEUED.value, Event.CALLBACK.value


class Stages:
    """The staged complaint procedure of one replication."""

    def __init__(self, sim: Replication) -> None:
        spec = sim.sc.organisation.complaints
        assert spec is not None
        self.sim = sim
        self.units = [sim.units[s.team] for s in spec.stages]
        self.limits = [s.limit for s in spec.stages]
        service = sim.cat.complaints
        self.clock = None if service is None else sim.coverage.clock(service.calendar)
        self.open: dict[int, int] = {}   # complaint ticket id -> index of its stage
        self.limit_code = sim.code("limit")
        major = spec.major
        self.vip: set[str] = set(major.vip) if major is not None else set()
        self.major_stage = min(1, len(self.units) - 1)
        if major is not None and major.stage is not None:
            self.major_stage = [s.team for s in spec.stages].index(major.stage)
        self.repeated = None if major is None else major.repeated
        if self.repeated is not None:
            severities = self.repeated.severities or [sim.cat.severities[0]]
            self.severity_codes = {sim.code(s) for s in severities}

    def deadline(self, arrived: float, stage: int) -> float:
        """When ``stage``'s limit passes for a complaint that arrived at ``arrived``: on the
        catalogue's complaint calendar, or in elapsed time without one."""
        limit = self.limits[stage]
        if self.clock is None:
            return arrived + limit.nominal_minutes
        return self.clock.deadline(arrived, limit)

    def major(self, parent: Ticket, now: float) -> str | None:
        """Why a complaint about ``parent`` is major (``vip``, ``repeated``), or None."""
        if parent.customer in self.vip:
            return "vip"
        rule = self.repeated
        if rule is None:
            return None
        table = self.sim.tickets
        customer, contract = table.customer[parent.id], table.contract[parent.id]
        since = now - rule.within.minutes
        arrived, severity, codes = table.arrived, table.severity, self.severity_codes
        count = 0
        i = len(table) - 1
        while i >= 0 and arrived[i] >= since:  # ticket ids follow arrival times
            if table.customer[i] == customer and table.contract[i] == contract and \
                    severity[i] in codes:
                count += 1
                if count >= rule.tickets:
                    return "repeated"
            i -= 1
        return None

    def raise_complaint(self, parent: Ticket, now: float) -> None:
        """A new complaint about ``parent``, to the first stage (a major one to the major
        stage)."""
        sim = self.sim
        reason = self.major(parent, now)
        stage = self.major_stage if reason is not None else 0
        contract = sim.tickets.contract[parent.id]
        ticket = sim.new_request(parent.customer, contract, None, COMPLAINTS, now,
                                 parent=parent.id, level=parent.level, to=self.units[stage])
        if reason is not None:
            sim.row(ticket.id, now, MAJOR, self.units[stage].code, sim.code(reason))
        self.enter(ticket, stage, now)

    def enter(self, ticket: Ticket, stage: int, now: float) -> None:
        self.open[ticket.id] = stage
        at = self.deadline(ticket.arrived, stage)
        if at < self.sim.horizon:
            self.sim.env.timeout(max(at - now, 0.0)).callbacks.append(
                lambda _e: self.limit_passed(ticket, stage))

    def limit_passed(self, ticket: Ticket, stage: int) -> None:
        if self.open.get(ticket.id) != stage:
            return  # resolved there, or moved on
        sim, unit = self.sim, self.units[stage]
        now = sim.env.now
        if stage + 1 == len(self.units):
            sim.row(ticket.id, now, OVERDUE, unit.code)
            return
        withdraw(unit, ticket)
        target = self.units[stage + 1]
        sim.row(ticket.id, now, ESCALATED, target.code, self.limit_code)
        sim.reach(ticket, target, now)
        self.enter(ticket, stage + 1, now)
        unit.dispatch(now)

    def done(self, ticket: Ticket) -> None:
        """The complaint was resolved at its stage."""
        self.open.pop(ticket.id, None)


def withdraw(unit: Unit, ticket: Ticket) -> None:
    """Take a ticket out of a unit: stop its session (the agent is free) or its queue place."""
    if ticket.id in unit.busy:
        del unit.busy[ticket.id]
        ticket.token += 1  # the session's end is now stale
    else:
        queue = unit.queue
        queue[:] = [entry for entry in queue if entry[-1] is not ticket]
        heapq.heapify(queue)
    ticket.returned = False


class Callbacks:
    """Callbacks made by a team's agents, and the survey they carry."""

    def __init__(self, sim: Replication) -> None:
        spec = sim.sc.organisation.callback
        assert spec is not None
        self.sim = sim
        self.unit = None if spec.team is None else sim.units[spec.team]
        self.handling = None if spec.handling is None else Draws(
            spec.handling, sim.stream(Source.SURVEY, "callback handling"))
        self.response = 0.0 if spec.survey is None else spec.survey.response
        self.uniform = Uniforms(sim.stream(Source.SURVEY, "survey response"))
        self.calling: set[int] = set()

    def call(self, ticket: Ticket, at: float) -> None:
        """A callback due at ``at`` (before the horizon) about a closed ticket."""
        sim = self.sim
        if self.unit is None:
            sim.row(ticket.id, at, CALLBACK)
            self.survey(ticket, at, 0)
            return
        sim.reopening.add(ticket.id)  # rows still to come: kept from the streaming sink
        sim.env.timeout(at - sim.env.now).callbacks.append(lambda _e: self.queue(ticket, at))

    def queue(self, ticket: Ticket, now: float) -> None:
        unit = self.unit
        assert unit is not None and self.handling is not None
        ticket.remaining = self.handling()
        ticket.waits = []
        ticket.returned = False
        self.calling.add(ticket.id)
        self.sim.row(ticket.id, now, QUEUED, unit.code)
        unit.enqueue(ticket, now)

    def done(self, ticket: Ticket, unit: Unit, now: float) -> bool:
        """End of a session at a team: True when it was a callback (written here)."""
        if ticket.id not in self.calling:
            return False
        self.calling.discard(ticket.id)
        self.sim.reopening.discard(ticket.id)
        self.sim.row(ticket.id, now, CALLBACK, unit.code)
        self.survey(ticket, now, unit.code)
        return True

    def survey(self, ticket: Ticket, now: float, unit: int) -> None:
        """The survey is answered with the response share (complaints are not surveyed)."""
        if self.response > 0 and ticket.rtype != COMPLAINTS and self.uniform() < self.response:
            self.sim.row(ticket.id, now, ANSWERED, unit)


def team_hook(stages: Stages | None, callbacks: Callbacks | None
              ) -> Callable[[Ticket, Unit, float], bool] | None:
    """What the replication calls when a team finishes a session's work: True when the work
    was a callback (nothing more to do), False to resolve the ticket as usual. None when
    neither mechanism is in use."""
    if stages is None and (callbacks is None or callbacks.unit is None):
        return None

    def hook(ticket: Ticket, unit: Unit, now: float) -> bool:
        if callbacks is not None and callbacks.done(ticket, unit, now):
            return True
        if stages is not None:
            stages.done(ticket)
        return False

    return hook
