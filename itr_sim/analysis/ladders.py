"""Hierarchical escalation: the catalogue's ladders turned into ``notified`` events.

A rung ``at: 50%`` fires when half of the clock's covered budget has elapsed (pauses spread
the budget: the share is taken of the covered time between start and the pause-extended
deadline); ``at: "+30m"`` 30 covered minutes after the deadline, ``at: "-2d"`` two covered
days before it. A rung fires only while its clock is still running, and not after the end
of the log; ``repeat`` fires it again every so often until the clock stops.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from itr_sim.model.catalog import Catalog
from itr_sim.rules.coverage import Coverage
from itr_sim.units import MINUTES_PER_WEEK

__all__ = ["NOTIFICATION_COLUMNS", "notifications", "notifications_per_clock", "weekly_load"]

NOTIFICATION_COLUMNS = ["replication", "ticket", "time_min", "role", "clock", "rung", "level",
                        "severity"]
MAX_REPEATS = 1000


def notifications(clocks: pd.DataFrame, catalog: Catalog, origin: datetime, end_min: float
                  ) -> pd.DataFrame:
    """One row per notice (columns :data:`NOTIFICATION_COLUMNS`) of the clocks of the
    per-ticket clock table ``clocks``: per clock in table order, its rungs in catalogue
    order, each firing and its repeats in time order, one row per role notified.

    Vectorised: each rung is computed for all clocks of one level and severity at once
    (:meth:`~itr_sim.calendar.BusinessClock.add_array`, ``deadline_array`` for repeats);
    :func:`notifications_per_clock` is the clock-by-clock reference it equals."""
    if len(clocks) == 0:
        return pd.DataFrame([], columns=NOTIFICATION_COLUMNS)
    coverage = Coverage(catalog, origin)
    level = clocks["level"].astype(object).to_numpy()
    severity = clocks["severity"].astype(object).to_numpy()
    clock = clocks["clock"].astype(object).to_numpy()
    start = clocks["start_min"].to_numpy(float)
    due = clocks["deadline_min"].to_numpy(float)
    stop = clocks["stop_min"].to_numpy(float)
    stop = np.where(np.isnan(stop), end_min, stop)
    has_sev = np.array([isinstance(x, str) for x in severity], dtype=bool)
    parts: list[tuple[np.ndarray, int, int, np.ndarray, int]] = []
    roles: list[str] = []
    for name, spec in catalog.levels.items():
        if not spec.escalation:
            continue
        ours = has_sev & (level == name)
        for sev in sorted(set(severity[ours].tolist())):
            bc = coverage.level_clock(name, sev)
            mine = ours & (severity == sev)
            for i, rung in enumerate(spec.escalation):
                rows = np.flatnonzero(mine & (clock == rung.clock.value))
                if len(rows) == 0:
                    continue
                if rung.at.share is not None:
                    span = bc.elapsed_array(start[rows], due[rows])
                    t = bc.add_array(start[rows], rung.at.share * span)
                else:
                    offset = rung.at.offset_min or 0.0
                    t = bc.add_array(due[rows], offset) if offset >= 0 else np.array(
                        [bc.sub(d, -offset) for d in due[rows].tolist()], dtype=float)
                for repeat in range(MAX_REPEATS):
                    fire = (t < stop[rows]) & (t <= end_min)
                    rows, t = rows[fire], t[fire]
                    if len(rows) == 0:
                        break
                    for role in rung.notify:
                        parts.append((rows, i, repeat, t, len(roles)))
                        roles.append(role)
                    if rung.repeat is None:
                        break
                    t = bc.deadline_array(t, rung.repeat, nbd_cutoff_min=spec.nbd_cutoff)
    if not parts:
        return pd.DataFrame([], columns=NOTIFICATION_COLUMNS)
    sizes = [len(p[0]) for p in parts]
    at = np.concatenate([p[0] for p in parts])
    rungs = np.repeat([p[1] for p in parts], sizes)
    repeats = np.repeat([p[2] for p in parts], sizes)
    times = np.concatenate([p[3] for p in parts])
    who = np.repeat([p[4] for p in parts], sizes)  # in rung order: the order of notify
    order = np.lexsort((who, repeats, rungs, at))
    at, rungs, times, who = at[order], rungs[order], times[order], who[order]
    return pd.DataFrame({
        "replication": clocks["replication"].to_numpy()[at],
        "ticket": clocks["ticket"].to_numpy()[at], "time_min": times,
        "role": np.array(roles, dtype=object)[who].astype(str),
        "clock": clock[at].astype(str), "rung": rungs.astype(np.int64),
        "level": level[at].astype(str), "severity": severity[at].astype(str)})


def notifications_per_clock(clocks: pd.DataFrame, catalog: Catalog, origin: datetime,
                            end_min: float) -> pd.DataFrame:
    """:func:`notifications` clock by clock: the reference the vectorised one must equal."""
    coverage = Coverage(catalog, origin)
    rows = []
    for c in clocks.itertuples(index=False):
        level = catalog.levels.get(str(c.level)) if isinstance(c.level, str) else None
        if level is None or not level.escalation or not isinstance(c.severity, str):
            continue
        bc = coverage.level_clock(c.level, c.severity)
        stop = c.stop_min if not math.isnan(c.stop_min) else end_min
        span = None
        for i, rung in enumerate(level.escalation):
            if rung.clock.value != c.clock:
                continue
            if rung.at.share is not None:
                if span is None:
                    span = bc.elapsed(c.start_min, c.deadline_min)
                t = bc.add(c.start_min, rung.at.share * span)
            else:
                offset = rung.at.offset_min or 0.0
                t = bc.add(c.deadline_min, offset) if offset >= 0 else \
                    bc.sub(c.deadline_min, -offset)
            repeats = 0
            while t < stop and t <= end_min and repeats < MAX_REPEATS:
                for role in rung.notify:
                    rows.append((c.replication, c.ticket, t, role, c.clock, i, c.level,
                                 c.severity))
                if rung.repeat is None:
                    break
                t = bc.deadline(t, rung.repeat, nbd_cutoff_min=level.nbd_cutoff)
                repeats += 1
    return pd.DataFrame(rows, columns=NOTIFICATION_COLUMNS)


def weekly_load(notes: pd.DataFrame, start_min: float, end_min: float, replications: int
                ) -> dict[str, float]:
    """Management escalations per role per week, averaged over replications, counting the
    notices sent between ``start_min`` (end of warm-up) and ``end_min``."""
    weeks = max((end_min - start_min) / MINUTES_PER_WEEK, 1e-9)
    kept = notes[(notes["time_min"] >= start_min) & (notes["time_min"] <= end_min)]
    counts = kept.groupby("role").size()
    return {str(role): float(n) / replications / weeks for role, n in counts.items()}
