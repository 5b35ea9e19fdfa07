"""Working calendars and business-time arithmetic.

A :class:`Calendar` says when a clock runs: weekly windows in a time zone, minus public
holidays (from the ``holidays`` package and explicit dates), plus make-up working days.
A calendar without windows runs 24x7 (holidays, if any, remove whole days).

A :class:`BusinessClock` does the arithmetic for one calendar in *minutes since an
origin* (the scenario start), which is the engine's time axis. It turns the calendar into
sorted, merged intervals of real (UTC) time with cumulative covered minutes, so that

* ``add(t, d)`` (the deadline of a budget ``d`` started at ``t``) and
* ``elapsed(t0, t1)`` (covered minutes between two instants)

are binary searches, exact across DST changes: a window is placed in local wall time
and then converted, so a 00:00-24:00 day is 23 h long on the spring-forward day.

Conventions (documented in docs/calendars.md):

* A window belongs to the day on which it starts: an overnight window 20:00-08:00 on a
  holiday does not run, the one that started the evening before does.
* ``add(t, d)`` with ``d > 0`` lands exactly when ``d`` covered minutes have elapsed; if
  that is the close of a window, it returns the close (not the next opening).
* ``Nbd``: the same local time of day, N business days later (a start outside business
  hours counts from the next opening); if the target day is not open at that time, the
  same covered offset into that day, capped at its close.
* ``NBD`` (next business day) with cut-off: a start on a business day before the cut-off
  (local time) is due at the close of the next business day; otherwise (after the cut-off,
  or on a non-business day) at the close of the business day after that.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from itr_sim.units import MINUTES_PER_DAY, Duration, DurationKind

if TYPE_CHECKING:  # numpy is imported by the array methods only: `validate` never loads it
    import numpy as np

__all__ = ["BusinessClock", "Calendar", "country_holidays", "holiday_countries",
           "holiday_subdivisions", "local_to_minutes", "weekly_windows"]

DAY_MIN = MINUTES_PER_DAY


@lru_cache(maxsize=512)
def country_holidays(
    country: str, subdivision: str | None, year: int
) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays and announced make-up working days of one country and year."""
    import holidays  # deferred: the package builds large tables on import

    table = holidays.country_holidays(country, subdiv=subdivision, years=year)
    days = frozenset(d for d in table if d.year == year)
    makeup = frozenset(
        d for d in getattr(table, "weekend_workdays", ()) if d.year == year
    )
    return days, makeup


@lru_cache(maxsize=1)
def holiday_countries() -> tuple[str, ...]:
    """The country codes the ``holidays`` package knows (aliases such as UK included), in its
    order: the keys of ``holidays.list_supported_countries()``. Read as data from the
    package's registry, without importing it: importing ``holidays`` loads its calendars and
    dateutil, and ``list_supported_countries`` every country's module, costs that
    ``validate`` would pay to check one code (tests/test_startup.py holds the two equal)."""
    return _registry_countries() or _imported_countries()


def _imported_countries() -> tuple[str, ...]:
    import holidays

    return tuple(holidays.list_supported_countries())


def _registry_countries() -> tuple[str, ...]:
    """The codes of the ``COUNTRIES`` table in ``holidays/registry.py`` (module name -> class
    name, ISO alpha-2, alpha-3 and alias codes; codes are 2 or 3 characters), read with
    ``ast.literal_eval``; empty when the file is not found or not laid out so."""
    import ast
    import importlib.util
    import re
    from pathlib import Path

    try:
        spec = importlib.util.find_spec("holidays")
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            text = (Path(folder) / "registry.py").read_text(encoding="utf-8")
            table = re.search(r"^COUNTRIES\b[^=\n]*=\s*(\{.*?^\})", text, re.M | re.S)
            if table is None:
                continue
            entries = ast.literal_eval(table.group(1))
            codes = (code for names in entries.values() for code in names[1:]
                     if 2 <= len(code) <= 3)
            return tuple(dict.fromkeys(codes))
    except (ImportError, OSError, SyntaxError, ValueError, AttributeError, TypeError):
        pass
    return ()


def holiday_subdivisions(country: str) -> list[str]:
    """The subdivision codes of one known country (``list_supported_countries()[country]``),
    importing only that country's module."""
    import holidays

    return list(getattr(holidays, country).subdivisions)


@dataclass(frozen=True)
class Calendar:
    """When a clock runs. ``week[i]`` holds the windows of weekday ``i`` (Monday = 0) as
    (start, end) local minutes after midnight; an end beyond 1440 spills into the next day.
    ``week=None`` means the whole of every day (24x7)."""

    name: str = "24x7"
    timezone: str = "UTC"
    week: tuple[tuple[tuple[int, int], ...], ...] | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    makeup_as: int = 0

    @property
    def is_24x7(self) -> bool:
        return self.week is None and self.holiday_country is None and not self.extra_holidays

    @property
    def has_working_time(self) -> bool:
        return self.week is None or any(self.week) or bool(self.workdays)

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    def is_holiday(self, day: date) -> bool:
        if day in self.workdays:
            return False
        if day in self.extra_holidays:
            return True
        if self.holiday_country is None:
            return False
        days, _ = country_holidays(self.holiday_country, self.holiday_subdivision, day.year)
        return day in days

    def is_makeup_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if self.holiday_country is None:
            return False
        _, makeup = country_holidays(self.holiday_country, self.holiday_subdivision, day.year)
        return day in makeup

    def windows_on(self, day: date) -> tuple[tuple[int, int], ...]:
        """The windows that start on ``day`` (local minutes after its midnight)."""
        if self.is_makeup_day(day):
            return self._weekday_windows(self.makeup_as)
        if self.is_holiday(day):
            return ()
        return self._weekday_windows(day.weekday())

    def _weekday_windows(self, weekday: int) -> tuple[tuple[int, int], ...]:
        if self.week is None:
            return ((0, 1440),)
        return self.week[weekday]

    def weekly_minutes(self) -> float:
        """Nominal covered minutes in a week without holidays."""
        if self.week is None:
            return 7 * DAY_MIN
        return float(sum(e - s for day in self.week for s, e in day))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_to_minutes(day: date, minute: float, tz: ZoneInfo, origin: datetime) -> float:
    wall = datetime.combine(day, time(0), tz) + timedelta(minutes=minute)
    return (wall.astimezone(UTC) - origin).total_seconds() / 60.0


class BusinessClock:
    """Business-time arithmetic of one calendar on the axis *minutes since origin*."""

    def __init__(self, calendar: Calendar, origin: datetime, *, span_days: int = 400) -> None:
        if origin.tzinfo is None:
            raise ValueError("origin must be a time-zone aware datetime")
        self.calendar = calendar
        self._always = calendar.is_24x7
        self.origin = origin.astimezone(UTC)
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._cum: list[float] = []  # covered minutes before interval i
        self._cum_end: list[float] = []
        self._day_starts: list[float] = []  # first opening of each business day
        self._day_ends: list[float] = []  # last close of each business day
        self._days: list[date] = []
        local0 = self.origin.astimezone(calendar.tz).date()
        self._lo = local0 - timedelta(days=7)
        self._hi = local0 + timedelta(days=span_days)
        self._build()

    # -- construction ---------------------------------------------------------------
    def _build(self) -> None:
        cal, tz = self.calendar, self.calendar.tz
        raw: list[tuple[float, float]] = []
        days: list[tuple[date, float, float]] = []
        day = self._lo
        while day <= self._hi:
            windows = cal.windows_on(day)
            if windows:
                spans = [
                    (
                        local_to_minutes(day, s, tz, self.origin),
                        local_to_minutes(day, e, tz, self.origin),
                    )
                    for s, e in windows
                ]
                spans = [(a, b) for a, b in spans if b > a]
                if spans:
                    raw.extend(spans)
                    days.append((day, spans[0][0], spans[-1][1]))
            day += timedelta(days=1)
        raw.sort()
        starts: list[float] = []
        ends: list[float] = []
        for a, b in raw:
            if starts and a <= ends[-1]:
                ends[-1] = max(ends[-1], b)
            else:
                starts.append(a)
                ends.append(b)
        cum, total, cum_end = [], 0.0, []
        for a, b in zip(starts, ends, strict=True):
            cum.append(total)
            total += b - a
            cum_end.append(total)
        self._starts, self._ends, self._cum, self._cum_end = starts, ends, cum, cum_end
        self._days = [d for d, _, _ in days]
        self._day_starts = [s for _, s, _ in days]
        self._day_ends = [e for _, _, e in days]
        self._min_t = local_to_minutes(self._lo + timedelta(days=1), 0, tz, self.origin)
        self._max_t = local_to_minutes(self._hi - timedelta(days=1), 0, tz, self.origin)
        self._safe = (self._min_t + 3 * DAY_MIN, self._max_t - 10 * DAY_MIN)
        # local midnight of each business day and of the day after (minutes since origin)
        self._midnight = [local_to_minutes(d, 0, tz, self.origin) for d in self._days]
        self._next_midnight = [local_to_minutes(d + timedelta(days=1), 0, tz, self.origin)
                               for d in self._days]

    def _cover(self, t: float) -> None:
        """Extend the precomputed range so that it contains ``t`` with margin."""
        changed = False
        while t < self._min_t + 3 * DAY_MIN:
            self._lo -= timedelta(days=max(60, (self._hi - self._lo).days))
            self._min_t = local_to_minutes(self._lo + timedelta(days=1), 0, self.calendar.tz,
                                            self.origin)
            changed = True
        while t > self._max_t - 10 * DAY_MIN:
            self._hi += timedelta(days=max(60, (self._hi - self._lo).days))
            self._max_t = local_to_minutes(self._hi - timedelta(days=1), 0, self.calendar.tz,
                                            self.origin)
            changed = True
        if changed:
            self._build()

    # -- conversions ----------------------------------------------------------------
    def to_minutes(self, moment: datetime) -> float:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.calendar.tz)
        return (moment.astimezone(UTC) - self.origin).total_seconds() / 60.0

    def to_datetime(self, t: float) -> datetime:
        """The local wall-clock time of ``t`` in the calendar's time zone."""
        return (self.origin + timedelta(minutes=t)).astimezone(self.calendar.tz)

    # -- arithmetic -----------------------------------------------------------------
    def covered(self, t: float) -> float:
        """Covered minutes from the start of the precomputed range to ``t``."""
        lo, hi = self._safe
        if not lo <= t <= hi:
            self._cover(t)
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return 0.0
        return self._cum[i] + min(max(t - self._starts[i], 0.0), self._ends[i] - self._starts[i])

    def elapsed(self, t0: float, t1: float) -> float:
        """Covered minutes between ``t0`` and ``t1`` (negative if ``t1 < t0``)."""
        if self._always:
            return t1 - t0
        self._cover(min(t0, t1))  # a backward extension shifts the cumulative sums
        return self.covered(t1) - self.covered(t0)

    def add(self, t: float, minutes: float) -> float:
        """The instant at which ``minutes`` covered minutes have elapsed since ``t``."""
        if minutes < 0:
            raise ValueError(f"cannot add a negative business duration ({minutes} min)")
        if self._always:
            return t + minutes
        if minutes == 0:
            return t
        if not self.calendar.has_working_time:
            raise ValueError(f"calendar {self.calendar.name!r} has no working time")
        target = self.covered(t) + minutes
        while not self._cum_end or target > self._cum_end[-1]:
            self._cover(self._max_t + DAY_MIN)
            target = self.covered(t) + minutes
        j = bisect.bisect_left(self._cum_end, target)
        # max(): a budget below float resolution must not land on the previous close
        return max(t, self._starts[j] + (target - self._cum[j]))

    def sub(self, t: float, minutes: float) -> float:
        """The instant ``minutes`` covered minutes before ``t`` (inverse of :meth:`add`)."""
        if minutes < 0:
            raise ValueError(f"cannot subtract a negative business duration ({minutes} min)")
        if self.calendar.is_24x7:
            return t - minutes
        if minutes == 0:
            return t
        if not self.calendar.has_working_time:
            raise ValueError(f"calendar {self.calendar.name!r} has no working time")
        target = self.covered(t) - minutes
        while target <= 0:
            self._cover(self._min_t - DAY_MIN)
            target = self.covered(t) - minutes
        j = bisect.bisect_left(self._cum_end, target)
        return min(t, self._starts[j] + (target - self._cum[j]))

    # -- the same arithmetic on arrays (used by the clock table) --------------------
    def _cover_array(self, *arrays: np.ndarray) -> None:
        import numpy as np

        finite = [a[np.isfinite(a)] for a in arrays if len(a)]
        finite = [a for a in finite if len(a)]
        if finite:
            self._cover(min(float(a.min()) for a in finite))
            self._cover(max(float(a.max()) for a in finite))

    def _covered_array(self, t: np.ndarray) -> np.ndarray:
        import numpy as np

        starts, ends = np.asarray(self._starts), np.asarray(self._ends)
        cum = np.asarray(self._cum)
        i = np.searchsorted(starts, t, side="right") - 1
        j = np.maximum(i, 0)
        inside = np.minimum(np.maximum(t - starts[j], 0.0), ends[j] - starts[j])
        return np.where(i < 0, 0.0, cum[j] + inside)

    def elapsed_array(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """:meth:`elapsed` element-wise (identical results)."""
        import numpy as np

        t0, t1 = np.asarray(t0, dtype=float), np.asarray(t1, dtype=float)
        if self.calendar.is_24x7:
            return t1 - t0
        self._cover_array(t0, t1)
        return self._covered_array(t1) - self._covered_array(t0)

    def add_array(self, t: np.ndarray, minutes: np.ndarray | float) -> np.ndarray:
        """:meth:`add` element-wise (identical results); ``inf`` stays ``inf``."""
        import numpy as np

        t = np.asarray(t, dtype=float)
        m = np.broadcast_to(np.asarray(minutes, dtype=float), t.shape)
        if np.any(m < 0):
            raise ValueError("cannot add a negative business duration")
        if self.calendar.is_24x7 or len(t) == 0:
            return t + m
        if not self.calendar.has_working_time:
            raise ValueError(f"calendar {self.calendar.name!r} has no working time")
        out = t.copy()
        todo = (m != 0) & np.isfinite(t)
        if not todo.any():
            return out
        tt, mm = t[todo], m[todo]
        self._cover_array(tt)
        target = self._covered_array(tt) + mm
        while target.max() > self._cum_end[-1]:
            self._cover(self._max_t + DAY_MIN)
            target = self._covered_array(tt) + mm
        starts, cum = np.asarray(self._starts), np.asarray(self._cum)
        j = np.searchsorted(np.asarray(self._cum_end), target, side="left")
        out[todo] = np.maximum(tt, starts[j] + (target - cum[j]))
        return out

    def add_business_days_array(self, t: np.ndarray, days: int) -> np.ndarray:
        """:meth:`add_business_days` element-wise (identical results): on arrays for days
        without a clock change, one by one for the others."""
        import numpy as np

        t = np.asarray(t, dtype=float)
        if len(t) == 0:
            return t.copy()
        if not self.calendar.has_working_time:
            raise ValueError(f"calendar {self.calendar.name!r} has no working time")
        self._cover_array(t)
        while True:  # every t open, or a window opening after it in the range
            starts, ends = np.asarray(self._starts), np.asarray(self._ends)
            after = np.searchsorted(starts, t, side="right")
            k = after - 1
            is_open = (k >= 0) & (t < ends[np.maximum(k, 0)])
            if bool(np.all(is_open | (after < len(starts)))):
                break
            # (around the clock, the windows merge into one: no later start ever comes,
            # but every t is open)
            self._cover(self._max_t + DAY_MIN)
        start = np.where(is_open, t, starts[np.minimum(np.searchsorted(starts, t, side="right"),
                                                         len(starts) - 1)])
        self._cover_array(start)
        i = np.searchsorted(np.asarray(self._day_starts), start, side="right") - 1
        self._day_at(int(i.max()) + days)
        day_starts, day_ends = np.asarray(self._day_starts), np.asarray(self._day_ends)
        midnight, next_midnight = np.asarray(self._midnight), np.asarray(self._next_midnight)
        starts, ends = np.asarray(self._starts), np.asarray(self._ends)
        j = i + days
        simple = (i >= 0) & (next_midnight[i] - midnight[i] == DAY_MIN) & \
            (next_midnight[j] - midnight[j] == DAY_MIN) & (start < next_midnight[i])
        target = midnight[j] + (start - midnight[i])
        k = np.searchsorted(starts, target, side="right") - 1
        open_at = (k >= 0) & (target < ends[np.maximum(k, 0)])
        direct = (day_starts[j] <= target) & (target <= day_ends[j]) & open_at
        out = np.where(simple & direct, target, np.nan)
        capped = simple & ~direct
        if capped.any():
            offset = self._covered_array(start[capped]) - \
                self._covered_array(day_starts[i[capped]])
            out[capped] = np.minimum(self.add_array(day_starts[j[capped]], offset),
                                     day_ends[j[capped]])
        for n in np.flatnonzero(~simple).tolist():
            out[n] = self.add_business_days(float(t[n]), days)
        return out

    def deadline_array(self, t: np.ndarray, budget: Duration, *,
                       nbd_cutoff_min: int = 15 * 60) -> np.ndarray:
        """:meth:`deadline` element-wise: elapsed budgets on arrays, business-day and NBD
        budgets one by one."""
        import numpy as np

        t = np.asarray(t, dtype=float)
        if budget.kind is DurationKind.ELAPSED:
            return self.add_array(t, budget.minutes)
        if budget.kind is DurationKind.BUSINESS_DAYS:
            return self.add_business_days_array(t, budget.days)
        return np.fromiter((self.deadline(x, budget, nbd_cutoff_min=nbd_cutoff_min)
                            for x in t.tolist()), dtype=float, count=len(t))

    def extend_array(self, deadline: np.ndarray, start: np.ndarray, p0: np.ndarray,
                     p1: np.ndarray) -> np.ndarray:
        """Deadlines moved by the pauses of their clocks: the one definition of the
        pause-extended deadline (docs/kpis.md). Column ``i`` of the (k, n) matrices ``p0``,
        ``p1`` holds the starts and ends of clock ``i``'s pauses in order of start (NaN
        padded). A pause that ends after the clock's ``start`` and begins before the
        deadline as moved so far pushes it by the pause's covered minutes (counted from
        ``start`` if the pause began before it)."""
        import numpy as np

        deadline = np.array(deadline, dtype=float)
        start = np.asarray(start, dtype=float)
        for k in range(len(p0)):
            hit = (p1[k] > start) & (p0[k] < deadline)
            if hit.any():
                gap = self.elapsed_array(np.maximum(p0[k][hit], start[hit]), p1[k][hit])
                deadline[hit] = self.add_array(deadline[hit], gap)
        return deadline

    def extend(self, deadline: float, start: float,
               pauses: Iterable[tuple[float, float]]) -> float:
        """:meth:`extend_array` for one clock and its (start, end) pauses: the same rule,
        step by step on scalars, because the engine asks it once per ticket on its hot path
        (numpy on one-element arrays cost a third of a large run; tests/test_deadlines.py
        holds the two to the same hand-worked values and to each other)."""
        if math.isinf(deadline):
            return deadline
        for a, b in sorted(pauses):
            if b > start and a < deadline:
                deadline = self.add(deadline, self.elapsed(max(a, start), b))
        return deadline

    def is_open(self, t: float) -> bool:
        if self._always:
            return True
        lo, hi = self._safe
        if not lo <= t <= hi:
            self._cover(t)
        i = bisect.bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def next_open(self, t: float) -> float:
        """``t`` if the calendar is open then, else its next opening."""
        if self.is_open(t):
            return t
        if not self.calendar.has_working_time:
            raise ValueError(f"calendar {self.calendar.name!r} has no working time")
        i = bisect.bisect_right(self._starts, t)
        while i >= len(self._starts):
            self._cover(self._max_t + DAY_MIN)
            i = bisect.bisect_right(self._starts, t)
        return self._starts[i]

    def _business_day_index(self, t: float) -> int:
        """Index of the business day whose first opening is the last at or before ``t``."""
        self._cover(t)
        return bisect.bisect_right(self._day_starts, t) - 1

    def _day_at(self, index: int) -> int:
        """``index`` after making sure that business day (and one more) is precomputed."""
        if not self.calendar.has_working_time:
            raise ValueError(f"calendar {self.calendar.name!r} has no working time")
        while index >= len(self._days) - 1:
            self._cover(self._max_t + DAY_MIN)
        return index

    def add_business_days(self, t: float, days: int) -> float:
        """The same local time of day, ``days`` business days later; if the target day is
        not open then, the same covered offset into that day (capped at its close)."""
        start = self.next_open(t)
        i = self._business_day_index(start)
        j = self._day_at(i + days)
        mid_i, mid_j = self._midnight[i], self._midnight[j]
        if self._next_midnight[i] - mid_i == DAY_MIN == self._next_midnight[j] - mid_j \
                and start < self._next_midnight[i]:
            target = mid_j + (start - mid_i)  # no clock change on either day
        else:
            tz = self.calendar.tz
            wall = self.to_datetime(start).replace(tzinfo=None)
            wall_offset = (wall - datetime.combine(self._days[i], time(0))
                           ).total_seconds() / 60.0
            target = local_to_minutes(self._days[j], wall_offset, tz, self.origin)
        if self._day_starts[j] <= target <= self._day_ends[j] and self.is_open(target):
            return target
        offset = self.covered(start) - self.covered(self._day_starts[i])
        return min(self.add(self._day_starts[j], offset), self._day_ends[j])

    def next_business_day_end(self, t: float, cutoff_min: int) -> float:
        """Close of the next business day (NBD) for a request at ``t`` with a cut-off."""
        self._cover(t)
        local = self.to_datetime(t)
        today = local.date()
        in_time = (
            bool(self.calendar.windows_on(today))
            and local.hour * 60 + local.minute < cutoff_min
        )
        # first business day strictly after today
        i = bisect.bisect_right(self._days, today)
        if not in_time:
            i += 1
        return self._day_ends[self._day_at(i)]

    def deadline(self, t: float, budget: Duration, *, nbd_cutoff_min: int = 15 * 60) -> float:
        """The deadline of a clock started at ``t`` with ``budget``."""
        if budget.kind is DurationKind.ELAPSED:
            return self.add(t, budget.minutes)
        if budget.kind is DurationKind.BUSINESS_DAYS:
            return self.add_business_days(t, budget.days)
        return self.next_business_day_end(t, nbd_cutoff_min)


def weekly_windows(
    entries: Mapping[Sequence[int], Iterable[tuple[int, int]]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Build ``Calendar.week`` from {weekdays: windows}; windows sorted per day."""
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for weekdays, windows in entries.items():
        for d in weekdays:
            week[d].extend(windows)
    return tuple(tuple(sorted(day)) for day in week)
