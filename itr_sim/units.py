"""Durations, offsets, percentages and times of day as written in itr-sim YAML.

The grammar is deliberately small and strict, because an SLA number that is read
the wrong way is worse than one that is rejected:

* elapsed durations: a number and a lower-case unit, ``m`` (minutes), ``h`` (hours),
  ``d`` (days = 24 h), ``w`` (weeks = 7 d); parts may be combined (``1h30m``, ``2d12h``).
  On a clock they count *covered* time of the clock's calendar: ``2d`` on a 5x8
  calendar is 48 hours of office time, i.e. six working days.
* ``Nbd``: N business days of the calendar (whole numbers): the same point of the
  business day, N business days later (see :mod:`itr_sim.calendar`).
* ``NBD``: next business day, by the close of business, if the clock starts on a business
  day before the level's cut-off time; otherwise one business day later.
* a bare number (``4``) or a spelled-out unit (``4 hours``) is rejected with a hint.

Percentages are ``95%`` or a fraction ``0.95``; a number above 1 (``95``) is rejected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "MINUTES_PER_DAY",
    "MINUTES_PER_WEEK",
    "MINUTES_PER_YEAR",
    "WEEKS_PER_YEAR",
    "Duration",
    "DurationKind",
    "UnitError",
    "parse_clock_time",
    "parse_days",
    "parse_duration",
    "parse_fraction",
    "parse_hours",
    "parse_offset",
    "parse_rate",
]

MINUTES_PER_DAY = 1440.0
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MINUTES_PER_YEAR = 365 * MINUTES_PER_DAY
"""The year of ``growth_per_year`` and of prices per contract-year: 365 days."""
WEEKS_PER_YEAR = MINUTES_PER_YEAR / MINUTES_PER_WEEK
MINUTES_PER_UNIT = {"m": 1.0, "h": 60.0, "d": MINUTES_PER_DAY, "w": MINUTES_PER_WEEK}
MAX_DURATION_MIN = 100 * MINUTES_PER_YEAR
"""Longest duration accepted (100 years): longer ones are unit mistakes."""
WEEKDAYS: tuple[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], ...] = (
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_NUMBER = r"\d+(?:\.\d+)?"
_ELAPSED = re.compile(rf"^(?:{_NUMBER}[wdhm])+$")
_PART = re.compile(rf"({_NUMBER})([wdhm])")
_BUSINESS_DAYS = re.compile(r"^(\d+)bd$")
_SPELLED = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|[mhdw]|bd)\s*$",
    re.IGNORECASE,
)
_SPELLED_UNIT = {"min": "m", "hou": "h", "hr": "h", "hrs": "h", "day": "d", "wee": "w", "wk": "w"}


class UnitError(ValueError):
    """A value that does not follow the unit grammar; the message carries a hint."""


class DurationKind(StrEnum):
    ELAPSED = "elapsed"
    BUSINESS_DAYS = "business_days"
    NEXT_BUSINESS_DAY = "next_business_day"


@dataclass(frozen=True)
class Duration:
    """A clock budget as written in YAML. ``minutes`` is set for elapsed durations,
    ``days`` for business days; ``NBD`` carries neither (its cut-off is the level's)."""

    kind: DurationKind
    text: str
    minutes: float = 0.0
    days: int = 0

    def __str__(self) -> str:
        return self.text

    @property
    def nominal_minutes(self) -> float:
        """A calendar-free size used only to compare budgets (validation): elapsed
        minutes as they are, a business day as 24 h, NBD as 48 h (its longest usual span)."""
        if self.kind is DurationKind.ELAPSED:
            return self.minutes
        if self.kind is DurationKind.BUSINESS_DAYS:
            return self.days * 1440.0
        return 2880.0


def _spelled_hint(text: str) -> str | None:
    m = _SPELLED.match(text)
    if not m:
        return None
    number, unit = m.group(1), m.group(2).lower()
    if unit == "bd":
        short = "bd"
    elif len(unit) == 1:
        short = unit
    else:
        short = _SPELLED_UNIT.get(unit[:3], _SPELLED_UNIT.get(unit, unit[0]))
    return f"write {number}{short}"


def parse_duration(value: object) -> Duration:
    """Parse ``15m``, ``4h``, ``2d``, ``1w``, ``1h30m``, ``3bd`` or ``NBD``."""
    if isinstance(value, Duration):
        return value
    if isinstance(value, bool) or value is None:
        raise UnitError(f"expected a duration such as 4h, got {value!r}")
    if isinstance(value, int | float):
        raise UnitError(
            f"a duration needs a unit: got the bare number {value!r}; "
            f"write {value}m (minutes), {value}h (hours), {value}d (days of covered time) "
            f"or {value}bd (business days)"
        )
    if not isinstance(value, str):
        raise UnitError(f"expected a duration such as 4h, got {type(value).__name__}")
    text = value.strip()
    if text.upper() == "NBD":
        return Duration(DurationKind.NEXT_BUSINESS_DAY, "NBD")
    m = _BUSINESS_DAYS.match(text)
    if m:
        days = int(m.group(1))
        if days < 1:
            raise UnitError("business days start at 1bd; for no delay write 0m")
        if days * MINUTES_PER_DAY > MAX_DURATION_MIN:
            raise UnitError(f"{text[:40]!r} is more than 100 years of business days")
        return Duration(DurationKind.BUSINESS_DAYS, text, days=days)
    if re.match(r"^\d+\.\d+bd$", text):
        raise UnitError(
            f"business days are whole: {text!r}; write 1bd, 2bd, ... or use hours (e.g. 12h)"
        )
    if _ELAPSED.match(text):
        minutes = sum(float(n) * MINUTES_PER_UNIT[u] for n, u in _PART.findall(text))
        if not minutes <= MAX_DURATION_MIN:
            raise UnitError(f"{text[:40]!r} is longer than 100 years; is a unit wrong?")
        return Duration(DurationKind.ELAPSED, text, minutes=minutes)
    if re.match(r"^\d+(\.\d+)?$", text):
        raise UnitError(
            f"a duration needs a unit: got {text!r}; write {text}m, {text}h, {text}d or {text}bd"
        )
    hint = _spelled_hint(text)
    if hint:
        raise UnitError(f"{text!r} is not a duration; {hint} (units: m, h, d, w, bd, NBD)")
    raise UnitError(
        f"{text!r} is not a duration; use a number with a unit: 15m, 4h, 2d, 1w, 1h30m, 3bd, NBD"
    )


def parse_offset(value: object) -> float:
    """Parse a signed offset relative to a deadline, ``+30m`` or ``-2d``, into minutes."""
    if not isinstance(value, str) or value.strip()[:1] not in ("+", "-"):
        raise UnitError(
            f"an offset needs a sign: got {value!r}; write +30m (after the deadline) "
            "or -2d (before it), or a percentage of the clock such as 50%"
        )
    text = value.strip()
    if text.endswith("%"):
        raise UnitError(f"{text!r}: a share of the clock has no sign; write {text[1:]} "
                        "(of the budget), or an offset such as -2h or +30m")
    sign = -1.0 if text[0] == "-" else 1.0
    duration = parse_duration(text[1:])
    if duration.kind is not DurationKind.ELAPSED:
        raise UnitError(f"offsets are elapsed durations (m, h, d, w): got {text!r}")
    return sign * duration.minutes


_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


def parse_fraction(
    value: object, *, low: float = 0.0, high: float | None = 1.0, what: str = "a percentage"
) -> float:
    """Parse ``95%`` or ``0.95`` into 0.95, within [low, high] (high None = unbounded)."""
    if isinstance(value, bool) or value is None:
        raise UnitError(f"expected {what} such as 95% or 0.95, got {value!r}")
    if isinstance(value, str) and value.strip().lower().lstrip("+-") in ("inf", "infinity",
                                                                           "nan"):
        raise UnitError(f"expected {what} such as 95% or 0.95, got {value!r}")
    if isinstance(value, str):
        m = _PERCENT.match(value)
        if m:
            fraction = float(m.group(1)) / 100.0
        else:
            try:
                fraction = float(value)
            except ValueError:
                raise UnitError(
                    f"expected {what} such as 95% or 0.95, got {value!r}"
                ) from None
            if fraction > 1.0 and (high is None or high <= 1.0):
                raise UnitError(f"{value!r} is ambiguous; write {value}% or {fraction / 100:g}")
    elif isinstance(value, int | float):
        fraction = float(value)
        if fraction > 1.0 and high is not None and high <= 1.0:
            raise UnitError(
                f"{value!r} is ambiguous for {what}; write {value}% or {fraction / 100:g}"
            )
    else:
        raise UnitError(f"expected {what} such as 95% or 0.95, got {type(value).__name__}")
    if not math.isfinite(fraction):
        raise UnitError(f"{what} must be a finite number, got {value!r}")
    if fraction < low or (high is not None and fraction > high):
        bound = f"between {low:.0%} and {high:.0%}" if high is not None else f">= {low:.0%}"
        raise UnitError(f"{what} must be {bound}, got {value!r}")
    return fraction


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock_time(value: object) -> int:
    """Parse ``HH:MM`` (``24:00`` allowed as an end) into minutes after midnight."""
    if not isinstance(value, str):
        raise UnitError(f"expected a time of day in quotes such as \"15:00\", got {value!r}")
    m = _CLOCK.match(value.strip())
    if not m:
        raise UnitError(f"expected a time of day HH:MM such as 15:00, got {value!r}")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise UnitError(f"{value!r} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def parse_hours(value: object) -> tuple[int, int]:
    """Parse a window ``09:00-18:00`` into (start, end) minutes; an overnight window
    ``20:00-08:00`` ends after 1440 (it belongs to the day on which it starts)."""
    if not isinstance(value, str) or value.count("-") != 1:
        raise UnitError(f"expected hours such as \"09:00-18:00\", got {value!r}")
    start_text, end_text = value.split("-")
    try:
        start, end = parse_clock_time(start_text), parse_clock_time(end_text)
    except UnitError:
        raise UnitError(f"expected hours HH:MM-HH:MM such as \"09:00-18:00\", got {value!r}"
                        ) from None
    if start == 1440:
        raise UnitError(f"a window cannot start at 24:00: {value!r}")
    if end == start:
        raise UnitError(
            f"window {value!r} is empty; for a whole day write \"00:00-24:00\""
        )
    if end < start:
        end += 1440
    return start, end


def parse_days(value: object) -> tuple[int, ...]:
    """Parse ``Mon-Fri``, ``Sat,Sun``, ``Fri-Mon`` (wraps) or ``daily`` into weekday
    numbers (Monday = 0), in week order."""
    if not isinstance(value, str):
        raise UnitError(f"expected days such as Mon-Fri, got {value!r}")
    text = value.strip()
    if text.lower() in ("daily", "mon-sun"):
        return tuple(range(7))
    days: set[int] = set()
    for part in text.split(","):
        names = [p.strip() for p in part.split("-")]
        if len(names) > 2 or not all(names):
            raise UnitError(f"expected days such as Mon-Fri or Sat,Sun, got {value!r}")
        idx = [_weekday(n, value) for n in names]
        if len(idx) == 1:
            days.add(idx[0])
        else:
            d = idx[0]
            days.add(d)
            while d != idx[1]:
                d = (d + 1) % 7
                days.add(d)
    return tuple(sorted(days))


def _weekday(name: str, whole: str) -> int:
    for i, day in enumerate(WEEKDAYS):
        if name.capitalize()[:3] == day and len(name) >= 3:
            return i
    raise UnitError(
        f"unknown day {name!r} in {whole!r}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun"
    )


_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([mhdw])\s*$")


def parse_rate(value: object) -> float:
    """Parse an arrival rate ``9.5/h`` (also ``/m``, ``/d``, ``/w``) into events per minute."""
    if isinstance(value, str):
        m = _RATE.match(value)
        if m and math.isfinite(float(m.group(1))):
            return float(m.group(1)) / MINUTES_PER_UNIT[m.group(2)]
    raise UnitError(f"expected a rate such as 9.5/h or 60/d, got {value!r}")
