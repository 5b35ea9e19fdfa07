"""Sweeps: a grid of overrides x replications, each point run with the same seed (common
random numbers), summarised into one row per point."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import dask_client, process_pool, run_scenario
from itr_sim.model.load import LoadedScenario, load_scenario

__all__ = ["grid_points", "point_figures", "sweep"]


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in order."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True))
            for values in itertools.product(*(grid[k] for k in keys))]


def sweep(path: str | Path, grid: dict[str, list[Any]], *, replications: int | None = None,
          seed: int | None = None, jobs: int = 1, executor: str = "process",
          scheduler: str | None = None,
          progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run every grid point of the scenario; one row per point with the overrides, the
    targets (SLA and service attainments) met, at risk and missed by the interval rule
    (:func:`itr_sim.analysis.stats.verdict`), the worst gap of a mean to its target, line
    figures and cost (means over replications).

    With ``jobs`` > 1 (or on Dask) whole points run in parallel, each simulated and analysed
    where it runs and sent back as its row; one point alone runs its replications in
    parallel instead. The rows are those of a serial run."""
    points = grid_points(grid)
    plans = [load_scenario(path, sets=point) for point in points]
    rows: list[dict[str, Any]] = []

    def collect(figures: dict[str, Any]) -> None:
        rows.append({**points[len(rows)], **figures})
        if progress is not None:
            progress(len(rows), len(points))

    if executor == "dask":
        with dask_client(jobs, scheduler) as client:
            futures = [client.submit(point_figures, loaded, replications, seed, pure=False)
                       for loaded in plans]
            for future in futures:
                collect(future.result())
    elif jobs > 1 and len(plans) > 1:
        with process_pool(min(jobs, len(plans))) as pool:
            futures = [pool.submit(point_figures, loaded, replications, seed)
                       for loaded in plans]
            for future in futures:
                collect(future.result())
    else:
        for loaded in plans:
            collect(point_figures(loaded, replications, seed, jobs=jobs))
    return pd.DataFrame(rows)


def point_figures(loaded: LoadedScenario, replications: int | None, seed: int | None, *,
                  jobs: int = 1) -> dict[str, Any]:
    """One grid point simulated and analysed: its figures of the sweep's row (a few numbers,
    what a worker sends back)."""
    k = analyse(run_scenario(loaded, replications=replications, seed=seed, jobs=jobs)).summary
    cells = [cell for sevs in k["sla"].values() for clocks in sevs.values()
             for cell in clocks.values()]
    cells += [cell for clocks in k.get("services", {}).values() for cell in clocks.values()]
    judged = [c for c in cells if c.get("verdict") is not None]
    gaps = [c["attainment"] - c["target"] for c in judged if c["attainment"] is not None]
    row: dict[str, Any] = {"met": sum(c["verdict"] == "met" for c in judged),
                           "at_risk": sum(c["verdict"] == "at risk" for c in judged),
                           "missed": sum(c["verdict"] == "missed" for c in judged),
                           "worst_gap": min(gaps) if gaps else None,
                           "cost_total": k["cost"]["total"],
                           "backlog_mean_open": k["backlog"]["mean_open"]["mean"]}
    for tier, t in k["tiers"].items():
        row[f"{tier}.utilisation"] = t["utilisation"]
        row[f"{tier}.mean_wait_min"] = t["mean_wait_min"]
    return row
