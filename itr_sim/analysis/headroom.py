"""Contract headroom (``itr-sim headroom``): how many more contracts of a level can be sold
before a target breaks, by the same confidence rule as ``itr-sim staff``.

With ``staffing="fixed"`` today's roster is kept: ``extra`` contracts hold when every target
met with today's volume is still met (:func:`itr_sim.analysis.evaluate.judge`) and no unit is
busier than the staffing section's occupancy cap (95% without one: the capacity rule of
``staff``). With ``staffing="reoptimised"`` each volume is staffed at least cost within the
staffing bounds (:func:`itr_sim.analysis.staff.staff` for today's volume, then
:func:`itr_sim.analysis.economics.restaff` from today's plan for each larger one): ``extra``
holds when the search finds a plan and no target it could reach today becomes unreachable;
the least cost of each volume on a grid up to the bound gives the curve contracts -> cost,
made monotone by searching a volume again from the next larger one's cheaper plan.

The search doubles ``extra`` (1, 2, 4, ...) until it fails or reaches the bound, then bisects
between the last success and the first failure. Every evaluation uses the same seed and
replications (common random numbers). Holding is assumed monotone in the volume; the
answer is the largest value found to hold below the first failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from itr_sim.analysis.economics import contracts_of, customer_of, restaff, with_contracts
from itr_sim.analysis.evaluate import Options, evaluate_plan, judge
from itr_sim.analysis.staff import STABLE_UTILISATION, StaffingResult, staff
from itr_sim.model.load import LoadedScenario, load_scenario
from itr_sim.model.staffing import StaffingSpec
from itr_sim.units import WEEKS_PER_YEAR

__all__ = ["HeadroomResult", "headroom", "search_largest"]


@dataclass
class Step:
    """One evaluated volume: added contracts, whether every target held, what broke, and
    (re-optimised) the least staff cost per year."""

    added: int
    holds: bool
    broken: list[str]
    cost_per_year: float | None = None


@dataclass
class HeadroomResult:
    level: str
    customer: str
    staffing: str
    contracts: int  # of the level today
    group_contracts: int  # of the customer group today
    headroom: int
    bound: int
    at_bound: bool  # every volume up to the bound held
    confidence: float
    seed: int
    replications: int
    currency: str
    already_missed: list[str]  # targets missed with today's volume (left out of the rule)
    steps: list[Step] = field(default_factory=list)
    curve: list[Step] = field(default_factory=list)

    def breaks_with(self) -> list[str]:
        """What broke at the smallest volume that failed."""
        failed = sorted((s for s in self.steps if not s.holds), key=lambda s: s.added)
        return failed[0].broken if failed else []

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "customer": self.customer, "staffing": self.staffing,
                "contracts": self.contracts, "group_contracts": self.group_contracts,
                "headroom": self.headroom, "bound": self.bound, "at_bound": self.at_bound,
                "breaks_with": self.breaks_with(), "already_missed": self.already_missed,
                "confidence": self.confidence, "seed": self.seed,
                "replications": self.replications, "currency": self.currency,
                "evaluated": [s.__dict__ for s in sorted(self.steps, key=lambda s: s.added)],
                "curve": [{"added": s.added, "contracts": self.contracts + s.added,
                           "cost_per_year": s.cost_per_year, "holds": s.holds}
                          for s in self.curve]}


def search_largest(holds: Callable[[int], bool], bound: int) -> tuple[int, bool]:
    """The largest ``n`` in [0, bound] with ``holds(n)``, assuming ``holds`` is monotone
    and ``holds(0)``: doubling from 1, then bisection. Returns (n, whether bound held)."""
    good, bad = 0, None
    n = 1
    while n <= bound:
        if holds(n):
            good = n
            if n == bound:
                return bound, True
            n = min(2 * n, bound)
        else:
            bad = n
            break
    if bad is None:
        return good, good == bound
    while bad - good > 1:
        mid = (good + bad) // 2
        if holds(mid):
            good = mid
        else:
            bad = mid
    return good, False


def headroom(loaded: LoadedScenario | str | Path, level: str, *, customer: str | None = None,
             staffing: str = "fixed", bound: int | None = None, curve_points: int = 5,
             replications: int | None = None, confidence: float = 0.95,
             seed: int | None = None, max_evaluations: int = 200, jobs: int = 1,
             progress: Callable[[str], None] | None = None) -> HeadroomResult:
    """The largest number of contracts of ``level`` that can be added to its customer group
    (each with the group's volume per contract) while every target holds (module
    docstring). ``bound`` defaults to the level's contracts today (at least 8)."""
    if not isinstance(loaded, LoadedScenario):
        loaded = load_scenario(loaded)
    if staffing not in ("fixed", "reoptimised"):
        raise ValueError("staffing is fixed or reoptimised")
    if not 0 <= confidence < 1:
        raise ValueError("confidence must be in [0, 1)")
    group = customer_of(loaded, level, customer)
    sc = loaded.scenario
    now = contracts_of(loaded)[level]
    bound = bound if bound is not None else max(now, 8)
    if bound < 1:
        raise ValueError("bound must be at least 1 contract")
    reps = replications or sc.replications
    root = sc.seed if seed is None else seed
    spec = sc.staffing or StaffingSpec()
    steps: dict[int, Step] = {}

    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    if staffing == "fixed":
        cap = spec.occupancy_cap if spec.occupancy_cap is not None else STABLE_UTILISATION
        options = Options(spec.ola_attainment, cap)
        agents = {(name, i): shift.agents for name, unit in
                  {**sc.organisation.tiers, **sc.organisation.teams}.items()
                  for i, shift in enumerate(unit.shifts)}

        def verdicts(added: int) -> dict[str, bool]:
            say(f"{added} more contracts")
            e = evaluate_plan(with_contracts(loaded, group, added), agents, root, reps,
                              options)
            return {k: v.met for k, v in judge(e, confidence).items()}

        today = verdicts(0)
        kept = {k for k, met in today.items() if met}
        missed = sorted(k for k, met in today.items() if not met)

        def holds(added: int) -> bool:
            if added not in steps:
                got = verdicts(added)
                broken = sorted(k for k in kept if not got.get(k, True))
                steps[added] = Step(added, not broken, broken)
            return steps[added].holds

    else:
        plans: dict[int, StaffingResult] = {}

        def plan(added: int) -> Step:
            say(f"{added} more contracts: staffing")
            r = restaff(with_contracts(loaded, group, added), base,
                        max_evaluations=max_evaluations, jobs=jobs)
            plans[added] = r
            broken = sorted(set(r.unreachable) - set(base.unreachable))
            if r.status != "optimal":
                broken = broken or [f"staffing search: {r.status}"]
            cost = r.cost / r.weeks * WEEKS_PER_YEAR if r.status == "optimal" else None
            return Step(added, not broken, broken, cost)

        say("today's volume: staffing")
        base = staff(loaded, replications=reps, confidence=confidence,
                     max_evaluations=max_evaluations, seed=root, final_replications=reps,
                     jobs=jobs)
        steps[0] = Step(0, base.status == "optimal", [],
                        base.cost / base.weeks * WEEKS_PER_YEAR)
        plans[0] = base
        missed = sorted(base.unreachable)

        def holds(added: int) -> bool:
            if added not in steps:
                steps[added] = plan(added)
            return steps[added].holds

    found, at_bound = search_largest(holds, bound)
    curve: list[Step] = []
    if staffing == "reoptimised":
        grid = sorted({round(bound * i / max(curve_points - 1, 1))
                       for i in range(curve_points)} | {found})
        for added in grid:
            holds(added)
        monotone_costs(steps, plans, lambda added, start: restaff(
            with_contracts(loaded, group, added), start, max_evaluations=max_evaluations,
            jobs=jobs), say)
        curve = [steps[a] for a in sorted(steps)]
    return HeadroomResult(level, group, staffing, now, sc.demand.customers[group].count,
                          found, bound, at_bound, confidence, root, reps,
                          loaded.catalog.currency, missed,
                          [s for a, s in sorted(steps.items()) if a > 0], curve)


def monotone_costs(steps: dict[int, Step], plans: dict[int, StaffingResult],
                   search: Callable[[int, StaffingResult], StaffingResult],
                   say: Callable[[str], None]) -> None:
    """Make the least-cost curve monotone in the volume, as the marginal cost does
    (:func:`itr_sim.analysis.economics.marginal_between`): going down the volumes, a volume
    whose least cost is above the next larger one's is searched again from that plan
    (``search(added, start)``), and its cost and plan are replaced when the new search ends
    optimal and cheaper. Each volume is otherwise searched from today's plan, and the greedy
    search can stop on a dearer roster for fewer contracts."""
    costed = sorted(a for a, s in steps.items() if s.cost_per_year is not None and a in plans)
    for smaller, larger in reversed(list(pairwise(costed))):
        low, high = steps[smaller], steps[larger]
        assert low.cost_per_year is not None and high.cost_per_year is not None
        if low.cost_per_year <= high.cost_per_year:
            continue
        say(f"{smaller} more contracts: staffing again from the plan for {larger}")
        again = search(smaller, plans[larger])
        cost = again.cost / again.weeks * WEEKS_PER_YEAR
        if again.status == "optimal" and cost < low.cost_per_year:
            low.cost_per_year = cost
            plans[smaller] = again


def figure(result: HeadroomResult) -> Any:
    """The curve contracts -> least staff cost per year (re-optimised staffing)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 3.5))
    pts = [(s, s.cost_per_year) for s in result.curve if s.cost_per_year is not None]
    x = [result.contracts + s.added for s, _ in pts]
    y = [cost for _, cost in pts]
    ax.plot(x, y, marker="o", color="tab:blue")
    for (s, _), xi, yi in zip(pts, x, y, strict=True):
        if not s.holds:
            ax.plot([xi], [yi], marker="x", color="tab:red", markersize=10)
    ax.axvline(result.contracts + result.headroom, color="grey", linestyle="--",
               label=f"headroom: +{result.headroom}")
    ax.set_xlabel(f"{result.level} contracts")
    ax.set_ylabel(f"least staff cost per year ({result.currency})")
    ax.set_title(f"{result.level}: contracts -> least-cost staffing")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # contracts are whole
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))  # no 1e7 offset
    ax.legend(loc="best")
    fig.tight_layout()
    return fig
