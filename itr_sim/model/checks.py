"""Cross-checks that a single field cannot see: names that must exist, escalation cycles,
mixes that must sum to 100%, overlapping shifts, OLA budgets against the SLA, and offered
load against staffed capacity. Each finding carries the key path it is about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from itr_sim.model.catalog import Catalog, ClockName, RequestKind
from itr_sim.model.fields import did_you_mean
from itr_sim.model.org import RESOLVED, WEEK_MIN, Organisation, StaffedUnit, weekly_intervals
from itr_sim.model.scenario import Scenario
from itr_sim.model.source import Level
from itr_sim.model.updates import ONSITE
from itr_sim.units import (
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    MINUTES_PER_YEAR,
    WEEKDAYS,
    Duration,
    DurationKind,
)

__all__ = ["Finding", "check_catalog", "check_scenario", "offered_load", "unit_demand"]

COMPLAINTS = "complaints"
MIX_TOLERANCE = 1e-6
MAX_HORIZON_MIN = 20 * 52 * 10080
"""Longest horizon (20 years of weeks)."""
FIRST_YEAR, LAST_YEAR = 1970, 2199
"""Years a simulated period may cover."""
MAX_TICKETS = 10_000_000
"""Most tickets one replication may be expected to generate (memory of the event log)."""


Report = Callable[..., None]


@dataclass(frozen=True)
class Finding:
    document: Literal["catalog", "scenario"]
    path: tuple[str | int, ...]
    message: str
    level: Level = Level.ERROR


def check_catalog(cat: Catalog) -> list[Finding]:
    out: list[Finding] = []

    def err(path: tuple[str | int, ...], message: str, level: Level = Level.ERROR) -> None:
        out.append(Finding("catalog", path, message, level))

    severities, calendars, roles = set(cat.severities), set(cat.calendars), set(cat.roles)
    for name, level in cat.levels.items():
        base = ("levels", name)
        if level.calendar not in calendars:
            err((*base, "calendar"), did_you_mean(level.calendar, calendars, "calendar"))
        for sev, cal in level.calendars.items():
            if sev not in severities:
                err((*base, "calendars", sev), did_you_mean(sev, severities, "severity"))
            if cal not in calendars:
                err((*base, "calendars", sev), did_you_mean(cal, calendars, "calendar"))
        for sev in level.targets:
            if sev not in severities:
                err((*base, "targets", sev), did_you_mean(sev, severities, "severity"))
        for sev in cat.severities:
            if sev not in level.targets:
                err((*base, "targets"), f"severity {sev!r} has no targets in level {name!r}; "
                    f"every severity needs at least response and resolve")
        used = {clock for t in level.targets.values() for clock in t.budgets()}
        for i, rung in enumerate(level.escalation):
            if rung.clock not in used:
                err((*base, "escalation", i, "clock"),
                    f"level {name!r} escalates on the {rung.clock} clock but no severity has a "
                    f"{rung.clock} target; add one or drop the rung")
            for j, role in enumerate(rung.notify):
                if role not in roles:
                    err((*base, "escalation", i, "notify", j),
                        did_you_mean(role, roles, "role") + "; declare roles in `roles:`")
        for clock in used - set(level.attainment):
            err((*base, "attainment"), f"no attainment target for the {clock} clock of "
                f"level {name!r}; give one for every clock used, or a single share")
        _check_budgets(base, level.targets, err)
        if level.penalties is not None:
            _check_credits(base, level.penalties.credits, err)
    for key in ("non_technical", "complaints"):
        service = getattr(cat, key)
        if service is not None and service.calendar not in calendars:
            err((key, "calendar"), did_you_mean(service.calendar, calendars, "calendar"))
        if service is not None:
            for clock, budget in service.targets.items():
                _nonzero_budget((key, "targets", clock), clock, budget, err)
    for clock, rule in cat.clocks.items():
        if clock is ClockName.RESPONSE and rule.pause_on:
            err(("clocks", clock.value, "pause_on"),
                "the response clock pauses while waiting: a first response needs no customer "
                "input; pausing it is allowed but unusual", Level.WARNING)
    return out


ORDERED_CLOCKS = (ClockName.RESPONSE, ClockName.RESTORE, ClockName.RESOLVE)
"""A ticket is engaged before its service is restored, and restored before it is fixed."""


def _nonzero_budget(path: tuple[str | int, ...], clock: str, budget: Duration,
                    err: Report) -> None:
    if budget.kind is DurationKind.ELAPSED and budget.minutes <= 0:  # 0bd: the unit grammar
        err(path, f"a {clock} target of {budget} can never be met (a clock that starts has "
            "used time before it stops); give a positive budget, e.g. 15m or 1bd")


def _check_budgets(base: tuple[str | int, ...], targets: dict[str, Any], err: Report) -> None:
    """Positive budgets, and response <= restore <= resolve within a severity (same kind of
    duration only: business days and elapsed time are not comparable without a calendar)."""
    for sev, t in targets.items():
        budgets = t.budgets()
        for clock, budget in budgets.items():
            _nonzero_budget((*base, "targets", sev, clock.value), clock.value, budget, err)
        ordered = [(c, budgets[c]) for c in ORDERED_CLOCKS if c in budgets]
        for (early, a), (late, b) in pairwise(ordered):
            if a.kind is b.kind is not DurationKind.NEXT_BUSINESS_DAY and \
                    a.nominal_minutes > b.nominal_minutes:
                err((*base, "targets", sev, early.value),
                    f"the {early.value} target {a} is longer than the {late.value} target {b}: "
                    f"a ticket that meets {late.value} has met {early.value} already, so this "
                    f"target never decides anything; swapped values?", Level.WARNING)


def _check_credits(base: tuple[str | int, ...], credits: list[Any], err: Report) -> None:
    """Two credit rules for the same clock, severity and kind would both be charged."""
    seen: dict[tuple[Any, ...], int] = {}
    for i, c in enumerate(credits):
        key = (c.clock, c.severity, c.per_miss is not None)
        if key in seen:
            err((*base, "penalties", "credits", i),
                f"repeats penalties.credits.{seen[key]} (same clock, severity and kind): both "
                "would be charged; give one rule with the total credit")
        else:
            seen[key] = i


def check_scenario(sc: Scenario, cat: Catalog) -> list[Finding]:
    out: list[Finding] = []

    def err(path: tuple[str | int, ...], message: str, level: Level = Level.ERROR) -> None:
        out.append(Finding("scenario", path, message, level))

    if sc.horizon.minutes <= 0:
        err(("horizon",), f"horizon {sc.horizon}: nothing would be simulated; give the length "
            "of the simulated period, e.g. 13w")
    elif sc.horizon.minutes > MAX_HORIZON_MIN:
        err(("horizon",), f"horizon {sc.horizon} is longer than {MAX_HORIZON_MIN // 10080}w "
            "(20 years); simulate a shorter period, growth included")
    elif sc.warmup.minutes >= sc.horizon.minutes:
        err(("warmup",), f"warm-up {sc.warmup} is not shorter than the horizon {sc.horizon}")
    elif sc.start.year < FIRST_YEAR or (
            sc.start.year + (sc.start.timetuple().tm_yday * MINUTES_PER_DAY + sc.horizon.minutes)
            / MINUTES_PER_YEAR >= LAST_YEAR + 1):
        err(("start",), f"the simulated period must lie within the years {FIRST_YEAR} to "
            f"{LAST_YEAR} (calendars, holidays and time zones), got a start on "
            f"{sc.start.date().isoformat()}")
    org, dem = sc.organisation, sc.demand
    severities, types = set(cat.severities), set(cat.request_types)
    calendars, levels = set(cat.calendars), set(cat.levels)
    customers = set(dem.customers)

    _check_tiers(org, severities, types, calendars, err)
    _check_escalation(org, severities, types, err)
    _check_ola_forms(org, cat, customers, err)
    for name, team in org.teams.items():
        _check_unit(("organisation", "teams", name), team, severities, types, calendars, err)
        for i, item in enumerate(team.handles):
            if item in (COMPLAINTS, ONSITE):
                continue
            if item not in types:
                err(("organisation", "teams", name, "handles", i),
                    did_you_mean(item, types | {COMPLAINTS}, "request type"))
            elif cat.request_types[item].kind is RequestKind.TECHNICAL:
                err(("organisation", "teams", name, "handles", i),
                    f"{item!r} is a technical request type: the tiers handle it, not a team")

    handled = {h for team in org.teams.values() for h in team.handles}
    for name, cust in dem.customers.items():
        base = ("demand", "customers", name)
        if cust.level not in levels:
            err((*base, "level"), did_you_mean(cust.level, levels, "level"))
        if cust.severity_mix is not None:
            _check_mix((*base, "severity_mix"), cust.severity_mix, severities, "severity", err)
        if cust.type_mix is not None:
            _check_mix((*base, "type_mix"), cust.type_mix, types, "request type", err)
    _check_mix(("demand", "severity_mix"), dem.severity_mix, severities, "severity", err)
    _check_mix(("demand", "type_mix"), dem.type_mix, types, "request type", err)
    mixes = [dem.type_mix] + [c.type_mix for c in dem.customers.values() if c.type_mix]
    for mix in mixes:
        for rtype, share in mix.items():
            if (share > 0 and rtype in cat.request_types
                    and cat.request_types[rtype].kind is RequestKind.NON_TECHNICAL
                    and rtype not in handled):
                err(("demand", "type_mix", rtype),
                    f"{rtype!r} requests are non-technical but no team handles them; add "
                    f"{rtype!r} to the `handles` of a team in organisation.teams")
                handled.add(rtype)
    if cat.complaints is not None and dem.complaint_on_breach > 0 and COMPLAINTS not in handled:
        err(("organisation", "teams"), "the catalogue has complaint targets but no team handles "
            "`complaints`; complaints would have nowhere to go", Level.WARNING)
    for i, event in enumerate(dem.events):
        if event.severity is not None and event.severity not in severities:
            err(("demand", "events", i, "severity"),
                did_you_mean(event.severity, severities, "severity"))
        for j, cname in enumerate(event.customers or []):
            if cname not in customers:
                err(("demand", "events", i, "customers", j),
                    did_you_mean(cname, customers, "customer"))
    if org.parts is not None:
        for rtype in org.parts.need:
            if rtype not in types:
                err(("organisation", "parts", "need", rtype),
                    did_you_mean(rtype, types, "request type"))
            elif cat.request_types[rtype].kind is RequestKind.NON_TECHNICAL:
                err(("organisation", "parts", "need", rtype),
                    f"{rtype!r} is non-technical: only technical requests need parts")
        total = sum(c.share for c in org.parts.classes.values())
        if abs(total - 1.0) > MIX_TOLERANCE:
            err(("organisation", "parts", "classes"),
                f"part class shares sum to {total:.4%}, not 100%")
    if org.kcp is not None:
        _check_kcp(org, cat.severities, err)
    if sc.staffing is not None:
        _check_staffing(sc, err)
    _check_complaints(sc, cat, err)
    _check_updates(org, cat, err)
    _check_onsite(org, cat, err)
    if not any(f.level is Level.ERROR for f in out):
        _check_served(sc, cat, err)
    if not any(f.level is Level.ERROR for f in out):
        out.extend(_check_ola(org, cat))
        out.extend(_check_load(sc, cat))
        out.extend(_check_stock(sc, cat))
    return out


def _check_served(sc: Scenario, cat: Catalog, err: Report) -> None:
    """Designs that can never serve some tickets: a unit that receives tickets but has no
    agent, a severity/type with no handling time, shifts that never meet a level's coverage
    hours, and more tickets than a run can hold."""
    org, dem = sc.organisation, sc.demand
    technical = [t for t, spec in cat.request_types.items()
                 if spec.kind is RequestKind.TECHNICAL]
    severities = _used(dem.severity_mix, [c.severity_mix for c in dem.customers.values()])
    types = _used(dem.type_mix, [c.type_mix for c in dem.customers.values()])
    sevs = [s for s in cat.severities if s in severities
            or any(e.severity == s for e in dem.events)]
    techs = [t for t in technical if t in types]
    reach = 1.0
    reached: list[str] = []
    for name in org.reachable():
        if reach <= 0 or not techs:
            break
        reached.append(name)
        tier = org.tiers[name]
        base = ("organisation", "tiers", name)
        if tier.staffed_hours_per_week() <= 0:
            err(_shifts_path(base, tier), f"{name} receives tickets but has no agent in any shift: "
                "they would wait forever; give a shift some agents")
        missing = [f"{s}/{t}" for s in sevs for t in techs
                   if not any(k in tier.handling for k in (f"{s}/{t}", s, t, "default"))]
        if missing:
            err((*base, "handling"), f"no handling time for {_listing(missing)} tickets at "
                f"{name}; add a key for each (a severity, a request type or severity/type) or "
                "`default:`")
        if tier.routing is None:
            reach *= 1.0 - tier.resolves
    for tname, team in org.teams.items():
        gets = [h for h in team.handles if h in types or (
            h == COMPLAINTS and dem.complaint_on_breach > 0 and cat.complaints is not None)]
        if gets and team.staffed_hours_per_week() <= 0:
            err(_shifts_path(("organisation", "teams", tname), team),
                f"{tname} receives {', '.join(gets)} but has no agent in any shift: they would "
                "wait forever; give a shift some agents")
    _check_coverage(sc, cat, reached, sevs, err)
    weeks = sc.horizon.minutes / MINUTES_PER_WEEK
    growth = max(1.0, (1.0 + dem.growth_per_year) ** (weeks / 52.0))
    expected = dem.tickets_per_week() * growth * (weeks + sum(
        (e.multiplier - 1.0) * min(e.lasts.minutes, sc.horizon.minutes) / MINUTES_PER_WEEK
        for e in dem.events if e.multiplier > 1.0))
    if expected > MAX_TICKETS:
        biggest = max(dem.customers, key=lambda c: dem.customers[c].count
                      * dem.customers[c].tickets_per_week)
        err(("demand", "customers", biggest, "tickets_per_week"),
            f"about {expected:,.0f} tickets per replication, more than the {MAX_TICKETS:,} a "
            "run can hold; shorten the horizon or check tickets_per_week and count")


def _shifts_path(base: tuple[str | int, ...], unit: StaffedUnit) -> tuple[str | int, ...]:
    """Where to point at a unit's staffing: the agents of its only shift, or its shifts."""
    return (*base, "shifts", 0, "agents") if len(unit.shifts) == 1 else (*base, "shifts")


def _used(mix: dict[str, float], others: list[dict[str, float] | None]) -> set[str]:
    return {k for m in [mix, *[o for o in others if o is not None]] for k, v in m.items()
            if v > 0}


def _listing(items: list[str]) -> str:
    return ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")


def _check_coverage(sc: Scenario, cat: Catalog, tiers: list[str], sevs: list[str],
                    err: Report) -> None:
    """A tier works on a ticket only while the ticket's coverage calendar is open: shifts
    that never meet those hours leave the tickets waiting forever. Compared on the week
    of the start, in the organisation's time zone (offsets taken at the start)."""
    org = sc.organisation
    levels = {c.level for c in sc.demand.customers.values()
              if c.contract == "active" and c.tickets_per_week > 0}
    org_offset = _utc_offset(org.timezone, sc.start)
    for name in tiers:
        staffed = [w for s in org.tiers[name].shifts if s.agents > 0
                   for w in weekly_intervals(s)]
        if not staffed:
            continue
        for lname in sorted(levels):
            level = cat.levels[lname]
            missed: dict[str, list[str]] = {}
            for sev in sevs:
                cal_name = level.calendars.get(sev, level.calendar)
                spec = cat.calendars[cal_name]
                if spec.week is None:
                    continue
                shift = _utc_offset(spec.timezone, sc.start) - org_offset
                open_ = [(a - shift, b - shift) for a, b in _calendar_intervals(spec.week)]
                if not any(a1 < b2 and a2 < b1
                           for a1, b1 in _wrap(open_) for a2, b2 in staffed):
                    missed.setdefault(cal_name, []).append(sev)
            for cal_name, missed_sevs in missed.items():
                tier = org.tiers[name]
                err(("organisation", "tiers", name, "shifts")
                    + ((0, "hours") if len(tier.shifts) == 1 else ()),
                    f"{name}'s shifts never meet the {cal_name!r} hours of level {lname!r} "
                    f"({', '.join(missed_sevs)} tickets): those tickets would wait forever; "
                    "add a shift inside those hours, or change the level's calendar")


def _utc_offset(zone: str, moment: Any) -> int:
    from zoneinfo import ZoneInfo

    offset = moment.replace(tzinfo=ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _calendar_intervals(week: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    from itr_sim.units import parse_days

    return [(day * 1440 + a, day * 1440 + b) for key, windows in week.items()
            for day in parse_days(key) for a, b in windows]


def _wrap(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Windows moved into the week [0, 10080), split where they cross its ends."""
    out = []
    for a, b in windows:
        for lo, hi in ((a, b), (a - WEEK_MIN, b - WEEK_MIN), (a + WEEK_MIN, b + WEEK_MIN)):
            lo, hi = max(lo, 0), min(hi, WEEK_MIN)
            if lo < hi:
                out.append((lo, hi))
    return out


def _check_tiers(org: Organisation, severities: set[str], types: set[str],
                 calendars: set[str], err: Report) -> None:
    tiers = set(org.tiers)
    if isinstance(org.entry, str) and org.entry not in tiers:
        err(("organisation", "entry"), did_you_mean(org.entry, tiers, "tier"))
    _check_routing(org, severities, err)
    for name, tier in org.tiers.items():
        base = ("organisation", "tiers", name)
        _check_unit(base, tier, severities, types, calendars, err)
        if tier.routing is not None:
            for sev in tier.ola:
                if sev not in severities:
                    err((*base, "ola", sev), did_you_mean(sev, severities, "severity"))
            continue
        if tier.escalates_to is not None and tier.escalates_to not in tiers:
            err((*base, "escalates_to"), did_you_mean(tier.escalates_to, tiers, "tier"))
        if tier.escalates_to is None and tier.resolves < 1.0:
            err((*base, "resolves"),
                f"{name} resolves {tier.resolves:.0%} but has no escalates_to: the last tier "
                "resolves all; set resolves: 100% or add escalates_to")
        if tier.escalates_to is None and tier.handover is not None:
            err((*base, "handover"), f"{name} has a hand-over delay but no escalates_to")
        for sev in tier.ola:
            if sev not in severities:
                err((*base, "ola", sev), did_you_mean(sev, severities, "severity"))
    # cycles
    reported: set[frozenset[str]] = set()
    for start in org.tiers:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node in org.tiers:
            if node in seen:
                cycle = seen[seen.index(node):]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    err(("organisation", "tiers", cycle[-1], "escalates_to"),
                        "escalation cycle: " + " -> ".join([*cycle, node])
                        + "; the last tier must not escalate")
                break
            seen.append(node)
            node = org.tiers[node].escalates_to
    targets = {t.escalates_to for t in org.tiers.values()}
    roots = [n for n in org.tiers if n not in targets]
    if org.entry is None and len(roots) > 1 and targets - {None} <= tiers and not any(
            t.routing is not None for t in org.tiers.values()):
        err(("organisation", "tiers"), f"several tiers receive no escalation ({', '.join(roots)})"
            "; say which one takes new tickets with organisation.entry")


def _check_escalation(org: Organisation, severities: set[str], types: set[str],
                      err: Report) -> None:
    """Time-boxes, resolve shares by severity and type, knowledge and the permanent fix."""
    for name, tier in org.tiers.items():
        base = ("organisation", "tiers", name)
        if tier.timebox is not None:
            if tier.escalates_to is None:
                err((*base, "timebox"), f"{name} has a time-box but no escalates_to: a tier "
                    "escalates when its time-box is used up; add escalates_to or remove it")
            elif tier.timebox.ola is not None and not any(
                    tier.ola_budget(sev) is not None for sev in tier.ola):
                err((*base, "timebox", "ola"), f"{name} has no resolve OLA budget to take a "
                    "share of; add `ola:` budgets per severity or use {work: 2h}")
        for key, share in tier.resolves_by.items():
            sev, _, rtype = key.partition("/")
            if "/" not in key and key not in severities and key not in types:
                err((*base, "resolves_by", key),
                    did_you_mean(key, severities | types, "severity or request type"))
            elif "/" in key and (sev not in severities or rtype not in types):
                err((*base, "resolves_by", key), f"{key!r}: write severity/type with a known "
                    f"severity ({_listing(sorted(severities))}) and request type")
            elif tier.escalates_to is None and share < 1.0:
                err((*base, "resolves_by", key), f"{name} resolves {share:.0%} of {key} but "
                    "has no escalates_to: the last tier resolves all")
        if tier.resolves_by and tier.routing is not None:
            err((*base, "resolves_by"), f"{name} has a routing matrix: its shares decide; "
                "resolves_by goes with resolves/escalates_to")
    know = org.knowledge
    if know is not None:
        where = ("organisation", "knowledge")
        if know.tier not in org.tiers:
            err((*where, "tier"), did_you_mean(know.tier, set(org.tiers), "tier"))
        else:
            tier = org.tiers[know.tier]
            if tier.escalates_to is None:
                err((*where, "tier"), f"{know.tier} has no escalates_to: articles raise the "
                    "resolve share of a tier that escalates (usually the first line)")
            lowest = min([tier.resolves, *tier.resolves_by.values()])
            if know.max < lowest:
                err((*where, "max"), f"max {know.max:.0%} is below {know.tier}'s own resolve "
                    f"share {lowest:.0%}: articles would lower it")
    for sev in org.permanent_fix or {}:
        if sev not in severities:
            err(("organisation", "permanent_fix", sev),
                did_you_mean(sev, severities, "severity"))


def _check_routing(org: Organisation, severities: set[str], err: Report) -> None:
    """Entry shares, routing matrices, and a way to `resolved` from every reachable tier."""
    tiers = set(org.tiers)
    entry = org.entry
    if isinstance(entry, dict):
        per_severity = any(isinstance(v, dict) for v in entry.values())
        groups: list[tuple[str | None, object]] = (
            list(entry.items()) if per_severity else [(None, entry)])
        if per_severity:
            for key in entry:
                if key != "default" and key not in severities:
                    err(("organisation", "entry", key),
                        did_you_mean(key, severities | {"default"}, "severity"))
            missing = sorted(severities - set(entry))
            if "default" not in entry and missing:
                err(("organisation", "entry"), f"no entry shares for severity "
                    f"{', '.join(missing)}; add them or a `default:`")
        for severity, shares in groups:
            path: tuple[str | int, ...] = ("organisation", "entry") + (
                () if severity is None else (severity,))
            if not isinstance(shares, dict):
                err(path, "give shares per tier here, such as {L1: 90%, L2: 10%}, as for "
                    "the other severities")
                continue
            _check_mix(path, shares, tiers, "tier", err)
    elif entry is None and any(t.routing is not None for t in org.tiers.values()):
        err(("organisation", "tiers"), "with a routing matrix, say where new tickets enter "
            "with organisation.entry (a tier, or shares such as {L1: 90%, L2: 10%})")
    for name, tier in org.tiers.items():
        if tier.routing is None:
            continue
        base = ("organisation", "tiers", name)
        given = {"resolves", "escalates_to"} & tier.model_fields_set
        if given:
            err((*base, sorted(given)[0]), f"{name} has a routing matrix and "
                f"{' and '.join(sorted(given))}: give one or the other (routing: {{resolved: "
                "90%, L2: 10%} says the same as resolves: 90% with escalates_to: L2)")
        for key in tier.routing:
            if key == name:
                err((*base, "routing", key), f"{name} routes to itself; a visit ends in "
                    "`resolved` or a hand-over to another tier")
        _check_mix((*base, "routing"), tier.routing, tiers | {RESOLVED},
                   "tier (or `resolved`)", err)
    # every tier a ticket can reach must have a way to `resolved`
    ends = {n for n, t in org.tiers.items() if RESOLVED in t.routes()}
    grown = True
    while grown:
        before = len(ends)
        ends |= {n for n, t in org.tiers.items() if any(k in ends for k in t.routes())}
        grown = len(ends) > before
    for name in org.reachable():
        if name not in ends and org.tiers[name].routing is not None:
            err(("organisation", "tiers", name, "routing"),
                f"from {name} no path of routing shares leads to `resolved`: its tickets "
                "would be handed round for ever; give it or a tier it routes to a "
                "`resolved` share")


def _check_staffing(sc: Scenario, err: Report) -> None:
    """The ``staffing:`` section names real units and gives one bounds entry per shift."""
    assert sc.staffing is not None
    units = {**sc.organisation.tiers, **sc.organisation.teams}
    for name, bounds in sc.staffing.units.items():
        base = ("staffing", "units", name)
        if name not in units:
            err(base, did_you_mean(name, set(units), "tier or team"))
            continue
        shifts = units[name].shifts
        if bounds.shifts is not None and len(bounds.shifts) != len(shifts):
            err((*base, "shifts"), f"{len(bounds.shifts)} bounds entries for the {len(shifts)} "
                f"shift(s) of {name}; give one entry per shift, in the order of its shifts")
        for i, shift in enumerate(bounds.shifts or []):
            low = shift.min if shift.min is not None else bounds.min
            high = shift.max if shift.max is not None else bounds.max
            if low is not None and high is not None and low > high:
                err((*base, "shifts", i), f"min {low} is above max {high} (the unit's bound "
                    "applies where the shift gives none); make min <= max")


def _check_unit(base: tuple[str | int, ...], unit: StaffedUnit, severities: set[str],
                types: set[str], calendars: set[str], err: Report) -> None:
    keys = {"default"} | severities | types | {f"{s}/{t}" for s in severities for t in types}
    for key in unit.handling:
        if key not in keys:
            err((*base, "handling", key),
                did_you_mean(key, {"default"} | severities | types, "handling key")
                + "; keys are default, a severity, a request type or severity/type")
    if "default" not in unit.handling and not (severities <= set(unit.handling)
                                               or types <= set(unit.handling)):
        no_sev = sorted(severities - set(unit.handling))
        no_type = sorted(types - set(unit.handling))
        err((*base, "handling"), f"no `default` handling, and none for severity "
            f"{', '.join(no_sev)} nor for request type {', '.join(no_type)}; add "
            f"`{no_sev[0]}:` (and the other severities) or `default:`")
    for key, dist in unit.handling.items():
        if dist.mean <= 0:
            err((*base, "handling", key), f"handling time {dist} takes no time at all: agents "
                "would clear any queue instantly; give a positive time")
    for i, shift in enumerate(unit.shifts):
        if shift.holidays_from is not None and shift.holidays_from not in calendars:
            err((*base, "shifts", i, "holidays_from"),
                did_you_mean(shift.holidays_from, calendars, "calendar"))
    windows = [(i, a, b) for i, s in enumerate(unit.shifts) for a, b in weekly_intervals(s)]
    reported: set[tuple[int, int]] = set()
    for i, a1, b1 in windows:
        for j, a2, b2 in windows:
            if i < j and a1 < b2 and a2 < b1 and (i, j) not in reported:
                reported.add((i, j))
                lo = max(a1, a2)
                err((*base, "shifts", j),
                    f"shifts {i} and {j} overlap from {WEEKDAYS[lo // 1440]} "
                    f"{lo % 1440 // 60:02d}:{lo % 60:02d} for {min(b1, b2) - lo} min; "
                    "split the windows, or add the agents to one shift")


def _check_mix(path: tuple[str | int, ...], mix: dict[str, float], known: set[str], what: str,
               err: Report) -> None:
    for key in mix:
        if key not in known:
            err((*path, key), did_you_mean(key, known, what))
    total = sum(mix.values())
    if abs(total - 1.0) > MIX_TOLERANCE:
        err(path, f"shares sum to {total:.4%}, not 100%")


def _check_ola(org: Organisation, cat: Catalog) -> list[Finding]:
    """OLA budgets of the lines a ticket can pass through must fit inside the SLA clock."""
    out: list[Finding] = []
    path = org.path()
    for sev in cat.severities:
        found = [(t, org.tiers[t].ola_budget(sev)) for t in path]
        budgets = [(t, b) for t, b in found if b is not None]
        if not budgets:
            continue
        total = sum(b.nominal_minutes for _, b in budgets)
        for lname, level in cat.levels.items():
            target = level.targets.get(sev)
            if target is None:
                continue
            if total > target.resolve.nominal_minutes:
                chain = " + ".join(f"{t} {b}" for t, b in budgets)
                out.append(Finding(
                    "scenario", ("organisation", "tiers", budgets[-1][0], "ola", sev),
                    f"OLA budgets for {sev} along {' -> '.join(path)} add up to "
                    f"{total / 60:.1f} h ({chain}), more than {lname}'s resolve target "
                    f"{target.resolve}: a ticket that uses every budget breaches the SLA",
                    Level.WARNING))
    return out


def _check_ola_forms(org: Organisation, cat: Catalog, customers: set[str],
                     err: Report) -> None:
    """The long form of a tier's OLA and vendors' underpinning contracts: budgets in units
    their calendar can measure, known customers and calendars."""
    always = {name for name, c in cat.calendars.items() if c.week is None}
    for name, tier in org.tiers.items():
        base = ("organisation", "tiers", name)
        for sev, spec in tier.ola.items():
            if isinstance(spec, Duration):
                continue
            if spec.resolve is None and spec.response is None and spec.restore is None \
                    and not spec.customers:
                err((*base, "ola", sev), f"the OLA of {name} for {sev} has no budget; give "
                    "resolve, response or restore (or the short form, e.g. 4h)")
            for who in spec.customers:
                if who not in customers:
                    err((*base, "ola", sev, "customers", who),
                        did_you_mean(who, customers, "customer"))
            budgets: list[tuple[tuple[str, ...], Duration | None]] = [
                (("customers", who), b) for who, b in spec.customers.items()]
            budgets += [((clock,), getattr(spec, clock))
                        for clock in ("resolve", "response", "restore")]
            on_24x7 = sorted(lname for lname, level in cat.levels.items()
                             if level.calendars.get(sev, level.calendar) in always)
            for key, budget in budgets:
                if budget is not None and budget.kind is not DurationKind.ELAPSED and on_24x7:
                    err((*base, "ola", sev, *key),
                        f"{budget} counts business days, which the 24x7 calendar of "
                        f"{', '.join(on_24x7)} for {sev} cannot measure; write covered time "
                        "instead (e.g. 1d)")
        vendor = tier.waiting.vendor
        if vendor is None or vendor.contract is None:
            continue
        contract, path = vendor.contract, (*base, "waiting", "vendor", "contract")
        if contract.calendar is not None and contract.calendar not in cat.calendars:
            err((*path, "calendar"), did_you_mean(contract.calendar, set(cat.calendars),
                                                  "calendar"))
        elif contract.target.kind is not DurationKind.ELAPSED and (
                contract.calendar is None or contract.calendar in always):
            err((*path, "target"), f"{contract.target} counts business days, which the "
                "vendor's 24x7 clock cannot measure; name the vendor's business calendar "
                "(calendar: office) or write covered time (e.g. 3d)")


def unit_demand(sc: Scenario, cat: Catalog) -> dict[str, tuple[float, float, float]]:
    """Per tier and team: (tickets per week reaching it, mix-weighted mean handling minutes,
    staffed agent-hours per week), at the demand of the end of the horizon (growth included,
    outage events not). Tiers after the first get the unresolved share of the one before."""
    org, dem = sc.organisation, sc.demand
    growth = (1.0 + dem.growth_per_year) ** (sc.horizon.minutes / MINUTES_PER_YEAR)
    rates: dict[tuple[str, str], float] = {}  # (severity, type) -> tickets/week
    nontech: dict[str, float] = {}
    for cust in dem.customers.values():
        volume = cust.count * cust.tickets_per_week * growth
        smix = cust.severity_mix or dem.severity_mix
        for rtype, tshare in (cust.type_mix or dem.type_mix).items():
            if cat.request_types[rtype].kind is RequestKind.NON_TECHNICAL:
                nontech[rtype] = nontech.get(rtype, 0.0) + volume * tshare
                continue
            for sev, sshare in smix.items():
                rates[(sev, rtype)] = rates.get((sev, rtype), 0.0) + volume * tshare * sshare
    result: dict[str, tuple[float, float, float]] = {}
    reach = 1.0
    total = sum(rates.values())
    if org.uses_routing():
        visits = {sev: org.visit_rates(sev) for sev in {s for s, _ in rates}}
        for name in org.reachable():
            tier = org.tiers[name]
            volume = sum(rate * visits[sev][name] for (sev, _), rate in rates.items())
            minutes = sum(rate * visits[sev][name] * tier.handling_for(sev, rtype).mean
                          for (sev, rtype), rate in rates.items())
            result[name] = (volume, minutes / volume if volume else 0.0,
                            tier.staffed_hours_per_week())
    for name in org.path() if not org.uses_routing() else []:
        tier = org.tiers[name]
        minutes = sum(rate * tier.handling_for(sev, rtype).mean
                      for (sev, rtype), rate in rates.items())
        mean = minutes / total if total else 0.0
        result[name] = (total * reach, mean, tier.staffed_hours_per_week())
        reach *= 1.0 - tier.resolves
    for name, team in org.teams.items():
        mine = {rtype: rate for rtype, rate in nontech.items() if rtype in team.handles}
        volume = sum(mine.values())
        minutes = sum(rate * team.handling_for(None, rtype).mean for rtype, rate in mine.items())
        result[name] = (volume, minutes / volume if volume else 0.0,
                        team.staffed_hours_per_week())
    return result


def offered_load(sc: Scenario, cat: Catalog) -> dict[str, tuple[float, float]]:
    """Per tier and team: (offered agent-hours per week, staffed agent-hours per week)."""
    return {name: (volume * mean / 60.0, staffed)
            for name, (volume, mean, staffed) in unit_demand(sc, cat).items()}


def _check_stock(sc: Scenario, cat: Catalog) -> list[Finding]:
    """Base-stock sanity: stock below the expected demand during the replenishment lead
    time means most requests wait for a replenishment."""
    parts = sc.organisation.parts
    if parts is None:
        return []
    growth = (1.0 + sc.demand.growth_per_year) ** (sc.horizon.minutes / MINUTES_PER_YEAR)
    per_min = 0.0
    for cust in sc.demand.customers.values():
        volume = cust.count * cust.tickets_per_week * growth / MINUTES_PER_WEEK
        for rtype, share in (cust.type_mix or sc.demand.type_mix).items():
            per_min += volume * share * parts.need.get(rtype, 0.0)
    out = []
    for name, part in parts.classes.items():
        pipeline = per_min * part.share * part.replenish.mean
        if pipeline > 0 and part.stock < pipeline:
            out.append(Finding(
                "scenario", ("organisation", "parts", "classes", name, "stock"),
                f"stock {part.stock} of {name!r} is below the expected demand during its "
                f"replenishment lead time ({pipeline:.1f} units): most requests will wait for "
                "a replenishment; raise the stock or shorten the lead time", Level.WARNING))
    return out


def _check_load(sc: Scenario, cat: Catalog) -> list[Finding]:
    out = []
    for name, (offered, staffed) in offered_load(sc, cat).items():
        group = "tiers" if name in sc.organisation.tiers else "teams"
        if offered > 0 and offered >= staffed:
            share = f"{offered / staffed:.0%}" if staffed else "no staff"
            out.append(Finding(
                "scenario", ("organisation", group, name, "shifts"),
                f"{name}: offered load {offered:.1f} agent-hours/week vs {staffed:.1f} staffed "
                f"({share}): the queue is unstable and grows without bound; add agents or "
                "shift work away from this line", Level.WARNING))
    return out


def _check_kcp(org: Organisation, severities: list[str], err: Report) -> None:
    """The KCP gates (``organisation.kcp``): units and severities that exist, failure
    shares below 100% (a gate that always fails would send a ticket round for ever), and
    severity changes that have a severity to go to."""
    kcp = org.kcp
    assert kcp is not None
    base = ("organisation", "kcp")
    units = set(org.tiers) | set(org.teams)
    if kcp.dispatch is not None and kcp.dispatch.misdispatch > 0 and len(org.tiers) < 2:
        err((*base, "dispatch", "misdispatch"), "mis-dispatch needs a wrong tier to go to, "
            "but the organisation has one tier; add a tier or drop `dispatch`")
    for key in ("solution_review", "implementation_review"):
        review = getattr(kcp, key)
        if review is None:
            continue
        if review.reviewer not in units:
            err((*base, key, "reviewer"), did_you_mean(review.reviewer, units, "tier or team"))
        if review.fails >= 1:
            err((*base, key, "fails"), "a review that always fails sends the ticket back for "
                "rework for ever; give a share below 100%")
        for i, sev in enumerate(review.severities or []):
            if sev not in severities:
                err((*base, key, "severities", i), did_you_mean(sev, severities, "severity"))
    if kcp.confirmation is not None and kcp.confirmation.fails >= 1:
        err((*base, "confirmation", "fails"), "a confirmation that always fails reopens the "
            "ticket for ever; give a share below 100%")
    for sev, change in kcp.severity_changes.items():
        path = (*base, "severity_changes", sev)
        if sev not in severities:
            err(path, did_you_mean(sev, severities, "severity"))
            continue
        if change.upgrade > 0 and sev == severities[0]:
            err((*path, "upgrade"), f"{sev!r} is the most severe severity: there is nothing "
                "to upgrade it to; drop `upgrade`")
        if change.downgrade > 0 and sev == severities[-1]:
            err((*path, "downgrade"), f"{sev!r} is the least severe severity: there is "
                "nothing to downgrade it to; drop `downgrade`")
        if change.upgrade + change.downgrade > 1 + MIX_TOLERANCE:
            err(path, f"upgrade and downgrade add up to "
                f"{change.upgrade + change.downgrade:.4%}, more than 100%")


def _check_complaints(sc: Scenario, cat: Catalog, err: Report) -> None:
    """The complaint stages and the callback's team and survey (model/complaints.py): teams
    that exist, each stage once, limits that increase, major rules that name what exists."""
    org = sc.organisation
    teams = set(org.teams)
    callback = org.callback
    if callback is not None:
        base = ("organisation", "callback")
        if callback.team is not None and callback.team not in teams:
            err((*base, "team"), did_you_mean(callback.team, teams, "team"))
        if callback.team is not None and callback.handling is None:
            err((*base, "handling"), f"callbacks are made by {callback.team!r} but take no time; "
                "give `handling:`, the agent time of one callback, e.g. {lognormal: {mean: 10m, "
                "cv: 0.5}}")
        if callback.handling is not None and callback.team is None:
            err((*base, "team"), "callbacks have a `handling` time but no `team` whose agents "
                "make them; name a team of organisation.teams")
    spec = org.complaints
    if spec is None:
        return
    base = ("organisation", "complaints")
    seen: set[str] = set()
    previous: tuple[int, float] | None = None
    for i, stage in enumerate(spec.stages):
        if stage.team not in teams:
            err((*base, "stages", i, "team"), did_you_mean(stage.team, teams, "team")
                + "; a stage's team must be one of organisation.teams")
        elif stage.team in seen:
            err((*base, "stages", i, "team"), f"team {stage.team!r} is already an earlier stage; "
                "each stage is a different team (handler, relationship manager, department "
                "head, ...)")
        seen.add(stage.team)
        limit = stage.limit.nominal_minutes
        if previous is not None and limit <= previous[1]:
            err((*base, "stages", i, "limit"), f"limit {stage.limit} is not longer than stage "
                f"{previous[0]}'s limit {spec.stages[previous[0]].limit}: limits are counted from "
                "the complaint's arrival, so each stage's limit must be longer than the one before")
        previous = (i, limit)
    major = spec.major
    if major is None:
        return
    stage_teams = [s.team for s in spec.stages]
    if major.stage is not None and major.stage not in stage_teams:
        err((*base, "major", "stage"), did_you_mean(major.stage, set(stage_teams), "stage team")
            + "; major complaints start at one of the stages' teams")
    customers = set(sc.demand.customers)
    for j, name in enumerate(major.vip):
        if name not in customers:
            err((*base, "major", "vip", j), did_you_mean(name, customers, "customer"))
    if major.repeated is not None:
        severities = set(cat.severities)
        for j, sev in enumerate(major.repeated.severities or []):
            if sev not in severities:
                err((*base, "major", "repeated", "severities", j),
                    did_you_mean(sev, severities, "severity"))
def _check_updates(org: Organisation, cat: Catalog, err: Report) -> None:
    """``organisation.updates``: known levels, severities and senders; a cadence that leaves
    room under the catalogue's update target."""
    units = set(org.tiers) | set(org.teams)
    for level, rules in org.updates.items():
        base = ("organisation", "updates", level)
        if level not in cat.levels:
            err(base, did_you_mean(level, set(cat.levels), "level"))
            continue
        for severity, rule in rules.items():
            path = (*base, severity)
            if severity not in cat.severities:
                err(path, did_you_mean(severity, set(cat.severities), "severity"))
                continue
            if rule.sender not in units:
                err((*path, "sender"), did_you_mean(rule.sender, units, "tier or team")
                    + "; the sender is the tier or team whose agents write the updates")
            elif {**org.tiers, **org.teams}[rule.sender].staffed_hours_per_week() <= 0:
                err((*path, "sender"), f"{rule.sender} has no agent in any shift: the "
                    "updates would wait forever; give a shift some agents or another sender")
            targets = cat.levels[level].targets.get(severity)
            budget = None if targets is None else targets.update
            if budget is None:
                err(path, f"level {level!r} has no update target for {severity!r}: the "
                    "updates take agent time but no clock measures them", Level.WARNING)
            elif budget.kind is DurationKind.ELAPSED and \
                    rule.cadence.minutes + rule.time.mean >= budget.minutes:
                err((*path, "cadence"), f"cadence {rule.cadence} plus the mean update time "
                    f"({rule.time.mean:g} min) is not below the update target {budget}: "
                    "most gaps would miss it even without queueing; choose a shorter "
                    "cadence", Level.WARNING)


def _check_onsite(org: Organisation, cat: Catalog, err: Report) -> None:
    """``organisation.onsite``: a field team that exists and handles `onsite`; shares of
    known technical request types or severities."""
    field_teams = [name for name, team in org.teams.items() if ONSITE in team.handles]
    spec = org.onsite
    if spec is None:
        for name in field_teams:
            err(("organisation", "teams", name, "handles"), f"team {name!r} handles "
                "`onsite` but organisation.onsite is not given: no visits are sent",
                Level.WARNING)
        return
    base = ("organisation", "onsite")
    if spec.team not in org.teams:
        err((*base, "team"), did_you_mean(spec.team, set(org.teams), "team")
            + "; the field engineers are a team in organisation.teams with handles: [onsite]")
    elif ONSITE not in org.teams[spec.team].handles:
        err((*base, "team"), f"team {spec.team!r} does not handle `onsite`; add onsite to "
            "its handles (a field team takes site visits, not requests)")
    elif org.teams[spec.team].staffed_hours_per_week() <= 0:
        err((*base, "team"), f"{spec.team} has no engineer in any shift: visits would wait "
            "forever; give a shift some agents")
    technical = {name for name, rt in cat.request_types.items()
                 if rt.kind is RequestKind.TECHNICAL}
    for key in spec.share:
        if key not in technical and key not in cat.severities:
            err((*base, "share", key), did_you_mean(key, technical | set(cat.severities),
                                                    "technical request type or severity"))
    team = org.teams.get(spec.team)
    if team is None:
        return
    missing = [f"{s}/{t}" for s in cat.severities for t in sorted(technical)
               if spec.need(s, t) > 0 and not any(
                   k in team.handling for k in (f"{s}/{t}", s, t, "default"))]
    if missing:
        err(("organisation", "teams", spec.team, "handling"), f"no time on site for "
            f"{_listing(missing)} visits of {spec.team}; add a key for each (a severity, a "
            "request type or severity/type) or `default:`")
