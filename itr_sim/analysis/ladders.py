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

import pandas as pd

from itr_sim.model.catalog import Catalog
from itr_sim.rules.coverage import Coverage
from itr_sim.units import MINUTES_PER_WEEK

__all__ = ["NOTIFICATION_COLUMNS", "notifications", "weekly_load"]

NOTIFICATION_COLUMNS = ["replication", "ticket", "time_min", "role", "clock", "rung", "level",
                        "severity"]
MAX_REPEATS = 1000


def notifications(clocks: pd.DataFrame, catalog: Catalog, origin: datetime, end_min: float
                  ) -> pd.DataFrame:
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
