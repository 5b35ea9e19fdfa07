"""Streaming mode: KPIs of long horizons without keeping the event log.

The engine hands the rows of every closed ticket to a sink once a simulated week (and the
rows of the tickets still open at the end), then drops them; the sink evaluates the same
clocks and KPI functions as the full analysis on that chunk and keeps only sums. A ticket's
rows all arrive in one chunk, so counts, sums and the means built from them are those of the
full log (up to the order in which floating-point sums are added). What needs every row at
once (percentiles, the backlog curve, OLA attribution, cost, escalation notices) is left
out; docs/performance.md lists the keys.

    result, kpis = run_streaming(load_scenario("scenarios/baseline.yaml"))
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd

from itr_sim.analysis.clock_table import evaluate_clocks
from itr_sim.analysis.kpis import (
    attainment,
    busy_minutes,
    clock_hours,
    entitlement_counts,
    no_sla_hours,
    only_kept,
    service_counts,
    sessions,
    ticket_counts,
    tier_counts,
    tier_rates,
    utilisation_of,
    with_attainment,
)
from itr_sim.analysis.summary import strict_json, summary_sections
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.engine.simulation import scenario_origin
from itr_sim.model.load import LoadedScenario
from itr_sim.units import MINUTES_PER_WEEK

__all__ = ["StreamedKpis", "replication_sums", "run_streaming", "streamed_summary"]


KEYS = {"kinds": ["kind"], "sla": ["level", "severity", "clock"],
        "services": ["kind", "clock"], "times": ["level", "severity", "clock"],
        "tiers": ["tier"], "busy": ["unit"], "outcomes": ["outcome"],
        "no_sla": ["outcome", "severity", "clock"]}
"""The sums a sink keeps, each by these keys."""
SUMS = {"kinds": ["arrived", "closed"], "sla": ["n", "breached"],
        "services": ["n", "breached"], "times": ["sum", "n"],
        "tiers": ["reached", "resolved", "escalated_out", "total_resolved", "wait_sum",
                  "wait_n"], "busy": ["minutes"], "outcomes": ["arrived", "closed"],
        "no_sla": ["sum", "n"]}


class StreamedKpis:
    """The sink of one replication: sums of the per-replication KPI tables of the chunks it
    is given (the functions of :mod:`itr_sim.analysis.kpis` that the full analysis uses)."""

    def __init__(self, loaded: LoadedScenario, replication: int) -> None:
        sc = loaded.scenario
        self.catalog = loaded.catalog
        self.path = sc.organisation.path()
        self.replication = replication
        self.start, self.end = sc.warmup.minutes, sc.horizon.minutes
        self.origin = scenario_origin(loaded)
        self.sums: dict[str, dict[tuple[str, ...], list[float]]] = {k: {} for k in KEYS}
        self.chunks = 0

    def _add(self, name: str, table: pd.DataFrame) -> None:
        cells = self.sums[name]
        for row in table.to_dict("records"):
            key = tuple(str(row[k]) for k in KEYS[name])
            cell = cells.setdefault(key, [0.0] * len(SUMS[name]))
            for i, column in enumerate(SUMS[name]):
                cell[i] += row[column]

    def consume(self, events: pd.DataFrame, tickets: pd.DataFrame) -> None:
        self.chunks += 1
        clocks = evaluate_clocks(events, self.catalog, self.origin, self.end)
        self._add("kinds", ticket_counts(tickets))
        self._add("sla", attainment(clocks, tickets))
        self._add("services", service_counts(clocks, tickets))
        self._add("times", _hour_sums(clock_hours(clocks, tickets), KEYS["times"]))
        self._add("tiers", tier_counts(only_kept(events, tickets), self.path))
        self._add("outcomes", entitlement_counts(events, tickets))
        self._add("no_sla", _hour_sums(no_sla_hours(events, tickets), KEYS["no_sla"]))
        busy = busy_minutes(sessions(events, self.end), self.start, self.end)
        self._add("busy", busy.rename("minutes").reset_index())

    def result(self) -> dict[str, Any]:
        return {"replication": self.replication, "chunks": self.chunks, **self.sums}


def _hour_sums(hours: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum and count (n) of the column ``hours`` by ``keys``."""
    return hours.groupby(keys, observed=True)["hours"].agg(["sum", "size"]).rename(
        columns={"size": "n"}).reset_index()


def _mean_hours(reps: list[dict[str, Any]], name: str) -> pd.DataFrame:
    """The sums ``name`` (of :func:`_hour_sums`) pooled over replications, with ``mean``."""
    table = _table(reps, name).groupby(KEYS[name])[["sum", "n"]].sum().reset_index()
    return table.assign(mean=table["sum"] / table["n"])


def run_streaming(loaded: LoadedScenario, **options: Any) -> tuple[RunResult, dict[str, Any]]:
    """Run in streaming mode (``run_scenario`` options) and summarise the KPIs."""
    result = run_scenario(loaded, sink=partial(StreamedKpis, loaded), **options)
    return result, streamed_summary(result)


def replication_sums(result: RunResult, name: str) -> pd.DataFrame:
    """The streamed sums ``name`` (a key of ``KEYS``) of a streamed run, one row per
    replication and key."""
    return _table([r.streamed for r in result.replications], name)


def _table(reps: list[dict[str, Any]], name: str) -> pd.DataFrame:
    """The sums ``name`` of every replication as one table with a ``replication`` column."""
    rows = [{"replication": r, **dict(zip(KEYS[name], key, strict=True)),
             **dict(zip(SUMS[name], cell, strict=True))}
            for r, rep in enumerate(reps) for key, cell in rep[name].items()]
    return pd.DataFrame(rows, columns=["replication", *KEYS[name], *SUMS[name]])


def streamed_summary(result: RunResult) -> dict[str, Any]:
    """The streamed KPIs in the shape of the full summary's keys (docs/kpis.md): means over
    replications with 95% intervals, built by the same code as the full summary."""
    loaded = result.loaded
    sc, cat = loaded.scenario, loaded.catalog
    reps = [r.streamed for r in result.replications]
    start, end = sc.warmup.minutes, sc.horizon.minutes
    out: dict[str, Any] = {"scenario": sc.scenario, "seed": result.seed,
                           "replications": len(reps),
                           "measured_weeks": (end - start) / MINUTES_PER_WEEK,
                           "currency": cat.currency, "streamed": True,
                           "peak_log_rows": max(r.peak_log_rows for r in result.replications),
                           "metadata": result.metadata}
    busy = _table(reps, "busy").set_index(["replication", "unit"])["minutes"]
    staffing = {i: rep.staffing for i, rep in enumerate(result.replications)}
    out.update(summary_sections(
        result, _table(reps, "kinds"), tier_rates(_table(reps, "tiers")),
        utilisation_of(busy, staffing, start, end),
        with_attainment(_table(reps, "sla")), _table(reps, "services"),
        _mean_hours(reps, "times"), outcomes=_table(reps, "outcomes"),
        no_sla=_mean_hours(reps, "no_sla")))
    return strict_json(out)
