"""OLA design: per-tier OLA budgets and attainment targets derived from the SLA they protect.

Method (docs/ola.md). For each severity and each coverage calendar its levels use (a
*group*), with the SLA resolve budget ``B`` (the smallest of the group's levels, in covered
minutes) and attainment target ``A`` (the largest):

1. Simulate the scenario as it is and measure, per tier visit, the time at the tier as its
   resolve OLA clock counts it (covered minutes, less the waits that pause the resolve
   clock) and the hand-over delays between tiers.
2. Components of the longest escalation path: its ``k`` tiers, and every hand-over whose
   delay has no upper bound (a bounded one is reserved at its bound ``h``). Each of the
   ``m`` components gets the same share of the allowed breaches: attainment target
   ``a = 1 - (1 - A) / m`` (union bound: if every component meets ``a``, at most ``1 - A``
   of the tickets has any component over budget, so the SLA attainment holds).
3. Allocation rule, proportional to quantiles: with ``q_i`` the ``a``-quantile of the time
   at tier ``i`` and ``R = B - H`` the budget left after the hand-over reserve ``H``, tier
   ``i`` gets ``b_i = R q_i / sum(q)`` (rounded down to the minute). ``sum(b) + H <= B``,
   so a ticket whose every tier meets its OLA (and whose hand-overs keep their reserve)
   meets the SLA. When ``sum(q) <= R`` every budget is at least its quantile (realistic at
   today's staffing); otherwise every tier gets less than its quantile: unrealistic at
   today's staffing (``itr-sim staff`` finds the staffing). When the fixed part of the
   hand-overs (their lower bounds) already reaches ``B``, no staffing protects the SLA.
4. Check by simulation with other seeds: per-tier OLA attainment against ``a``; among
   tickets that met every OLA, the SLA attainment; among SLA breaches, the share with an
   OLA breach (attribution coverage); the SLA attainment against ``A``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.ola import attribute_breaches, ola_clocks, vendor_clocks, visit_times
from itr_sim.analysis.stats import mean_ci
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.catalog import ClockName
from itr_sim.model.distributions import Distribution
from itr_sim.model.fields import did_you_mean
from itr_sim.model.load import LoadedScenario
from itr_sim.model.org import OlaTarget, Organisation
from itr_sim.units import Duration, DurationKind

__all__ = ["OlaDesign", "OlaDesignError", "OlaGroup", "TierBudget", "allocate",
           "format_minutes", "ola", "proposal_overrides"]


class OlaDesignError(ValueError):
    """Bad input to the OLA design (an unknown level, a level no ticket has)."""


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
    days = sum(1 for i in range(7) if cal.is_24x7 or cal.week[i])
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def protected(self) -> bool:
        """Every group's proposal is realistic at today's staffing and possible."""
        return all(g.verdict == "ok" for g in self.groups)


FEW_VISITS = 30
"""Below this many measured visits a tier's quantile is flagged as rough."""

RULE = ("proportional to each tier's quantile at the per-component attainment target "
        "a = 1 - (1 - A) / m, after reserving the bounded hand-overs' upper bounds")


def _groups(loaded: LoadedScenario, level: str | None) -> dict[tuple[str, str], list[str]]:
    """(severity, calendar) -> levels that use that calendar for that severity and have
    customers in the demand."""
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
    out: dict[tuple[str, str], list[str]] = {}
    for name, spec in cat.levels.items():
        if name not in used or (level is not None and name != level):
            continue
        for sev in cat.severities:
            target = spec.targets.get(sev)
            if target is None or target.resolve is None:
                continue
            out.setdefault((sev, spec.calendars.get(sev, spec.calendar)), []).append(name)
    return out


def _attainment_target(loaded: LoadedScenario, level: str) -> float:
    value = loaded.catalog.levels[level].attainment_for(ClockName.RESOLVE)
    return 0.9 if value is None else float(value)


def _today_budget(org: Organisation, tier: str, sev: str) -> Duration | None:
    return org.tiers[tier].ola_budget(sev)


def _measure(result: RunResult) -> dict[str, pd.DataFrame]:
    loaded = result.loaded
    first = result.replications[0]
    events, tickets = result.events(), result.tickets()
    kept = tickets.loc[~tickets["warmup"], ["replication", "ticket"]]
    org = loaded.scenario.organisation
    visits = visit_times(events, loaded.catalog, org, first.origin, first.horizon_min)
    clocks = run_clocks(result)
    olas = ola_clocks(events, loaded.catalog, org, first.origin, first.horizon_min)
    vendors = vendor_clocks(events, loaded.catalog, org, first.origin, first.horizon_min)
    resolve = clocks[(clocks["clock"] == "resolve") & clocks["stop_min"].notna()]

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.merge(kept, on=["replication", "ticket"])

    olas = _with_level(olas, clocks)
    return {"visits": keep(visits), "resolve": keep(resolve), "olas": keep(olas),
            "vendors": keep(vendors), "clocks": keep(clocks)}


def _with_budgets(loaded: LoadedScenario, groups: list[OlaGroup]) -> LoadedScenario:
    """The scenario with the proposed resolve OLA budgets (other OLA clocks kept)."""
    org = loaded.scenario.organisation
    tiers = {}
    for name, tier in org.tiers.items():
        ola = dict(tier.ola)
        for sev in {g.severity for g in groups}:
            mine = [(g, tb) for g in groups if g.severity == sev for tb in g.tiers
                    if tb.tier == name]
            if not mine:
                continue
            ola[sev] = _proposal_entry(loaded, ola.get(sev), mine)
        tiers[name] = tier.model_copy(update={"ola": ola})
    sc = loaded.scenario.model_copy(update={
        "organisation": org.model_copy(update={"tiers": tiers})})
    return replace(loaded, scenario=sc)


def _proposal_entry(loaded: LoadedScenario, current: Duration | OlaTarget | None,
                    mine: list[tuple[OlaGroup, TierBudget]]) -> Duration | OlaTarget:
    """One tier's OLA for one severity: the tightest group's budget for everyone, and the
    other groups' budgets for the customers of their levels."""
    from itr_sim.units import parse_duration

    default = min(mine, key=lambda x: x[1].proposed_min)
    customers = {}
    for g, tb in mine:
        if tb.proposed_min == default[1].proposed_min:
            continue
        for who, c in loaded.scenario.demand.customers.items():
            if c.level in g.levels:
                customers[who] = parse_duration(tb.proposed)
    budget = parse_duration(default[1].proposed)
    keep = current if isinstance(current, OlaTarget) else None
    if not customers and keep is None:
        return budget
    base = keep.model_dump() if keep is not None else {}
    base.update({"resolve": budget, "customers": customers,
                 "attainment": max(tb.attainment_target for _, tb in mine)})
    return OlaTarget(**base)


def proposal_overrides(design: OlaDesign, loaded: LoadedScenario) -> dict[str, Any]:
    """The proposal as scenario overrides (``organisation.tiers.T.ola.SEV: ...``)."""
    out: dict[str, Any] = {}
    org = loaded.scenario.organisation
    severities = [s for s in loaded.catalog.severities
                  if any(g.severity == s for g in design.groups)]
    for name in org.tiers:
        for sev in severities:
            mine = [(g, tb) for g in design.groups if g.severity == sev for tb in g.tiers
                    if tb.tier == name]
            if not mine:
                continue
            entry = _proposal_entry(loaded, org.tiers[name].ola.get(sev), mine)
            if isinstance(entry, Duration):
                out[f"organisation.tiers.{name}.ola.{sev}"] = entry.text
            else:
                dumped = entry.model_dump(mode="json", exclude_none=True)
                if not dumped.get("customers"):
                    dumped.pop("customers", None)
                out[f"organisation.tiers.{name}.ola.{sev}"] = dumped
    return out


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
        seed: int | None = None, jobs: int = 1) -> OlaDesign:
    """Propose per-tier OLA budgets and attainment targets that protect the SLA resolve
    clock, and check them by simulation with other seeds (see the module docstring)."""
    sc = loaded.scenario
    wanted = _groups(loaded, level)
    base_seed = sc.seed if seed is None else seed
    today = run_scenario(loaded, replications=replications, seed=base_seed, jobs=jobs)
    m = _measure(today)
    org = sc.organisation
    path = org.path()
    visits, resolve = m["visits"], m["resolve"]
    groups: list[OlaGroup] = []
    for (sev, calendar), levels in wanted.items():
        budgets = {lv: loaded.catalog.levels[lv].targets[sev].resolve for lv in levels}
        tight = min(levels, key=lambda lv: _covered_minutes(loaded, calendar, budgets[lv]))
        b_min = _covered_minutes(loaded, calendar, budgets[tight])
        target = max(_attainment_target(loaded, lv) for lv in levels)
        links = [_bounds(org.tiers[t].handover) for t in path[:-1]]
        unbounded = [i for i, (_, hi) in enumerate(links) if hi is None]
        comps = len(path) + len(unbounded)
        a = math.ceil((1.0 - (1.0 - target) / comps) * 1000 - 1e-9) / 1000  # up to 0.1%
        mine = visits[(visits["severity"] == sev) & visits["level"].isin(levels)]
        reserve = 0.0
        for i, (_, hi) in enumerate(links):
            if hi is not None:
                reserve += hi
            else:
                h = mine.loc[mine["tier"] == path[i], "handover_min"].dropna()
                reserve += float(np.quantile(h, a)) if len(h) else 0.0
        floor = sum(lo for lo, _ in links)
        qs, counts, cis = [], [], []
        for t in path:
            rows = mine[mine["tier"] == t]
            x = rows["at_tier_min"].to_numpy(float)
            counts.append(len(x))
            qs.append(float(np.quantile(x, a)) if len(x) else 0.0)
            cis.append(_ci(rows.groupby("replication")["at_tier_min"].quantile(a)))
        if not any(counts):
            continue  # no ticket of this severity and calendar in the demand
        shares = allocate(qs, b_min, reserve)
        tiers = []
        for t, q, n, b, ci in zip(path, qs, counts, shares, cis, strict=True):
            now = _today_budget(org, t, sev)
            tiers.append(TierBudget(
                t, None if now is None else now.text,
                None if now is None else _covered_minutes(loaded, calendar, now), None, n,
                q, format_minutes(b), b, a, b >= q, None, ci))
        if floor >= b_min:
            verdict = "impossible"
            note = (f"the hand-overs' fixed delays ({format_minutes(floor)}) already use the "
                    f"SLA budget {budgets[tight]}: no staffing protects it; shorten the "
                    "hand-overs or sell a longer resolve target")
        elif reserve >= b_min:
            verdict = "impossible"
            note = (f"the hand-overs' reserve ({format_minutes(reserve)}) uses the whole SLA "
                    f"budget {budgets[tight]}: no OLA budget is left for the tiers")
        elif not all(tb.realistic for tb in tiers):
            verdict = "unrealistic"
            late = [tb.tier for tb in tiers if not tb.realistic and tb.visits]
            note = (f"at today's staffing the tiers need {format_minutes(sum(qs))} at "
                    f"{a:.1%} but only {format_minutes(b_min - reserve)} is left after the "
                    f"hand-overs: {', '.join(late)} would miss their target; see "
                    "`itr-sim staff` for the staffing that gets there")
        else:
            verdict, note = "ok", ""
        few = [f"{t} ({n})" for t, n in zip(path, counts, strict=True) if 0 < n < FEW_VISITS]
        if few:
            note = (note + "; " if note else "") + (
                f"few visits measured at {', '.join(few)}: their quantile is rough; "
                "run more replications (-n)")
        g_res = resolve[(resolve["severity"] == sev) & resolve["level"].isin(levels)]
        met = ~g_res["breached"].astype(bool)
        groups.append(OlaGroup(sev, calendar, levels, budgets[tight].text, b_min, target,
                               path, reserve, floor, comps, a, verdict, tiers, note,
                               _share(met), _ci(met.groupby(g_res["replication"]).mean())))
    _today_attainment(m["olas"], groups)
    check_seed = base_seed + 1
    if groups:
        _check(_with_budgets(loaded, groups), groups, replications, check_seed, jobs)
    vendors = _vendor_figures(loaded, m)
    return OlaDesign(sc.scenario, len(today.replications), base_seed, check_seed, RULE,
                     groups, vendors)


def _today_attainment(olas: pd.DataFrame, groups: list[OlaGroup]) -> None:
    if "level" not in olas:
        return
    for g in groups:
        mine = olas[(olas["severity"] == g.severity) & olas["level"].isin(g.levels)]
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
    olas, resolve = m["olas"], m["resolve"]
    blame = attribute_breaches(resolve, m["olas"])
    for g in groups:
        res = resolve[(resolve["severity"] == g.severity) & resolve["level"].isin(g.levels)]
        mine = olas[(olas["severity"] == g.severity) & olas["level"].isin(g.levels)]
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
        g.sla_attainment_all_olas_met = float(met[all_met].mean()) if all_met.any() else None
        b = blame[(blame["clock"] == "resolve") & (blame["severity"] == g.severity)
                  & blame["level"].isin(g.levels)]
        g.attribution_coverage = float((b["tiers"] != "").mean()) if len(b) else None


def _with_level(olas: pd.DataFrame, clocks: pd.DataFrame) -> pd.DataFrame:
    levels = clocks[["replication", "ticket", "level"]].drop_duplicates(["replication",
                                                                          "ticket"])
    return olas.merge(levels, on=["replication", "ticket"], how="left")


def _vendor_figures(loaded: LoadedScenario, m: dict[str, pd.DataFrame]) -> list[VendorFigure]:
    out = []
    blame = attribute_breaches(m["resolve"], m["olas"], m["vendors"])
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
