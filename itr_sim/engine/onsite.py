"""Site visits: a share of technical tickets needs a field engineer.

At a ticket's first tier visit it needs a visit with the largest share of ``onsite.share``
among its request type and severity (own random stream). The visit is a waiting state of
that tier, after the parts wait and before the vendor wait: the session before it does part
of the work (remote diagnosis), then ``waiting_onsite`` (unit = the tier) releases the
agent and a visit job joins the field team's queue. An engineer on duty takes it, travels
(``travel``), writes ``onsite_arrived`` (unit = the field team) on arrival, stays for the
team's handling time and is free again; the ticket then resumes at the tier
(``resumed``, detail ``waiting_onsite``) for the rest of its work. The engineer is busy
from setting out to leaving the site and finishes a visit begun before the shift ends.
docs/engine.md, "Progress updates and site visits".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itr_sim.engine.draws import Draws, Source, Uniforms
from itr_sim.engine.jobs import Job, JobUnit
from itr_sim.engine.log import Event
from itr_sim.engine.staffed import Ticket, Unit
from itr_sim.model.updates import Onsite

if TYPE_CHECKING:
    from itr_sim.engine.simulation import Replication

__all__ = ["Visits"]

WAITING_ONSITE, ONSITE_ARRIVED = Event.WAITING_ONSITE.value, Event.ONSITE_ARRIVED.value
WAIT = "onsite"
"""The visit's name among a ticket's waits (``Ticket.waits``)."""


class Visits:
    """The site visits of one replication."""

    def __init__(self, sim: Replication, spec: Onsite) -> None:
        self.sim = sim
        self.spec = spec
        team = sim.units[spec.team]
        assert isinstance(team, JobUnit)
        self.team = team
        self.need_uniform = Uniforms(sim.stream(Source.ONSITE, "need"))
        self.travel = Draws(spec.travel, sim.stream(Source.ONSITE, "travel"))
        self._need: dict[tuple[str | None, str], float] = {}

    def plan(self, ticket: Ticket, waits: list[str]) -> None:
        """At the ticket's first tier visit: add the visit to its waits if it needs one."""
        key = (ticket.severity, ticket.rtype)
        share = self._need.get(key)
        if share is None:
            share = self._need[key] = self.spec.need(*key)
        if share > 0 and self.need_uniform() < share:
            waits.insert(waits.index("vendor") if "vendor" in waits else len(waits), WAIT)

    def wait(self, unit: Unit, ticket: Ticket, now: float) -> None:
        """The tier's session before the visit has ended: send an engineer."""
        sim, team = self.sim, self.team
        sim.row(ticket.id, now, WAITING_ONSITE, unit.code)

        def start(_unit: JobUnit, at: float) -> float:
            travel = max(self.travel(), 0.0)
            stay = max(team.handling(ticket.severity, ticket.rtype)(), 0.0)
            sim.env.timeout(travel).callbacks.append(
                lambda _e: sim.row(ticket.id, sim.env.now, ONSITE_ARRIVED, team.code))
            return travel + stay

        def done(_at: float) -> None:
            sim.resume(unit, ticket, "waiting_onsite", now)

        team.enqueue(Job(ticket.sev_rank, start, done), now)
