"""Busy agents against agents on duty by hour of the week, per tier: the data behind the
load heatmap and the report's "what to change" section."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DAYS", "busy_hours", "load_grid", "overloaded_hours"]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def load_grid(sess: pd.DataFrame, staffing: dict[str, Any], tiers: list[str],
              origin_offset_min: float, start: float, end: float, replications: int
              ) -> pd.DataFrame:
    """One row per tier, weekday (0 = Monday) and local hour: mean busy agents, mean agents
    on duty and their ratio (NaN when nobody is on duty), averaged over the measured hours
    that fall on that hour of the week. ``origin_offset_min`` is the minute of the week
    (from Monday 00:00 local) of the run's origin."""
    hours = np.arange(start, end, 60.0)
    week_hour = (((hours + origin_offset_min) // 60) % 168).astype(int)
    counts = np.maximum(np.bincount(week_hour, minlength=168), 1)
    frames = []
    for tier in tiers:
        mine = sess[sess["unit"] == tier]
        busy = busy_hours(mine["start"].to_numpy(float), mine["end"].to_numpy(float), hours)
        busy /= max(replications, 1)
        staffed = np.array([staffing[tier].at(h + 30) for h in hours], float)
        grid_busy = np.bincount(week_hour, weights=busy, minlength=168) / counts
        grid_staff = np.bincount(week_hour, weights=staffed, minlength=168) / counts
        util = np.divide(grid_busy, grid_staff, out=np.full(168, np.nan),
                         where=grid_staff > 0)
        frames.append(pd.DataFrame({"tier": tier, "day": np.repeat(np.arange(7), 24),
                                    "hour": np.tile(np.arange(24), 7), "busy": grid_busy,
                                    "on_duty": grid_staff, "utilisation": util}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["tier", "day", "hour", "busy", "on_duty", "utilisation"])


def busy_hours(a: np.ndarray, b: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Agent-hours of the sessions [a, b) inside each hour [h, h + 60)."""
    out = np.zeros(len(hours))
    for i, h in enumerate(hours):
        out[i] = np.clip(np.minimum(b, h + 60) - np.maximum(a, h), 0, None).sum() / 60
    return out


def overloaded_hours(grid: pd.DataFrame, threshold: float = 0.85) -> dict[str, list[str]]:
    """Per tier, the hours of the week at or above ``threshold`` utilisation, in words:
    runs of consecutive hours per day, days with the same runs joined
    (``"Mon-Fri 09:00-12:00 (94%)"``, the mean utilisation of the run in brackets)."""
    out: dict[str, list[str]] = {}
    for tier, g in grid.groupby("tier", sort=False):
        util = g.sort_values(["day", "hour"])["utilisation"].to_numpy().reshape(7, 24)
        by_runs: dict[tuple[tuple[int, int], ...], list[tuple[int, float]]] = {}
        for day in range(7):
            hot = np.nan_to_num(util[day], nan=0.0) >= threshold
            runs, h = [], 0
            while h < 24:
                if hot[h]:
                    k = h
                    while k < 24 and hot[k]:
                        k += 1
                    runs.append((h, k))
                    h = k
                else:
                    h += 1
            if runs:
                mean = float(np.mean([util[day, a:b].mean() for a, b in runs]))
                by_runs.setdefault(tuple(runs), []).append((day, mean))
        words = []
        for day_runs, days in by_runs.items():
            span = ", ".join(f"{a:02d}:00-{b:02d}:00" for a, b in day_runs)
            level = np.mean([m for _, m in days])
            words.append(f"{_days([d for d, _ in days])} {span} ({level:.0%})")
        out[str(tier)] = words
    return out


def _days(days: list[int]) -> str:
    """Weekday numbers in words, consecutive ones as a range: [0, 1, 2, 4] -> Mon-Wed, Fri."""
    parts, i = [], 0
    while i < len(days):
        k = i
        while k + 1 < len(days) and days[k + 1] == days[k] + 1:
            k += 1
        parts.append(DAYS[days[i]] if k == i else f"{DAYS[days[i]]}-{DAYS[days[k]]}")
        i = k + 1
    return ", ".join(parts)
