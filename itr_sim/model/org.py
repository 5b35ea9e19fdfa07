"""The support organisation: tiers (first, second, third line) and teams, staffed in shifts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from itr_sim.model.distributions import Distribution
from itr_sim.model.fields import (
    DaysSpec,
    DurationField,
    ElapsedDuration,
    Fraction,
    HoursSpec,
    Name,
    Strict,
    TimeZoneName,
)

__all__ = [
    "Callback",
    "Organisation",
    "PartClass",
    "Parts",
    "QueueDiscipline",
    "Shift",
    "Team",
    "Tier",
    "Waiting",
    "WaitingSpec",
    "weekly_intervals",
]

WEEK_MIN = 7 * 1440


class QueueDiscipline(StrEnum):
    FCFS = "fcfs"
    SEVERITY = "severity"
    DEADLINE = "deadline"


class Shift(Strict):
    """Agents on duty in a weekly window of the organisation's local time."""

    days: DaysSpec = Field(description="Mon-Fri, Sat,Sun, daily, ...")
    hours: HoursSpec = Field(description="local window; 20:00-08:00 runs overnight")
    agents: Annotated[int, Field(ge=0, le=100_000)] = Field(description="agents on duty")
    holidays_from: Name | None = Field(
        None, description="calendar whose holidays close this shift (and make-up days open it)"
    )

    def weekly_minutes(self) -> float:
        return float(len(self.days) * (self.hours[1] - self.hours[0]))


def weekly_intervals(shift: Shift) -> list[tuple[int, int]]:
    """The shift's windows as minutes of the week (Monday 00:00 = 0), split at week end."""
    out: list[tuple[int, int]] = []
    for day in shift.days:
        a, b = day * 1440 + shift.hours[0], day * 1440 + shift.hours[1]
        if b <= WEEK_MIN:
            out.append((a, b))
        else:
            out.extend([(a, WEEK_MIN), (0, b - WEEK_MIN)])
    return out


class StaffedUnit(Strict):
    shifts: Annotated[list[Shift], Field(min_length=1)] = Field(
        description="weekly windows with agents; windows of one unit must not overlap")
    handling: dict[str, Distribution] = Field(
        min_length=1,
        description="handling time (agent busy time) by key: default, a severity, a request "
        "type, or severity/type; the most specific key wins",
    )
    queue: QueueDiscipline = Field(
        QueueDiscipline.SEVERITY,
        description="fcfs, severity (most severe first, then FCFS) or deadline (earliest SLA "
        "deadline first)",
    )
    cost_per_agent_hour: Annotated[float, Field(ge=0)] = Field(
        0.0, description="fully loaded cost of a staffed agent hour, in the catalogue currency")

    def handling_for(self, severity: str | None, request_type: str) -> Distribution:
        """The most specific handling distribution for a ticket."""
        for key in (f"{severity}/{request_type}", severity, request_type, "default"):
            if key is not None and key in self.handling:
                return self.handling[key]
        raise KeyError(f"no handling for {severity}/{request_type} and no default")

    def staffed_hours_per_week(self) -> float:
        return sum(s.agents * s.weekly_minutes() for s in self.shifts) / 60.0


class WaitingSpec(Strict):
    """A waiting state a ticket may enter while a tier works on it."""

    probability: Fraction = Field(description="share of tickets at this tier that wait")
    duration: Distribution = Field(description="how long the wait lasts")


class Waiting(Strict):
    customer: WaitingSpec | None = Field(None, description="waiting for customer information")
    vendor: WaitingSpec | None = Field(None, description="waiting for a third-party vendor")


class Tier(StaffedUnit):
    """A support line. It resolves ``resolves`` of what reaches it and hands the rest over to
    ``escalates_to``; the last tier resolves everything."""

    restores: Fraction = Field(
        0.0, description="share of the critical and major tickets it does not resolve that it "
        "restores with a workaround before handing over (emergency recovery)")
    waiting: Waiting = Field(default_factory=Waiting,
                             description="waiting states entered while this tier works")

    resolves: Fraction = Field(1.0, description="share of the tickets reaching it it resolves")
    escalates_to: Name | None = Field(None, description="next tier; none for the last")
    handover: Distribution | None = Field(
        None, description="delay between the decision to escalate and arrival at the next tier"
    )
    ola: dict[Name, DurationField] = Field(
        default_factory=dict,
        description="per severity: budget from hand-over to this tier until it resolves or "
        "hands over (OLA)",
    )


class Team(StaffedUnit):
    """A team for non-technical requests or complaints."""

    handles: Annotated[list[Name], Field(min_length=1)] = Field(
        description="non-technical request types, or `complaints`"
    )


class PartClass(Strict):
    share: Fraction = Field(description="share of part needs that are of this class")
    stock: Annotated[int, Field(ge=0, le=1_000_000)] = Field(description="units at the start")
    replenish: Distribution = Field(description="lead time of a replenishment order, placed "
                                    "when a unit is taken")
    cost_per_unit: Annotated[float, Field(ge=0)] = Field(
        0.0, description="cost of one part consumed, in the catalogue currency (economics)")


class Parts(Strict):
    """Spare parts: which requests need one, stock per class, and delivery times."""

    need: dict[Name, Fraction] = Field(
        description="request type -> share of its tickets that need a part")
    classes: dict[Name, PartClass] = Field(min_length=1)
    express: Distribution = Field(
        description="delivery time from stock when the level's parts target is a duration "
        "such as 4h (advance replacement)")
    standard: Distribution = Field(
        description="delivery time from stock when the level has no parts target")


class Callback(Strict):
    share: Fraction = Field(description="share of closed tickets that get a callback/survey")
    after: ElapsedDuration = Field(description="delay after closure")


class Organisation(Strict):
    timezone: TimeZoneName = Field("UTC", description="local time of the organisation (IANA)")
    entry: Name | None = Field(None, description="tier that takes new technical tickets")
    tiers: dict[Name, Tier] = Field(min_length=1, description="support lines by name")
    teams: dict[Name, Team] = Field(
        default_factory=dict, description="teams for non-technical requests and complaints")
    parts: Parts | None = Field(None, description="spare-parts logistics")
    confirmation: Distribution | None = Field(
        None, description="customer confirmation delay between resolved and closed (KCP5); "
        "none: closed when resolved")
    callback: Callback | None = Field(None, description="callback/survey after closure")
    cost_per_contract_year: dict[Name, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="fixed cost per contract-year by service level "
        "(account management, tools), in the catalogue currency (economics)")

    def entry_tier(self) -> str:
        if self.entry:
            return self.entry
        targets = {t.escalates_to for t in self.tiers.values()}
        roots = [name for name in self.tiers if name not in targets]
        return roots[0] if roots else next(iter(self.tiers))

    def path(self) -> list[str]:
        """Tiers in escalation order from the entry tier (stops at a repeat)."""
        out: list[str] = []
        name: str | None = self.entry_tier()
        while name is not None and name in self.tiers and name not in out:
            out.append(name)
            name = self.tiers[name].escalates_to
        return out
