"""``itr-sim backtest``: fit on the first part of a log, predict the second, compare.

Cases are split by arrival at the split instant (a cohort split: a training case keeps its
whole history). The fitted scenario starts at the split and runs until the log's last
update, so both sides see the same observation window and the same censoring. Two
predictions: the test part's real arrivals replayed (trace mode) and generated demand (the
fitted volume and profile; its tickets are counted only when they arrive before the test
part's steady window ends). The naive forecast is the figures of the training cases the fit
used (the first part without a settling period, :mod:`itr_sim.analysis.datachecks`).

Figures, per side (the same code reads the real and the simulated log,
:mod:`itr_sim.analysis.visits`): line shares (share of tickets visiting a line), escalation
rates (share of a line's ended visits that end in a hand-over), median, p90 and mean time to
first completion (first resolution) and to closure, in hours, over the tickets that got
there in the window, and the mean backlog (open tickets of the cohort, hourly samples over
the arrival span).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.datachecks import steady_window
from itr_sim.analysis.fit import fit_scenario, relative_ref
from itr_sim.analysis.stats import mean_ci
from itr_sim.analysis.visits import ticket_outcomes, visits
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.catalog import Catalog
from itr_sim.model.load import load_scenario

__all__ = ["ACCEPT", "Backtest", "figures", "run_backtest"]

WEEK = 7 * 1440.0
ACCEPT = {"line_share_points": 3.0, "resolution_time_rel": 0.20}
"""Acceptance: line shares within 3 points, median and p90 time to resolution within 20%."""


def figures(events: pd.DataFrame, span: float, tiers: list[str]) -> pd.DataFrame:
    """One row per replication of the figures of the tickets in ``events`` (times relative
    to the start of the part), for tickets arriving in [0, span)."""
    tickets = ticket_outcomes(events)
    tickets = tickets[(tickets["arrived"] >= 0) & (tickets["arrived"] < span)]
    keep = tickets[["replication", "ticket"]]
    vis = visits(events.merge(keep, on=["replication", "ticket"]) if "replication" in events
                 else events.assign(replication=0).merge(keep, on=["replication", "ticket"]))
    rows = []
    grid = np.arange(0.0, span, 60.0)
    for rep, t in tickets.groupby("replication"):
        row: dict[str, Any] = {"replication": rep, "tickets": len(t)}
        for tier in tiers:
            col = f"line_{tier}"
            row[f"line share {tier}"] = float(t[col].mean()) if col in t else 0.0
        v = vis[(vis["replication"] == rep) & (vis["outcome"] != "open")]
        for tier in tiers:
            vt = v[v["tier"].astype(str) == tier]
            row[f"escalation rate {tier}"] = float((vt["outcome"] != "resolved").mean()) \
                if len(vt) else math.nan
        row["tickets handed over"] = float((t["handovers"] > 0).mean())
        row["reopened"] = float(t["reopened"].mean())
        for label, col in (("first completion", "first_done"), ("closure", "closed")):
            h = ((t[col] - t["arrived"]) / 60.0).dropna()
            row[f"median h to {label}"] = float(h.median()) if len(h) else math.nan
            row[f"p90 h to {label}"] = float(h.quantile(0.9)) if len(h) else math.nan
            row[f"mean h to {label}"] = float(h.mean()) if len(h) else math.nan
        a = np.sort(t["arrived"].to_numpy())
        d = np.sort(t["first_done"].fillna(np.inf).to_numpy())
        open_ = np.searchsorted(a, grid, side="right") - np.searchsorted(d, grid, side="right")
        row["mean backlog"] = float(open_.mean()) if len(grid) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Backtest:
    table: pd.DataFrame
    """metric, actual, trace (mean, lo, hi), generated (mean, lo, hi), naive, errors."""
    meta: dict[str, Any]
    scenario_text: str

    def to_json(self) -> dict[str, Any]:
        def clean(x: Any) -> Any:
            if isinstance(x, float) and not math.isfinite(x):
                return None
            return x
        rows = [{k: clean(v) for k, v in r.items()} for r in self.table.to_dict("records")]
        return {**self.meta, "figures": rows}


def _relative(metric: str) -> bool:
    return " h to " in metric or metric in ("mean backlog", "tickets")


def run_backtest(events: pd.DataFrame, origin: datetime, end_min: float, catalog: Catalog,
                 catalog_path: Path, split: float, workdir: Path, *, replications: int = 5,
                 seed: int = 1, train_weeks: float | None = None) -> Backtest:
    """Fit on cases arriving before ``split`` (minutes since ``origin``; with
    ``train_weeks``, only those of the last weeks before it), predict the rest."""
    arrived = events[events["event"].astype(str) == "arrived"].groupby("ticket")["time_min"].min()
    since = -math.inf if train_weeks is None else split - train_weeks * WEEK
    train_ids = arrived.index[(arrived < split) & (arrived >= since)]
    test_ids = arrived.index[arrived >= split]
    if len(train_ids) < 10 or len(test_ids) < 10:
        raise ValueError(f"the split leaves {len(train_ids)} training and {len(test_ids)} test "
                         "cases; both parts need at least 10")
    train = events[events["ticket"].isin(train_ids)]
    test = events[events["ticket"].isin(test_ids)].assign(
        time_min=lambda e: e["time_min"] - split)
    # the cohorts compared: arrivals in the test part's steady window (a sparse tail of the
    # extract would make generated demand, at the steady volume, overshoot)
    _, span, _, _ = steady_window(arrived[test_ids].to_numpy() - split)
    span = float(span) + 1.0
    horizon = max(end_min - split, span) + 1.0
    tiers = sorted(set(events.loc[events["event"].astype(str) == "queued", "unit"].astype(str)))
    start = (origin + timedelta(minutes=split)).replace(tzinfo=None)
    workdir.mkdir(parents=True, exist_ok=True)

    first = test.drop_duplicates("ticket")
    fitted = fit_scenario(train, origin, catalog, relative_ref(catalog_path, workdir),
                          start=origin + timedelta(minutes=split),
                          horizon_weeks=horizon / WEEK, trace="trace.csv", name="backtest",
                          replications=replications, seed=seed, coverage_24x7=True)
    groups = fitted.customers
    trace = pd.DataFrame({
        "time": arrived[first["ticket"]].to_numpy() - split,
        "customer": first["customer"].astype(str).map(lambda c: groups.get(c, "other customers")
                                                      ).to_numpy(),
        "severity": first["severity"].astype(str).to_numpy(),
        "type": first["type"].astype(str).to_numpy()})
    trace = _known(trace, fitted, catalog)
    trace.sort_values("time").to_csv(workdir / "trace.csv", index=False)
    (workdir / "trace.yaml").write_text(fitted.text, encoding="utf-8")
    generated = "\n".join(line for line in fitted.text.splitlines()
                          if not line.startswith("  trace:")) + "\n"
    (workdir / "generated.yaml").write_text(generated, encoding="utf-8")

    sides: dict[str, pd.DataFrame] = {}
    for side in ("trace", "generated"):
        loaded = load_scenario(workdir / f"{side}.yaml")
        result = run_scenario(loaded, replications=replications, seed=seed)
        sides[side] = figures(result.events(), span, tiers)
    actual = figures(test, span, tiers).iloc[0]
    used = events[events["ticket"].isin(fitted.train)]
    t0 = float(arrived[fitted.train].min())
    naive_span = float(arrived[fitted.train].max() - t0) + 1.0
    naive = figures(used.assign(time_min=lambda e: e["time_min"] - t0), naive_span,
                    tiers).iloc[0]
    rows = []
    for metric in actual.index:
        if metric in ("replication",):
            continue
        row: dict[str, Any] = {"metric": metric, "actual": float(actual[metric])}
        for side, frame in sides.items():
            mean, lo, hi = mean_ci(frame[metric].to_numpy(float)) if metric in frame else (
                math.nan, math.nan, math.nan)
            row[side], row[f"{side}_lo"], row[f"{side}_hi"] = mean, lo, hi
        row["naive"] = float(naive[metric]) if metric in naive else math.nan
        for what in ("trace", "generated", "naive"):
            row[f"{what}_error"] = _error(metric, row[what], row["actual"])
        rows.append(row)
    table = pd.DataFrame(rows)
    meta = {"split": start.isoformat(timespec="minutes"), "train_cases": len(train_ids),
            "fitted_cases": len(fitted.train), "train_weeks": train_weeks,
            "test_cases": len(test_ids), "replications": replications, "seed": seed,
            "window_days": round(horizon / 1440, 1), "arrival_span_days": round(span / 1440, 1),
            "acceptance": acceptance(table, tiers), "notes": fitted.notes}
    return Backtest(table, meta, fitted.text)


def _known(trace: pd.DataFrame, fitted: Any, catalog: Catalog) -> pd.DataFrame:
    """Rows whose severity the fitted scenario knows (others take the most common)."""
    common = fitted.severities[0] if fitted.severities else next(iter(catalog.severities))
    trace.loc[~trace["severity"].isin(catalog.severities), "severity"] = common
    return trace


def _error(metric: str, value: float, actual: float) -> float:
    if not (math.isfinite(value) and math.isfinite(actual)):
        return math.nan
    if _relative(metric):
        return (value - actual) / actual if actual else math.nan
    return value - actual


def acceptance(table: pd.DataFrame, tiers: list[str]) -> dict[str, Any]:
    """The issue's criteria on the trace replay: line shares within 3 points, median and p90
    time to first completion within 20%."""
    by = table.set_index("metric")
    out: dict[str, Any] = {}
    for tier in tiers:
        err = by.loc[f"line share {tier}", "trace_error"] * 100
        out[f"line share {tier}"] = {"error_points": round(float(err), 2),
                                     "met": bool(abs(err) <= ACCEPT["line_share_points"])}
    for q in ("median", "p90"):
        err = by.loc[f"{q} h to first completion", "trace_error"]
        out[f"{q} time to resolution"] = {
            "error": round(float(err), 4),
            "met": bool(math.isfinite(err) and abs(err) <= ACCEPT["resolution_time_rel"])}
    out["all_met"] = all(v["met"] for v in out.values())
    return out
