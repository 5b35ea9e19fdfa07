"""Knowledge articles per problem class (shift-left, docs/engine.md "Knowledge shift-left").

Each technical ticket belongs to one of ``classes`` problem classes, drawn when it is first
needed: class k (0-based) has a share proportional to 1/(k+1)^zipf. A resolution at a tier
other than the knowledge tier writes an article for the ticket's class with probability
``create``; the article stays live for a drawn ``lifetime`` (forever without one). The
knowledge tier resolves a ticket of a class with n live articles with probability
p0 + (max - p0) (1 - 2^(-n/half)), p0 being its own resolve share for the ticket.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from itr_sim.engine.draws import Draws, Uniforms
from itr_sim.model.escalation import Knowledge

if TYPE_CHECKING:
    from itr_sim.engine.staffed import Ticket

__all__ = ["Shelf", "class_shares"]


def class_shares(classes: int, zipf: float) -> np.ndarray:
    """Share of each problem class: proportional to 1/k^zipf for k = 1..classes."""
    weights = np.arange(1, classes + 1, dtype=float) ** -zipf
    return weights / weights.sum()


class Shelf:
    """The live articles per problem class of one replication."""

    def __init__(self, spec: Knowledge, stream: Callable[[str], np.random.Generator]) -> None:
        self.spec = spec
        self.tier = spec.tier
        self.classes = spec.classes
        self.cumulative = None if spec.zipf == 0 else \
            np.cumsum(class_shares(spec.classes, spec.zipf)).tolist()
        self.class_uniform = Uniforms(stream("class"))
        self.create_uniform = Uniforms(stream("create"))
        self.lifetime = None if spec.lifetime is None else Draws(spec.lifetime,
                                                                 stream("lifetime"))
        self.count: dict[int, int] = {}             # articles per class, without a lifetime
        self.expiry: dict[int, list[float]] = {}    # heaps of expiry times, with one
        self.created = 0

    def problem(self, ticket: Ticket) -> int:
        """The ticket's problem class, drawn on first use."""
        if ticket.problem < 0:
            u = self.class_uniform()
            if self.cumulative is None:
                ticket.problem = min(int(u * self.classes), self.classes - 1)
            else:
                ticket.problem = min(bisect.bisect_right(self.cumulative, u), self.classes - 1)
        return ticket.problem

    def live(self, problem: int, now: float) -> int:
        """Articles of the class live at ``now``."""
        if self.lifetime is None:
            return self.count.get(problem, 0)
        heap = self.expiry.get(problem)
        if not heap:
            return 0
        while heap and heap[0] <= now:
            heapq.heappop(heap)
        return len(heap)

    def written(self, problem: int, now: float) -> None:
        """A resolution at an authoring tier: an article with probability ``create``."""
        if self.create_uniform() >= self.spec.create:
            return
        self.created += 1
        if self.lifetime is None:
            self.count[problem] = self.count.get(problem, 0) + 1
        else:
            heapq.heappush(self.expiry.setdefault(problem, []),
                           now + max(self.lifetime(), 0.0))

    def probability(self, p0: float, articles: int) -> float:
        return self.spec.probability(p0, articles)
