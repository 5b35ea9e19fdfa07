"""The support organisation: tiers (first, second, third line) and teams, staffed in shifts."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Discriminator, Field, Tag

from itr_sim.model.complaints import Complaints, Survey
from itr_sim.model.distributions import Distribution
from itr_sim.model.escalation import Knowledge, PermanentFix, Timebox
from itr_sim.model.fields import (
    LARGEST,
    CustomerName,
    DaysSpec,
    DurationField,
    ElapsedDuration,
    Fraction,
    HoursSpec,
    Name,
    Strict,
    TimeZoneName,
)
from itr_sim.model.kcp import Kcp
from itr_sim.model.linsolve import SingularMatrix, solve
from itr_sim.model.updates import Onsite, Updates
from itr_sim.units import Duration

__all__ = [
    "RESOLVED",
    "Callback",
    "EntryShares",
    "OlaTarget",
    "Organisation",
    "PartClass",
    "Parts",
    "QueueDiscipline",
    "Reopen",
    "Shift",
    "Team",
    "Tier",
    "VendorContract",
    "VendorWaiting",
    "Waiting",
    "WaitingSpec",
    "weekly_intervals",
]

WEEK_MIN = 7 * 1440


class QueueDiscipline(StrEnum):
    FCFS = "fcfs"
    SEVERITY = "severity"
    DEADLINE = "deadline"
    OLA = "ola"


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
        description="fcfs, severity (most severe first, then FCFS), deadline (earliest SLA "
        "deadline first) or ola (earliest deadline of the tier's own OLA first)",
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


class VendorContract(Strict):
    """An underpinning contract: the vendor's promise on the time a ticket waits for it."""

    target: DurationField = Field(
        description="longest wait for the vendor, on the vendor's calendar (24x7 without one)")
    attainment: Fraction = Field(0.9, description="share of vendor waits within the target")
    calendar: Name | None = Field(
        None, description="catalogue calendar the vendor's clock runs on; none: 24x7")


class VendorWaiting(WaitingSpec):
    """Waiting for a third-party vendor, optionally under an underpinning contract."""

    contract: VendorContract | None = Field(
        None, description="underpinning contract: the vendor's clock and target")


class Waiting(Strict):
    customer: WaitingSpec | None = Field(None, description="waiting for customer information")
    vendor: VendorWaiting | None = Field(None, description="waiting for a third-party vendor")


class OlaTarget(Strict):
    """A tier's OLA for one severity in full: budgets per clock, attainment target and
    budgets per customer (contract group) that replace the resolve budget for them."""

    resolve: DurationField | None = Field(
        None, description="from hand-over to this tier until it resolves or hands over")
    response: DurationField | None = Field(
        None, description="from hand-over to this tier until an agent first engages")
    restore: DurationField | None = Field(
        None, description="from hand-over to this tier until it restores service (for "
        "severities whose SLA has a restore clock)")
    attainment: Fraction | None = Field(
        None, description="share of visits that must meet the budgets")
    customers: dict[CustomerName, DurationField] = Field(
        default_factory=dict, description="resolve budget per customer (contract group), "
        "replacing `resolve` for their tickets")


def _ola_form(value: object) -> str:
    return "in full" if isinstance(value, (dict, OlaTarget)) else "a resolve budget"


OlaSpec = Annotated[
    Annotated[DurationField, Tag("a resolve budget")] | Annotated[OlaTarget, Tag("in full")],
    Discriminator(_ola_form),
]
"""``4h`` (the resolve budget) or ``{resolve: 4h, response: 15m, attainment: 95%}``: the
form follows the value, so a mistake in the long form is not also reported as a bad
duration."""


class Tier(StaffedUnit):
    """A support line. It resolves ``resolves`` of what reaches it and hands the rest over to
    ``escalates_to``; the last tier resolves everything. Or, with ``routing``, each visit ends
    as its shares say: resolved, or handed to any other tier (up, skip or back down)."""

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
    ola: dict[Name, OlaSpec] = Field(
        default_factory=dict,
        description="per severity: budget from hand-over to this tier until it resolves or "
        "hands over (OLA), or {resolve, response, restore, attainment, customers}",
    )
    routing: dict[Name, Fraction] | None = Field(
        None, description="what happens after a visit here, as shares summing to 100%: "
        "`resolved` or a tier name (up, skip, or back down), e.g. {resolved: 80%, L3: 12%, "
        "L1: 8%}; instead of resolves/escalates_to")
    timebox: Timebox | None = Field(
        None, description="{work: 2h} or {ola: 80%}: when used up, the ticket is handed over "
        "to escalates_to whatever `resolves` says; none: no time-box")
    resolves_by: dict[str, Fraction] = Field(
        default_factory=dict, description="resolve share by severity, request type or "
        "severity/type (the most specific key wins), replacing `resolves` for those tickets")

    def routes(self) -> dict[str, float]:
        """Shares of what follows a visit here: ``resolved`` or a tier (positive shares)."""
        if self.routing is not None:
            return {k: v for k, v in self.routing.items() if v > 0}
        if self.escalates_to is None:
            return {RESOLVED: 1.0}
        out = {RESOLVED: self.resolves, self.escalates_to: 1.0 - self.resolves}
        return {k: v for k, v in out.items() if v > 0}

    def ola_budget(self, severity: str, clock: str = "resolve",
                   customer: str | None = None) -> Duration | None:
        """The tier's OLA budget on ``clock`` for a severity (and customer), if any."""
        spec = self.ola.get(severity)
        if spec is None:
            return None
        if isinstance(spec, Duration):
            return spec if clock == "resolve" else None
        if clock == "resolve" and customer is not None and customer in spec.customers:
            return spec.customers[customer]
        value: Duration | None = getattr(spec, clock)
        return value

    def ola_attainment(self, severity: str) -> float | None:
        spec = self.ola.get(severity)
        return spec.attainment if isinstance(spec, OlaTarget) else None


class Team(StaffedUnit):
    """A team for non-technical requests or complaints."""

    handles: Annotated[list[Name], Field(min_length=1)] = Field(
        description="non-technical request types, or `complaints`, or `onsite` (a field team: "
        "organisation.onsite)"
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
    team: Name | None = Field(
        None, description="team whose agents make the callbacks (agent time, queued there); "
        "none: callbacks take no agent time")
    handling: Distribution | None = Field(
        None, description="agent time of one callback; needed with `team`")
    survey: Survey | None = Field(
        None, description="satisfaction survey made by the callback: response share and score")


def _amount(value: Any) -> Any:
    """An amount of money as a plain number: not ``true``, not ``"5000"``, not 1e308."""
    if isinstance(value, (bool, str)):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, float | int) and math.isfinite(value) and abs(value) > LARGEST:
        raise ValueError(f"{value:g} is larger than any amount itr-sim can add up (at most "
                         f"{LARGEST:g}); is a digit wrong?")
    return value


class Organisation(Strict):
    timezone: TimeZoneName = Field("UTC", description="local time of the organisation (IANA)")
    entry: Entry | None = Field(
        None, description="tier that takes new technical tickets, or shares per tier such as "
        "{L1: 88%, L2: 12%} (summing to 100%), or such shares per severity with a `default`")
    tiers: dict[Name, Tier] = Field(min_length=1, description="support lines by name")
    teams: dict[Name, Team] = Field(
        default_factory=dict, description="teams for non-technical requests and complaints")
    parts: Parts | None = Field(None, description="spare-parts logistics")
    confirmation: Distribution | None = Field(
        None, description="customer confirmation delay between resolved and closed (KCP5); "
        "none: closed when resolved")
    callback: Callback | None = Field(None, description="callback/survey after closure")
    cost_per_contract_year: dict[Name, Annotated[float, Field(ge=0),
                                                 BeforeValidator(_amount)]] = Field(
        default_factory=dict, description="fixed cost per contract-year by service level "
        "(account management, tools), in the catalogue currency (economics)")
    knowledge: Knowledge | None = Field(
        None, description="knowledge articles from the higher tiers' resolutions raising a "
        "tier's resolve share per problem class (shift-left); none: off")
    permanent_fix: PermanentFix | None = Field(
        None, description="per severity: delay from the resolving tier's solution (restored "
        "then) to the permanent fix (resolved), e.g. a patch release; none: resolved at once")

    def entry_tier(self) -> str:
        """The one entry tier, or with entry shares the tier with the largest default share."""
        if isinstance(self.entry, str):
            return self.entry
        if self.entry is not None:
            shares = self.entry_shares(None)
            return max(shares, key=lambda name: shares[name])
        targets = {t.escalates_to for t in self.tiers.values()}
        roots = [name for name in self.tiers if name not in targets]
        return roots[0] if roots else next(iter(self.tiers))

    def path(self) -> list[str]:
        """Tiers in escalation order from the entry tier (stops at a repeat); with entry
        shares or a routing matrix, every tier a ticket can visit (:meth:`reachable`)."""
        if self.uses_routing():
            return self.reachable()
        out: list[str] = []
        name: str | None = self.entry_tier()
        while name is not None and name in self.tiers and name not in out:
            out.append(name)
            name = self.tiers[name].escalates_to
        return out

    max_visits: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        None, description="most tier visits of a ticket (reopened work included): the tier of "
        "the last visit resolves it; none: no cap")
    reopen: Reopen | None = Field(
        None, description="closed tickets reopened at the tier that resolved them")
    kcp: Kcp | None = Field(
        None, description="key control points as gates: mis-dispatch (KCP2), reviews "
        "(KCP3, KCP4), failed confirmations (KCP5), severity changes; none: no gate")

    def entry_shares(self, severity: str | None) -> dict[str, float]:
        """Where new technical tickets of a severity enter: tier -> share (positive)."""
        entry = self.entry
        if entry is None or isinstance(entry, str):
            return {self.entry_tier() if entry is None else entry: 1.0}
        shares: dict[str, Any]
        first = next(iter(entry.values()))
        if isinstance(first, dict):
            per_severity: dict[str, Any] = dict(entry)
            shares = per_severity.get(severity or "", per_severity.get("default")) or first
        else:
            shares = dict(entry)
        return {k: float(v) for k, v in shares.items() if v > 0}

    def uses_routing(self) -> bool:
        """Whether anything beyond the one-way chain is in use (entry shares, a routing
        matrix, a visit cap or reopening)."""
        return (isinstance(self.entry, dict) or self.max_visits is not None
                or self.reopen is not None
                or any(t.routing is not None for t in self.tiers.values()))

    def entry_options(self) -> list[dict[str, float]]:
        """Every set of entry shares the scenario gives (one per severity key)."""
        entry = self.entry
        if isinstance(entry, dict) and entry and isinstance(next(iter(entry.values())), dict):
            return [{k: float(v) for k, v in shares.items() if v > 0}  # type: ignore[union-attr]
                    for shares in entry.values()]
        return [self.entry_shares(None)]

    def reachable(self) -> list[str]:
        """Tiers a technical ticket can visit (positive shares only), entry tiers first."""
        seen: list[str] = []
        todo = [name for shares in self.entry_options() for name in shares]
        while todo:
            name = todo.pop(0)
            if name in seen or name not in self.tiers:
                continue
            seen.append(name)
            todo.extend(k for k in self.tiers[name].routes() if k != RESOLVED)
        return seen

    def visit_rates(self, severity: str | None) -> dict[str, float]:
        """Expected visits per technical ticket to each tier: the entry shares through the
        routing matrix, reopened work at the resolving tier included; the visit cap is
        ignored. Solves v = e + v P + r v diag(P_resolved) (r: the reopen probability)."""
        names = list(self.tiers)
        index = {n: i for i, n in enumerate(names)}
        n = len(names)
        a = [[0.0] * n for _ in range(n)]  # I - P - r diag(resolved), transposed
        reopen = self.reopen.probability if self.reopen is not None else 0.0
        for i, name in enumerate(names):
            a[i][i] += 1.0
            for target, share in self.tiers[name].routes().items():
                if target == RESOLVED:
                    a[i][i] -= reopen * share
                elif target in index:
                    a[index[target]][i] -= share
        e = [0.0] * n
        for name, share in self.entry_shares(severity).items():
            if name in index:
                e[index[name]] += share
        try:
            v = solve(a, e)
        except SingularMatrix:
            return {name: float("inf") for name in names}
        return {name: float(v[i]) for i, name in enumerate(names)}

    complaints: Complaints | None = Field(
        None, description="complaints in stages (handler, relationship manager, department "
        "head, ...), each a team with a time limit, and the rules that make one major; none: "
        "one pass through the team that handles `complaints`")
    updates: Updates = Field(
        default_factory=dict, description="progress updates per level and severity: "
        "{platinum: {critical: {cadence: 45m, sender: L1, time: {fixed: {value: 5m}}}}}; "
        "none: no updates are sent")
    onsite: Onsite | None = Field(
        None, description="site visits of field engineers: {team, share, travel}")


RESOLVED = "resolved"
"""The routing key that ends a ticket's path: the tier resolves it."""


class Reopen(Strict):
    """Closed tickets that come back: each closure is followed, with ``probability``, by a
    reopening after ``delay`` at the tier that resolved the ticket."""

    probability: Fraction = Field(description="share of closures followed by a reopening")
    delay: Distribution = Field(description="time from closure to the reopening")


EntryShares = Annotated[dict[Name, Fraction], Field(min_length=1)]
"""Shares of new technical tickets per entry tier, summing to 100%."""


def _entry_form(value: object) -> str:
    if isinstance(value, str):
        return "a tier name"
    if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
        return "shares per severity"
    return "shares per tier"


Entry = Annotated[
    Annotated[Name, Tag("a tier name")]
    | Annotated[EntryShares, Tag("shares per tier")]
    | Annotated[dict[Name, EntryShares], Field(min_length=1), Tag("shares per severity")],
    Discriminator(_entry_form),
]
"""``L1``, ``{L1: 88%, L2: 12%}`` or ``{default: {L1: 90%, L2: 10%}, critical: {L2: 100%}}``."""
# (Organisation's forward reference to Entry resolves when its validator is first built:
# models are built on first use, see Strict.)
