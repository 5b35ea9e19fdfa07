"""KCP2 dispatch: where a request goes, and in which order a queue serves it."""

from __future__ import annotations

from collections.abc import Callable

from itr_sim.model.catalog import Catalog, RequestKind
from itr_sim.model.org import Organisation, QueueDiscipline

__all__ = ["COMPLAINTS", "QueueOrder", "entry_shares", "queue_order", "route"]

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


def entry_shares(org: Organisation, catalog: Catalog, request_type: str,
                 severity: str | None) -> dict[str, float] | None:
    """Where a new technical request of this severity enters when the organisation gives
    entry shares (tier -> share); None when it always enters at :func:`route`'s tier."""
    if not isinstance(org.entry, dict) or request_type == COMPLAINTS or \
            catalog.request_types[request_type].kind is not RequestKind.TECHNICAL:
        return None
    return org.entry_shares(severity)


QueueOrder = Callable[[bool, float, int, float, int], tuple[float, ...]]


def _fcfs(returned: bool, queued_at: float, severity_rank: int, deadline: float, seq: int
          ) -> tuple[float, ...]:
    return (0.0 if returned else 1.0, queued_at, seq)


def _severity(returned: bool, queued_at: float, severity_rank: int, deadline: float, seq: int
              ) -> tuple[float, ...]:
    return (0.0 if returned else 1.0, severity_rank, queued_at, seq)


def _deadline(returned: bool, queued_at: float, severity_rank: int, deadline: float, seq: int
              ) -> tuple[float, ...]:
    return (0.0 if returned else 1.0, deadline, queued_at, seq)


def _ola(returned: bool, queued_at: float, severity_rank: int, deadline: float, seq: int
         ) -> tuple[float, ...]:
    return (0.0 if returned else 1.0, deadline, queued_at, seq)


def queue_order(discipline: QueueDiscipline) -> QueueOrder:
    """The heap key of a waiting ticket under ``discipline``, as
    ``key(returned, queued_at, severity_rank, deadline, seq)``: smaller is served first.
    Work handed back at a shift end (``returned``) goes before everything else; then FCFS
    by queueing time, or the most severe first, or the earliest SLA deadline first (``inf``
    without a target), or (``ola``) the earliest deadline of the tier's resolve OLA for the
    ticket's visit (``inf`` without a budget), each FCFS among equals."""
    return {QueueDiscipline.FCFS: _fcfs, QueueDiscipline.SEVERITY: _severity,
            QueueDiscipline.DEADLINE: _deadline, QueueDiscipline.OLA: _ola}[discipline]
