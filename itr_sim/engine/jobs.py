"""Agent work that is not a ticket's handling: a progress update, a site visit.

A :class:`Job` takes one agent of a unit for its length, queued with the unit's tickets under
the unit's discipline (the job carries the severity of its ticket, and its due time as its
deadline). Only units that receive jobs are built as :class:`JobUnit`; every other unit is a
plain :class:`~itr_sim.engine.staffed.Unit`, so a scenario without jobs runs the same code
as before. A job in progress is not handed back at a shift end: the agent finishes it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from itertools import count

from itr_sim.engine.staffed import Ticket, Unit

__all__ = ["Job", "JobUnit"]

_ids = count(1)


class Job:
    """Work for one agent: ``start(unit, now)`` is called when an agent takes it and returns
    the minutes the agent is busy (negative: nothing to do any more, the agent stays free),
    ``done(now)`` when the agent is free again."""

    __slots__ = ("done", "id", "length", "returned", "session_start", "sev_rank", "start",
                 "token")

    def __init__(self, sev_rank: int, start: Callable[[JobUnit, float], float],
                 done: Callable[[float], None]) -> None:
        self.id = next(_ids) - 2**62   # negative: never a ticket id; rising: FCFS among equals
        self.sev_rank = sev_rank
        self.start, self.done = start, done
        self.returned = False
        self.session_start = 0.0
        self.token = 0


class JobUnit(Unit):
    """A unit that serves tickets and jobs from one queue."""

    def enqueue(self, ticket: Ticket | Job, now: float, *, dispatch: bool = True) -> None:
        if not isinstance(ticket, Job):
            super().enqueue(ticket, now, dispatch=dispatch)
            return
        if dispatch and not self.queue and len(self.busy) < self.capacity:
            self._run(ticket, now)
            return
        heapq.heappush(self.queue, (*self.order(False, now, ticket.sev_rank, now, ticket.id),
                                    ticket))
        if dispatch:
            self.dispatch(now)

    def dispatch(self, now: float) -> None:
        busy, queue = self.busy, self.queue
        while len(busy) < self.capacity and queue:
            item = heapq.heappop(queue)[-1]
            if isinstance(item, Job):
                self._run(item, now)
            else:
                self.sim.start_session(self, item, now)

    def _run(self, job: Job, now: float) -> None:
        length = job.start(self, now)
        if length < 0:
            return
        job.session_start = now
        self.busy[job.id] = job  # type: ignore[assignment]
        self.sim.env.timeout(length).callbacks.append(lambda _e: self._finish(job))

    def _finish(self, job: Job) -> None:
        now = self.sim.env.now
        del self.busy[job.id]
        job.done(now)
        self.dispatch(now)

    def set_capacity(self, capacity: int) -> None:
        now = self.sim.env.now
        self.capacity = capacity
        excess = len(self.busy) - capacity
        if excess > 0:
            tickets = [t for t in self.busy.values() if not isinstance(t, Job)]
            latest = sorted(tickets, key=lambda t: (t.session_start, t.id))
            for ticket in latest[len(latest) - min(excess, len(latest)):]:
                self.sim.release(self, ticket)
        self.dispatch(now)
