"""Field types shared by the YAML models: the unit grammar with its JSON Schema attached."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    WrapValidator,
    field_validator,
)

from itr_sim.units import (
    Duration,
    DurationKind,
    UnitError,
    parse_clock_time,
    parse_days,
    parse_duration,
    parse_fraction,
    parse_hours,
)

__all__ = [
    "ClockTime",
    "DaysSpec",
    "DurationField",
    "ElapsedDuration",
    "Fraction",
    "HoursSpec",
    "Name",
    "Strict",
    "TimeZoneName",
    "did_you_mean",
]


class Strict(BaseModel):
    """Base of every YAML model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False,
                              allow_inf_nan=False, defer_build=True)
    """``defer_build``: a model's validator is built on first use, so importing the models
    costs no validator that a command does not use (``itr-sim validate`` builds two)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_number_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        """A plain number field takes a number: ``true`` or ``"4"`` is a mistake, not 1 or 4."""
        if info.field_name is None or value is None:
            return value
        field = cls.model_fields[info.field_name]
        kinds = _plain_number(field.annotation, field.metadata)
        if kinds and isinstance(value, (bool, str)):
            raise ValueError(_not_a_number(value))
        if (float in kinds and isinstance(value, (int, float)) and math.isfinite(value)
                and abs(value) > LARGEST):
            # a cost of 1e308 overflows to infinity in the first sum
            raise ValueError(f"{value:g} is larger than any amount or rate itr-sim can add "
                             f"up (at most {LARGEST:g}); is a digit or a unit wrong?")
        return value


LARGEST = 1e15
"""Largest magnitude of a plain decimal number in the YAML (costs, prices, volumes)."""


def _not_a_number(value: bool | str) -> str:
    if isinstance(value, bool):
        return f"expected a number, got {value!r}"
    try:
        finite = math.isfinite(float(value))
    except ValueError:
        return f"expected a number, got {value!r}"
    if not finite:
        return f"{value!r} is not a finite number; give a number such as 12.5"
    return f"expected a number, got {value!r}; write it without quotes"


_VALIDATORS = (BeforeValidator, PlainValidator, WrapValidator)


def _plain_number(annotation: Any, metadata: list[Any]) -> set[type]:
    """The number types of a field that is an ``int`` or ``float`` (optionally None) with no
    parser of its own (a ``Fraction`` reads ``95%``, a duration ``4h``: those take strings);
    empty for any other field."""
    if any(isinstance(m, _VALIDATORS) for m in metadata):
        return set()
    members = (get_args(annotation) if get_origin(annotation) in (Union, UnionType)
               else (annotation,))
    kinds: set[type] = set()
    for member in members:
        if member is NoneType:
            continue
        if get_origin(member) is Annotated:
            member, *extra = get_args(member)
            if any(isinstance(m, _VALIDATORS) for m in extra):
                return set()
        if member not in (int, float):
            return set()
        kinds.add(member)
    return kinds


def did_you_mean(name: str, known: Iterable[str], what: str, *, listing: bool = True) -> str:
    """``unknown level 'platnum'; did you mean 'platinum'? (known: gold, platinum)``"""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if not listing:
        return f"unknown {what} {name!r}{hint}"
    names = ", ".join(known) if len(known) <= 12 else ", ".join(known[:12]) + ", ..."
    return f"unknown {what} {name!r}{hint} (known: {names or 'none defined'})"


def _duration(value: Any) -> Duration:
    return parse_duration(value)


def _elapsed(value: Any) -> Duration:
    d = parse_duration(value)
    if d.kind is not DurationKind.ELAPSED:
        raise UnitError(f"{d.text!r}: this field takes an elapsed duration (m, h, d, w)")
    return d


_DURATION_SCHEMA = {
    "type": "string",
    "pattern": r"^((\d+(\.\d+)?[wdhm])+|\d+bd|NBD|nbd)$",
    "description": "15m, 4h, 2d (48 h of covered time), 1w, 1h30m, 3bd (business days), "
    "NBD (next business day by the cut-off)",
    "examples": ["15m", "4h", "2d", "3bd", "NBD"],
}
_ELAPSED_SCHEMA = {
    "type": "string",
    "pattern": r"^(\d+(\.\d+)?[wdhm])+$",
    "description": "elapsed duration: 15m, 4h, 2d, 1w, 1h30m",
    "examples": ["30m", "13w"],
}
_serialize_duration = PlainSerializer(lambda d: d.text, return_type=str)

DurationField = Annotated[
    Duration, PlainValidator(_duration), _serialize_duration, WithJsonSchema(_DURATION_SCHEMA)
]
ElapsedDuration = Annotated[
    Duration, PlainValidator(_elapsed), _serialize_duration, WithJsonSchema(_ELAPSED_SCHEMA)
]

_FRACTION_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^\d+(\.\d+)?\s*%$"},
        {"type": "number", "minimum": 0, "maximum": 1},
    ],
    "description": "a percentage: 95% or 0.95",
}
Fraction = Annotated[float, BeforeValidator(parse_fraction), WithJsonSchema(_FRACTION_SCHEMA)]


def _growth(value: Any) -> float:
    return parse_fraction(value, low=-1.0, high=None, what="a growth rate")


GrowthRate = Annotated[
    float,
    BeforeValidator(_growth),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^-?\d+(\.\d+)?\s*%$"},
                              {"type": "number", "minimum": -1}],
                    "description": "a yearly growth rate: 10% or -5%"}),
]


def _threshold(value: Any) -> float:
    return parse_fraction(value, low=0.0, high=10.0, what="a share of the clock")


ClockShare = Annotated[
    float,
    BeforeValidator(_threshold),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?\s*%$"}),
]

ClockTime = Annotated[
    int,
    PlainValidator(parse_clock_time),
    PlainSerializer(lambda m: f"{m // 60:02d}:{m % 60:02d}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}$", "examples": ["15:00"]}),
]
HoursSpec = Annotated[
    tuple[int, int],
    PlainValidator(parse_hours),
    PlainSerializer(lambda w: f"{w[0] // 60:02d}:{w[0] % 60:02d}-"
                    f"{w[1] % 1440 // 60:02d}:{w[1] % 60:02d}" if w[1] != 1440 else
                    f"{w[0] // 60:02d}:{w[0] % 60:02d}-24:00", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$",
                    "description": "a window in local time; 20:00-08:00 runs overnight",
                    "examples": ["09:00-18:00", "20:00-08:00"]}),
]
DaysSpec = Annotated[
    tuple[int, ...],
    PlainValidator(parse_days),
    PlainSerializer(lambda days: ",".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d]
                                          for d in days), return_type=str),
    WithJsonSchema({"type": "string", "description": "Mon-Fri, Sat,Sun, Fri-Mon or daily",
                    "examples": ["Mon-Fri", "Mon-Sun"]}),
]

Name = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64),
]
"""An identifier for levels, severities, calendars, roles, tiers, teams and request types."""

CustomerName = Annotated[str, StringConstraints(pattern=r"^[^.\s][^.]*$", max_length=120)]
"""A customer or contract name: free text without dots (dots separate override paths)."""


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an IANA time zone such as Asia/Shanghai, got {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        raise ValueError(did_you_mean(value, _zones(), "time zone", listing=False)
                         + "; use an IANA name such as Asia/Shanghai or Europe/Berlin"
                         ) from None
    return value


TimeZoneName = Annotated[
    str, AfterValidator(_timezone),
    WithJsonSchema({"type": "string", "description": "IANA time zone, e.g. Asia/Shanghai"}),
]


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a date or a local date-time such as 2027-01-04 or "
                     f"2027-02-10T09:00, got {value!r}")


LocalMoment = Annotated[
    datetime, PlainValidator(_moment),
    PlainSerializer(lambda m: m.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "description": "local date or date-time",
                    "examples": ["2027-01-04", "2027-02-10T09:00"]}),
]
