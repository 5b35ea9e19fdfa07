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
    CustomerName,
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
    "Charge",
    "ClockName",
    "Credit",
    "EscalationRung",
    "LevelSpec",
    "PauseReason",
    "Penalties",
    "Policies",
    "Price",
    "Product",
    "RequestKind",
    "RequestType",
    "ServiceTargets",
    "SoldTo",
    "TargetChanges",
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
        from itr_sim.calendar import holiday_countries
        from itr_sim.model.fields import did_you_mean

        supported = holiday_countries()
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
        from itr_sim.calendar import holiday_subdivisions
        from itr_sim.model.fields import did_you_mean

        known = holiday_subdivisions(self.country)
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


def _charge(value: Any) -> Any:
    if isinstance(value, dict | Charge):
        return value
    if isinstance(value, str) and value.strip().endswith("%"):
        return {"share": value}
    return {"amount": value}


class Charge(Strict):
    """A credit or a cap: a share of the contract's fee for the period (``5%``) or an amount
    in the catalogue currency (``2000``)."""

    share: Fraction | None = Field(
        None, description="share of the contract's fee for the period")
    amount: Annotated[float, Field(ge=0)] | None = Field(None, description="an amount")

    @model_validator(mode="after")
    def _one(self) -> Charge:
        if (self.share is None) == (self.amount is None):
            raise ValueError("give a share of the fee (5%) or an amount (2000), not both")
        return self

    @model_serializer
    def _as_text(self) -> Any:
        return f"{self.share * 100:g}%" if self.share is not None else self.amount

    def value(self, period_fee: float) -> float:
        """The charge in currency, for a period whose fee is ``period_fee``."""
        return self.share * period_fee if self.share is not None else float(self.amount or 0)


ChargeField = Annotated[
    Charge,
    BeforeValidator(_charge),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^\d+(\.\d+)?%$"},
                              {"type": "number", "minimum": 0}],
                    "examples": ["5%", 2000]}),
]


class Credit(Strict):
    """One service credit: ``per_miss`` for every missed clock, or ``below_target`` for
    every period in which the contract's attainment of the clock is below the level's
    target. ``severity`` limits it to one severity (default: every severity)."""

    clock: ClockName = Field(description="the clock whose misses earn the credit")
    severity: Name | None = Field(None, description="only this severity; default every one")
    per_miss: ChargeField | None = Field(None, description="credit per missed clock: 5% of "
                                         "the period's fee, or an amount")
    below_target: ChargeField | None = Field(
        None, description="credit per period whose attainment of the clock is below target")

    @model_validator(mode="after")
    def _one_kind(self) -> Credit:
        if (self.per_miss is None) == (self.below_target is None):
            raise ValueError("give exactly one of per_miss (a credit per missed clock) and "
                             "below_target (a credit per period below the attainment target)")
        return self


class Penalties(Strict):
    """Service credits owed to a contract of the level, per billing period, with a cap."""

    period: Literal["month", "quarter", "year"] = Field(
        "month", description="billing period: credits and the cap count per period")
    credits: Annotated[list[Credit], Field(min_length=1)] = Field(
        description="the credits, e.g. {clock: restore, severity: critical, per_miss: 5%}")
    cap: ChargeField | None = Field(
        None, description="at most this per contract and period: 20% of the period's fee, or "
        "an amount; default no cap")

    def periods_per_year(self) -> int:
        return {"month": 12, "quarter": 4, "year": 1}[self.period]

    def uses_shares(self) -> bool:
        charges = [c.per_miss or c.below_target for c in self.credits] + [self.cap]
        return any(c is not None and c.share is not None for c in charges)


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
    penalties: Penalties | None = Field(
        None, description="service credits per missed clock or per period below target "
        "(docs/economics.md)")

    @model_validator(mode="after")
    def _penalties_fit(self) -> LevelSpec:
        p = self.penalties
        if p is None:
            return self
        if p.uses_shares() and self.price is None:
            raise ValueError("penalties: a credit given as a share of the fee needs the "
                             "level's price: add price: {per_contract_year: ...} or give "
                             "the credit as an amount")
        for i, credit in enumerate(p.credits):
            where = f"penalties.credits.{i}"
            if credit.severity is not None and credit.severity not in self.targets:
                raise ValueError(f"{where}.severity: {credit.severity!r} has no targets in "
                                 f"this level; use one of: {', '.join(self.targets)}")
            budgets = [t for s, t in self.targets.items()
                       if credit.severity in (None, s) and getattr(t, credit.clock.value)]
            if not budgets:
                raise ValueError(f"{where}.clock: this level has no {credit.clock.value} "
                                 "target for that severity, so it can never be missed")
            if credit.below_target is not None and self.attainment_for(credit.clock) is None:
                raise ValueError(f"{where}.below_target: the level has no attainment target "
                                 f"for {credit.clock.value}; add it to `attainment`")
        return self

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



class TargetChanges(Strict):
    """Clock budgets that replace the extended level's for one severity."""

    response: DurationField | None = None
    restore: DurationField | None = None
    resolve: DurationField | None = None
    update: DurationField | None = None
    onsite: DurationField | None = None
    parts: DurationField | None = None


class SoldTo(Strict):
    customer: CustomerName = Field(description="customer group of the scenario whose volume per "
                                 "contract (tickets, mixes) the new contracts have")
    contracts: Annotated[int, Field(ge=1, le=100_000)] = Field(
        description="contracts of the product sold")


class Product(Strict):
    """A new service level for ``itr-sim price --product``: a catalogue level with some
    clocks, the price or the credits changed, sold to N contracts like a named group's."""

    product: Name = Field(description="name of the new level")
    extends: Name = Field(description="the catalogue level it starts from")
    description: str = ""
    calendar: Name | None = Field(None, description="coverage calendar (default: extended's)")
    targets: dict[Name, TargetChanges] = Field(
        default_factory=dict, description="per severity, the clock budgets that change, "
        "e.g. {critical: {restore: 2h}}")
    attainment: Annotated[
        dict[ClockName, Fraction] | None,
        BeforeValidator(_attainment, json_schema_input_type=Fraction | dict[ClockName, Fraction]
                        | None),
    ] = Field(None, description="replaces the extended level's attainment targets")
    price: Price | None = Field(None, description="list price (default: extended's)")
    penalties: Penalties | None = Field(None, description="credits (default: extended's)")
    sold_to: SoldTo = Field(description="{customer: GROUP, contracts: N}")
