"""Coverage calendars and SLA deadlines of a run, on the engine's time axis: the one
place that turns a level, a severity and a budget into a (pause-extended) deadline."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from itr_sim.calendar import BusinessClock
from itr_sim.model.catalog import Catalog, ClockName
from itr_sim.units import Duration

__all__ = ["Coverage"]


class Coverage:
    """One :class:`BusinessClock` per catalogue calendar, all with the same origin."""

    def __init__(self, catalog: Catalog, origin: datetime) -> None:
        self.catalog = catalog
        self.origin = origin
        self._clocks = {name: BusinessClock(catalog.calendar(name), origin)
                        for name in catalog.calendars}
        self._targets: dict[tuple[str, str, ClockName],
                            tuple[BusinessClock, Duration, int] | None] = {}

    def clock(self, calendar: str) -> BusinessClock:
        return self._clocks[calendar]

    def calendar_of(self, level: str, severity: str | None) -> str:
        spec = self.catalog.levels[level]
        return spec.calendars.get(severity or "", spec.calendar)

    def level_clock(self, level: str, severity: str | None) -> BusinessClock:
        return self._clocks[self.calendar_of(level, severity)]

    def deadline(self, level: str | None, severity: str | None, clock: ClockName,
                 start: float, pauses: Iterable[tuple[float, float]] = ()) -> float:
        """Deadline of ``clock`` started at ``start``, moved by ``pauses`` (those the
        catalogue lets pause the clock; see :meth:`BusinessClock.extend`); inf when the level
        has no such target or there is no SLA."""
        if level is None or severity is None:
            return math.inf
        key = (level, severity, clock)
        if key in self._targets:
            found = self._targets[key]
        else:
            spec = self.catalog.levels[level]
            target = spec.targets.get(severity)
            budget = None if target is None else getattr(target, clock.value)
            found = self._targets[key] = None if budget is None else (
                self.level_clock(level, severity), budget, spec.nbd_cutoff)
        if found is None:
            return math.inf
        bc, budget, cutoff = found
        return bc.extend(bc.deadline(start, budget, nbd_cutoff_min=cutoff), start, pauses)

    def budget_deadline(self, level: str, severity: str | None, budget: Duration,
                        start: float, pauses: Iterable[tuple[float, float]] = ()) -> float:
        """Deadline of a ``budget`` (an OLA's, say) started at ``start`` on the level's
        coverage calendar for ``severity``, with the level's NBD cut-off, moved by
        ``pauses``."""
        bc = self.level_clock(level, severity)
        cutoff = self.catalog.levels[level].nbd_cutoff
        return bc.extend(bc.deadline(start, budget, nbd_cutoff_min=cutoff), start, pauses)
