"""Checks of an ingested log before fitting, with figures (docs/calibration.md, "Data checks").

* censored at the start: cases whose first mapped status is already a wait, a resolution or
  a closure (they began before the extract);
* censored at the end: cases with no resolution (or closure) in the log;
* an arrival ramp or cliff: leading or trailing weeks with fewer than half the median weekly
  arrivals (median over the weeks between the 5% and 95% quantiles of arrival times); an
  extract that keeps only cases still open on some date has a long sparse head; the fit
  measures volume on the weeks between them (the steady window);
* a settling period: leading weeks much slower to complete than the rest (see
  :func:`settling`); the fit leaves their cases out;
* duplicate rows (identical in every mapped column) and rows out of time order in the file;
* rows whose status the mapping does not list.

``fit`` refuses (exit 2) when a refusal limit is passed and warns for the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.visits import ticket_outcomes

__all__ = ["REFUSE", "WARN", "data_checks", "settling", "steady_window"]

WEEK = 7 * 1440.0
SPARSE = 0.5
"""A leading or trailing week with fewer arrivals than this share of the median is sparse."""
WARN = {"settling": 0.0, "censored_start": 0.05, "censored_end": 0.10, "sparse_head": 0.02,
        "sparse_tail": 0.02, "duplicates": 0.01, "out_of_order": 0.01, "unmapped": 0.0}
"""Shares above which ``fit`` warns."""
REFUSE = {"unmapped": 0.20, "censored_end": 0.50, "duplicates": 0.20}
"""Shares above which ``fit`` refuses; it also refuses a log with fewer than
:data:`MIN_CASES` cases."""
MIN_CASES = 50
SETTLING = 2.0
"""A leading week whose median time to first completion is above this multiple of the
reference is part of a settling period (see :func:`settling`)."""


def steady_window(arrived: np.ndarray) -> tuple[float, float, int, int]:
    """(start, end) minutes of the weeks between a sparse head and a sparse tail of arrivals,
    and the numbers of sparse leading and trailing weeks."""
    arrived = np.sort(np.asarray(arrived, float))
    t0 = arrived[0]
    weeks = ((arrived - t0) // WEEK).astype(int)
    counts = np.bincount(weeks)
    lo, hi = (int((q - t0) // WEEK) for q in np.quantile(arrived, [0.05, 0.95]))
    median = float(np.median(counts[lo:hi + 1]))
    dense = np.flatnonzero(counts >= SPARSE * median)
    first, last = int(dense[0]), int(dense[-1])
    # the window ends after the last dense week, or just after the last arrival (inclusive)
    end = t0 + (last + 1) * WEEK if last < len(counts) - 1 else np.nextafter(arrived[-1],
                                                                             np.inf)
    return t0 + first * WEEK, float(end), first, len(counts) - 1 - last


def settling(tickets: pd.DataFrame, start: float, end: float) -> tuple[float, int]:
    """(first minute after a settling period, its weeks): leading weeks of the steady window
    whose median time to first completion exceeds :data:`SETTLING` times the reference (the
    median of the weekly medians of the window's second half). A log whose first weeks are
    much slower than the rest (an extract that keeps only cases closed after some date,
    or a tool being rolled out) would otherwise bias the fitted times."""
    t = tickets[(tickets["arrived"] >= start) & (tickets["arrived"] < end)]
    hours = (t["first_done"] - t["arrived"]) / 60.0
    week = ((t["arrived"] - start) // WEEK).astype(int)
    medians = hours.groupby(week).median().sort_index()
    if len(medians) < 4:
        return start, 0
    ref = float(medians.iloc[len(medians) // 2:].median())
    n = 0
    for value in medians:
        if not value > SETTLING * ref:
            break
        n += 1
    return start + n * WEEK, n


def data_checks(events: pd.DataFrame, ingest: dict[str, Any]) -> dict[str, Any]:
    """Figures of the checks, with ``warnings`` and ``refusals`` (lists of sentences)."""
    tickets = ticket_outcomes(events)
    n = len(tickets)
    rows = max(int(ingest.get("rows", 0)), 1)
    out: dict[str, Any] = {"cases": n, "rows": rows}
    shares: dict[str, float] = {}
    shares["censored_start"] = ingest.get("late_start", 0) / max(n, 1)
    shares["censored_end"] = float(tickets["first_done"].isna().mean()) if n else 0.0
    out["open_at_end"] = float(tickets["closed"].isna().mean()) if n else 0.0
    if n:
        start, end, head, tail = steady_window(tickets["arrived"].to_numpy())
        arrived = tickets["arrived"]
        shares["sparse_head"] = float((arrived < start).mean())
        shares["sparse_tail"] = float((arrived >= end).mean()) if tail else 0.0
        out["steady_window_min"] = [float(start), float(end)]
        settled, weeks = settling(tickets, start, end)
        shares["settling"] = float(((arrived >= start) & (arrived < settled)).mean())
        out["settling_weeks"] = weeks
        out["sparse_weeks"] = {"head": head, "tail": tail}
        weekly = np.bincount(((arrived - arrived.min()) // WEEK).astype(int))
        out["weekly_arrivals"] = {"weeks": len(weekly),
                                  "first": weekly[:3].tolist(), "last": weekly[-3:].tolist()}
    shares["duplicates"] = ingest.get("duplicates", 0) / rows
    shares["out_of_order"] = ingest.get("out_of_order", 0) / rows
    unmapped = dict(ingest.get("unmapped", {}))
    shares["unmapped"] = sum(unmapped.values()) / rows
    out["unmapped_statuses"] = dict(sorted(unmapped.items(), key=lambda kv: -kv[1])[:10])
    out["shares"] = {k: round(v, 4) for k, v in shares.items()}
    warnings = [f"{k.replace('_', ' ')}: {v:.1%} of {'rows' if k in _ROW_SHARES else 'cases'}"
                f" (warn above {WARN[k]:.0%})" for k, v in shares.items() if v > WARN[k]]
    refusals = [f"{k.replace('_', ' ')}: {v:.1%} (limit {REFUSE[k]:.0%})"
                for k, v in shares.items() if k in REFUSE and v > REFUSE[k]]
    if n < MIN_CASES:
        refusals.append(f"only {n} case(s); fitting needs at least {MIN_CASES}")
    out["warnings"], out["refusals"] = warnings, refusals
    return out


_ROW_SHARES = {"duplicates", "out_of_order", "unmapped"}
