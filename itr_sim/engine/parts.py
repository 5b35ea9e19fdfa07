"""Spare-parts stock per part class under a base-stock policy.

Every unit taken triggers a replenishment order with the class's lead time (order-up-to the
initial stock). When the shelf is empty, requests wait in order of arrival (backorders) and
each arriving replenishment serves the oldest one first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import simpy

from itr_sim.engine.draws import Draws, Source, stream
from itr_sim.model.org import Parts

__all__ = ["Stock"]


class Stock:
    def __init__(self, env: simpy.Environment, spec: Parts, seeds: np.random.SeedSequence
                 ) -> None:
        self.env = env
        self.spec = spec
        self.lead = {name: Draws(c.replenish, stream(seeds, Source.PARTS, f"lead/{name}"))
                     for name, c in spec.classes.items()}
        self.on_hand = {name: c.stock for name, c in spec.classes.items()}
        self.backorders: dict[str, deque[Callable[[], None]]] = {
            name: deque() for name in spec.classes}

    def take(self, part: str, ready: Callable[[], None]) -> bool:
        """Take a unit of ``part``; ``ready`` is called when one is available (at once when
        in stock). Returns False on a stock-out."""
        lead = self.lead[part]()
        self.env.timeout(lead).callbacks.append(lambda _e: self._replenished(part))
        if self.on_hand[part] > 0:
            self.on_hand[part] -= 1
            ready()
            return True
        self.backorders[part].append(ready)
        return False

    def _replenished(self, part: str) -> None:
        if self.backorders[part]:
            self.backorders[part].popleft()()
        else:
            self.on_hand[part] += 1
