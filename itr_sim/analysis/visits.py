"""Tier visits and ticket outcomes from an event log, real (``itr-sim ingest``) or simulated.

A visit starts at ``queued`` (unit = tier) and ends at the ticket's next ``handed_over``
(outcome = the tier handed to), ``resolved`` or ``closed`` (outcome ``resolved``), or
``reopened`` (a visit still open when the ticket was reopened ends ``resolved``); a visit
with no end is ``open``. Waiting states inside a visit are summed by kind. The same code
reads both logs, so fitted inputs and backtest figures mean the same thing on both sides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["WAIT_KINDS", "ticket_outcomes", "visits"]

WAIT_KINDS = ("customer", "vendor", "parts")


def visits(events: pd.DataFrame) -> pd.DataFrame:
    """One row per tier visit: replication, ticket, tier, position (0 = first visit of the
    ticket), start, end (NaN if open), outcome, after_reopen, and per wait kind the number of
    waits and their minutes (``waits_customer``, ``wait_customer_min``, ...)."""
    ev = _sorted(events)
    rep = ev["replication"].to_numpy() if "replication" in ev else np.zeros(len(ev), int)
    tid = ev["ticket"].to_numpy()
    t = ev["time_min"].to_numpy(float)
    kind = ev["event"].astype(str).to_numpy()
    unit = ev["unit"].astype(str).to_numpy()
    detail = ev["detail"].astype(str).to_numpy()
    rows: list[list] = []
    cur: list | None = None
    wait_since: dict[str, float] = {}
    key = None
    position = 0
    reopened = False

    def close(end: float, outcome: str) -> None:
        nonlocal cur
        if cur is not None:
            for what, since in wait_since.items():
                _add_wait(cur, what, end - since)
            wait_since.clear()
            cur[5], cur[6] = end, outcome
            rows.append(cur)
            cur = None

    for i in range(len(ev)):
        k = (rep[i], tid[i])
        if k != key:
            if cur is not None:
                rows.append(cur)
            cur, key, position, reopened = None, k, 0, False
            wait_since.clear()
        e = kind[i]
        if e == "queued":
            if cur is not None and cur[2] == unit[i]:
                continue  # back in the queue of the same tier (after a wait, a shift end)
            if cur is not None:
                close(t[i], unit[i])
            cur = [rep[i], tid[i], unit[i], position, t[i], np.nan, "open", reopened,
                   0, 0.0, 0, 0.0, 0, 0.0]
            position += 1
        elif cur is None:
            if e == "reopened":
                reopened = True
            continue
        elif e == "handed_over":
            close(t[i], detail[i])
        elif e in ("resolved", "closed", "fix_pending"):
            close(t[i], "resolved")
        elif e == "reopened":
            close(t[i], "resolved")
            reopened = True
        elif e.startswith("waiting_"):
            wait_since[e.removeprefix("waiting_")] = t[i]
        elif e == "resumed":
            what = detail[i].removeprefix("waiting_")
            if what in wait_since:
                _add_wait(cur, what, t[i] - wait_since.pop(what))
    if cur is not None:
        rows.append(cur)
    cols = ["replication", "ticket", "tier", "position", "start", "end", "outcome",
            "after_reopen"]
    for what in WAIT_KINDS:
        cols += [f"waits_{what}", f"wait_{what}_min"]
    return pd.DataFrame(rows, columns=cols)


def _add_wait(cur: list, what: str, minutes: float) -> None:
    j = 8 + 2 * WAIT_KINDS.index(what) if what in WAIT_KINDS else None
    if j is not None:
        cur[j] += 1
        cur[j + 1] += max(minutes, 0.0)


def _sorted(events: pd.DataFrame) -> pd.DataFrame:
    keys = ["replication", "ticket", "time_min"] if "replication" in events else \
        ["ticket", "time_min"]
    return events.sort_values(keys, kind="stable")


def ticket_outcomes(events: pd.DataFrame) -> pd.DataFrame:
    """One row per technical ticket: replication, ticket, customer, severity, arrived,
    first_done (first ``resolved``, else first ``closed``; NaN if neither), closed (first
    ``closed``), entry (tier of the first visit), handovers, reopened (bool) and one
    ``line_TIER`` column per tier (visited or not)."""
    ev = events
    if "kind" in ev:
        ev = ev[ev["kind"].astype(str) == "technical"]
    if "replication" not in ev:
        ev = ev.assign(replication=0)
    keys = ["replication", "ticket"]
    name = ev["event"].astype(str)
    first = ev.drop_duplicates(keys).set_index(keys)
    arrived = ev[name == "arrived"].groupby(keys)["time_min"].min()
    resolved = ev[name == "resolved"].groupby(keys)["time_min"].min()
    closed = ev[name == "closed"].groupby(keys)["time_min"].min()
    queued = ev[name == "queued"]
    entry = queued.groupby(keys)["unit"].first().astype(str)
    handovers = ev[name == "handed_over"].groupby(keys).size()
    reopened = ev[name == "reopened"].groupby(keys).size()
    out = pd.DataFrame(index=arrived.index)
    out["arrived"] = arrived
    out["first_done"] = resolved.reindex(out.index).fillna(closed.reindex(out.index))
    out["closed"] = closed.reindex(out.index)
    out["entry"] = entry.reindex(out.index)
    out["handovers"] = handovers.reindex(out.index).fillna(0).astype(int)
    out["reopened"] = reopened.reindex(out.index).fillna(0) > 0
    for col in ("customer", "severity"):
        if col in first:
            out[col] = first[col].astype(str).reindex(out.index)
    seen = queued.assign(unit=queued["unit"].astype(str)).groupby(
        [*keys, "unit"]).size().unstack(fill_value=0) > 0
    for tier in seen.columns:
        out[f"line_{tier}"] = seen[tier].reindex(out.index).fillna(False).astype(bool)
    return out.reset_index()
