"""Least-cost staffing by simulation (``itr-sim staff``).

The decision variables are the agents of every shift of every tier and team (bounds in the
scenario's ``staffing:`` section); the objective is staff cost, agents x the shift's staffed
hours in the measured period x the unit's cost per agent hour; the constraints are every
attainment target, each met when its interval's lower bound reaches it (docs/staffing.md).

The search (every roster it evaluates is recorded in ``history``):

1. *Bound.* Today's roster and a generous upper bound (every shift at its maximum) are
   evaluated. Targets missed at the bound cannot be met by staffing within the bounds: they
   are reported apart with the lever that governs them, and the search meets the others.
2. *Start.* As in the iterative staffing algorithm of Feldman, Mandelbaum, Massey and Whitt
   (2008), the offered load of each shift window is read from the simulation at the bound
   (busy agents, where queues are short); Erlang C on that load (probability of waiting at
   most 50%, the exact form of square-root staffing) gives the start roster.
3. *Add.* While a target is missed, every move of one step on one shift serving the missed
   targets is evaluated; the move with the largest drop in total shortfall per unit of cost
   is taken (greedy marginal analysis).
4. *Remove.* While some one-step removal keeps every target, the one that saves the most is
   taken (first trying all feasible removals of the round together).
5. *Out of sample.* The plan is re-evaluated with a fresh seed and more replications.

Every evaluation of the search uses the same seed and replications (common random numbers),
so the differences between rosters are not noise between runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itr_sim.analysis.evaluate import (
    Evaluation,
    Options,
    ShiftKey,
    TargetInfo,
    Verdict,
    evaluate_plan,
    judge,
)
from itr_sim.analysis.queueing import erlang_c
from itr_sim.engine.replicate import dask_client, process_pool
from itr_sim.engine.simulation import scenario_origin
from itr_sim.engine.staffing import staffing_of
from itr_sim.model.load import LoadedScenario, load_scenario
from itr_sim.model.source import ScenarioError, read_yaml
from itr_sim.model.staffing import Bounds, StaffingSpec
from itr_sim.units import MINUTES_PER_WEEK, WEEKDAYS

__all__ = ["LEVERS", "Evaluator", "Point", "StaffingResult", "Variable", "capacity_shortfall",
           "offered_work", "staff", "variables_of"]

START_P_WAIT = 0.5
"""The start roster gives each shift window the fewest agents whose Erlang C probability of
waiting is at most 50% (the search corrects it)."""
STABLE_UTILISATION = 0.95
"""Without an occupancy cap, a plan must staff each unit for its offered work / 0.95: a
queue whose load reaches its capacity grows without bound, and the long SLA clocks of the
tickets caught in it (resolve in 15 to 60 days) would come due only after the horizon."""

UNPROVEN = ("evidence, not staffing: the interval at the bound contains the target; raise "
            "--replications or the horizon, or judge with --confidence 0%")

LEVERS = {
    "response": "shift windows: some covered hours of the level have no shift",
    "restore": "workarounds and hand-overs (the tiers' restores and handover)",
    "resolve": "last-tier and problem-management time, waits for customer and vendor",
    "update": "progress updates (organisation.updates: cadence, sender; without them none "
              "are sent between events)",
    "parts": "spare-parts stock and logistics (organisation.parts)",
    "onsite": "site visits (organisation.onsite: field team shifts, travel)",
    "acknowledge": "the complaint procedure and its calendar",
    "reply": "the complaint procedure and its calendar",
    "close": "the complaint procedure and its calendar",
    "ola": "the tier's OLA budgets against its handling and waiting times",
    "occupancy": "the unit's shift windows",
}


@dataclass(frozen=True)
class Variable:
    """Agents of one shift: today, bounds, step and the cost of one agent on it."""

    key: ShiftKey
    group: str  # tiers or teams
    days: str
    hours: str
    now: int
    low: int
    high: int
    step: int
    cost_per_agent: float  # over the measured period
    minutes: float  # one agent's staffed minutes over the measured period

    @property
    def fixed(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True)
class Point:
    """One evaluated roster of the search."""

    phase: str
    agents: dict[ShiftKey, int]
    cost: float
    feasible: bool
    shortfall: float
    missed: tuple[str, ...]


@dataclass
class StaffingResult:
    """The answer, its status and how it was reached (every roster evaluated)."""

    status: str
    """``optimal``: the search ran to its end (a plan that meets every reachable target, no
    one-step removal keeps them); ``budget_exhausted``: the evaluation budget ran out first
    (``plan`` is the cheapest roster seen that meets every reachable target, possibly the
    bound); ``infeasible_bounds``: even at their maxima some units cannot carry their offered
    work, so no plan within the bounds keeps a stable queue."""

    @property
    def ok(self) -> bool:
        return self.status == "optimal"
    variables: list[Variable]
    plan: dict[ShiftKey, int]
    cost_now: float
    cost: float
    weeks: float
    currency: str
    confidence: float
    seed: int
    replications: int
    final_seed: int
    final_replications: int
    today: dict[str, Verdict]
    at_bound: dict[str, Verdict]
    in_sample: dict[str, Verdict]
    out_of_sample: dict[str, Verdict]
    unreachable: list[str]
    binding: dict[ShiftKey, list[str]]
    capacity: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    """unit -> (offered agent-hours, staffed hours today, staffed hours of the plan, the
    utilisation a plan may not exceed), over the measured period."""
    history: list[Point] = field(default_factory=list)
    evaluations: int = 0
    seconds: float = 0.0

    @property
    def reachable(self) -> list[str]:
        return sorted(k for k in self.at_bound if k not in self.unreachable)

    def missed_out_of_sample(self) -> list[str]:
        """Reachable targets the plan misses on the fresh seed: the whole interval is on
        the wrong side of the target."""
        return [k for k in self.reachable
                if k in self.out_of_sample and self.out_of_sample[k].verdict == "missed"]

    def at_risk_out_of_sample(self) -> list[str]:
        """Reachable targets whose fresh-seed interval contains the target."""
        return [k for k in self.reachable
                if k in self.out_of_sample and self.out_of_sample[k].verdict == "at risk"]

    def to_json(self) -> dict[str, Any]:
        plan: dict[str, list[dict[str, Any]]] = {}
        for v in self.variables:
            unit, index = v.key
            plan.setdefault(unit, []).append({
                "shift": index, "days": v.days, "hours": v.hours, "agents_now": v.now,
                "agents": self.plan[v.key], "min": v.low, "max": v.high,
                "binding": self.binding.get(v.key, [])})
        return {
            "status": self.status, "plan": plan, "cost_now": self.cost_now, "cost": self.cost,
            "cost_change": self.cost - self.cost_now, "currency": self.currency,
            "measured_weeks": self.weeks, "confidence": self.confidence,
            "seed": self.seed, "replications": self.replications,
            "final_seed": self.final_seed, "final_replications": self.final_replications,
            "targets": [_target_json(v, self.today.get(k)) for k, v in
                        sorted(self.out_of_sample.items()) if k not in self.unreachable],
            "unreachable": [_unreachable_json(self.at_bound[k]) if k in self.at_bound else
                            _capacity_json(k, self.capacity) for k in self.unreachable],
            "capacity": {unit: {"offered_hours": o, "staffed_hours_now": a,
                                "staffed_hours": b, "max_utilisation": cap}
                         for unit, (o, a, b, cap) in self.capacity.items()},
            "evaluations": self.evaluations, "seconds": round(self.seconds, 1),
        }


def _target_json(v: Verdict, today: Verdict | None) -> dict[str, Any]:
    i = v.info
    return {"kind": i.kind, "level": i.level, "severity": i.severity, "clock": i.clock,
            "unit": i.unit, "target": i.target, "attainment": v.value, "ci95": list(v.ci),
            "met": v.met, "verdict": v.verdict, "today": None if today is None else today.value}


def _unreachable_json(v: Verdict) -> dict[str, Any]:
    i = v.info
    unproven = v.verdict == "at risk"
    return {"kind": i.kind, "level": i.level, "severity": i.severity, "clock": i.clock,
            "unit": i.unit, "target": i.target, "attainment_at_bound": v.value,
            "ci95_at_bound": list(v.ci), "reason": "unproven" if unproven else "missed",
            "lever": UNPROVEN if unproven else lever(i)}


def _capacity_json(key: str, capacity: dict[str, tuple[float, float, float, float]]
                   ) -> dict[str, Any]:
    unit = key.partition(".")[2]
    offered, _, _, cap = capacity[unit]
    return {"kind": "capacity", "level": None, "severity": None, "clock": None, "unit": unit,
            "target": cap, "attainment_at_bound": None, "ci95_at_bound": None,
            "reason": "missed",
            "lever": f"the bounds: even at its maximum, {unit} cannot carry its offered work "
                     f"({offered:,.0f} agent-hours) below {cap:.0%} utilisation; raise "
                     f"staffing.units.{unit}.max"}


def lever(info: TargetInfo) -> str:
    """What governs a target that staffing within the bounds cannot reach."""
    if info.kind in ("ola", "occupancy"):
        return LEVERS[info.kind]
    if info.kind == "service" and info.level == "non_technical":
        return "the non-technical calendar and the team's handling time"
    return LEVERS.get(info.clock or "", "not staffing within the bounds")


class BudgetExhausted(Exception):
    pass


class Evaluator:
    """Evaluates rosters with one seed and replications, caches them by roster, and counts
    evaluations against the budget. Several rosters run at once on a process pool or Dask."""

    def __init__(self, loaded: LoadedScenario, variables: list[Variable], seed: int,
                 replications: int, options: Options, budget: int, jobs: int, executor: str,
                 scheduler: str | None,
                 progress: Callable[[int, float | None], None] | None) -> None:
        self.loaded, self.variables, self.seed, self.replications = \
            loaded, variables, seed, replications
        self.options, self.budget, self.progress = options, budget, progress
        self.cache: dict[tuple[int, ...], Evaluation] = {}
        self.count = 0
        self.best: float | None = None
        self._stack = ExitStack()
        self._pool: Executor | None = None
        self._client: Any = None
        if executor == "dask":
            self._client = self._stack.enter_context(dask_client(jobs, scheduler))
        elif jobs > 1:
            self._pool = self._stack.enter_context(process_pool(jobs))

    def close(self) -> None:
        self._stack.close()

    def _cached(self, roster: dict[ShiftKey, int], loads: bool) -> bool:
        """Whether the cache holds this roster, with its loads when they are asked for."""
        found = self.cache.get(self.key(roster))
        return found is not None and (not loads or found.busy is not None)

    def key(self, agents: dict[ShiftKey, int]) -> tuple[int, ...]:
        return tuple(agents[v.key] for v in self.variables)

    def many(self, rosters: list[dict[ShiftKey, int]], *, loads: bool = False,
             seed: int | None = None, replications: int | None = None,
             counted: bool = True) -> list[Evaluation]:
        seed = self.seed if seed is None else seed
        reps = self.replications if replications is None else replications
        cacheable = seed == self.seed and reps == self.replications
        todo = [r for r in rosters if not (cacheable and self._cached(r, loads))]
        unique = list({self.key(r): r for r in todo}.values())
        if counted and self.count + len(unique) > self.budget:
            raise BudgetExhausted
        options = Options(self.options.ola_attainment, self.options.occupancy_cap, loads)
        if self._client is not None:
            futures = [self._client.submit(evaluate_plan, self.loaded, r, seed, reps, options,
                                           pure=False) for r in unique]
            results = [f.result() for f in futures]
        elif self._pool is not None and len(unique) > 1:
            results = list(self._pool.map(evaluate_plan, [self.loaded] * len(unique), unique,
                                          [seed] * len(unique), [reps] * len(unique),
                                          [options] * len(unique)))
        else:
            results = [evaluate_plan(self.loaded, r, seed, reps, options) for r in unique]
        self.count += len(unique) if counted else 0
        fresh = {self.key(r): e for r, e in zip(unique, results, strict=True)}
        if cacheable:
            self.cache.update(fresh)
        if self.progress is not None:
            self.progress(self.count, self.best)
        return [fresh.get(self.key(r)) or self.cache[self.key(r)] for r in rosters]


def variables_of(loaded: LoadedScenario, spec: StaffingSpec) -> list[Variable]:
    """The decision variables with their bounds, steps and cost per agent; a unit that may
    change but has no cost is bad input (the search would staff it without limit)."""
    sc, cat = loaded.scenario, loaded.catalog
    org = sc.organisation
    units = {**org.tiers, **org.teams}
    origin = scenario_origin(loaded)
    calendars = {name: cat.calendar(name) for name in cat.calendars}
    start, end = sc.warmup.minutes, sc.horizon.minutes
    out: list[Variable] = []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for name, group in [(n, "tiers") for n in org.tiers] + [(n, "teams") for n in org.teams]:
        unit = units[name]
        bounds = spec.units.get(name)
        for index, shift in enumerate(unit.shifts):
            own = bounds.shifts[index] if bounds and bounds.shifts else Bounds()
            low = _pick(own.min, bounds.min if bounds else None,
                        1 if shift.agents > 0 else 0)
            high = _pick(own.max, bounds.max if bounds else None,
                         max(3 * shift.agents, shift.agents + 3))
            step = own.step if own.step != 1 else (bounds.step if bounds else 1)
            if bounds is not None and bounds.fixed:
                low = high = shift.agents
            one = staffing_of(unit.model_copy(update={"shifts": [
                shift.model_copy(update={"agents": 1})]}), org.timezone, origin, end, calendars)
            cost = one.agent_minutes(start, end) / 60.0 * unit.cost_per_agent_hour
            if low < high and unit.cost_per_agent_hour <= 0:
                problems.append((("organisation", group, name, "cost_per_agent_hour"),
                                 f"{name} has no cost per agent hour, so the least-cost search "
                                 f"would staff it without limit; give cost_per_agent_hour, or "
                                 f"keep its agents with staffing.units.{name}.fixed: true"))
                break
            dump = shift.model_dump(mode="json")
            out.append(Variable((name, index), group, days_text(shift.days), str(dump["hours"]),
                                shift.agents, low, high, step, cost,
                                one.agent_minutes(start, end)))
    if problems:
        doc = read_yaml(loaded.path)
        raise ScenarioError([doc.diagnostic(path, message) for path, message in problems])
    return out


def days_text(days: tuple[int, ...] | list[int]) -> str:
    """Weekdays as runs: (0, 1, 2, 3, 4) -> Mon-Fri, (0, 2) -> Mon,Wed."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}"
                    for r in runs)


def _pick(*values: int | None) -> int:
    return next(v for v in values if v is not None)


def staff(loaded: LoadedScenario | str | Path, *, replications: int | None = None,
          confidence: float = 0.95, max_evaluations: int = 200, seed: int | None = None,
          final_seed: int | None = None, final_replications: int | None = None,
          jobs: int = 1, executor: str = "process", scheduler: str | None = None,
          progress: Callable[[int, float | None], None] | None = None) -> StaffingResult:
    """The least-cost roster that meets every target staffing can reach (module docstring),
    for a loaded scenario or the path of one.
    ``progress(evaluations, best feasible cost or None)`` is called after each batch."""
    began = time.perf_counter()
    if not isinstance(loaded, LoadedScenario):
        loaded = load_scenario(loaded)
    sc = loaded.scenario
    if not 0 <= confidence < 1:
        raise ValueError("confidence must be in [0, 1)")
    if max_evaluations < 3:
        raise ValueError("max_evaluations must be at least 3: today's roster, the bound and "
                         "a start")
    spec = sc.staffing or StaffingSpec()
    variables = variables_of(loaded, spec)
    reps = replications or sc.replications
    root = sc.seed if seed is None else seed
    final_seed = root + 1 if final_seed is None else final_seed
    final_reps = final_replications or 2 * reps
    options = Options(spec.ola_attainment, spec.occupancy_cap)
    ev = Evaluator(loaded, variables, root, reps, options, max_evaluations, jobs, executor,
                   scheduler, progress)
    history: list[Point] = []
    cost = {v.key: v.cost_per_agent for v in variables}

    def price(x: dict[ShiftKey, int]) -> float:
        return sum(cost[k] * n for k, n in x.items())  # as roster_point prices a roster

    now = {v.key: v.now for v in variables}
    high = {v.key: v.high for v in variables}
    try:
        e_now, e_high = ev.many([now, high], loads=True)
        today, at_bound = judge(e_now, confidence), judge(e_high, confidence)
        cap = spec.occupancy_cap if spec.occupancy_cap is not None else STABLE_UTILISATION
        busy = e_high.busy or {}
        offered = offered_work(variables, busy)

        def capacity_gaps(x: dict[ShiftKey, int]) -> dict[str, float]:
            return capacity_shortfall(variables, offered, cap, x)

        unreachable = sorted([k for k, v in at_bound.items() if not v.met]
                             + list(capacity_gaps(high)))
        reachable = set(at_bound) - set(unreachable)

        def record(phase: str, x: dict[ShiftKey, int], e: Evaluation | None) -> Point:
            gaps = {k: g for k, g in capacity_gaps(x).items() if k not in unreachable}
            point = roster_point(phase, x, e, confidence, reachable, gaps, cost)
            history.append(point)
            if point.feasible and (ev.best is None or point.cost < ev.best):
                ev.best = point.cost
            return point

        record("today", now, e_now)
        record("bound", high, e_high)
        x = {v.key: _start(v, busy.get(v.key, 0.0)) for v in variables}
        x = _repair(variables, x, busy, lambda y: {
            k for k in capacity_gaps(y) if k not in unreachable})
        status = "optimal"
        binding: dict[ShiftKey, list[str]] = {}
        try:
            current = record("start", x, ev.many([x])[0])
            x, current = _add(ev, variables, x, current, record)
            x, current, binding = _remove(ev, variables, x, current, record,
                                          lambda y: [k for k in capacity_gaps(y)
                                                     if k not in unreachable])
        except BudgetExhausted:
            status = "budget_exhausted"
            best = min((p for p in history if p.feasible), key=lambda p: p.cost, default=None)
            if best is not None:
                x = dict(best.agents)
        final = ev.many([x], seed=final_seed, replications=final_reps, counted=False)[0]
        in_sample = judge(ev.many([x])[0], confidence)
        out_of_sample = judge(final, confidence)
        if status == "optimal" and any(k.startswith("capacity.") for k in unreachable):
            status = "infeasible_bounds"
    finally:
        ev.close()
    first = sc.warmup.minutes
    hours = {}
    for unit, work in offered.items():
        mine = [v for v in variables if v.key[0] == unit]
        hours[unit] = (work / 60.0, sum(v.now * v.minutes for v in mine) / 60.0,
                       sum(x[v.key] * v.minutes for v in mine) / 60.0, cap)
    return StaffingResult(
        status, variables, x, price(now), price(x), (sc.horizon.minutes - first) / MINUTES_PER_WEEK,
        loaded.catalog.currency, confidence, root, reps, final_seed, final_reps, today,
        at_bound, in_sample, out_of_sample, unreachable, binding, hours, history,
        ev.count + 1, time.perf_counter() - began)


def offered_work(variables: list[Variable], busy: dict[ShiftKey, float]) -> dict[str, float]:
    """Agent-minutes of work per unit over the measured period, from the mean busy agents of
    each shift window (measured at the bound, where queues are short)."""
    out: dict[str, float] = {}
    for v in variables:
        out[v.key[0]] = out.get(v.key[0], 0.0) + busy.get(v.key, 0.0) * v.minutes
    return out


def capacity_shortfall(variables: list[Variable], offered: dict[str, float], cap: float,
                       x: dict[ShiftKey, int]) -> dict[str, float]:
    """Units whose staffed minutes under roster ``x`` are short of offered work / ``cap``:
    ``capacity.UNIT`` -> the shortfall as a share of what is needed."""
    staffed: dict[str, float] = {}
    for v in variables:
        staffed[v.key[0]] = staffed.get(v.key[0], 0.0) + x[v.key] * v.minutes
    return {f"capacity.{u}": (w / cap - staffed[u]) / (w / cap)
            for u, w in offered.items() if w > 0 and staffed[u] * cap < w}


def _start(v: Variable, load: float) -> int:
    """Erlang C staffing of the shift window's offered load: the fewest agents that keep the
    probability of waiting at or below ``START_P_WAIT`` (the exact form of square-root
    staffing, ``load + 0.5 sqrt(load)`` in the Halfin-Whitt limit), on the variable's grid."""
    if load <= 0:
        return _on_grid(v, 0)
    c = math.floor(load) + 1
    while erlang_c(c, load, 1.0).p_wait > START_P_WAIT:
        c += 1
    return _on_grid(v, c)


def _on_grid(v: Variable, want: int) -> int:
    """The smallest value low + k * step at or above ``want``; the largest such value
    within the bounds when ``want`` is above them."""
    if v.fixed:
        return v.low
    k = max(0, math.ceil((want - v.low) / v.step))
    return v.low + min(k, (v.high - v.low) // v.step) * v.step


def _repair(variables: list[Variable], x: dict[ShiftKey, int], busy: dict[ShiftKey, float],
            short: Callable[[dict[ShiftKey, int]], set[str]]) -> dict[ShiftKey, int]:
    """Raise the start roster until every unit can carry its offered work: one step at a
    time on the unit's shift with the most offered load per agent."""
    x = dict(x)
    while gaps := short(x):
        units = {k.partition(".")[2] for k in gaps}
        room = [v for v in variables if v.key[0] in units and x[v.key] + v.step <= v.high]
        if not room:
            break
        v = max(room, key=lambda v: (busy.get(v.key, 0.0) / max(x[v.key], 1), -v.high))
        x[v.key] += v.step
    return x


def _add(ev: Evaluator, variables: list[Variable], x: dict[ShiftKey, int], current: Point,
         record: Callable[..., Point]) -> tuple[dict[ShiftKey, int], Point]:
    """Greedy marginal analysis: add the step that buys the most shortfall per cost."""
    while not current.feasible:
        relevant = _serving(ev.loaded, current.missed)
        moves = [v for v in variables if x[v.key] + v.step <= v.high and v.key[0] in relevant]
        if not moves:
            moves = [v for v in variables if x[v.key] + v.step <= v.high]
        if not moves:  # every shift at its bound, which met every reachable target
            raise AssertionError("the upper bound met every reachable target")
        candidates = [{**x, v.key: x[v.key] + v.step} for v in moves]
        points = [record("add", c, e) for c, e in zip(candidates, ev.many(candidates),
                                                      strict=True)]
        feasible = [i for i, p in enumerate(points) if p.feasible]
        if feasible:
            best = min(feasible, key=lambda i: (points[i].cost, sum(candidates[i].values())))
        else:
            best = max(range(len(points)), key=lambda i: (
                (current.shortfall - points[i].shortfall) / max(points[i].cost - current.cost,
                                                                1e-9), -points[i].cost))
            if points[best].shortfall >= current.shortfall:  # no single step helps: the
                best = min(range(len(points)),                # least shortfall, then cost
                           key=lambda i: (points[i].shortfall, points[i].cost))
        x, current = candidates[best], points[best]
    return x, current


def _remove(ev: Evaluator, variables: list[Variable], x: dict[ShiftKey, int], current: Point,
            record: Callable[..., Point],
            short: Callable[[dict[ShiftKey, int]], list[str]]
            ) -> tuple[dict[ShiftKey, int], Point, dict[ShiftKey, list[str]]]:
    """Remove steps while every reachable target holds; returns the binding targets: those
    that break when one step is removed from a shift. A removal that leaves a unit short of
    capacity is infeasible without a simulation."""
    while True:
        moves = [v for v in variables if x[v.key] - v.step >= v.low]
        candidates = [{**x, v.key: x[v.key] - v.step} for v in moves]
        runnable = [c for c in candidates if not short(c)]
        done = dict(zip(map(ev.key, runnable), ev.many(runnable), strict=True))
        points = [record("remove", c, done.get(ev.key(c))) for c in candidates]
        feasible = sorted((i for i, p in enumerate(points) if p.feasible),
                          key=lambda i: (points[i].cost, sum(candidates[i].values())))
        if not feasible:
            binding = {v.key: list(p.missed) for v, p in zip(moves, points, strict=True)}
            return x, current, binding
        if len(feasible) > 1:
            together = dict(x)
            for i in feasible:
                v = moves[i]
                together[v.key] = x[v.key] - v.step
            point = record("remove", together, None if short(together) else
                           ev.many([together])[0])
            if point.feasible:
                x, current = together, point
                continue
        x, current = candidates[feasible[0]], points[feasible[0]]


def _serving(loaded: LoadedScenario, missed: tuple[str, ...]) -> set[str]:
    """Units whose staffing can move the missed targets: the tiers for SLA targets, the
    teams that handle a service, the tier of an OLA, the unit of an occupancy cap."""
    org = loaded.scenario.organisation
    out: set[str] = set()
    for key in missed:
        kind, _, rest = key.partition(".")
        if kind == "sla":
            out.update(org.tiers)
        elif kind == "service":
            service = rest.split(".")[0]
            for name, team in org.teams.items():
                if (service == "complaints" and "complaints" in team.handles) or (
                        service == "non_technical" and set(team.handles) - {"complaints"}):
                    out.add(name)
        else:
            out.add(rest)
    return out



def brute_force(loaded: LoadedScenario, result: StaffingResult,
                axes: dict[ShiftKey, list[int]], *, jobs: int = 1) -> list[Point]:
    """Every roster of a grid around a plan (other shifts at the plan), judged with the
    search's seed, replications, confidence, reachable targets and capacity rule: a check
    that no cheaper feasible roster lies next to the plan."""
    spec = loaded.scenario.staffing or StaffingSpec()
    options = Options(spec.ola_attainment, spec.occupancy_cap)
    ev = Evaluator(loaded, result.variables, result.seed, result.replications, options,
                   10**9, jobs, "process", None, None)
    offered = {u: hours * 60.0 for u, (hours, _, _, _) in result.capacity.items()}
    cap = next(iter(result.capacity.values()))[3] if result.capacity else STABLE_UTILISATION
    reachable = set(result.reachable)
    rosters = [dict(result.plan)]
    for key, values in axes.items():
        rosters = [{**r, key: value} for r in rosters for value in values]
    cost = {v.key: v.cost_per_agent for v in result.variables}
    runnable = [x for x in rosters if not capacity_shortfall(result.variables, offered, cap, x)]
    try:
        done = dict(zip(map(ev.key, runnable), ev.many(runnable), strict=True))
    finally:
        ev.close()
    return [roster_point("grid", x, done.get(ev.key(x)), result.confidence, reachable,
                         {k: g for k, g in capacity_shortfall(result.variables, offered, cap,
                                                              x).items()
                          if k not in result.unreachable}, cost)
            for x in rosters]


def roster_point(phase: str, x: dict[ShiftKey, int], e: Evaluation | None, confidence: float,
                 reachable: set[str], gaps: dict[str, float],
                 cost: dict[ShiftKey, float]) -> Point:
    """A roster judged on the reachable targets of its evaluation (none when it was not
    simulated) and on the capacity ``gaps``: what it misses and by how much."""
    verdicts = {k: j for k, j in judge(e, confidence).items()
                if k in reachable} if e is not None else {}
    missed = tuple(sorted([k for k, j in verdicts.items() if not j.met] + list(gaps)))
    return Point(phase, dict(x), sum(cost[k] * n for k, n in x.items()), not missed,
                 sum(j.shortfall for j in verdicts.values()) + sum(gaps.values()), missed)
