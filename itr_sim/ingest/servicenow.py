"""A ServiceNow-style audit export (one row per update of an incident) -> event log.

The mapping (documented in docs/real-logs.md) names the columns and how states become
events. Defaults fit the UCI "Incident management process enriched event log":

* the first row of an incident gives ``arrived`` and ``queued`` (at its assignment group) at
  ``opened_at``;
* a change of ``incident_state`` gives the mapped event at ``sys_updated_at``: New ->
  ``queued``, Active -> ``engaged``, Awaiting User Info / Evidence -> ``waiting_customer``,
  Awaiting Vendor / Problem -> ``waiting_vendor``, Resolved -> ``resolved``, Closed ->
  ``closed``; leaving a waiting state gives ``resumed`` first;
* a change of ``assignment_group`` gives ``handed_over`` (from the old group to the new one)
  and ``queued`` at the new one;
* a rise of ``reopen_count`` gives ``reopened``;
* a resolution with no earlier Active state also counts as the first engagement;
* ``priority`` 1 -> critical, 2 -> major, 3 and 4 -> minor; every incident gets ``level``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["AuditMapping", "read_audit_log"]


@dataclass(frozen=True)
class AuditMapping:
    ticket: str = "number"
    order: str = "sys_mod_count"
    state: str = "incident_state"
    updated: str = "sys_updated_at"
    opened: str = "opened_at"
    group: str = "assignment_group"
    priority: str = "priority"
    reopen_count: str = "reopen_count"
    customer: str = "caller_id"
    category: str = "category"
    date_format: str = "%d/%m/%Y %H:%M"
    level: str = "standard"
    missing: str = "?"
    states: dict[str, str] = field(default_factory=lambda: {
        "New": "queued", "Active": "engaged", "Awaiting User Info": "waiting_customer",
        "Awaiting Evidence": "waiting_customer", "Awaiting Vendor": "waiting_vendor",
        "Awaiting Problem": "waiting_vendor", "Resolved": "resolved", "Closed": "closed"})
    severities: dict[str, str] = field(default_factory=lambda: {
        "1": "critical", "2": "major", "3": "minor", "4": "minor"})


def read_audit_log(path: str | Path, mapping: AuditMapping | None = None
                   ) -> tuple[pd.DataFrame, datetime, float]:
    """The event log of an audit export, its origin (midnight UTC of the first opening; local
    times are read as UTC) and its end (minutes to the last update). ``ticket`` is an integer
    id; the export's own identifier is kept as ``number``."""
    m = mapping or AuditMapping()
    cols = [m.ticket, m.order, m.state, m.updated, m.opened, m.group, m.priority,
            m.reopen_count, m.customer, m.category]
    raw = pd.read_csv(path, usecols=cols, dtype=str, keep_default_na=False)
    raw = raw.replace(m.missing, "")
    raw["_updated"] = pd.to_datetime(raw[m.updated], format=m.date_format)
    raw["_opened"] = pd.to_datetime(raw[m.opened], format=m.date_format)
    raw["_order"] = pd.to_numeric(raw[m.order], errors="coerce").fillna(0)
    raw = raw.sort_values([m.ticket, "_order", "_updated"], kind="stable").reset_index(drop=True)
    origin = raw["_opened"].min().normalize().tz_localize(UTC).to_pydatetime()
    base = pd.Timestamp(origin).tz_localize(None)
    minutes = lambda s: ((s - base).dt.total_seconds() / 60.0).to_numpy()  # noqa: E731
    t_upd, t_open = minutes(raw["_updated"]), minutes(raw["_opened"])
    ticket = raw[m.ticket].to_numpy()
    first = np.r_[True, ticket[1:] != ticket[:-1]]
    state = raw[m.state].map(m.states).fillna("").to_numpy()
    prev_state = np.r_[[""], state[:-1]]
    prev_state[first] = ""
    group = raw[m.group].to_numpy()
    prev_group = np.r_[[""], group[:-1]]
    reopen = pd.to_numeric(raw[m.reopen_count], errors="coerce").fillna(0).to_numpy()
    prev_reopen = np.r_[[0], reopen[:-1]]
    prev_reopen[first] = 0

    rows: list[tuple[str, float, str, str, str]] = []
    engaged: set[str] = set()
    for i in range(len(raw)):
        tid, t = ticket[i], t_upd[i]
        if first[i]:
            rows.append((tid, t_open[i], "arrived", "", "technical"))
            rows.append((tid, t_open[i], "queued", group[i], ""))
        else:
            if group[i] != prev_group[i]:
                rows.append((tid, t, "handed_over", prev_group[i], group[i]))
                rows.append((tid, t, "queued", group[i], ""))
            if reopen[i] > prev_reopen[i]:
                rows.append((tid, t, "reopened", group[i], ""))
        s, p = state[i], prev_state[i]
        if s and s != p and not (first[i] and s == "queued"):
            if p.startswith("waiting_"):
                rows.append((tid, t, "resumed", group[i], p))
            if s == "resolved" and tid not in engaged:
                rows.append((tid, t, "engaged", group[i], "first"))
                engaged.add(tid)
            if s == "engaged":
                rows.append((tid, t, "engaged", group[i], "" if tid in engaged else "first"))
                engaged.add(tid)
            elif s != "queued":
                rows.append((tid, t, s, group[i], ""))
    events = pd.DataFrame(rows, columns=["ticket", "time_min", "event", "unit", "detail"])
    attrs = raw.loc[first, [m.ticket, m.priority, m.customer, m.category]].set_index(m.ticket)
    events["severity"] = events["ticket"].map(
        attrs[m.priority].astype(str).str.strip().map(m.severities))
    events["customer"] = events["ticket"].map(attrs[m.customer])
    events["type"] = events["ticket"].map(attrs[m.category])
    events["level"] = m.level
    events["kind"] = "technical"
    events["replication"] = 0
    events["number"] = events["ticket"]
    events["ticket"] = pd.factorize(events["ticket"], sort=True)[0]
    events = events.sort_values(["ticket", "time_min"], kind="stable", ignore_index=True)
    return events, origin, float(t_upd.max())
