"""Key control points as gates in the engine (``organisation.kcp``, docs/engine.md).

* KCP2, dispatch: a new technical ticket is mis-dispatched with a probability: it goes to a
  wrong tier (drawn among the others), logged as ``misdispatched``, and is queued at its
  right tier after the dispatch delay.
* KCP3 and KCP4, reviews: when a tier has a solution, the ticket waits the review's delay
  (``review_requested``), then takes an agent of the reviewer unit for the review's handling
  time (``engaged`` there); ``reviewed`` says whether it passed. A failed review sends the
  ticket back to the tier that resolved it for rework (a new visit, ``queued`` there); a
  reworked solution is reviewed again from the first review. A ticket with a restore due
  is restored when its solution goes into service: before the implementation review (after
  the solution review, if any). After the last review passes the tier resolves the ticket
  as without reviews (restoring it then if still due).
* KCP5, confirmation: at the end of the confirmation delay the customer does not confirm
  with a probability: ``reopened`` (detail ``not confirmed``) at the tier that resolved it
  instead of ``closed``; a confirmed closure is ``closed`` with detail ``confirmed``.
* Severity changes: at arrival a technical ticket draws whether its severity will change
  (one step up or down) and when; if it is still not resolved then, ``severity_changed``
  (detail = the new severity) is logged and its queue priority follows the new severity
  at once (also while it waits in a ``severity`` queue). Handling times, coverage and the
  engine's complaint trigger keep the severity at arrival; the clocks follow the change
  by the catalogue's policies, in the analysis.

The replication builds :class:`Gates` only when ``organisation.kcp`` is written, so that a
scenario without it does no work here and draws nothing from these streams.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from itr_sim.engine.draws import Draws, Source, Uniforms
from itr_sim.engine.log import Event
from itr_sim.model.kcp import Kcp
from itr_sim.model.org import QueueDiscipline

if TYPE_CHECKING:
    from itr_sim.engine.simulation import Replication
    from itr_sim.engine.staffed import Ticket, Unit

__all__ = ["Gates"]

SEVERITY_CHANGED, MISDISPATCHED = Event.SEVERITY_CHANGED.value, Event.MISDISPATCHED.value
REVIEW_REQUESTED, REVIEWED = Event.REVIEW_REQUESTED.value, Event.REVIEWED.value
REOPENED = Event.REOPENED.value


class _Review:
    """One review stage with its unit, codes and draws."""

    def __init__(self, sim: Replication, name: str, spec) -> None:
        self.unit: Unit = sim.units[spec.reviewer]
        self.name_code = sim.code(name)
        self.passed, self.failed = sim.code(f"{name} passed"), sim.code(f"{name} failed")
        self.delay = None if spec.delay is None else Draws(
            spec.delay, sim.stream(Source.KCP_REVIEW, f"{name}/delay"))
        self.handling = Draws(spec.handling, sim.stream(Source.KCP_REVIEW, f"{name}/handling"))
        self.fails = spec.fails
        self.uniform = Uniforms(sim.stream(Source.KCP_REVIEW, f"{name}/fails"))
        self.severities: frozenset[str] | None = (
            None if spec.severities is None else frozenset(spec.severities))
        self.implementation = name == "implementation"

    def applies(self, severity: str | None) -> bool:
        return self.severities is None or severity in self.severities


class Gates:
    """The KCP gates of one replication."""

    def __init__(self, sim: Replication, spec: Kcp) -> None:
        self.sim = sim
        code = sim.code
        self.tiers = [u for u in sim.units.values() if u.tier is not None]
        d = spec.dispatch
        self.misdispatch = 0.0 if d is None else d.misdispatch
        if d is not None:
            self.dispatch_uniform = Uniforms(sim.stream(Source.KCP_DISPATCH, "misdispatch"))
            self.dispatch_delay = Draws(d.delay, sim.stream(Source.KCP_DISPATCH, "delay"))
        self.reviews = [_Review(sim, name, r) for name, r in spec.reviews()]
        self.under_review: dict[int, tuple[int, Unit]] = {}   # ticket -> (stage, its tier)
        self.fails = 0.0 if spec.confirmation is None else spec.confirmation.fails
        self.confirm_uniform = Uniforms(sim.stream(Source.KCP_CHANGES, "confirmation"))
        self.not_confirmed = code("not confirmed")
        self.confirmed = code("confirmed") if spec.confirmation is not None else 0
        severities = list(sim.cat.severities)
        self.changes: dict[str, tuple[float, float, Draws, str | None, str | None]] = {}
        for sev, change in spec.severity_changes.items():
            i = severities.index(sev)
            self.changes[sev] = (
                change.upgrade, change.downgrade,
                Draws(change.after, sim.stream(Source.KCP_CHANGES, f"after/{sev}")),
                severities[i - 1] if i > 0 else None,
                severities[i + 1] if i + 1 < len(severities) else None)
        self.by_severity = [u for u in sim.units.values()
                            if u.spec.queue is QueueDiscipline.SEVERITY]
        self.change_uniform = Uniforms(sim.stream(Source.KCP_CHANGES, "severity changes"))
        self.changing: dict[int, str] = {}   # ticket -> the severity it is to change to

    # -- KCP2 and severity changes, at arrival -----------------------------------------
    def dispatch(self, ticket: Ticket, unit: Unit, now: float, kind: str) -> None:
        """Send a new ticket to ``unit``, its right unit, through the dispatch check."""
        sim = self.sim
        if kind == "technical" and not ticket.emergency:
            if ticket.severity in self.changes:
                self._draw_change(ticket, now)
            if self.misdispatch and unit.tier is not None and len(self.tiers) > 1 and \
                    self.dispatch_uniform() < self.misdispatch:
                others = [t for t in self.tiers if t is not unit]
                wrong = others[min(int(self.dispatch_uniform() * len(others)),
                                   len(others) - 1)]
                sim.row(ticket.id, now, MISDISPATCHED, wrong.code, unit.code)
                at = now + max(self.dispatch_delay(), 0.0)
                sim.env.timeout(at - now).callbacks.append(
                    lambda _e: sim.reach(ticket, unit, at))
                return
        sim.reach(ticket, unit, now)

    def _draw_change(self, ticket: Ticket, now: float) -> None:
        up, down, after, higher, lower = self.changes[ticket.severity or ""]
        u = self.change_uniform()
        if u < up:
            new = higher
        elif u < up + down:
            new = lower
        else:
            return
        if new is None:
            return
        at = now + max(after(), 0.0)
        self.changing[ticket.id] = new
        self.sim.env.timeout(at - now).callbacks.append(lambda _e: self._change(ticket, at))

    def _change(self, ticket: Ticket, now: float) -> None:
        new = self.changing.pop(ticket.id, None)
        if new is None:
            return  # resolved before the change was due
        sim = self.sim
        sim.row(ticket.id, now, SEVERITY_CHANGED, 0, sim.code(new))
        ticket.sev_rank = rank = sim.sev_rank[new]
        for unit in self.by_severity:  # a waiting ticket moves to its new place at once
            queue = unit.queue
            for i, entry in enumerate(queue):
                if entry[-1] is ticket:
                    queue[i] = (entry[0], rank, *entry[2:])
                    heapq.heapify(queue)
                    break

    # -- KCP3 and KCP4 ------------------------------------------------------------------
    def review(self, tier: Unit, ticket: Ticket, now: float) -> bool:
        """A tier has a solution: send it to the first review that applies; False when no
        review applies (the tier resolves it at once)."""
        return self._request(tier, ticket, now, 0)

    def _request(self, tier: Unit, ticket: Ticket, now: float, start: int) -> bool:
        stage = next((i for i in range(start, len(self.reviews))
                      if self.reviews[i].applies(ticket.severity)), None)
        if stage is None:
            return False
        r, sim = self.reviews[stage], self.sim
        if r.implementation and ticket.restore_due and not ticket.restored:
            sim.restore(ticket, tier, now)  # the solution is in service: restored
        self.under_review[ticket.id] = (stage, tier)
        sim.row(ticket.id, now, REVIEW_REQUESTED, r.unit.code, r.name_code)
        ticket.remaining = r.handling()
        ticket.waits = []
        delay = 0.0 if r.delay is None else max(r.delay(), 0.0)
        if delay <= 0:
            sim.admit(ticket, r.unit, now)
        else:
            at, unit = now + delay, r.unit
            sim.env.timeout(delay).callbacks.append(lambda _e: sim.admit(ticket, unit, at))
        return True

    def finish(self, unit: Unit, ticket: Ticket, now: float) -> bool:
        """End of a session at ``unit``: True when it was a review (handled here)."""
        under = self.under_review.pop(ticket.id, None)
        if under is None:
            return False
        stage, tier = under
        r, sim = self.reviews[stage], self.sim
        if r.fails and r.uniform() < r.fails:
            sim.row(ticket.id, now, REVIEWED, unit.code, r.failed)
            sim.reach(ticket, tier, now)  # rework at the tier, a new visit
            return True
        sim.row(ticket.id, now, REVIEWED, unit.code, r.passed)
        if not self._request(tier, ticket, now, stage + 1):
            sim.resolve(ticket, tier, now)
        return True

    # -- KCP5 ---------------------------------------------------------------------------
    def closing(self, ticket: Ticket, tier: Unit | None, when: float) -> bool:
        """The ticket is resolved now and would close at ``when``: drop a severity change
        still to come; True when the customer does not confirm (it then reopens at
        ``tier`` at ``when``, unless that is past the horizon)."""
        if self.changing:
            self.changing.pop(ticket.id, None)
        if not self.fails or tier is None or self.confirm_uniform() >= self.fails:
            return False
        sim = self.sim
        if when < sim.horizon:
            sim.env.timeout(when - sim.env.now).callbacks.append(
                lambda _e: self._not_confirmed(ticket, tier, when))
        return True

    def _not_confirmed(self, ticket: Ticket, tier: Unit, now: float) -> None:
        sim = self.sim
        ticket.reopened = True
        sim.row(ticket.id, now, REOPENED, tier.code, self.not_confirmed)
        sim.reach(ticket, tier, now)
