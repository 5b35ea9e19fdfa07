"""The SLA catalogue: calendars, severities, clocks and the service levels sold."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from itr_sim.calendar import Calendar
from itr_sim.model.fields import (
    ClockShare,
    ClockTime,
    DurationField,
    Fraction,
    HoursSpec,
    Name,
    Strict,
    TimeZoneName,
)
from itr_sim.units import WEEKDAYS, parse_offset

__all__ = [
    "DEFAULT_PAUSES",
    "CalendarSpec",
    "Catalog",
    "ClockName",
    "EscalationRung",
    "LevelSpec",
    "PauseReason",
    "Policies",
    "Price",
    "RequestKind",
    "RequestType",
    "ServiceTargets",
    "Targets",
    "Threshold",
]


class ClockName(StrEnum):
    RESPONSE = "response"
    RESTORE = "restore"
    RESOLVE = "resolve"
    UPDATE = "update"
    ONSITE = "onsite"
    PARTS = "parts"


class PauseReason(StrEnum):
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_VENDOR = "waiting_vendor"
    WAITING_PARTS = "waiting_parts"


DEFAULT_PAUSES: dict[ClockName, tuple[PauseReason, ...]] = {
    ClockName.RESPONSE: (),
    ClockName.RESTORE: (PauseReason.WAITING_CUSTOMER,),
    ClockName.RESOLVE: (PauseReason.WAITING_CUSTOMER,),
    ClockName.UPDATE: (PauseReason.WAITING_CUSTOMER,),
    ClockName.ONSITE: (),
    ClockName.PARTS: (),
}
"""Which waiting states pause which clock unless the catalogue says otherwise. A vendor's or
the parts logistics' delay sits inside our own clock: only the customer's delay pauses."""


def _holidays(value: Any) -> Any:
    return {"country": value} if isinstance(value, str) else value


class HolidaySpec(Strict):
    country: str | None = Field(None, description="ISO country code for the `holidays` package")
    subdivision: str | None = Field(None, description="state/province code, if the country has")
    extra: list[date] = Field(default_factory=list, description="more holiday dates")

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import holidays

        from itr_sim.model.fields import did_you_mean

        supported = holidays.list_supported_countries()
        if value not in supported:
            raise ValueError(did_you_mean(value, supported, "holiday country", listing=False)
                             + "; use an ISO 3166 code such as CN, DE, US")
        return value

    @model_validator(mode="after")
    def _known_subdivision(self) -> HolidaySpec:
        if self.subdivision is None:
            return self
        if self.country is None:
            raise ValueError("a holiday subdivision needs its country: {country: DE, "
                             f"subdivision: {self.subdivision}}}")
        import holidays

        from itr_sim.model.fields import did_you_mean

        known = holidays.list_supported_countries()[self.country]
        if self.subdivision not in known:
            if not known:
                raise ValueError(f"the holidays of {self.country} have no subdivisions; "
                                 "drop `subdivision`")
            raise ValueError(did_you_mean(self.subdivision, known,
                                          f"subdivision of {self.country}"))
        return self


def _week(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
    return value


class CalendarSpec(Strict):
    """When a clock runs. No ``week`` means 24x7; holidays then remove whole days."""

    timezone: TimeZoneName = "UTC"
    week: Annotated[
        dict[str, list[HoursSpec]] | None,
        BeforeValidator(_week, json_schema_input_type=dict[str, HoursSpec | list[HoursSpec]]
                        | None),
    ] = Field(
        None, description='{Mon-Fri: ["09:00-12:00", "13:00-18:00"], Sat: "09:00-13:00"}'
    )
    holidays: Annotated[
        HolidaySpec | None,
        BeforeValidator(_holidays, json_schema_input_type=str | HolidaySpec | None),
    ] = Field(None, description="a country code (CN) or {country, subdivision, extra}")
    workdays: list[date] = Field(
        default_factory=list, description="make-up working days (e.g. a Saturday in China)"
    )
    makeup_as: Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] = Field(
        "Mon", description="make-up working days use the windows of this weekday"
    )

    @field_validator("week")
    @classmethod
    def _days(cls, value: dict[str, list[tuple[int, int]]] | None) -> Any:
        if value is None:
            return value
        from itr_sim.units import parse_days

        if not any(value.values()):
            raise ValueError("the week has no window: the calendar would never be open and "
                             "its clocks would never run; leave out `week` for 24x7")
        seen: dict[int, str] = {}
        for key in value:
            for day in parse_days(key):
                if day in seen:
                    raise ValueError(f"{WEEKDAYS[day]} is in both {seen[day]!r} and {key!r}")
                seen[day] = key
        return value

    def to_calendar(self, name: str) -> Calendar:
        from itr_sim.calendar import weekly_windows
        from itr_sim.units import parse_days

        week = None
        if self.week is not None:
            week = weekly_windows({parse_days(k): v for k, v in self.week.items()})
        h = self.holidays or HolidaySpec()
        return Calendar(
            name=name,
            timezone=self.timezone,
            week=week,
            holiday_country=h.country,
            holiday_subdivision=h.subdivision,
            extra_holidays=frozenset(h.extra),
            workdays=frozenset(self.workdays),
            makeup_as=WEEKDAYS.index(self.makeup_as),
        )


class Targets(Strict):
    """Clock budgets of one severity. response and resolve are required."""

    response: DurationField = Field(description="an engineer engages")
    restore: DurationField | None = Field(None, description="service back (workaround)")
    resolve: DurationField = Field(description="permanent fix")
    update: DurationField | None = Field(None, description="progress notice cadence")
    onsite: DurationField | None = Field(None, description="engineer on site")
    parts: DurationField | None = Field(None, description="spare part delivered")

    def budgets(self) -> dict[ClockName, Any]:
        return {ClockName(k): v for k, v in self if v is not None}


def _threshold(value: Any) -> Any:
    if isinstance(value, dict | Threshold):
        return value
    if isinstance(value, str) and value.strip()[:1] in ("+", "-"):
        return {"offset_min": parse_offset(value)}
    return {"share": value}


class Threshold(Strict):
    share: ClockShare | None = Field(None, description="share of the budget, 1.0 = deadline")
    offset_min: float | None = Field(None, description="minutes after (+) or before (-) the "
                                     "deadline")

    @model_serializer
    def _as_text(self) -> str:
        if self.share is not None:
            return f"{self.share * 100:g}%"
        minutes = self.offset_min or 0.0
        return f"{'-' if minutes < 0 else '+'}{abs(minutes):g}m"


MIN_REPEAT_MIN = 15
"""Shortest repeat of an escalation notice, in minutes (a 0m repeat would never stop)."""


def _roles(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class EscalationRung(Strict):
    """Notify roles when a clock reaches a share of its budget (``at: 50%``) or an offset
    from its deadline (``at: "+30m"`` after, ``at: "-2d"`` before)."""

    clock: ClockName = Field(description="the clock this rung watches")
    at: Annotated[
        Threshold,
        BeforeValidator(_threshold),
        WithJsonSchema({"type": "string", "pattern": r"^([+-](\d+(\.\d+)?[wdhm])+|\d+(\.\d+)?%)$",
                        "examples": ["50%", "100%", "+30m", "-2d"]}),
    ]
    notify: Annotated[
        list[Name],
        BeforeValidator(_roles, json_schema_input_type=Name | list[Name]),
        Field(min_length=1),
    ] = Field(
        description="role or list of roles from `roles`")
    repeat: DurationField | None = Field(
        None, description=f"repeat the notice while open; at least {MIN_REPEAT_MIN}m apart")

    @field_validator("repeat")
    @classmethod
    def _not_too_often(cls, value: Any) -> Any:
        if value is not None and value.nominal_minutes < MIN_REPEAT_MIN:
            raise ValueError(f"repeat every {value} would send a notice every few minutes "
                             f"for as long as a ticket stays open; repeat at least every "
                             f"{MIN_REPEAT_MIN}m (e.g. 4h), or drop `repeat`")
        return value


def _attainment(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    return {clock.value: value for clock in ClockName}


class Price(Strict):
    per_contract_year: Annotated[float, Field(ge=0)]


class LevelSpec(Strict):
    """A service level sold (platinum, gold, silver): clocks per severity on a calendar."""

    description: str = ""
    calendar: Name = Field(description="coverage calendar of every clock of this level")
    calendars: dict[Name, Name] = Field(
        default_factory=dict, description="per-severity calendar, e.g. {minor: office}"
    )
    targets: dict[Name, Targets] = Field(description="clock budgets per severity")
    attainment: Annotated[
        dict[ClockName, Fraction],
        BeforeValidator(_attainment, json_schema_input_type=Fraction | dict[ClockName, Fraction]),
    ] = Field(description="share of tickets that must meet each clock: 95% (every clock) or "
              "{response: 95%, resolve: 90%, ...}")
    nbd_cutoff: ClockTime = Field("15:00", validate_default=True,
                                  description="NBD cut-off, local time of the calendar")
    escalation: list[EscalationRung] = Field(default_factory=list)
    price: Price | None = None

    def attainment_for(self, clock: ClockName) -> float | None:
        return self.attainment.get(clock)


class RequestKind(StrEnum):
    TECHNICAL = "technical"
    NON_TECHNICAL = "non_technical"


class RequestType(Strict):
    kind: RequestKind = RequestKind.TECHNICAL
    description: str = ""


class ClockRule(Strict):
    pause_on: list[PauseReason] = Field(
        description="waiting states that pause this clock"
    )


class Policies(Strict):
    severity_upgrade: Literal["retroactive", "keep_elapsed", "restart"] = Field(
        "retroactive", description="retroactive: the new budget counts from the original start;"
        " keep_elapsed: new budget, time spent kept; restart: new budget from the change")
    severity_downgrade: Literal["retroactive", "keep_elapsed", "restart"] = Field(
        "keep_elapsed", description="as severity_upgrade, for a downgrade")
    on_reopen: Literal["new_cycle", "continue"] = Field(
        "new_cycle", description="new_cycle: a reopened ticket gets fresh clocks; continue: "
        "the resolve clock resumes")


class ServiceTargets(Strict):
    """Clocks of a non-technical service (non-technical requests, complaints)."""

    calendar: Name = Field(description="calendar of these clocks")
    targets: dict[Name, DurationField] = Field(
        min_length=1, description="clock name -> budget, e.g. {response: 1bd, resolve: 5bd}")
    attainment: Fraction = Field(0.9, description="share that must meet each clock")


class Catalog(Strict):
    """sla_catalog/*.yaml: what is sold and how it is measured."""

    catalog: Name = Field(description="name of this catalogue")
    version: Annotated[int, Field(ge=1)] = Field(1, description="bump when targets change")
    effective_from: date | None = Field(None, description="first day the catalogue applies")
    description: str = ""
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        "CNY", description="ISO 4217 code of prices and costs")
    calendars: dict[Name, CalendarSpec] = Field(
        min_length=1, description="named coverage calendars; {} is 24x7")
    severities: Annotated[list[Name], Field(min_length=1)] = Field(
        description="most severe first"
    )
    request_types: dict[Name, RequestType] = Field(
        default_factory=lambda: {"fault": RequestType()},
        description="technical types go through the tiers, non-technical to their team",
    )
    roles: list[Name] = Field(default_factory=list, description="who escalations notify")
    clocks: dict[ClockName, ClockRule] = Field(
        default_factory=dict, description="pause scope per clock (defaults in the docs)"
    )
    policies: Policies = Field(default_factory=Policies,
                               description="severity change and reopen semantics")
    non_technical: ServiceTargets | None = Field(
        None, description="clocks of non-technical requests (billing, delivery, ...)")
    complaints: ServiceTargets | None = Field(None, description="clocks of complaint handling")
    levels: dict[Name, LevelSpec] = Field(
        min_length=1, description="service levels sold: platinum, gold, silver, ...")

    @field_validator("severities", "roles")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        dupes = sorted({v for v in value if value.count(v) > 1})
        if dupes:
            raise ValueError(f"listed twice: {', '.join(dupes)}")
        return value

    def pauses(self, clock: ClockName) -> tuple[PauseReason, ...]:
        rule = self.clocks.get(clock)
        return tuple(rule.pause_on) if rule else DEFAULT_PAUSES[clock]

    def calendar(self, name: str) -> Calendar:
        return self.calendars[name].to_calendar(name)

