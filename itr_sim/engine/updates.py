"""Progress updates: while a ticket is open its sender writes to the customer every cadence.

From the ticket's first engagement an update is due every ``cadence`` (on the ticket's coverage
calendar) after the previous one was sent (the first: after the engagement). When it is due,
an update job joins the queue of the sender (a tier or team) with the ticket's severity and
takes one agent for the update's time; ``update_sent`` (unit = the sender) is written when
the agent finishes, and the next update falls due ``cadence`` later. A ticket's resolution
ends its updates: a due update still queued is dropped, one being written is finished
without a row. A reopened ticket gets no new updates (the update clock covers the first
cycle). docs/engine.md, "Progress updates and site visits".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itr_sim.engine.draws import Draws, Source
from itr_sim.engine.jobs import Job, JobUnit
from itr_sim.engine.log import Event
from itr_sim.engine.staffed import Ticket
from itr_sim.model.org import Organisation
from itr_sim.model.updates import UpdateRule

if TYPE_CHECKING:
    from itr_sim.engine.simulation import Replication

__all__ = ["ProgressUpdates", "job_units"]

UPDATE_SENT = Event.UPDATE_SENT.value


def job_units(org: Organisation) -> set[str]:
    """Units that take jobs besides tickets: the senders of updates and the field team."""
    out = {rule.sender for rules in org.updates.values() for rule in rules.values()}
    if org.onsite is not None:
        out.add(org.onsite.team)
    return out


class _Plan:
    __slots__ = ("cadence", "sender", "time")

    def __init__(self, rule: UpdateRule, sender: JobUnit, time: Draws) -> None:
        self.cadence, self.sender, self.time = rule.cadence.minutes, sender, time


class ProgressUpdates:
    """The updates of one replication."""

    def __init__(self, sim: Replication, rules: dict[str, dict[str, UpdateRule]]) -> None:
        self.sim = sim
        self.plans: dict[tuple[str, str], _Plan] = {}
        for level, by_severity in rules.items():
            for severity, rule in by_severity.items():
                sender = sim.units[rule.sender]
                assert isinstance(sender, JobUnit)
                self.plans[(level, severity)] = _Plan(rule, sender, Draws(
                    rule.time, sim.stream(Source.UPDATES, f"{level}/{severity}")))
        self.open: set[int] = set()   # tickets whose updates run

    def start(self, ticket: Ticket, now: float) -> None:
        """The ticket's first engagement: its first update falls due a cadence later."""
        plan = self.plans.get((ticket.level or "", ticket.severity or ""))
        if plan is None:
            return
        self.open.add(ticket.id)
        self._schedule(ticket, plan, now)

    def stop(self, ticket: Ticket) -> None:
        """The ticket is resolved: no more updates."""
        self.open.discard(ticket.id)

    def _schedule(self, ticket: Ticket, plan: _Plan, since: float) -> None:
        clock = ticket.clock
        due = since + plan.cadence if clock is None else clock.add(since, plan.cadence)
        env = self.sim.env
        if due >= self.sim.horizon:
            return
        env.timeout(due - env.now).callbacks.append(lambda _e: self._due(ticket, plan))

    def _due(self, ticket: Ticket, plan: _Plan) -> None:
        if ticket.id not in self.open:
            return
        sender = plan.sender

        def start(_unit: JobUnit, _now: float) -> float:
            return max(plan.time(), 0.0) if ticket.id in self.open else -1.0

        def done(now: float) -> None:
            if ticket.id in self.open:
                self.sim.row(ticket.id, now, UPDATE_SENT, sender.code)
                self._schedule(ticket, plan, now)

        sender.enqueue(Job(ticket.sev_rank, start, done), self.sim.env.now)
