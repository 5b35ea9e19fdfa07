"""KCP2 dispatch: where a request goes, and in which order a queue serves it."""

from __future__ import annotations

import math

from itr_sim.model.catalog import Catalog, RequestKind
from itr_sim.model.org import Organisation, QueueDiscipline

__all__ = ["COMPLAINTS", "queue_key", "route"]

COMPLAINTS = "complaints"


def route(org: Organisation, catalog: Catalog, request_type: str) -> str:
    """The unit (tier or team) that takes a new request of this type."""
    kind = None if request_type == COMPLAINTS else catalog.request_types[request_type].kind
    if kind is RequestKind.TECHNICAL:
        return org.entry_tier()
    for name, team in org.teams.items():
        if request_type in team.handles:
            return name
    raise KeyError(f"no team handles {request_type!r}")


def queue_key(discipline: QueueDiscipline, *, queued_at: float, severity_rank: int,
              deadline: float, seq: int, returned: bool) -> tuple[float, ...]:
    """Heap key of a waiting ticket: smaller is served first. Work handed back at a shift
    end (``returned``) goes before everything else."""
    head = 0.0 if returned else 1.0
    if discipline is QueueDiscipline.FCFS:
        return (head, queued_at, seq)
    if discipline is QueueDiscipline.SEVERITY:
        return (head, severity_rank, queued_at, seq)
    return (head, deadline if deadline < math.inf else math.inf, queued_at, seq)
