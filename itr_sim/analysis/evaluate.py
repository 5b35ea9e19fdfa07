"""Evaluations for searches: a roster in, every target's attainment per replication out.

An evaluation is a pure function of (scenario, agents per shift, seed, replications): it runs
the engine and keeps only what a search reads, a tidy table of one value per replication and
target, so that it can run serially, on a process pool or on Dask and be cached by its key.
Targets are the catalogue's attainment targets per level x severity x clock, the service
targets of non-technical requests and complaints, and optionally the OLA attainment of every
tier with OLA budgets and an occupancy cap per unit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.kpis import (
    attainment,
    service_counts,
    sessions,
    shift_utilisation,
    with_attainment,
)
from itr_sim.analysis.kpis import utilisation as unit_utilisation
from itr_sim.analysis.ola import ola_clocks
from itr_sim.analysis.stats import mean_ci, share_interval, verdict
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.engine.staffing import staffing_of
from itr_sim.model.catalog import ClockName
from itr_sim.model.load import LoadedScenario

__all__ = ["Evaluation", "Options", "TargetInfo", "Verdict", "evaluate_plan", "evaluation_of",
           "judge", "measure", "run_options", "shift_keys", "with_agents"]

ShiftKey = tuple[str, int]  # (unit, shift index)
OLA_CLOCKS = ("response", "restore", "resolve")
"""The clocks of a tier's OLA long form."""


@dataclass(frozen=True)
class Options:
    """What an evaluation measures beyond the SLA and service targets."""

    ola_attainment: float | None = None
    occupancy_cap: float | None = None
    loads: bool = False  # also measure busy agents per shift window (for a start point)
    ola_targets: bool = False  # the attainment targets of tiers' OLA long form, per clock


@dataclass(frozen=True)
class TargetInfo:
    """One constraint: ``kind`` is sla, service, ola or occupancy; ``sense`` >= for
    attainment targets and <= for the occupancy cap."""

    key: str
    kind: str
    target: float
    sense: str = ">="
    level: str | None = None
    severity: str | None = None
    clock: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Evaluation:
    """``values``: columns replication, key, value (NaN where a replication had no ticket of
    that cell) and n (clocks behind an attainment; NaN for a utilisation). ``busy``: mean busy
    agents over each shift's staffed minutes, when asked."""

    agents: tuple[tuple[ShiftKey, int], ...]
    seed: int
    replications: int
    values: pd.DataFrame
    targets: dict[str, TargetInfo]
    busy: dict[ShiftKey, float] | None
    seconds: float


@dataclass(frozen=True)
class Verdict:
    """One target judged on one evaluation: mean and interval over the replications."""

    info: TargetInfo
    value: float
    ci: tuple[float, float]
    bound: float  # the interval's side that must reach the target (the mean at confidence 0)
    met: bool
    n: int  # replications with data

    @property
    def verdict(self) -> str:
        """met, at risk or missed by the interval rule (:func:`itr_sim.analysis.stats.verdict`,
        the rule of every verdict shown)."""
        return verdict(self.value, self.ci[0], self.ci[1], self.info.target,
                       higher_is_better=self.info.sense == ">=")

    @property
    def shortfall(self) -> float:
        """How far the bound is on the wrong side of the target (0 when met)."""
        gap = self.info.target - self.bound if self.info.sense == ">=" else \
            self.bound - self.info.target
        return max(gap, 0.0)


def shift_keys(loaded: LoadedScenario) -> list[ShiftKey]:
    """Every shift of every tier and team, in the scenario's order."""
    org = loaded.scenario.organisation
    return [(name, i) for name, unit in {**org.tiers, **org.teams}.items()
            for i in range(len(unit.shifts))]


def with_agents(loaded: LoadedScenario, agents: dict[ShiftKey, int]) -> LoadedScenario:
    """The scenario with the given agents on the given shifts (others unchanged)."""
    org = loaded.scenario.organisation
    groups: dict[str, Any] = {"tiers": dict(org.tiers), "teams": dict(org.teams)}
    for (name, index), count in agents.items():
        group = "tiers" if name in org.tiers else "teams"
        unit = groups[group][name]
        shifts = list(unit.shifts)
        shifts[index] = shifts[index].model_copy(update={"agents": int(count)})
        groups[group][name] = unit.model_copy(update={"shifts": shifts})
    new_org = org.model_copy(update=groups)
    scenario = loaded.scenario.model_copy(update={"organisation": new_org})
    return LoadedScenario(scenario, loaded.catalog, loaded.path, loaded.catalog_path,
                          loaded.warnings)


def evaluate_plan(loaded: LoadedScenario, agents: dict[ShiftKey, int], seed: int,
                  replications: int, options: Options = Options()) -> Evaluation:
    """Run the scenario with ``agents`` and measure every target per replication."""
    began = time.perf_counter()
    plan = with_agents(loaded, agents)
    result = run_scenario(plan, replications=replications, seed=seed)
    values, targets, busy = measure(result, options)
    return Evaluation(tuple(sorted(agents.items())), seed, replications, values, targets, busy,
                      time.perf_counter() - began)


def run_options(loaded: LoadedScenario) -> Options:
    """The targets a scenario states beyond the catalogue's (what ``run --check`` judges
    besides SLA and services): the OLA attainment of its ``staffing:`` section, when set, and
    the attainment targets of its tiers' OLA long form (``ola.<severity>.attainment``)."""
    spec = loaded.scenario.staffing
    return Options(ola_attainment=None if spec is None else spec.ola_attainment,
                   ola_targets=True)


def _ola_long_targets(org: Any) -> dict[tuple[str, str], float]:
    """(tier, severity) -> attainment target of the tier's OLA long form."""
    out = {}
    for name, tier in org.tiers.items():
        for severity in tier.ola:
            target = tier.ola_attainment(severity)
            if target is not None:
                out[(str(name), str(severity))] = float(target)
    return out


def evaluation_of(result: RunResult, options: Options = Options(), *,
                  clocks: pd.DataFrame | None = None,
                  counts: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> Evaluation:
    """Every target of a run that has already been simulated (``clocks``: its clock table,
    when the caller has it; ``counts``: see :func:`measure`)."""
    began = time.perf_counter()
    values, targets, busy = measure(result, options, clocks=clocks, counts=counts)
    return Evaluation((), result.seed, len(result.replications), values, targets, busy,
                      time.perf_counter() - began)


def measure(result: RunResult, options: Options = Options(), *,
            clocks: pd.DataFrame | None = None,
            counts: tuple[pd.DataFrame, pd.DataFrame] | None = None
            ) -> tuple[pd.DataFrame, dict[str, TargetInfo], dict[ShiftKey, float] | None]:
    """The per-replication values of every target of a run (see :class:`Evaluation`).
    ``counts``: the SLA attainment table (:func:`~itr_sim.analysis.kpis.attainment`) and the
    service counts (:func:`~itr_sim.analysis.kpis.service_counts`) when the run kept no log
    (streaming mode; then ``options`` must not need the events)."""
    plan = result.loaded
    replications = len(result.replications)
    cat, org = plan.catalog, plan.scenario.organisation
    first = result.replications[0]
    start, end = first.warmup_min, first.horizon_min
    if counts is None:
        tickets = result.tickets()
        if clocks is None:
            clocks = run_clocks(result)
        att, service_table = attainment(clocks, tickets), service_counts(clocks, tickets)
    else:
        att, service_table = counts
    reps = range(replications)
    frames: list[pd.DataFrame] = []
    targets: dict[str, TargetInfo] = {}

    def add(key: str, info: TargetInfo, per_rep: pd.Series,
            counts: pd.Series | None = None) -> None:
        targets[key] = info
        n = counts.reindex(reps).to_numpy(float) if counts is not None else np.nan
        frames.append(pd.DataFrame({"replication": list(reps), "key": key,
                                    "value": per_rep.reindex(reps).to_numpy(float), "n": n}))

    for (level, sev, clock), g in att.groupby(["level", "severity", "clock"], observed=True):
        spec = cat.levels.get(str(level))
        target = spec.attainment_for(ClockName(clock)) if spec is not None else None
        if target is None:
            continue
        key = f"sla.{level}.{sev}.{clock}"
        g = g.set_index("replication")
        add(key, TargetInfo(key, "sla", float(target), level=str(level), severity=str(sev),
                            clock=str(clock)), g["attainment"], g["n"])
    services = with_attainment(service_table)
    services["service"] = np.where(services["kind"].astype(str) == "complaint", "complaints",
                                   "non_technical")
    for (service, clock), g in services.groupby(["service", "clock"], observed=True):
        service_spec = cat.non_technical if service == "non_technical" else cat.complaints
        if service_spec is None:
            continue
        key = f"service.{service}.{clock}"
        g = g.set_index("replication")
        add(key, TargetInfo(key, "service", float(service_spec.attainment), level=str(service),
                            clock=str(clock)), g["attainment"], g["n"])
    long_form = _ola_long_targets(org) if options.ola_targets else {}
    need_events = options.ola_attainment is not None or options.occupancy_cap is not None \
        or options.loads or bool(long_form)
    busy: dict[ShiftKey, float] | None = None
    if need_events:
        if counts is not None:
            raise ValueError("a streamed run has no events: OLA, occupancy and loads cannot "
                             "be measured")
        events = result.events()
        if options.ola_attainment is not None:
            olas = ola_clocks(events, cat, org, first.origin, end)
            kept = tickets.loc[~tickets["warmup"], ["replication", "ticket"]]
            olas = olas.merge(kept, on=["replication", "ticket"])
            for tier, g in olas.groupby("tier"):
                key = f"ola.{tier}"
                per = 1.0 - g.groupby("replication")["breached"].mean()
                add(key, TargetInfo(key, "ola", options.ola_attainment, unit=str(tier)), per,
                    g.groupby("replication").size())
        if long_form:
            olas = ola_clocks(events, cat, org, first.origin, end, OLA_CLOCKS)
            kept = tickets.loc[~tickets["warmup"], ["replication", "ticket"]]
            olas = olas.merge(kept, on=["replication", "ticket"])
            for (tier, sev, clock), g in olas.groupby(["tier", "severity", "clock"]):
                target = long_form.get((str(tier), str(sev)))
                if target is None:
                    continue
                key = f"ola.{tier}.{sev}.{clock}"
                per = 1.0 - g.groupby("replication")["breached"].mean()
                add(key, TargetInfo(key, "ola", target, severity=str(sev), clock=str(clock),
                                    unit=str(tier)), per, g.groupby("replication").size())
        sess = sessions(events, end)
        if options.occupancy_cap is not None:
            staffing = {rep.replication: rep.staffing for rep in result.replications}
            util = unit_utilisation(sess, staffing, start, end)
            for unit, g in util.groupby("unit"):
                key = f"occupancy.{unit}"
                add(key, TargetInfo(key, "occupancy", options.occupancy_cap, "<=",
                                    unit=str(unit)), g.set_index("replication")["utilisation"])
        if options.loads:
            calendars = {name: cat.calendar(name) for name in cat.calendars}
            units = {**org.tiers, **org.teams}
            per_shift = {name: [staffing_of(unit.model_copy(update={"shifts": [
                shift.model_copy(update={"agents": 1})]}), org.timezone, first.origin, end,
                calendars) for shift in unit.shifts] for name, unit in units.items()}
            table = shift_utilisation(sess, per_shift, start, end)
            means = table.groupby(["unit", "shift"])["utilisation"].mean()
            busy = {(str(u), int(s)): float(v) if not math.isnan(v) else 0.0
                    for (u, s), v in means.items()}
    values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"replication": pd.Series(dtype=int), "key": pd.Series(dtype=str),
         "value": pd.Series(dtype=float), "n": pd.Series(dtype=float)})
    return values, targets, busy


def judge(evaluation: Evaluation, confidence: float) -> dict[str, Verdict]:
    """Every target of an evaluation: met when the side of its ``confidence`` interval that
    faces the target reaches it (the lower bound for attainment, the upper bound for an
    occupancy cap); with ``confidence`` 0, when the mean reaches it.

    An attainment's lower bound is the lower of two: the Student-t interval of the
    per-replication attainments (between-replication noise) and the Wilson score interval
    of the pooled clocks (a cell with few tickets, all met, has no spread between
    replications but is not thereby certain)."""
    out = {}
    for key, group in evaluation.values.groupby("key", sort=True):
        info = evaluation.targets[str(key)]
        x = group["value"].to_numpy(float)
        has = ~np.isnan(x)
        n = int(np.count_nonzero(has))
        if n == 0:
            continue
        if confidence > 0 and info.sense == ">=":
            mean, lo, hi = share_interval(x, group["n"].to_numpy(float), confidence)
        elif confidence > 0:
            mean, lo, hi = mean_ci(x, level=confidence)
            if math.isnan(lo):  # one replication with data: no t-interval
                lo = hi = mean
        else:
            mean = float(np.nanmean(x))
            lo = hi = mean
        bound = lo if info.sense == ">=" else hi
        met = verdict(mean, lo, hi, info.target, higher_is_better=info.sense == ">=") == "met"
        out[str(key)] = Verdict(info, mean, (lo, hi), bound, bool(met), n)
    return out
