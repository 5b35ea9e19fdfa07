"""Staffing: the number of agents on duty of a tier or team as a step function of time."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from itr_sim.calendar import Calendar, local_to_minutes
from itr_sim.model.org import StaffedUnit

__all__ = ["Staffing", "staffing_of"]


@dataclass(frozen=True)
class Staffing:
    """``capacity[i]`` agents are on duty from ``times[i]`` until ``times[i + 1]``."""

    times: tuple[float, ...]
    capacity: tuple[int, ...]

    def at(self, t: float) -> int:
        i = bisect.bisect_right(self.times, t) - 1
        return self.capacity[i] if i >= 0 else 0

    def agent_minutes(self, t0: float, t1: float) -> float:
        """Agent-minutes on duty between t0 and t1."""
        total = 0.0
        for i, start in enumerate(self.times):
            end = self.times[i + 1] if i + 1 < len(self.times) else float("inf")
            lo, hi = max(start, t0), min(end, t1)
            if hi > lo:
                total += (hi - lo) * self.capacity[i]
        return total


def staffing_of(unit: StaffedUnit, tz: str, origin: datetime, horizon_min: float,
                calendars: dict[str, Calendar]) -> Staffing:
    """Expand a unit's weekly shifts over [origin - 1 day, origin + horizon + 1 day], in the
    organisation's time zone, closing shifts on the holidays of their ``holidays_from``
    calendar (and opening them on its make-up days, with that calendar's ``makeup_as``)."""
    zone = ZoneInfo(tz)
    first = origin.astimezone(zone).date() - timedelta(days=1)
    last = (origin + timedelta(minutes=horizon_min)).astimezone(zone).date() + timedelta(days=1)
    changes: dict[float, int] = {}
    day = first
    while day <= last:
        for shift in unit.shifts:
            weekday = day.weekday()
            if shift.holidays_from is not None:
                cal = calendars[shift.holidays_from]
                if cal.is_makeup_day(day):
                    weekday = cal.makeup_as
                elif cal.is_holiday(day):
                    continue
            if weekday not in shift.days or shift.agents == 0:
                continue
            a = local_to_minutes(day, shift.hours[0], zone, origin)
            b = local_to_minutes(day, shift.hours[1], zone, origin)
            if b > a:
                changes[a] = changes.get(a, 0) + shift.agents
                changes[b] = changes.get(b, 0) - shift.agents
        day += timedelta(days=1)
    times: list[float] = []
    capacity: list[int] = []
    level = 0
    for t in sorted(changes):
        level += changes[t]
        if capacity and capacity[-1] == level:
            continue
        times.append(t)
        capacity.append(level)
    if not times:
        return Staffing((0.0,), (0,))
    return Staffing(tuple(times), tuple(capacity))
