"""Demand: customers under contract, what they raise, and when."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from itr_sim.model.fields import (
    CustomerName,
    ElapsedDuration,
    Fraction,
    GrowthRate,
    LocalMoment,
    Name,
    Strict,
)

__all__ = ["Customer", "Demand", "OutageEvent", "Profile", "Trace"]

DayName = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
NonNegative = Annotated[float, Field(ge=0)]


class Customer(Strict):
    """One contract, or ``count`` identical contracts, at a service level."""

    level: Name = Field(description="service level of the contract, from the catalogue")
    count: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    tickets_per_week: NonNegative = Field(description="technical and non-technical, per contract")
    contract: Literal["active", "expired", "no_data"] = Field(
        "active", description="entitlement at KCP1: active, expired (not entitled) or no_data"
    )
    severity_mix: dict[Name, Fraction] | None = Field(None, description="overrides demand's")
    type_mix: dict[Name, Fraction] | None = Field(None, description="overrides demand's")


class Profile(Strict):
    """Relative arrival weights by hour of day and day of week (local time of the
    organisation). Weights are normalised, so the weekly volume stays tickets_per_week."""

    hourly: Annotated[list[NonNegative], Field(min_length=24, max_length=24)] | None = None
    weekly: dict[DayName, NonNegative] = Field(default_factory=dict, description="missing = 1")

    @field_validator("hourly")
    @classmethod
    def _some_weight(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and sum(value) <= 0:
            raise ValueError("hourly weights are all zero: no ticket could ever arrive")
        return value

    @field_validator("weekly")
    @classmethod
    def _some_day(cls, value: dict[str, float]) -> dict[str, float]:
        if len(value) == 7 and sum(value.values()) <= 0:
            raise ValueError("weekly weights are all zero: no ticket could ever arrive")
        return value


class OutageEvent(Strict):
    """A burst of demand: the arrival rate is multiplied while it lasts."""

    name: str
    at: LocalMoment
    lasts: ElapsedDuration
    multiplier: Annotated[float, Field(gt=0, le=1000)]
    severity: Name | None = Field(None, description="severity of the extra tickets")
    customers: list[CustomerName] | None = Field(None, description="default: every customer")


class Trace(Strict):
    """Arrivals read from a CSV table with columns time (local date-time, or minutes since
    the start), customer, severity and type."""

    file: str = Field(description="CSV path, relative to the scenario file")


class Demand(Strict):
    customers: dict[CustomerName, Customer] = Field(
        min_length=1, description="contracts by name")
    severity_mix: dict[Name, Fraction] = Field(description="of technical tickets; sums to 100%")
    type_mix: dict[Name, Fraction] = Field(description="request types; sums to 100%")
    profile: Profile = Field(default_factory=Profile)
    growth_per_year: GrowthRate = Field(0.0, description="compound growth of every volume")
    complaint_on_breach: Fraction = Field(
        0.0, description="probability that a ticket which breaches a clock raises a complaint")
    trace: Trace | None = Field(None, description="replay arrivals from a table instead of "
                                "generating them")
    events: list[OutageEvent] = Field(default_factory=list,
                                      description="outage storms and other bursts")

    def tickets_per_week(self) -> float:
        return sum(c.count * c.tickets_per_week for c in self.customers.values())
