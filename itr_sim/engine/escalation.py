"""Escalation by time and knowledge, and the permanent fix (docs/engine.md, "Functional
escalation", "Knowledge shift-left", "Permanent fix").

* A tier's **time-box** (``timebox``) ends a visit by a hand-over whatever the resolve coin
  says: ``{work: W}`` caps the visit's handling time at ``W`` (the agent works ``W`` and hands
  over); ``{ola: s}`` runs from ``queued`` at the tier to the share ``s`` of the tier's
  resolve OLA budget (on the ticket's coverage calendar) and, when it runs out, takes the
  ticket from the queue or from its agent at once, or, if it is waiting for the customer, a
  vendor, parts or coverage, hands it over when it comes back.
* ``resolves_by`` makes the resolve share depend on severity and type; knowledge
  (:mod:`itr_sim.engine.knowledge`) raises it per problem class.
* ``permanent_fix`` delays ``resolved`` after the resolving tier's solution by a drawn delay
  per severity (``fix_pending`` marks the solution; the ticket is restored then).

Everything is decided at construction: a scenario without these keys gets no per-ticket work
beyond a few attribute tests, and draws nothing from its streams (Source.ESCALATION,
Source.KNOWLEDGE, Source.FIX), so its event log is unchanged.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from itr_sim.engine.draws import Draws, Source
from itr_sim.engine.knowledge import Shelf
from itr_sim.engine.log import Event
from itr_sim.model.org import Tier

if TYPE_CHECKING:
    from itr_sim.engine.simulation import Replication
    from itr_sim.engine.staffed import Ticket, Unit

__all__ = ["Box", "Escalation", "resolve_share"]

FIX_PENDING, RESOLVED = Event.FIX_PENDING.value, Event.RESOLVED.value


class Box:
    """A running time-box of one tier visit: ``over`` once the OLA time-box has run out;
    ``cut`` when the work time-box has shortened the handling (the visit ends in a hand-over
    once the work is done)."""

    __slots__ = ("cut", "over", "unit")

    def __init__(self, unit: Unit, *, cut: bool = False) -> None:
        self.unit, self.over, self.cut = unit, False, cut


def resolve_share(tier: Tier, severity: str | None, rtype: str) -> float:
    """The tier's resolve share for a ticket: the most specific ``resolves_by`` key
    (severity/type, severity, type), else ``resolves``."""
    by = tier.resolves_by
    for key in (f"{severity}/{rtype}", severity, rtype):
        if key is not None and key in by:
            return by[key]
    return tier.resolves


class Escalation:
    """The mechanisms of one replication, wired into its units at construction."""

    def __init__(self, sim: Replication) -> None:
        self.sim = sim
        org = sim.sc.organisation
        self.shelf = None if org.knowledge is None else Shelf(
            org.knowledge, lambda name: sim.stream(Source.KNOWLEDGE, name))
        for unit in sim.units.values():
            tier = unit.tier
            if tier is None:
                continue
            unit.timebox = tier.timebox
            if tier.resolves_by or (self.shelf is not None and unit.name == self.shelf.tier):
                unit.resolve_of = self._resolver(unit, tier)
            unit.writes = self.shelf is not None and unit.name != self.shelf.tier
        self.fix = {} if org.permanent_fix is None else {
            sev: Draws(dist, sim.stream(Source.FIX, sev))
            for sev, dist in org.permanent_fix.items()}

    @staticmethod
    def wanted(sim: Replication) -> bool:
        """Whether the scenario uses any of these mechanisms."""
        org = sim.sc.organisation
        return (org.knowledge is not None or org.permanent_fix is not None
                or any(t.timebox is not None or t.resolves_by for t in org.tiers.values()))

    def _resolver(self, unit: Unit, tier: Tier) -> Callable[[Ticket], float]:
        cache: dict[tuple[str | None, str], float] = {}
        shelf = self.shelf if self.shelf is not None and unit.name == self.shelf.tier else None
        env = self.sim.env

        def share(ticket: Ticket) -> float:
            key = (ticket.severity, ticket.rtype)
            p0 = cache.get(key)
            if p0 is None:
                p0 = cache[key] = resolve_share(tier, ticket.severity, ticket.rtype)
            if shelf is None:
                return p0
            return shelf.probability(p0, shelf.live(shelf.problem(ticket), env.now))

        return share

    # -- time-boxes ---------------------------------------------------------------------
    def start(self, ticket: Ticket, unit: Unit, now: float) -> None:
        """A visit at a tier with a time-box begins (the handling time is drawn)."""
        box = unit.timebox
        assert box is not None
        if box.work is not None:
            if ticket.remaining > box.work.minutes:
                ticket.remaining = box.work.minutes
                ticket.box = Box(unit, cut=True)
            return
        assert box.ola is not None
        sim = self.sim
        budget = None if ticket.severity is None or unit.tier is None else \
            unit.tier.ola_budget(ticket.severity, "resolve", ticket.customer)
        if budget is None:
            return
        if ticket.level is None:
            due = now + box.ola * budget.nominal_minutes
        else:
            full = sim.coverage.budget_deadline(ticket.level, ticket.severity, budget, now)
            clock = sim.coverage.level_clock(ticket.level, ticket.severity)
            due = math.inf if full == math.inf else \
                clock.add(now, box.ola * clock.elapsed(now, full))
        if due == math.inf:
            return
        record = ticket.box = Box(unit)
        sim.env.timeout(due - now).callbacks.append(lambda _e: self.expire(ticket, record))

    def expire(self, ticket: Ticket, box: Box) -> None:
        """The OLA time-box of a visit runs out: hand the ticket over now if it is queued or
        in service; otherwise when it comes back (:meth:`back`)."""
        if ticket.box is not box:
            return  # that visit ended before
        box.over = True
        sim, unit, now = self.sim, box.unit, self.sim.env.now
        if unit.busy.get(ticket.id) is ticket:
            del unit.busy[ticket.id]
            ticket.token += 1          # the running session's callback becomes stale
            ticket.waits = []
            sim.finish(unit, ticket, now)
            unit.dispatch(now)
            return
        queue = unit.queue
        for i, entry in enumerate(queue):
            if entry[-1] is ticket:
                queue[i] = queue[-1]
                queue.pop()
                heapq.heapify(queue)
                ticket.waits = []
                sim.finish(unit, ticket, now)
                return

    def back(self, ticket: Ticket, unit: Unit, now: float) -> bool:
        """A ticket comes back to ``unit`` (from a wait, or when coverage opens): True when its
        time-box ran out meanwhile and it has been handed over."""
        box = ticket.box
        if box is None or not box.over or box.unit is not unit:
            return False
        ticket.waits = []
        self.sim.finish(unit, ticket, now)
        return True

    @staticmethod
    def solves(ticket: Ticket, solves: bool, last: bool) -> bool:
        """At the end of a visit: the time-box, if used up, overrides the resolve coin (not at
        a tier without a next one). Ends the visit's time-box."""
        box, ticket.box = ticket.box, None
        return solves if box is None or not (box.over or box.cut) or last else False

    # -- knowledge and the permanent fix -------------------------------------------------------
    def resolved_by(self, ticket: Ticket, unit: Unit, now: float) -> None:
        """A resolution at a tier that writes articles."""
        assert self.shelf is not None
        self.shelf.written(self.shelf.problem(ticket), now)

    def deferred(self, ticket: Ticket, unit: Unit, now: float) -> bool:
        """With a permanent fix for the ticket's severity: ``fix_pending`` now, ``resolved``
        (and what follows it) after the drawn delay; True when deferred."""
        draws = self.fix.get(ticket.severity or "")
        if draws is None or ticket.emergency:
            return False
        sim = self.sim
        sim.row(ticket.id, now, FIX_PENDING, unit.code)
        delay = max(draws(), 0.0)
        sim.env.timeout(delay).callbacks.append(
            lambda _e: sim.resolved(ticket, unit, now + delay))
        return True
