"""OLA design: per-tier OLA budgets and attainment targets derived from the SLA they protect.

Method (docs/ola.md). For each SLA clock (response, restore, resolve), severity and coverage
calendar its levels use (a *group*), with the SLA budget ``B`` (the smallest of the group's
levels, in covered minutes) and attainment target ``A`` (the largest):

1. Simulate the scenario as it is and measure, per tier visit, the time at the tier as the
   tier's OLA clock counts it (covered minutes, less the waits that pause that clock) and
   the hand-over delays between tiers. The response clock has one component, the entry
   tier until first engagement.
2. Components of the longest escalation path: its ``k`` tiers, and every hand-over whose
   delay has no upper bound (a bounded one is reserved at its bound). With ``m``
   components and ``r_i`` the share of the group's tickets that reach component ``i``, its
   attainment target is ``a_i = 1 - (1 - A) / (m r_i)`` (at least 50%): by the union bound
   at most ``sum r_i (1 - a_i) = 1 - A`` of the tickets have any component over budget, so
   when every component meets its target the SLA attainment target holds.
3. Allocation rule, proportional to quantiles: with ``q_i`` the ``a_i``-quantile of the
   time at tier ``i`` and ``R = B - H`` the budget left after the hand-over reserve ``H``,
   tier ``i`` gets ``b_i = R q_i / sum(q)`` (rounded down to the minute). ``sum(b) + H <=
   B``, so a ticket whose every tier meets its OLA (and whose hand-overs keep their
   reserve) meets the SLA. When ``sum(q) <= R`` every budget is at least its quantile
   (realistic at today's staffing); otherwise every tier gets less than its quantile:
   unrealistic at today's staffing (``itr-sim staff`` finds the staffing). When the fixed
   part of the hand-overs (their lower bounds) already reaches ``B``, no staffing protects
   the SLA.
4. Check by simulation with other seeds: per-tier OLA attainment against its target; among
   tickets that met every OLA, the SLA attainment; among SLA breaches, the share with an
   OLA breach (attribution coverage); the SLA attainment against ``A``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.ola import attribute_breaches, ola_clocks, vendor_clocks, visit_tables
from itr_sim.analysis.stats import mean_ci, share_interval, verdict
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.catalog import ClockName
from itr_sim.model.distributions import Distribution
from itr_sim.model.fields import did_you_mean
from itr_sim.model.load import LoadedScenario
from itr_sim.model.org import OlaTarget, Organisation
from itr_sim.units import Duration, DurationKind, parse_duration

__all__ = ["OlaDesign", "OlaDesignError", "OlaGroup", "PathPlan", "TierBudget", "allocate",
           "format_minutes", "ola", "path_allocation", "proposal_overrides"]


class OlaDesignError(ValueError):
    """Bad input to the OLA design (an unknown level, a level no ticket has, routing it does
    not support); ``key``: the scenario key path at fault, when there is one."""

    def __init__(self, message: str, key: tuple[str, ...] | None = None) -> None:
        super().__init__(message)
        self.key = key


def format_minutes(minutes: float) -> str:
    """A budget in the unit grammar, rounded down to the minute: 1d2h5m (d = 24 covered
    hours)."""
    total = max(math.floor(minutes + 1e-9), 0)
    d, rest = divmod(total, 1440)
    h, m = divmod(rest, 60)
    text = (f"{d}d" if d else "") + (f"{h}h" if h else "") + (f"{m}m" if m else "")
    return text or "0m"


def allocate(quantiles: list[float], budget: float, reserve: float = 0.0) -> list[float]:
    """The allocation rule: ``budget - reserve`` shared in proportion to ``quantiles``, each
    share rounded down to the minute (so the shares and the reserve never exceed the
    budget). Nothing left, or no positive quantile: zeros... and equal shares."""
    left = budget - reserve
    if left <= 0:
        return [0.0] * len(quantiles)
    total = sum(quantiles)
    if total <= 0:
        return [float(math.floor(left / len(quantiles)))] * len(quantiles)
    return [float(math.floor(left * q / total + 1e-9)) for q in quantiles]


def _bounds(dist: Distribution | None) -> tuple[float, float | None]:
    """(lower, upper) bound of a hand-over delay in minutes; upper None when unbounded."""
    if dist is None:
        return 0.0, 0.0
    p = dist.params
    if dist.family == "fixed":
        return p.value.minutes, p.value.minutes
    if dist.family in ("uniform", "triangular"):
        return p.low.minutes, p.high.minutes
    return 0.0, None


def _covered_minutes(loaded: LoadedScenario, calendar: str, budget: Duration) -> float:
    """A budget in covered minutes of ``calendar``: elapsed budgets as they are; business
    days at the calendar's covered minutes per business day (NBD as one)."""
    if budget.kind is DurationKind.ELAPSED:
        return budget.minutes
    cal = loaded.catalog.calendar(calendar)
    week = cal.week  # None: every day is open (24x7, or a week-less calendar with holidays)
    days = sum(1 for i in range(7) if week is None or week[i])
    per_day = cal.weekly_minutes() / max(days, 1)
    return per_day * (budget.days if budget.kind is DurationKind.BUSINESS_DAYS else 1)


@dataclass
class TierBudget:
    tier: str
    today: str | None                 # today's resolve OLA budget as written
    today_min: float | None           # ... in covered minutes
    today_attainment: float | None    # measured share of visits within today's budget
    visits: int                       # visits measured
    quantile_min: float               # the a-quantile of the time at the tier
    proposed: str
    proposed_min: float
    attainment_target: float
    realistic: bool                   # proposed >= quantile: reachable at today's staffing
    checked_attainment: float | None = None
    quantile_ci95: list[float] | None = None   # t-interval of the per-replication quantiles
    escalate: str | None = None       # path rule: the budget to hand over (not the last)
    escalate_min: float | None = None
    escalate_attainment: float | None = None   # measured share of hand-overs within it
    finish_attainment: float | None = None     # ... of the visits it ends within `proposed`


@dataclass
class OlaGroup:
    severity: str
    calendar: str
    levels: list[str]
    sla_budget: str
    sla_budget_min: float
    sla_attainment_target: float
    path: list[str]
    handover_reserve_min: float
    handover_floor_min: float
    components: int
    component_target: float
    verdict: str                      # ok, unrealistic (staffing) or impossible
    tiers: list[TierBudget]
    note: str = ""
    sla_attainment_today: float | None = None
    sla_attainment_today_ci95: list[float] | None = None
    sla_attainment_checked: float | None = None
    sla_attainment_all_olas_met: float | None = None
    attribution_coverage: float | None = None
    tickets_checked: int = 0
    clock: str = "resolve"
    rule: str = "path"
    reserves: list[float] | None = None      # path rule: per hand-over, minutes
    met_today: dict[str, bool] | None = None  # per level: SLA target met by the interval rule
    paths: list[list[float]] | None = None   # path rule, per path ending at tier j:
    # [share of the tickets, share of them within every budget of the path]
    joint_attainment: float | None = None   # measured: protected path, every OLA met
    joint_checked: float | None = None      # the same on the check seed


@dataclass
class VendorFigure:
    tier: str
    target: str
    calendar: str
    attainment_target: float
    waits: int
    attainment: float | None
    sla_breaches_attributed: int


@dataclass
class OlaDesign:
    scenario: str
    replications: int
    seed: int
    check_seed: int
    rule: str
    groups: list[OlaGroup]
    vendors: list[VendorFigure] = field(default_factory=list)
    run: RunResult | None = field(default=None, repr=False)   # the measuring run

    def to_dict(self) -> dict[str, Any]:
        out = asdict(replace(self, run=None))
        out.pop("run")
        return out

    @property
    def protected(self) -> bool:
        """Every group's proposal is realistic at today's staffing and possible."""
        return all(g.verdict == "ok" for g in self.groups)


MIN_TARGET = 0.5
"""The lowest per-tier attainment target proposed."""

FEW_VISITS = 30
"""Below this many measured visits a tier's quantile is flagged as rough."""

CLOCKS = ("response", "restore", "resolve")
"""The SLA clocks a tier's OLA can protect, in the order they stop."""

RULES = {
    "path": ("per escalation path: each line gets an escalate budget (to hand over) and a "
             "finish budget (to restore or resolve itself); a path's escalate budgets, the "
             "hand-overs' reserves (measured quantiles) and its last line's finish budget add "
             "up to the SLA budget; escalate budgets at the quantiles that keep the most "
             "tickets within every budget of their path (joint attainment, measured)"),
}
RULE = ("proportional to each tier's quantile at its attainment target "
        "a_i = 1 - (1 - A) / (m r_i) (r_i: share of tickets reaching the tier, m: tiers and "
        "unbounded hand-overs), after reserving the bounded hand-overs' upper bounds")
RULES["union"] = RULE


def _groups(loaded: LoadedScenario, level: str | None, rule: str = "union"
            ) -> dict[tuple[str, ...], list[str]]:
    """(clock, severity, calendar) -> levels that have a target on the clock for the
    severity, use that calendar for it and have customers in the demand."""
    cat, dem = loaded.catalog, loaded.scenario.demand
    used = {c.level for c in dem.customers.values()}
    if level is not None:
        if level not in cat.levels:
            raise OlaDesignError(did_you_mean(level, set(cat.levels), "level"))
        if level not in used:
            raise OlaDesignError(
                f"level {level!r} has no customers in the demand of this scenario: no ticket "
                f"of it reaches any tier, so there is no path to design OLAs on (levels with "
                f"customers: {', '.join(sorted(str(x) for x in used)) or 'none'})")
    out: dict[tuple[str, ...], list[str]] = {}
    for clock in CLOCKS:
        for name, spec in cat.levels.items():
            if name not in used or (level is not None and name != level):
                continue
            for sev in cat.severities:
                target = spec.targets.get(sev)
                if target is None or getattr(target, clock) is None:
                    continue
                key = (clock, sev, spec.calendars.get(sev, spec.calendar))
                out.setdefault(key, []).append(name)
    if rule == "union":
        return out
    # the path rule designs per target: levels of one calendar with different SLA budgets
    # or attainment targets are groups of their own (each judged against its own target)
    split: dict[tuple[str, ...], list[str]] = {}
    for (clock, sev, calendar), names in out.items():
        by_target: dict[tuple[str, float], list[str]] = {}
        for name in names:
            goal = (str(getattr(cat.levels[name].targets[sev], clock)),
                    _attainment_target(loaded, name, clock))
            by_target.setdefault(goal, []).append(name)
        for i, same in enumerate(by_target.values()):
            split[(clock, sev, calendar, *(() if i == 0 else (str(i),)))] = same
    return split


def chain(org: Organisation, rule: str = "path") -> list[str]:
    """The lines in the order tickets move through them: the escalation chain, or with
    routing (entry shares, a routing matrix) the lines a ticket can reach in an order every
    move goes forward in. Raises :class:`OlaDesignError` for what the design does not
    support: moves back down or across to an earlier line, reopening (a ticket visits a line
    again, so its budgets would count twice), and the union rule with routing."""
    if not org.uses_routing():
        return org.path()
    if rule == "union":
        raise OlaDesignError(
            "the union rule assumes a one-way escalation chain, and this "
            "scenario uses routing (entry shares, a routing matrix, a visit cap or "
            "reopening); use the path rule (--rule path)", ("organisation",))
    if org.reopen is not None:
        raise OlaDesignError(
            "reopened tickets visit the resolving line again, and the "
            "OLA design gives each line one budget per ticket path; design on the scenario "
            "without `reopen` (its SLA clocks restart on reopening anyway)",
            ("organisation", "reopen"))
    names = org.reachable()
    edges = {n: [k for k in org.tiers[n].routes() if k in names] for n in names}
    order: list[str] = []
    indegree = {n: 0 for n in names}
    for n in names:
        for k in edges[n]:
            indegree[k] += 1
    ready = [n for n in names if indegree[n] == 0]
    while ready:
        n = ready.pop(0)
        order.append(n)
        for k in edges[n]:
            indegree[k] -= 1
            if indegree[k] == 0:
                ready.append(k)
    if len(order) < len(names):
        pos = {n: i for i, n in enumerate(names)}
        moves = [(n, k) for n in names for k in edges[n] if pos[k] <= pos[n]] or \
            [(n, k) for n in names for k in edges[n] if n not in order and k not in order]
        back = [f"{n} -> {k}" for n, k in moves]
        first = moves[0][0]
        raise OlaDesignError(
            f"tickets can move back ({', '.join(back)}): the OLA design supports one-way "
            "paths only (entry shares and forward skips are fine); a ticket that comes back "
            "to a line would spend that line's budget twice. Hint: design on a copy without "
            "the moves back (their share to `resolved` or a later line)",
            ("organisation", "tiers", first, "routing"))
    return order


def _attainment_target(loaded: LoadedScenario, level: str, clock: str) -> float:
    value = loaded.catalog.levels[level].attainment_for(ClockName(clock))
    return 0.9 if value is None else float(value)


def _today_budget(org: Organisation, tier: str, sev: str, clock: str) -> Duration | None:
    return org.tiers[tier].ola_budget(sev, clock)


def _measure(result: RunResult) -> dict[str, pd.DataFrame]:
    loaded = result.loaded
    first = result.replications[0]
    events, tickets = result.events(), result.tickets()
    kept = tickets.loc[~tickets["warmup"], ["replication", "ticket"]]
    org = loaded.scenario.organisation
    clocks = run_clocks(result)
    olas = ola_clocks(events, loaded.catalog, org, first.origin, first.horizon_min, CLOCKS)
    vendors = vendor_clocks(events, loaded.catalog, org, first.origin, first.horizon_min)
    stopped = clocks[clocks["clock"].isin(CLOCKS) & clocks["stop_min"].notna()]

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.merge(kept, on=["replication", "ticket"])

    olas = _with_level(olas, clocks)
    out = {"sla": keep(stopped), "olas": keep(olas), "vendors": keep(vendors),
           "clocks": keep(clocks)}
    tables = visit_tables(events, loaded.catalog, org, first.origin, first.horizon_min, CLOCKS)
    for clock in CLOCKS:
        out[f"visits.{clock}"] = keep(tables[clock])
    return out


def _with_budgets(loaded: LoadedScenario, groups: list[OlaGroup]) -> LoadedScenario:
    """The scenario with the proposed OLA budgets."""
    org = loaded.scenario.organisation
    tiers = {}
    for name, tier in org.tiers.items():
        ola = dict(tier.ola)
        for sev in loaded.catalog.severities:
            entry = _proposal_entry(loaded, name, sev, ola.get(sev), groups)
            if entry is not None:
                ola[sev] = entry
        tiers[name] = tier.model_copy(update={"ola": ola})
    sc = loaded.scenario.model_copy(update={
        "organisation": org.model_copy(update={"tiers": tiers})})
    return replace(loaded, scenario=sc)


def _proposal_entry(loaded: LoadedScenario, tier: str, sev: str,
                    current: Duration | OlaTarget | None, groups: list[OlaGroup]
                    ) -> Duration | OlaTarget | None:
    """One tier's proposed OLA for one severity. Resolve: the tightest group's budget for
    everyone, and the other groups' budgets for the customers of their levels. Response and
    restore: the tightest group's budget (safe for the others)."""
    mine = {clock: [(g, tb) for g in groups if g.severity == sev and g.clock == clock
                    for tb in g.tiers if tb.tier == tier] for clock in CLOCKS}
    if not any(mine.values()):
        return None
    fields: dict[str, Any] = {}
    if isinstance(current, OlaTarget):
        fields = current.model_dump()
    elif current is not None:
        fields = {"resolve": current}
    customers: dict[str, Duration] = {}
    targets = []
    for clock, found in mine.items():
        if not found:
            continue
        default = min(found, key=lambda x: x[1].proposed_min)
        fields[clock] = parse_duration(default[1].proposed)
        targets += [tb.attainment_target for _, tb in found]
        if clock != "resolve":
            continue
        for g, tb in found:
            if tb.proposed_min == default[1].proposed_min:
                continue
            for who, c in loaded.scenario.demand.customers.items():
                if c.level in g.levels:
                    customers[who] = parse_duration(tb.proposed)
    if set(fields) == {"resolve"} and not customers and not isinstance(current, OlaTarget):
        budget: Duration = fields["resolve"]
        return budget
    fields.update({"customers": customers, "attainment": max(targets)})
    return OlaTarget(**fields)


def proposal_overrides(design: OlaDesign, loaded: LoadedScenario) -> dict[str, Any]:
    """The proposal as scenario overrides (``organisation.tiers.T.ola.SEV: ...``)."""
    out: dict[str, Any] = {}
    org = loaded.scenario.organisation
    for name in org.tiers:
        for sev in loaded.catalog.severities:
            entry = _proposal_entry(loaded, name, sev, org.tiers[name].ola.get(sev),
                                    design.groups)
            if entry is None:
                continue
            if isinstance(entry, Duration):
                out[f"organisation.tiers.{name}.ola.{sev}"] = entry.text
            else:
                dumped = entry.model_dump(mode="json", exclude_none=True)
                if not dumped.get("customers"):
                    dumped.pop("customers", None)
                out[f"organisation.tiers.{name}.ola.{sev}"] = dumped
    return out


def component_target(target: float, components: int, reach: float) -> float:
    """Attainment target of one component (a tier or an unbounded hand-over) reached by a
    share ``reach`` of the tickets: it may cause at most ``(1 - target) / components`` of
    all tickets to breach, so ``1 - (1 - target) / (components * reach)``, rounded up to
    0.1% and at least 50% (a median: a budget below it would be no promise)."""
    if reach <= 0:
        return MIN_TARGET
    value = 1.0 - (1.0 - target) / (components * reach)
    return max(math.ceil(value * 1000 - 1e-9) / 1000, MIN_TARGET)


GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99, 0.995, 1.0)
"""Quantile levels the path rule tries for each protected tier's budget (a median at least:
a budget below it would be no promise)."""

COARSE = (0.5, 0.8, 0.9, 0.95, 0.99, 1.0)
"""... for paths longer than three tiers (the search is over every combination)."""


@dataclass
class PathPlan:
    """The path rule's result (:func:`path_allocation`): per tier of the chain its
    ``escalate`` budget (to hand over; none for the last tier) and its ``finish`` budget
    (to stop the clock itself), minutes; ``joint`` the measured share of tickets within
    every budget of their path and every hand-over within its reserve; ``paths`` per path
    (ending at tier j): [share of the tickets, share of them within every budget]."""

    escalate: list[float]
    finish: list[float]
    joint: float
    paths: list[list[float]]


def _ends(times: np.ndarray) -> np.ndarray:
    """Per ticket, the index of the deepest tier it visited (-1: none)."""
    seen = ~np.isnan(times)
    last = times.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1)
    return np.where(seen.any(axis=1), last, -1)


def _path_ok(times: np.ndarray, handovers: np.ndarray, ends: np.ndarray,
             escalate: list[float], finish: list[float], reserves: list[float]) -> np.ndarray:
    """Per ticket: every visit within its budget (escalate before its last tier, finish at
    it) and every hand-over within its reserve."""
    ok = ends >= 0
    for i in range(times.shape[1]):
        x = times[:, i]
        seen = ~np.isnan(x)
        limit = np.where(ends == i, finish[i], escalate[i] if i < len(escalate) else -1.0)
        ok &= ~seen | (x <= limit + 1e-9)
        if i < handovers.shape[1]:
            h = handovers[:, i]
            ok &= np.isnan(h) | (h <= reserves[i] + 1e-9)
    return ok


def path_allocation(times: np.ndarray, handovers: np.ndarray, budget: float,
                    reserves: list[float], target: float | None = None) -> PathPlan:
    """The path rule (docs/ola.md). ``times[n, i]``: ticket n's time at tier i of the chain
    (its longest visit; NaN when it never got there); the deepest tier it visited ends its
    path. ``handovers[n, j]``: its delay from tier j to j + 1, ``reserves[j]``: that
    hand-over's reserve, ``budget``: the SLA's.

    Every tier but the last gets an *escalate* budget ``e_i`` (to hand over) and every tier
    a *finish* budget ``f_j`` (to stop the clock itself). A path ending at tier j sees
    ``e_0 + r_0 + ... + e_(j-1) + r_(j-1) + f_j``, so ``f_j`` is what the escalate budgets
    and reserves before it leave of ``budget``: a ticket within every budget of its path
    meets the SLA. The escalate budgets are the escalating visits' quantiles at the levels
    of :data:`GRID` (a median at least) that keep the most tickets within every budget of
    their path, the *joint* attainment, measured, so the tiers' breach correlation counts
    as it is (ties: the smaller escalate budgets). ``target`` is unused (kept for the
    signature); the caller compares ``joint`` with it."""
    n, k = times.shape
    ends = _ends(times)
    grid = GRID if k <= 3 else COARSE
    options = []
    for i in range(k - 1):
        x = times[(ends > i) & ~np.isnan(times[:, i]), i]
        q = np.ceil(np.quantile(x, grid) - 1e-9) if len(x) else np.zeros(1)
        options.append(sorted(set(q.tolist())))
    best: tuple[float, float, list[float], list[float]] | None = None
    for combo in itertools.product(*options):
        escalate = list(combo)
        finish, used = [], 0.0
        for j in range(k):
            finish.append(float(math.floor(budget - used + 1e-9)))
            if j < k - 1:
                used += escalate[j] + reserves[j]
        ok = _path_ok(times, handovers, ends, escalate, finish, reserves)
        joint = float(ok.mean()) if n else 0.0
        key = (joint, -sum(escalate))
        if best is None or key > (best[0], best[1]):
            best = (joint, -sum(escalate), escalate, finish)
    assert best is not None
    joint, _, escalate, finish = best
    ok = _path_ok(times, handovers, ends, escalate, finish, reserves)
    paths = [[float((ends == j).mean()) if n else 0.0,
              float(ok[ends == j].mean()) if (ends == j).any() else 1.0] for j in range(k)]
    return PathPlan(escalate, finish, joint, paths)


def _wide(mine: pd.DataFrame, path: list[str]) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Per ticket: the longest visit at each tier of ``path`` and the longest hand-over
    after each (NaN: none), and the (replication, ticket) of each row."""
    keys = ["replication", "ticket"]
    rows = mine[mine["tier"].isin(path)]
    times = rows.groupby([*keys, "tier"])["at_tier_min"].max().unstack("tier")
    times = times.reindex(columns=path)
    hand = rows.groupby([*keys, "tier"])["handover_min"].max().unstack("tier")
    hand = hand.reindex(index=times.index, columns=path[:-1])
    return times.to_numpy(float), hand.to_numpy(float), times.index


def _ci(per_replication: pd.Series) -> list[float] | None:
    """The 95% t-interval of per-replication values (None with fewer than two)."""
    values = per_replication.dropna().to_numpy(float)
    if len(values) < 2:
        return None
    _, lo, hi = mean_ci(values)
    return [lo, hi]


def _share(x: pd.Series) -> float | None:
    return None if len(x) == 0 else float(x.mean())


def ola(loaded: LoadedScenario, *, level: str | None = None, replications: int | None = None,
        seed: int | None = None, jobs: int = 1, rule: str = "path") -> OlaDesign:
    """Propose per-tier OLA budgets and attainment targets that protect the SLA response,
    restore and resolve clocks, and check them by simulation with other seeds (see the
    module docstring). ``rule``: ``path`` (the default) or ``union`` (docs/ola.md)."""
    if rule not in RULES:
        raise OlaDesignError(did_you_mean(rule, set(RULES), "rule"))
    sc = loaded.scenario
    chain(sc.organisation, rule)  # refuse what the design does not support, before running
    wanted = _groups(loaded, level, rule)
    base_seed = sc.seed if seed is None else seed
    today = run_scenario(loaded, replications=replications, seed=base_seed, jobs=jobs)
    m = _measure(today)
    groups = [g for key, levels in wanted.items()
              if (g := _design(loaded, m, key[0], key[1], key[2], levels, rule)) is not None]
    _today_attainment(m["olas"], groups)
    check_seed = base_seed + 1
    if groups:
        _check(_with_budgets(loaded, groups), groups, replications, check_seed, jobs)
    vendors = _vendor_figures(loaded, m)
    return OlaDesign(sc.scenario, len(today.replications), base_seed, check_seed, RULES[rule],
                     groups, vendors, today)


def _design(loaded: LoadedScenario, m: dict[str, pd.DataFrame], clock: str, sev: str,
            calendar: str, levels: list[str], rule: str = "path") -> OlaGroup | None:
    """The proposal of one (clock, severity, calendar) group; None without tickets."""
    org = loaded.scenario.organisation
    path = [org.entry_tier()] if clock == "response" else chain(org, rule)
    visits = m[f"visits.{clock}"]
    budgets = {lv: getattr(loaded.catalog.levels[lv].targets[sev], clock) for lv in levels}
    tight = min(levels, key=lambda lv: _covered_minutes(loaded, calendar, budgets[lv]))
    b_min = _covered_minutes(loaded, calendar, budgets[tight])
    target = max(_attainment_target(loaded, lv, clock) for lv in levels)
    links = [_bounds(org.tiers[t].handover) for t in path[:-1]]
    mine = visits[(visits["severity"] == sev) & visits["level"].isin(levels)]
    counts = [int((mine["tier"] == t).sum()) for t in path]
    if not any(counts):
        return None  # no ticket of this severity and calendar in the demand
    floor = sum(lo for lo, _ in links)
    today = _met_today(m["sla"], loaded, clock, sev, levels)
    if rule == "union":
        parts = _union_rule(path, links, mine, counts, target, b_min)
    else:
        parts = _path_rule(path, links, mine, target, b_min)
    qs, shares, targets, reserve, comps, _depth, joint, realistic, plan, extra, res = parts
    cis = [_ci(mine[mine["tier"] == t].groupby("replication")["at_tier_min"].quantile(a))
           for t, a in zip(path, targets, strict=True)]
    a = targets[0]
    tiers = []
    for i, (t, q, n, b, ci, a_t) in enumerate(zip(path, qs, counts, shares, cis, targets,
                                                  strict=True)):
        now = _today_budget(org, t, sev, clock)
        tiers.append(tb := TierBudget(
            t, None if now is None else now.text,
            None if now is None else _covered_minutes(loaded, calendar, now), None, n,
            q, format_minutes(b), b, a_t, realistic[i], None, ci))
        if plan is not None:
            tb.finish_attainment, tb.escalate_attainment = extra[i]
            if i < len(plan.escalate):
                tb.escalate_min = plan.escalate[i]
                tb.escalate = format_minutes(plan.escalate[i])
    note = ""
    if floor >= b_min and (rule == "union" or joint < target):
        verdict = "impossible"
        note = (f"the hand-overs' fixed delays ({format_minutes(floor)}) already use the "
                f"SLA budget {budgets[tight]}: no staffing protects it; shorten the "
                f"hand-overs or sell a longer {clock} target")
    elif rule == "union" and reserve >= b_min:
        verdict = "impossible"
        note = (f"the hand-overs' reserve ({format_minutes(reserve)}) uses the whole SLA "
                f"budget {budgets[tight]}: no OLA budget is left for the tiers")
    elif rule == "union" and not all(tb.realistic for tb in tiers):
        verdict = "unrealistic"
        late = [tb.tier for tb in tiers if not tb.realistic and tb.visits]
        note = (f"at today's staffing the tiers need {format_minutes(sum(qs))} at "
                f"{a:.1%} but only {format_minutes(b_min - reserve)} is left after the "
                f"hand-overs: {', '.join(late)} would miss their target; see "
                "`itr-sim staff` for the staffing that gets there")
    elif rule != "union" and not all(today.values()):
        verdict = "unrealistic"
        missed = [lv for lv, ok in today.items() if not ok]
        note = (f"the SLA target is not met today by {', '.join(missed)} (missed or at risk "
                f"by the interval rule of `itr-sim staff`): no OLA split protects it at "
                "today's staffing; see `itr-sim staff` for the staffing that gets there")
    elif rule != "union" and joint is not None and joint < target:
        verdict = "unrealistic"
        note = (f"at today's staffing at most {joint:.1%} of the tickets stay within every "
                f"budget of their path, short of the SLA's {target:.0%}; see "
                "`itr-sim staff` for the staffing that gets there")
    else:
        verdict = "ok"
    if rule != "union":
        for tb in tiers:
            tb.realistic = verdict == "ok"
    if plan is not None:
        lost = [f"{t} ({share:.1%} of the tickets)" for t, (share, _), f in
                zip(path, plan.paths, plan.finish, strict=True) if share > 0 and f <= 0]
        if lost:
            note = (note + "; " if note else "") + (
                f"no finish budget is left for the paths ending at {', '.join(lost)}: "
                "they count among the allowed breaches")
    few = [f"{t} ({n})" for t, n in zip(path, counts, strict=True) if 0 < n < FEW_VISITS]
    if few:
        note = (note + "; " if note else "") + (
            f"few visits measured at {', '.join(few)}: their quantile is rough; "
            "run more replications (-n)")
    sla = m["sla"]
    g_sla = sla[(sla["clock"] == clock) & (sla["severity"] == sev)
                & sla["level"].isin(levels)]
    met = ~g_sla["breached"].astype(bool)
    return OlaGroup(sev, calendar, levels, budgets[tight].text, b_min, target, path,
                    reserve, floor, comps, a, verdict, tiers, note, _share(met),
                    _ci(met.groupby(g_sla["replication"]).mean()), clock=clock, rule=rule,
                    paths=None if plan is None else plan.paths, joint_attainment=joint,
                    reserves=res, met_today=today)


def _union_rule(path: list[str], links: list[tuple[float, float | None]], mine: pd.DataFrame,
                counts: list[int], target: float, b_min: float) -> tuple:
    """The union-bound rule: every tier on the whole path, targets by reach."""
    unbounded = [i for i, (_, hi) in enumerate(links) if hi is None]
    comps = len(path) + len(unbounded)
    reach = [n / max(counts[0], 1) for n in counts]
    targets = [component_target(target, comps, r) for r in reach]
    reserve = 0.0
    for i, (_, hi) in enumerate(links):
        if hi is not None:
            reserve += hi
        else:
            h = mine.loc[mine["tier"] == path[i], "handover_min"].dropna()
            a_h = component_target(target, comps, reach[i + 1])
            reserve += float(np.quantile(h, a_h)) if len(h) else 0.0
    qs = []
    for t, a in zip(path, targets, strict=True):
        x = mine.loc[mine["tier"] == t, "at_tier_min"].to_numpy(float)
        qs.append(float(np.quantile(x, a)) if len(x) else 0.0)
    shares = allocate(qs, b_min, reserve)
    realistic = [b >= q for b, q in zip(shares, qs, strict=True)]
    return (qs, shares, targets, reserve, comps, len(path), None, realistic, None,
            [(None, None)] * len(path), None)


def _path_rule(path: list[str], links: list[tuple[float, float | None]], mine: pd.DataFrame,
               target: float, b_min: float) -> tuple:
    """The path rule (:func:`path_allocation`); hand-overs reserved at their measured
    quantile at the SLA's target (never above a bounded one's upper bound)."""
    times, hand, _ = _wide(mine, path)
    plan, reserves = None, []
    for level in (1.0, target):  # the longest hand-over measured, or its target quantile
        r = _reserves(path, links, mine, level)
        p = path_allocation(times, hand, b_min, r)
        if plan is None or p.joint > plan.joint + 1e-12:
            plan, reserves = p, r
    assert plan is not None
    ends = _ends(times)
    qs, targets, extra = [], [], []
    for i in range(len(path)):
        x = times[:, i]
        fin, esc = x[(ends == i) & ~np.isnan(x)], x[(ends > i) & ~np.isnan(x)]
        f_ok = float((fin <= plan.finish[i] + 1e-9).mean()) if len(fin) else None
        e_ok = (float((esc <= plan.escalate[i] + 1e-9).mean()) if len(esc) else None) \
            if i < len(plan.escalate) else None
        hits = (0 if f_ok is None else f_ok * len(fin)) + (0 if e_ok is None else
                                                           e_ok * len(esc))
        share = hits / max(len(fin) + len(esc), 1) if len(fin) + len(esc) else 1.0
        targets.append(math.floor(share * 1000 + 1e-9) / 1000)
        seen = x[~np.isnan(x)]
        qs.append(float(np.quantile(seen, targets[-1])) if len(seen) else 0.0)
        extra.append((f_ok, e_ok))
    ok = plan.joint >= target - 1e-12
    realistic = [ok] * len(path)
    return (qs, list(plan.finish), targets, float(sum(reserves)), len(path), len(path),
            plan.joint, realistic, plan, extra, reserves)


def _reserves(path: list[str], links: list[tuple[float, float | None]], mine: pd.DataFrame,
              target: float) -> list[float]:
    """Per hand-over: its measured ``target`` quantile (at most a bounded one's upper bound;
    the upper bound, or nothing, when none was measured)."""
    out = []
    for i, (_, hi) in enumerate(links):
        h = mine.loc[mine["tier"] == path[i], "handover_min"].dropna().to_numpy(float)
        r = float(np.quantile(h, target)) if len(h) else (hi or 0.0)
        out.append(r if hi is None else min(r, hi))
    return out


def _met_today(sla: pd.DataFrame, loaded: LoadedScenario, clock: str, sev: str,
               levels: list[str], confidence: float = 0.95) -> dict[str, bool]:
    """Per level: is its SLA target on ``clock`` for ``sev`` met today by the interval rule
    (:func:`itr_sim.analysis.stats.share_interval` and :func:`~itr_sim.analysis.stats.verdict`,
    the rule of `run --check` and `itr-sim staff`: the whole interval at or above the
    target), on the measuring run. *At risk* counts as not met."""
    out = {}
    for lv in levels:
        rows = sla[(sla["clock"] == clock) & (sla["severity"] == sev) & (sla["level"] == lv)]
        if len(rows) == 0:
            continue
        met = ~rows["breached"].astype(bool)
        by_rep = met.groupby(rows["replication"])
        mean, lo, hi = share_interval(by_rep.mean(), by_rep.size(), confidence)
        out[lv] = verdict(mean, lo, hi, _attainment_target(loaded, lv, clock)) == "met"
    return out


def _today_attainment(olas: pd.DataFrame, groups: list[OlaGroup]) -> None:
    for g in groups:
        mine = olas[(olas["clock"] == g.clock) & (olas["severity"] == g.severity)
                    & olas["level"].isin(g.levels)]
        for tb in g.tiers:
            rows = mine[mine["tier"] == tb.tier]
            if tb.today is not None and len(rows):
                tb.today_attainment = float(1.0 - rows["breached"].mean())


def _check(loaded: LoadedScenario, groups: list[OlaGroup], replications: int | None,
           seed: int, jobs: int) -> None:
    """Simulate the scenario with the proposed budgets on other seeds; fill the check
    figures of every group."""
    result = run_scenario(loaded, replications=replications, seed=seed, jobs=jobs)
    m = _measure(result)
    olas, sla = m["olas"], m["sla"]
    for clock in CLOCKS:
        on_clock = olas[olas["clock"] == clock]
        blame = attribute_breaches(sla[sla["clock"] == clock], on_clock)
        for g in (g for g in groups if g.clock == clock and g.rule == "path"):
            _check_paths(g, m[f"visits.{clock}"], sla[sla["clock"] == clock])
        for g in (g for g in groups if g.clock == clock and g.rule != "path"):
            res = sla[(sla["clock"] == clock) & (sla["severity"] == g.severity)
                      & sla["level"].isin(g.levels)]
            mine = on_clock[(on_clock["severity"] == g.severity)
                            & on_clock["level"].isin(g.levels)]
            for tb in g.tiers:
                rows = mine[mine["tier"] == tb.tier]
                tb.checked_attainment = _share(~rows["breached"].astype(bool))
            overran = set(map(tuple, mine.loc[mine["breached"].astype(bool),
                                              ["replication", "ticket"]].to_numpy().tolist()))
            keys = list(zip(res["replication"], res["ticket"], strict=True))
            all_met = np.array([k not in overran for k in keys], dtype=bool)
            met = ~res["breached"].astype(bool).to_numpy()
            g.tickets_checked = len(res)
            g.sla_attainment_checked = float(met.mean()) if len(met) else None
            g.sla_attainment_all_olas_met = (float(met[all_met].mean()) if all_met.any()
                                             else None)
            b = blame[(blame["severity"] == g.severity) & blame["level"].isin(g.levels)]
            g.attribution_coverage = float((b["tiers"] != "").mean()) if len(b) else None


def _check_paths(g: OlaGroup, visits: pd.DataFrame, sla: pd.DataFrame) -> None:
    """The check figures of a path-rule group from the check run's visits: each tier's
    share of visits within the budget that applies (escalate or finish), the joint
    attainment, the SLA attainment of the tickets within every OLA of their path, and the
    share of SLA breaches with an OLA miss."""
    res = sla[(sla["severity"] == g.severity) & sla["level"].isin(g.levels)]
    mine = visits[(visits["severity"] == g.severity) & visits["level"].isin(g.levels)]
    times, hand, index = _wide(mine, g.path)
    ends = _ends(times)
    escalate = [tb.escalate_min or 0.0 for tb in g.tiers[:-1]]
    finish = [tb.proposed_min for tb in g.tiers]
    reserves = g.reserves or [0.0] * len(escalate)
    joint = _path_ok(times, hand, ends, escalate, finish, reserves)
    olas_met = _path_ok(times, hand, ends, escalate, finish, [math.inf] * len(reserves))
    for i, tb in enumerate(g.tiers):
        x = times[:, i]
        seen = ~np.isnan(x)
        limit = np.where(ends == i, finish[i], escalate[i] if i < len(escalate) else -1.0)
        tb.checked_attainment = (float((x[seen] <= limit[seen] + 1e-9).mean())
                                 if seen.any() else None)
    g.joint_checked = float(joint.mean()) if len(joint) else None
    met_ola = pd.Series(olas_met, index=index)
    keys = pd.MultiIndex.from_frame(res[["replication", "ticket"]])
    all_met = met_ola.reindex(keys, fill_value=True).to_numpy(bool)
    met = ~res["breached"].astype(bool).to_numpy()
    g.tickets_checked = len(res)
    g.sla_attainment_checked = float(met.mean()) if len(met) else None
    g.sla_attainment_all_olas_met = float(met[all_met].mean()) if all_met.any() else None
    g.attribution_coverage = (float((~all_met[~met]).mean()) if (~met).any() else None)


def _with_level(olas: pd.DataFrame, clocks: pd.DataFrame) -> pd.DataFrame:
    levels = clocks[["replication", "ticket", "level"]].drop_duplicates(["replication",
                                                                          "ticket"])
    return olas.merge(levels, on=["replication", "ticket"], how="left")


def _vendor_figures(loaded: LoadedScenario, m: dict[str, pd.DataFrame]) -> list[VendorFigure]:
    out = []
    sla, olas = m["sla"], m["olas"]
    blame = attribute_breaches(sla[sla["clock"] == "resolve"],
                               olas[olas["clock"] == "resolve"], m["vendors"])
    vendors = m["vendors"]
    for name, tier in loaded.scenario.organisation.tiers.items():
        w = tier.waiting.vendor
        if w is None or w.contract is None:
            continue
        rows = vendors[vendors["tier"] == name]
        hit = blame["tiers"].str.split(",").apply(lambda xs, n=name: f"vendor@{n}" in xs)
        out.append(VendorFigure(name, w.contract.target.text, w.contract.calendar or "24x7",
                                w.contract.attainment, len(rows),
                                _share(~rows["breached"].astype(bool)), int(hit.sum())))
    return out
