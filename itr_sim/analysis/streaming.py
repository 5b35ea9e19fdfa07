"""Streaming mode: KPIs of long horizons without keeping the event log.

The engine hands the rows of every closed ticket to a sink once a simulated week (and the
rows of the tickets still open at the end), then drops them; the sink evaluates the same
clocks and KPI functions as the full analysis on that chunk and keeps only sums. A ticket's
rows all arrive in one chunk, so counts, sums and the means built from them are exactly those
of the full log. What needs every row at once (percentiles, the backlog curve, OLA
attribution, cost, escalation notices) is left out; docs/performance.md lists the keys.

    result, kpis = run_streaming(load_scenario("scenarios/baseline.yaml"))
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.clock_table import evaluate_clocks
from itr_sim.analysis.kpis import attainment, sessions, wait_sums
from itr_sim.analysis.summary import TARGET_991, ci95, strict_json
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.engine.simulation import scenario_origin
from itr_sim.model.catalog import ClockName
from itr_sim.model.load import LoadedScenario
from itr_sim.units import MINUTES_PER_WEEK

__all__ = ["StreamedKpis", "run_streaming", "streamed_summary"]


def _counter() -> defaultdict[Any, list[float]]:
    return defaultdict(lambda: [0.0, 0.0])


class StreamedKpis:
    """The sink of one replication: sums of the KPIs of the chunks it is given."""

    def __init__(self, loaded: LoadedScenario, replication: int) -> None:
        sc = loaded.scenario
        self.catalog = loaded.catalog
        self.path = sc.organisation.path()
        self.replication = replication
        self.start, self.end = sc.warmup.minutes, sc.horizon.minutes
        self.origin = scenario_origin(loaded)
        self.kinds = _counter()            # kind -> [arrived, closed] (after warm-up)
        self.sla = _counter()              # (level, severity, clock) -> [n, breached]
        self.services = _counter()         # (kind, clock) -> [n, breached]
        self.times = _counter()            # (level, severity, clock) -> [sum hours, n]
        self.tiers: dict[str, dict[str, float]] = {
            t: {"reached": 0, "resolved": 0, "escalated_out": 0, "wait_sum": 0.0,
                "wait_n": 0} for t in self.path}
        self.resolved_technical = 0
        self.busy: defaultdict[str, float] = defaultdict(float)
        self.chunks = 0

    def consume(self, events: pd.DataFrame, tickets: pd.DataFrame) -> None:
        self.chunks += 1
        kept = tickets[~tickets["warmup"]]
        for kind, group in kept.groupby("kind", observed=True):
            cell = self.kinds[str(kind)]
            cell[0] += len(group)
            cell[1] += float(group["closed"].sum())
        clocks = evaluate_clocks(events, self.catalog, self.origin, self.end)
        for row in attainment(clocks, tickets).itertuples(index=False):
            cell = self.sla[(str(row.level), str(row.severity), str(row.clock))]
            cell[0] += row.n
            cell[1] += row.breached
        kept_keys = kept[["replication", "ticket", "kind"]]
        c = clocks.merge(kept_keys, on=["replication", "ticket"])
        done = c[c["status"].astype(str) != "open"]
        service = done[done["kind"].astype(str).isin(["non_technical", "complaint"])]
        for (kind, clock), g in service.groupby(["kind", "clock"], observed=True):
            cell = self.services[(str(kind), str(clock))]
            cell[0] += len(g)
            cell[1] += float(g["breached"].sum())
        stopped = c[c["stop_min"].notna() & c["severity"].notna()]
        hours = (stopped["stop_min"] - stopped["start_min"]) / 60.0
        for key, g in hours.groupby([stopped["level"], stopped["severity"], stopped["clock"]],
                                    observed=True):
            cell = self.times[tuple(str(k) for k in key)]
            cell[0] += float(g.sum())
            cell[1] += len(g)
        self._tiers(events, kept)
        sess = sessions(events, self.end)
        lo, hi = sess["start"].clip(lower=self.start), sess["end"].clip(upper=self.end)
        busy = (hi - lo).where(hi > lo, 0.0)
        for unit, minutes in busy.groupby(sess["unit"]).sum().items():
            self.busy[str(unit)] += float(minutes)

    def _tiers(self, events: pd.DataFrame, kept: pd.DataFrame) -> None:
        ev = events.merge(kept[["replication", "ticket"]], on=["replication", "ticket"])
        ev = ev[ev["kind"].astype(str) == "technical"]
        unit, name = ev["unit"].astype(str), ev["event"].astype(str)
        self.resolved_technical += int((name == "resolved").sum())
        for tier, cell in self.tiers.items():
            cell["reached"] += int(((unit == tier) & (name == "queued")).sum())
            cell["resolved"] += int(((unit == tier) & (name == "resolved")).sum())
            cell["escalated_out"] += int(((unit == tier) & (name == "handed_over")).sum())
        for (_, tier), (total, count) in wait_sums(ev).items():
            if tier in self.tiers:
                self.tiers[tier]["wait_sum"] += total
                self.tiers[tier]["wait_n"] += count

    def result(self) -> dict[str, Any]:
        return {"replication": self.replication, "kinds": dict(self.kinds),
                "sla": dict(self.sla), "services": dict(self.services),
                "times": dict(self.times), "tiers": self.tiers,
                "resolved_technical": self.resolved_technical, "busy": dict(self.busy),
                "chunks": self.chunks}


def run_streaming(loaded: LoadedScenario, **options: Any) -> tuple[RunResult, dict[str, Any]]:
    """Run in streaming mode (``run_scenario`` options) and summarise the KPIs."""
    result = run_scenario(loaded, sink=partial(StreamedKpis, loaded), **options)
    return result, streamed_summary(result)


def streamed_summary(result: RunResult) -> dict[str, Any]:
    """The streamed KPIs in the shape of the full summary's keys (docs/kpis.md): means over
    replications with 95% intervals."""
    loaded = result.loaded
    sc, cat = loaded.scenario, loaded.catalog
    reps = [r.streamed for r in result.replications]
    n = len(reps)
    start, end = sc.warmup.minutes, sc.horizon.minutes
    weeks = (end - start) / MINUTES_PER_WEEK
    out: dict[str, Any] = {"scenario": sc.scenario, "seed": result.seed, "replications": n,
                           "measured_weeks": weeks, "currency": cat.currency, "streamed": True,
                           "peak_log_rows": max(r.peak_log_rows for r in result.replications),
                           "metadata": result.metadata}
    kinds = sorted({k for r in reps for k in r["kinds"]})
    arrived = np.array([sum(r["kinds"].get(k, [0, 0])[0] for k in kinds) for r in reps])
    closed = np.array([sum(r["kinds"].get(k, [0, 0])[1] for k in kinds) for r in reps])
    out["tickets"] = {
        "arrived": float(arrived.mean()), "closed": float(closed.mean()),
        "open": float((arrived - closed).mean()),
        "by_kind": {k: {"arrived": sum(r["kinds"].get(k, [0, 0])[0] for r in reps) / n,
                        "closed": sum(r["kinds"].get(k, [0, 0])[1] for r in reps) / n}
                    for k in kinds},
    }
    staffing = result.replications[0].staffing
    utilisation = {unit: [r["busy"].get(unit, 0.0) / steps.agent_minutes(start, end)
                          if steps.agent_minutes(start, end) else np.nan for r in reps]
                   for unit, steps in staffing.items()}
    out["tiers"] = {}
    for i, tier in enumerate(sc.organisation.path()):
        cells = [r["tiers"][tier] for r in reps]
        share = ci95([c["resolved"] / r["resolved_technical"] if r["resolved_technical"]
                     else np.nan for c, r in zip(cells, reps, strict=True)], share=True)
        wait = ci95([c["wait_sum"] / c["wait_n"] if c["wait_n"] else np.nan for c in cells])
        esc = ci95([c["escalated_out"] / (c["escalated_out"] + c["resolved"])
                   if c["escalated_out"] + c["resolved"] else np.nan for c in cells], share=True)
        util = ci95(utilisation[tier], share=True)
        out["tiers"][tier] = {
            "resolved_share": share["mean"], "resolved_share_ci95": share["ci95"],
            "target_share_991": TARGET_991[i] if i < len(TARGET_991)
            and len(sc.organisation.path()) == 3 else None,
            "utilisation": util["mean"], "utilisation_ci95": util["ci95"],
            "mean_wait_min": wait["mean"], "mean_wait_min_ci95": wait["ci95"],
            "escalated_out": float(np.mean([c["escalated_out"] for c in cells])),
            "escalation_rate": esc["mean"],
            "reached_per_week": float(np.mean([c["reached"] for c in cells])) / weeks,
        }
    out["teams"] = {}
    for team in sc.organisation.teams:
        ci = ci95(utilisation[team], share=True)
        out["teams"][team] = {"utilisation": ci["mean"], "utilisation_ci95": ci["ci95"]}
    out["sla"] = {}
    for key in sorted({k for r in reps for k in r["sla"]}):
        level, sev, clock = key
        per = [1.0 - r["sla"][key][1] / r["sla"][key][0] if key in r["sla"] else np.nan
               for r in reps]
        ci = ci95(per, share=True)
        spec = cat.levels.get(level)
        target = spec.attainment_for(ClockName(clock)) if spec is not None else None
        out["sla"].setdefault(level, {}).setdefault(sev, {})[clock] = {
            "attainment": ci["mean"], "ci95": ci["ci95"], "target": target,
            "n": int(sum(r["sla"][key][0] for r in reps if key in r["sla"]))}
    out["services"] = {}
    for key in sorted({k for r in reps for k in r["services"]}):
        kind, clock = key
        per = [1.0 - r["services"][key][1] / r["services"][key][0] if key in r["services"]
               else np.nan for r in reps]
        ci = ci95(per, share=True)
        service = cat.non_technical if kind == "non_technical" else cat.complaints
        name = "complaints" if kind == "complaint" else "non_technical"
        out["services"].setdefault(name, {})[clock] = {
            "attainment": ci["mean"], "ci95": ci["ci95"],
            "target": service.attainment if service else None,
            "n": int(sum(r["services"][key][0] for r in reps if key in r["services"]))}
    out["times_h"] = {}
    for key in sorted({k for r in reps for k in r["times"]}):
        level, sev, clock = key
        total = sum(r["times"][key][0] for r in reps if key in r["times"])
        count = sum(r["times"][key][1] for r in reps if key in r["times"])
        out["times_h"].setdefault(level, {}).setdefault(sev, {})[clock] = {
            "mean": total / count, "n": int(count)}
    return strict_json(out)
