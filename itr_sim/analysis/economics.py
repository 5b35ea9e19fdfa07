"""Economics of a service level: service credits, variable costs and marginal cost to serve.

Two costs per contract-year (docs/economics.md):

* **fully allocated** (:func:`itr_sim.analysis.cost.cost_by_level`): today's staff cost shared
  out by busy minutes. It answers "who used the staff we have", not "what does one more
  contract cost": it moves when other levels' volumes move.
* **marginal**: the change in least-cost staffing (re-optimised with ``itr-sim staff``) plus
  variable costs (parts consumed, fixed cost per contract) plus expected service credits,
  when ``k`` contracts of one level are added, divided by ``k`` and the measured years.

Common random numbers: both scenarios (N and N + k contracts) are staffed and run with the
same seeds, so the difference is not noise between runs. The interval is a Student-t
interval over independent seeds: each seed gives one paired difference (its own staffing
search for N and for N + k, and its own run of both plans).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.evaluate import with_agents
from itr_sim.analysis.staff import StaffingResult, staff
from itr_sim.analysis.stats import mean_ci
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.catalog import Catalog
from itr_sim.model.load import LoadedScenario, load_scenario
from itr_sim.model.source import ScenarioError, read_yaml
from itr_sim.units import MINUTES_PER_YEAR, WEEKS_PER_YEAR

__all__ = [
    "MarginalCost",
    "NoPlan",
    "PriceResult",
    "RunEconomics",
    "check_margin",
    "contracts_of",
    "credits_by_contract",
    "customer_of",
    "economics_summary",
    "list_price",
    "load_product",
    "marginal_between",
    "marginal_cost",
    "parts_used",
    "price",
    "restaff",
    "run_economics",
    "with_contracts",
]


class NoPlan(Exception):
    """Staffing cannot carry the work: no marginal cost to report (exit 1)."""


# ---------------------------------------------------------------- credits


def credits_by_contract(clocks: pd.DataFrame, tickets: pd.DataFrame, catalog: Catalog,
                        start: float, end: float) -> pd.DataFrame:
    """Service credits owed per replication, contract and billing period.

    A clock belongs to the period in which it is due (its deadline, clipped to the measured
    window ``[start, end)``); periods are counted from ``start``, the last one may be
    partial. ``per_miss`` credits count every missed due clock; a ``below_target`` credit
    is owed for each period in which the contract's attainment of the clock (over its due
    clocks of that period, and that severity when one is given) is below the level's
    target. The sum per contract and period is capped at ``cap``. Shares are of the
    contract's fee for a whole period; a partial last period gets ``below_target`` credits
    and the cap in proportion to its length.

    Columns: replication, customer, contract, level, period, credit, uncapped."""
    columns = ["replication", "customer", "contract", "level", "period", "credit", "uncapped"]
    priced = {name: spec for name, spec in catalog.levels.items() if spec.penalties}
    if not priced or clocks.empty:
        return pd.DataFrame(columns=columns)
    kept = tickets.loc[~tickets["warmup"], ["replication", "ticket", "customer", "contract"]]
    c = clocks.merge(kept, on=["replication", "ticket"])
    c = c[(c["status"] != "open") & c["severity"].notna()]
    c = c[c["level"].astype(object).isin(list(priced))]
    rows: list[pd.DataFrame] = []
    for name, spec in priced.items():
        p = spec.penalties
        assert p is not None
        length = MINUTES_PER_YEAR / p.periods_per_year()
        fee = spec.price.per_contract_year / p.periods_per_year() if spec.price else 0.0
        mine = c[c["level"].astype(object) == name].copy()
        if mine.empty:
            continue
        due = mine["deadline_min"].to_numpy(float).clip(start, np.nextafter(end, start))
        mine["period"] = np.floor((due - start) / length).astype(int)
        keys = ["replication", "customer", "contract", "period"]
        owed: list[pd.DataFrame] = []
        for credit in p.credits:
            hit = mine[(mine["clock"].astype(str) == credit.clock.value)
                       & ((credit.severity is None)
                          | (mine["severity"].astype(object) == credit.severity))]
            if hit.empty:
                continue
            g = hit.groupby(keys, observed=True)["breached"].agg(n="size", missed="sum")
            g = g.reset_index()
            if credit.per_miss is not None:
                g["credit"] = g["missed"] * credit.per_miss.value(fee)
            else:
                assert credit.below_target is not None
                target = spec.attainment_for(credit.clock) or 0.0
                below = (1.0 - g["missed"] / g["n"]) < target - 1e-12
                share = _period_share(g["period"].to_numpy(), start, end, length)
                g["credit"] = np.where(below, credit.below_target.value(fee) * share, 0.0)
            owed.append(g[[*keys, "credit"]])
        if not owed:
            continue
        total = pd.concat(owed).groupby(keys, observed=True)["credit"].sum().reset_index()
        total["uncapped"] = total["credit"]
        if p.cap is not None:
            share = _period_share(total["period"].to_numpy(), start, end, length)
            total["credit"] = np.minimum(total["credit"], p.cap.value(fee) * share)
        total["level"] = name
        rows.append(total[columns])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def _period_share(period: np.ndarray, start: float, end: float, length: float) -> np.ndarray:
    """The measured share of each period (1 but for a partial last one)."""
    a = start + period * length
    return (np.minimum(a + length, end) - a) / length


# ---------------------------------------------------------------- variable costs


def parts_used(events: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Parts taken from stock (or back-ordered) in ``[start, end)``: columns replication,
    customer, level, part, units."""
    frame = events if "replication" in events.columns else events.assign(replication=0)
    taken = frame[(frame["event"].astype(str) == "waiting_parts")
                  & (frame["time_min"] >= start) & (frame["time_min"] < end)]
    if taken.empty:
        return pd.DataFrame(columns=["replication", "customer", "level", "part", "units"])
    part = taken["detail"].astype(str).str.removesuffix(" backorder")
    level = taken["level"].astype(object).where(taken["level"].notna(), "none")
    out = pd.DataFrame({"replication": taken["replication"].to_numpy(),
                        "customer": taken["customer"].astype(str).to_numpy(),
                        "level": level.to_numpy(), "part": part.to_numpy()})
    return out.groupby(["replication", "customer", "level", "part"]).size() \
        .rename("units").reset_index()


def contracts_of(loaded: LoadedScenario) -> dict[str, int]:
    """Active contracts per level."""
    out = dict.fromkeys(loaded.catalog.levels, 0)
    for cust in loaded.scenario.demand.customers.values():
        if cust.contract == "active":
            out[cust.level] = out.get(cust.level, 0) + cust.count
    return out


@dataclass(frozen=True)
class RunEconomics:
    """Per replication and level, over the measured period: parts, fixed and credit
    costs (variable costs) and revenue; ``years`` is the measured share of a year."""

    table: pd.DataFrame  # replication, level, contracts, parts, fixed, credits, revenue
    years: float
    parts_by_customer: pd.DataFrame  # replication, customer, parts (cost)


def run_economics(result: RunResult) -> RunEconomics:
    """The variable costs and credits of one run, per replication and level."""
    loaded = result.loaded
    cat, org = loaded.catalog, loaded.scenario.organisation
    first = result.replications[0]
    start, end = first.warmup_min, first.horizon_min
    years = (end - start) / MINUTES_PER_YEAR
    tickets = result.tickets()
    credits = credits_by_contract(run_clocks(result), tickets, cat, start, end)
    parts = parts_used(result.events(), start, end)
    unit_cost = {name: c.cost_per_unit for name, c in org.parts.classes.items()} \
        if org.parts else {}
    contracts = contracts_of(loaded)
    parts = parts.assign(cost=parts["units"].astype(float)
                         * parts["part"].map(unit_cost).astype(float).fillna(0.0))
    by_customer = parts.groupby(["replication", "customer"])["cost"].sum().rename("parts")
    rows = []
    for rep in range(len(result.replications)):
        pr = parts[parts["replication"] == rep]
        cr = credits[credits["replication"] == rep]
        for level, spec in cat.levels.items():
            used = pr[pr["level"] == level]
            price = spec.price.per_contract_year if spec.price else math.nan
            rows.append({
                "replication": rep, "level": level, "contracts": contracts.get(level, 0),
                "parts": float(used["cost"].sum()),
                "fixed": org.cost_per_contract_year.get(level, 0.0) * contracts.get(level, 0)
                * years,
                "credits": float(cr.loc[cr["level"] == level, "credit"].sum()),
                "revenue": price * contracts.get(level, 0) * years})
    return RunEconomics(pd.DataFrame(rows), years, by_customer.reset_index())


# ---------------------------------------------------------------- adding contracts


def check_costs(loaded: LoadedScenario) -> None:
    """``organisation.cost_per_contract_year`` names levels of the catalogue."""
    from itr_sim.model.fields import did_you_mean

    levels = loaded.catalog.levels
    bad = [name for name in loaded.scenario.organisation.cost_per_contract_year
           if name not in levels]
    if bad:
        doc = read_yaml(loaded.path)
        raise ScenarioError([doc.diagnostic(
            ("organisation", "cost_per_contract_year", name),
            did_you_mean(name, levels, "level of the catalogue")) for name in bad])


def customer_of(loaded: LoadedScenario, level: str, customer: str | None = None) -> str:
    """The customer group whose contracts are added: ``customer`` (checked), or the level's
    active group with the most contracts."""
    customers = loaded.scenario.demand.customers
    if level not in loaded.catalog.levels:
        raise ScenarioError([read_yaml(loaded.catalog_path).diagnostic(
            ("levels",), f"no level {level!r} in the catalogue; levels: "
            f"{', '.join(loaded.catalog.levels)}")])
    if customer is not None:
        if customer not in customers:
            raise ScenarioError([read_yaml(loaded.path).diagnostic(
                ("demand", "customers"), f"--customer: no customer group {customer!r}; "
                f"groups: {', '.join(customers)}")])
        if customers[customer].level != level:
            raise ScenarioError([read_yaml(loaded.path).diagnostic(
                ("demand", "customers", customer, "level"),
                f"--customer {customer} buys {customers[customer].level}, not {level}")])
        return customer
    groups = [(c.count, name) for name, c in customers.items()
              if c.level == level and c.contract == "active"]
    if not groups:
        raise ScenarioError([read_yaml(loaded.path).diagnostic(
            ("demand", "customers"), f"no active customer group buys {level}, so there is "
            "no volume per contract to add; add a group with that level (count 1 is "
            "enough) or evaluate it as a product with --product")])
    return max(groups)[1]


def with_contracts(loaded: LoadedScenario, customer: str, added: int) -> LoadedScenario:
    """The scenario with ``added`` more contracts in the group ``customer`` (each with the
    group's volume per contract); ``added`` may be negative but leaves at least one."""
    sc = loaded.scenario
    cust = sc.demand.customers[customer]
    count = cust.count + added
    if count < 1:
        raise ValueError(f"{customer} has {cust.count} contracts; cannot remove {-added}")
    customers = {**sc.demand.customers, customer: cust.model_copy(update={"count": count})}
    demand = sc.demand.model_copy(update={"customers": customers})
    return LoadedScenario(sc.model_copy(update={"demand": demand}), loaded.catalog,
                          loaded.path, loaded.catalog_path, loaded.warnings)


FEW_SEEDS = 5
"""Fewer seeds than this give an interval too wide (t with n-1 degrees of freedom) to quote."""


@dataclass
class MarginalCost:
    """Marginal cost per contract-year of a level, with its parts, per seed and pooled."""

    level: str
    customer: str
    added: int
    contracts: int  # of the level before adding
    currency: str
    confidence: float
    seeds: list[int]
    staffing: str
    per_seed: pd.DataFrame  # seed, staff, parts, fixed, credits, total (per contract-year)
    plans: list[tuple[StaffingResult | None, StaffingResult | None]] = field(repr=False,
                                                                           default_factory=list)

    def component(self, name: str) -> tuple[float, float, float]:
        """Mean and interval over the seeds of a component (or ``total``)."""
        x = self.per_seed[name].to_numpy(float)
        mean, lo, hi = mean_ci(x, level=self.confidence)
        if math.isnan(lo):
            lo = hi = mean
        return mean, lo, hi

    @property
    def total(self) -> tuple[float, float, float]:
        return self.component("total")

    def cautions(self) -> list[str]:
        """What a reader must know before quoting the floor: too few seeds for a useful
        interval, and staff differences that split into seeds with and without a staffing
        step (the mean is then a share of a step, not a cost any one seed saw)."""
        out: list[str] = []
        n = len(self.seeds)
        if n < FEW_SEEDS:
            out.append(f"only {n} seed(s): the interval rests on {max(n - 1, 0)} degree(s) "
                       f"of freedom; quote a floor from --seeds {FEW_SEEDS} or more")
        staff = self.per_seed["staff"].to_numpy(float)
        if self.staffing == "reoptimised" and n > 1 and staff.max() > 0:
            steps = int((staff > 0).sum())
            if 0 < steps < n:
                out.append(f"the added contracts need more staff in {steps} of {n} seeds "
                           f"(staff cost per seed {staff.min():,.0f} to {staff.max():,.0f}): "
                           "they sit near a staffing step; a larger --added shares the step "
                           "among more contracts")
        if (staff < 0).any():
            out.append("a seed found the larger volume cheaper to staff even after the "
                       "smaller one was searched again from its plan: targets near their "
                       "bound flip with the volume; more replications (-n) steady them")
        return out

    def to_json(self) -> dict[str, Any]:
        parts = {}
        for name in ("staff", "parts", "fixed", "credits", "total"):
            mean, lo, hi = self.component(name)
            parts[name] = {"mean": mean, "ci": [lo, hi]}
        return {"level": self.level, "customer": self.customer, "added": self.added,
                "contracts": self.contracts, "currency": self.currency,
                "confidence": self.confidence, "seeds": self.seeds,
                "staffing": self.staffing, "per_contract_year": parts,
                "per_seed": self.per_seed.to_dict(orient="records"),
                "cautions": self.cautions()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MarginalCost:
        """The result :meth:`to_json` wrote (a stored ``price --json``); means and intervals
        are computed again from the per-seed rows, not read."""
        return cls(data["level"], data["customer"], int(data["added"]),
                   int(data["contracts"]), data["currency"], float(data["confidence"]),
                   [int(s) for s in data["seeds"]], data["staffing"],
                   pd.DataFrame(data["per_seed"]))


def restaff(more: LoadedScenario, start: StaffingResult, *, max_evaluations: int = 200,
            jobs: int = 1) -> StaffingResult:
    """Least-cost staffing of ``more`` searched from the plan ``start`` found for a smaller
    volume, with its seed, replications and confidence: the bound is evaluated (targets it
    misses are unreachable, as in ``staff``), then the greedy add and remove steps of
    :func:`itr_sim.analysis.staff.staff` run from ``start``'s roster. Two independent
    searches a few contracts apart can land on rosters far apart (the search is greedy and
    judged on few replications); from a common start the difference is the staffing the
    added work needs. Returns a :class:`StaffingResult` with the plan and its cost (its
    verdicts are in-sample: no out-of-sample check)."""
    from itr_sim.analysis.evaluate import Options, judge
    from itr_sim.analysis.staff import (
        STABLE_UTILISATION,
        BudgetExhausted,
        Evaluator,
        _add,
        _remove,
        capacity_shortfall,
        offered_work,
        roster_point,
        variables_of,
    )
    from itr_sim.model.staffing import StaffingSpec

    spec = more.scenario.staffing or StaffingSpec()
    variables = variables_of(more, spec)
    options = Options(spec.ola_attainment, spec.occupancy_cap)
    ev = Evaluator(more, variables, start.seed, start.replications, options,
                   max_evaluations, jobs, "process", None, None)
    cost = {v.key: v.cost_per_agent for v in variables}
    cap = spec.occupancy_cap if spec.occupancy_cap is not None else STABLE_UTILISATION
    high = {v.key: v.high for v in variables}
    status = "optimal"
    try:
        e_high = ev.many([high], loads=True)[0]
        at_bound = judge(e_high, start.confidence)
        offered = offered_work(variables, e_high.busy or {})

        def gaps(x: dict[Any, int]) -> dict[str, float]:
            return capacity_shortfall(variables, offered, cap, x)

        unreachable = sorted([k for k, v in at_bound.items() if not v.met] + list(gaps(high)))
        reachable = set(at_bound) - set(unreachable)

        def record(phase: str, x: dict[Any, int], e: Any) -> Any:
            mine = {k: g for k, g in gaps(x).items() if k not in unreachable}
            return roster_point(phase, x, e, start.confidence, reachable, mine, cost)

        x = {v.key: start.plan.get(v.key, v.now) for v in variables}
        if any(k.startswith("capacity.") for k in unreachable):
            status = "infeasible_bounds"
        else:
            short = [k for k in gaps(x) if k not in unreachable]
            current = record("start", x, None if short else ev.many([x])[0])
            x, current = _add(ev, variables, x, current, record)
            x, current, _ = _remove(ev, variables, x, current, record,
                                    lambda y: [k for k in gaps(y) if k not in unreachable])
    except BudgetExhausted:
        status = "budget_exhausted"
    finally:
        ev.close()
    total = sum(cost[k] * n for k, n in x.items())
    return StaffingResult(status, variables, x, start.cost_now, total, start.weeks,
                          start.currency, start.confidence, start.seed, start.replications,
                          start.final_seed, start.final_replications, {}, at_bound, {}, {},
                          unreachable, {}, evaluations=ev.count)


def default_added(loaded: LoadedScenario, customer: str) -> int:
    """A quarter of the group's contracts (at least 1): a staffing step is then shared by
    the contracts that together make it necessary, not charged to one."""
    return max(1, math.ceil(0.25 * loaded.scenario.demand.customers[customer].count))


def marginal_cost(loaded: LoadedScenario | str | Path, level: str, *,
                  customer: str | None = None, added: int | None = None, seeds: int = 3,
                  **options: Any) -> MarginalCost:
    """Marginal cost per contract-year of ``level``: ``added`` contracts more in its customer
    group (:func:`customer_of`; default :func:`default_added`); see
    :func:`marginal_between` for the options."""
    if not isinstance(loaded, LoadedScenario):
        loaded = load_scenario(loaded)
    group = customer_of(loaded, level, customer)
    added = default_added(loaded, group) if added is None else added
    if added < 1:
        raise ValueError("added must be at least 1 contract")
    return marginal_between(loaded, with_contracts(loaded, group, added), level, group,
                            added, seeds=seeds, **options)


def marginal_between(base: LoadedScenario, more: LoadedScenario, level: str, customer: str,
                     added: int, *, seeds: int = 3, seed: int | None = None,
                     replications: int | None = None, confidence: float = 0.95,
                     staffing: str = "reoptimised", max_evaluations: int = 200,
                     final_replications: int | None = None, jobs: int = 1,
                     progress: Callable[[str], None] | None = None) -> MarginalCost:
    """The marginal cost of going from ``base`` to ``more`` (``added`` more contracts of
    ``level``), per contract-year: for each of ``seeds`` seeds, both scenarios are staffed
    at least cost with that seed (``staffing="reoptimised"``; ``"fixed"`` keeps today's
    roster) and both plans are run with that seed. Per contract-year: the difference of
    staff cost divided by ``added``; the parts the group ``customer`` consumed in the run
    with the added contracts, per contract of the group (variable costs are linear in the
    contracts, and the group's own use is far less noisy than a difference of totals); the
    level's fixed cost per contract; and the difference of every level's credits divided by
    ``added`` (congestion raises other contracts' credits too). The interval is Student-t
    over the seeds (docs/economics.md)."""
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    check_costs(more)
    if staffing not in ("reoptimised", "fixed"):
        raise ValueError("staffing is reoptimised or fixed")
    root = base.scenario.seed if seed is None else seed
    reps = replications or base.scenario.replications
    rows, plans = [], []
    for i in range(seeds):
        s = root + 1000 * i
        p0: StaffingResult | None = None
        p1: StaffingResult | None = None
        if staffing == "reoptimised":
            p0, p1 = _least_cost_pair(base, more, s, reps, confidence, max_evaluations,
                                      final_replications, jobs, progress)
        per: list[tuple[float, pd.DataFrame, float, RunEconomics]] = []
        for scenario, plan in ((base, p0), (more, p1)):
            if progress is not None:
                progress(f"seed {s}: run {'base' if scenario is base else 'more'}")
            if plan is not None:
                run = run_scenario(with_agents(scenario, plan.plan), replications=reps,
                                   seed=s)
                staff_cost, weeks = plan.cost, plan.weeks
            else:
                run = run_scenario(scenario, replications=reps, seed=s)
                staff_cost, weeks = 0.0, 1.0  # today's roster in both: no change
            econ = run_economics(run)
            per.append((staff_cost / weeks * WEEKS_PER_YEAR, econ.table, econ.years, econ))
        (cost0, t0, years, _), (cost1, t1, _, econ1) = per
        plans.append((p0, p1))
        credits = (t1.groupby("replication")["credits"].sum()
                   - t0.groupby("replication")["credits"].sum()).mean() / years / added
        group = more.scenario.demand.customers[customer].count
        mine = econ1.parts_by_customer
        used = mine.loc[mine["customer"] == customer, "parts"].sum() / reps
        parts = float(used) / years / group
        fixed = more.scenario.organisation.cost_per_contract_year.get(level, 0.0)
        staff_part = (cost1 - cost0) / added
        rows.append({"seed": s, "staff": staff_part, "parts": parts, "fixed": fixed,
                     "credits": float(credits), "total": staff_part + parts + fixed
                     + float(credits)})
    interval = confidence if confidence > 0 else 0.95  # the mean rule still gets an interval
    return MarginalCost(level, customer, added, contracts_of(base).get(level, 0),
                        base.catalog.currency, interval,
                        [int(r["seed"]) for r in rows], staffing, pd.DataFrame(rows), plans)


def _least_cost_pair(base: LoadedScenario, more: LoadedScenario, seed: int, reps: int,
                     confidence: float, max_evaluations: int,
                     final_replications: int | None, jobs: int,
                     progress: Callable[[str], None] | None
                     ) -> tuple[StaffingResult, StaffingResult]:
    """Least-cost plans for ``base`` and ``more`` with one seed, made monotone in the volume.

    ``base`` is searched from today's roster (:func:`staff`) and ``more`` from that plan
    (:func:`restaff`). The greedy search can stop on a roster dearer than one that also
    holds: when ``more``'s plan is cheaper than ``base``'s, ``base`` is searched again from
    ``more``'s plan, and the cheaper of its two plans is kept. A roster that keeps the
    targets with more contracts nearly always keeps them with fewer, so the staff part of
    the marginal cost is then not negative; where it still is, the plan for fewer contracts
    fails with the roster of more (an in-sample verdict near a target), and the difference
    is reported as it is."""
    def say(what: str) -> None:
        if progress is not None:
            progress(f"seed {seed}: {what}")

    say("staff base")
    p0 = staff(base, replications=reps, confidence=confidence,
               max_evaluations=max_evaluations, seed=seed,
               final_replications=final_replications or reps, jobs=jobs)
    _usable(p0, max_evaluations, seed, more=False)
    say("staff more")
    p1 = restaff(more, p0, max_evaluations=max_evaluations, jobs=jobs)
    _usable(p1, max_evaluations, seed, more=True)
    if p1.cost < p0.cost:
        say("staff base again from the plan for more")
        again = restaff(base, p1, max_evaluations=max_evaluations, jobs=jobs)
        if again.status == "optimal" and again.cost < p0.cost:
            p0 = again
    return p0, p1


def _usable(plan: StaffingResult, max_evaluations: int, seed: int, *, more: bool) -> None:
    """Refuse a plan that is no least-cost plan (see :class:`NoPlan`)."""
    if plan.status == "infeasible_bounds":
        raise NoPlan("no roster within the staffing bounds carries the offered work"
                     + (" with the added contracts" if more else "")
                     + "; raise staffing.units.UNIT.max")
    if plan.status != "optimal":  # the cheapest roster seen is no least cost
        raise NoPlan(f"the staffing search (seed {seed}) used its {max_evaluations} "
                     "evaluations before it ended, so its roster is not a least-cost plan and "
                     "a difference of two such rosters is no marginal cost; raise "
                     "max_evaluations")


# ---------------------------------------------------------------- products and prices


def load_product(path: str | Path, loaded: LoadedScenario
                 ) -> tuple[LoadedScenario, LoadedScenario, str, str, int]:
    """A product file applied to a scenario: (the scenario whose catalogue has the new
    level, the same with the product's contracts sold, level, customer group, contracts).
    Problems are :class:`ScenarioError` with the product file's lines."""
    from itr_sim.model.catalog import LevelSpec, Product
    from itr_sim.model.fields import did_you_mean
    from itr_sim.model.load import _validate

    doc = read_yaml(Path(path))
    if not isinstance(doc.data, dict) or "product" not in doc.data:
        raise ScenarioError([doc.diagnostic((), "not a product file: it starts with "
                                            "`product: NAME` and `extends: LEVEL`")])
    spec: Product = _validate(doc, Product)
    cat, sc = loaded.catalog, loaded.scenario
    problems = []
    if spec.extends not in cat.levels:
        problems.append(doc.diagnostic(("extends",), did_you_mean(
            spec.extends, cat.levels, f"level of the catalogue {cat.catalog}") + "; a product "
            "extends a level of the scenario's catalogue"))
    if spec.product in cat.levels:
        problems.append(doc.diagnostic(("product",), f"{spec.product!r} is already a level of "
                                       "the catalogue; give the new product its own name"))
    if spec.sold_to.customer not in sc.demand.customers:
        problems.append(doc.diagnostic(("sold_to", "customer"), did_you_mean(
            spec.sold_to.customer, sc.demand.customers, "customer group")))
    if spec.calendar is not None and spec.calendar not in cat.calendars:
        problems.append(doc.diagnostic(("calendar",), did_you_mean(
            spec.calendar, cat.calendars, "calendar")))
    if problems:
        raise ScenarioError(problems)
    base_level = cat.levels[spec.extends]
    targets = dict(base_level.targets)
    for severity, changes in spec.targets.items():
        if severity not in targets:
            problems.append(doc.diagnostic(("targets", severity), did_you_mean(
                severity, targets, f"severity with targets in {spec.extends}")))
            continue
        changed = {k: v for k, v in changes if v is not None}
        targets[severity] = targets[severity].model_copy(update=changed)
    update: dict[str, Any] = {"targets": targets,
                              "description": spec.description or base_level.description}
    for key in ("calendar", "attainment", "price", "penalties"):
        if getattr(spec, key) is not None:
            update[key] = getattr(spec, key)
    level: LevelSpec = base_level.model_copy(update=update)
    try:
        # the level's own model validator, run on the copy (model_copy does not validate);
        # the pydantic plugin types the decorated method as a descriptor, not a callable
        LevelSpec._penalties_fit(level)  # type: ignore[operator]
    except ValueError as exc:
        problems.append(doc.diagnostic(("penalties",), str(exc)))
    if problems:
        raise ScenarioError(problems)
    catalog = cat.model_copy(update={"levels": {**cat.levels, spec.product: level}})
    base = LoadedScenario(sc, catalog, loaded.path, loaded.catalog_path, loaded.warnings)
    like = sc.demand.customers[spec.sold_to.customer]
    group = f"{spec.sold_to.customer} ({spec.product})"
    new = like.model_copy(update={"level": spec.product, "count": spec.sold_to.contracts,
                                  "contract": "active"})
    demand = sc.demand.model_copy(update={"customers": {**sc.demand.customers, group: new}})
    more = LoadedScenario(sc.model_copy(update={"demand": demand}), catalog, loaded.path,
                          loaded.catalog_path, loaded.warnings)
    return base, more, spec.product, group, spec.sold_to.contracts


@dataclass
class PriceResult:
    """Price floor per contract-year (the marginal cost, credits included) against the list
    price; ``margin`` is the margin asked for."""

    level: str
    product: bool
    list_price: float
    margin: float
    marginal: MarginalCost

    @property
    def floor(self) -> tuple[float, float, float]:
        return self.marginal.total

    @property
    def margin_at_list(self) -> tuple[float, float, float]:
        """(list - floor) / list, for the floor's mean and interval (upper floor, lower
        margin)."""
        mean, lo, hi = self.floor
        return tuple(1.0 - x / self.list_price for x in (mean, hi, lo))  # type: ignore

    @property
    def price_at_margin(self) -> tuple[float, float, float]:
        """floor / (1 - margin): the price that earns ``margin`` on the marginal cost."""
        return tuple(x / (1.0 - self.margin) for x in self.floor)  # type: ignore

    def to_json(self) -> dict[str, Any]:
        mean, lo, hi = self.floor
        m = self.margin_at_list
        p = self.price_at_margin
        return {"level": self.level, "product": self.product,
                "currency": self.marginal.currency, "list_price": self.list_price,
                "floor": {"mean": mean, "ci": [lo, hi]},
                "margin_at_list": {"mean": m[0], "ci": [m[1], m[2]]},
                "margin": self.margin, "price_at_margin": {"mean": p[0], "ci": [p[1], p[2]]},
                "marginal_cost": self.marginal.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PriceResult:
        """The result :meth:`to_json` wrote; see :meth:`MarginalCost.from_json`."""
        return cls(data["level"], bool(data["product"]), float(data["list_price"]),
                   float(data["margin"]), MarginalCost.from_json(data["marginal_cost"]))


def check_margin(margin: float) -> None:
    if not -1.0 < margin < 1.0 or math.isnan(margin):
        raise ValueError(f"a margin of {margin:.0%} is not possible: the margin is (price - "
                         "cost) / price, below 100% for any positive cost; give e.g. 20%")


def list_price(loaded: LoadedScenario, level: str, product: str | Path | None = None
               ) -> float:
    """The level's price per contract-year; a level without one is bad input."""
    spec = loaded.catalog.levels[level]
    if spec.price is None:
        if product is not None:
            where = read_yaml(Path(product)).diagnostic(
                (), f"the product has no price and {level} inherits none: add price: "
                "{per_contract_year: ...}")
        else:
            where = read_yaml(loaded.catalog_path).diagnostic(
                ("levels", level), f"level {level} has no price: add price: "
                "{per_contract_year: ...} to compare the floor with a list price")
        raise ScenarioError([where])
    return spec.price.per_contract_year


def price(loaded: LoadedScenario | str | Path, level: str | None = None, *,
          margin: float = 0.2, product: str | Path | None = None,
          customer: str | None = None, added: int | None = None, seeds: int = 3,
          **options: Any) -> PriceResult:
    """Price floor per contract-year of ``level`` (or of the product in ``product``, sold
    to its contracts): the marginal cost with expected credits (:func:`marginal_between`
    options: seed, replications, confidence, staffing, max_evaluations, jobs), the list
    price and the margin it gives, and the price that earns ``margin``."""
    check_margin(margin)
    if not isinstance(loaded, LoadedScenario):
        loaded = load_scenario(loaded)
    if product is not None:
        base, more, name, group, n = load_product(product, loaded)
        listed = list_price(base, name, product)
        marginal = marginal_between(base, more, name, group, n, seeds=seeds, **options)
        return PriceResult(name, True, listed, margin, marginal)
    if level is None:
        raise ValueError("give a level or a product")
    group = customer_of(loaded, level, customer)
    listed = list_price(loaded, level)
    added = default_added(loaded, group) if added is None else added
    if added < 1:
        raise ValueError("added must be at least 1 contract")
    marginal = marginal_between(loaded, with_contracts(loaded, group, added), level, group,
                                added, seeds=seeds, **options)
    return PriceResult(level, False, listed, margin, marginal)


def economics_summary(result: RunResult) -> dict[str, dict[str, Any]]:
    """Per level, per contract-year (mean and 95% interval over replications): parts
    consumed, fixed cost and expected service credits of a run; and the contracts. For
    the report's economics section."""
    econ = run_economics(result)
    out: dict[str, dict[str, Any]] = {}
    for level, g in econ.table.groupby("level", sort=False):
        n = int(g["contracts"].iloc[0])
        row: dict[str, Any] = {"contracts": n}
        for name in ("parts", "fixed", "credits"):
            x = g[name].to_numpy(float) / econ.years / n if n else np.full(len(g), math.nan)
            mean, lo, hi = mean_ci(x)
            row[name] = {"mean": mean, "ci": [lo, hi]}
        out[str(level)] = row
    return out
