"""Sweeps: a grid of overrides x replications, each point run with the same seed (common
random numbers), summarised into one row per point."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

__all__ = ["grid_points", "sweep"]


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in order."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True))
            for values in itertools.product(*(grid[k] for k in keys))]


def sweep(path: str | Path, grid: dict[str, list[Any]], *, replications: int | None = None,
          seed: int | None = None, jobs: int = 1, executor: str = "process",
          scheduler: str | None = None,
          progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run every grid point of the scenario; one row per point with the overrides, targets
    missed, the worst attainment gap, line figures and cost (means over replications)."""
    rows = []
    points = grid_points(grid)
    for i, point in enumerate(points, 1):
        loaded = load_scenario(path, sets=point)
        analysis = analyse(run_scenario(loaded, replications=replications, seed=seed,
                                        jobs=jobs, executor=executor, scheduler=scheduler))
        k = analysis.summary
        gaps = [cell["attainment"] - cell["target"]
                for sevs in k["sla"].values() for clocks in sevs.values()
                for cell in clocks.values()
                if cell["target"] is not None and cell["attainment"] is not None]
        row: dict[str, Any] = dict(point)
        row.update({"targets_missed": sum(g < 0 for g in gaps),
                    "worst_gap": min(gaps) if gaps else None,
                    "cost_total": k["cost"]["total"],
                    "backlog_mean_open": k["backlog"]["mean_open"]["mean"]})
        for tier, t in k["tiers"].items():
            row[f"{tier}.utilisation"] = t["utilisation"]
            row[f"{tier}.mean_wait_min"] = t["mean_wait_min"]
        rows.append(row)
        if progress is not None:
            progress(i, len(points))
    return pd.DataFrame(rows)
