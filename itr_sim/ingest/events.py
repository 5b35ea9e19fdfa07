"""Rows of an export -> itr-sim's event log (the engine's columns), with the lines inferred.

Per case, rows in time order (then the mapping's ``order`` column, then file order):

* the first row gives ``arrived`` (at ``opened`` if mapped) and ``queued`` at the line of its
  group;
* a change of group to another line gives ``handed_over`` (unit = from line, detail = to line)
  and ``queued`` at the new line; a change within a line gives ``queued`` at the same line
  with detail ``reassigned`` (the visit goes on);
* a change of mapped status gives its event: ``engaged`` (detail ``first`` the first time),
  ``waiting_*``, ``resolved``, ``closed``, ``reopened``; leaving a waiting state gives
  ``resumed`` first; a resolution with no engagement before counts as the first engagement;
* work (queued, engaged, waiting, a hand-over) after ``resolved`` or ``closed`` is a reopen:
  ``reopened`` and ``queued`` at the line (explicit ``reopened`` statuses too).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from itr_sim.ingest.mapping import LogEvent, Mapping

__all__ = ["Ingested", "build_events", "infer_lines"]

WORK = {LogEvent.QUEUED, LogEvent.ENGAGED, LogEvent.WAITING_CUSTOMER, LogEvent.WAITING_VENDOR,
        LogEvent.WAITING_PARTS}
WAITS = {LogEvent.WAITING_CUSTOMER, LogEvent.WAITING_VENDOR, LogEvent.WAITING_PARTS}


@dataclass
class Ingested:
    events: pd.DataFrame
    origin: pd.Timestamp
    """Local midnight of the first arrival (tz-aware, the mapping's zone)."""
    end_min: float
    lines: dict[str, str]
    """group -> line used."""
    unmapped: Counter[str] = field(default_factory=Counter)
    """Statuses not in the mapping, with their row counts."""
    rows: int = 0
    duplicates: int = 0
    """Rows identical in every mapped column to the row before them in the same case."""
    out_of_order: int = 0
    """Rows whose time is before their predecessor's in file order (per case)."""
    late_start: int = 0
    """Cases whose first mapped status is already a wait, a resolution or a closure (they
    began before the extract)."""


def infer_lines(rows: pd.DataFrame, mapping: Mapping) -> dict[str, str]:
    """group -> line: the mapping's map first; with ``infer``, the line of the visit position
    (0, 1, 2, ...; capped at the last line) at which the group appears most often, ties to
    the lower line."""
    spec = mapping.lines
    counts: dict[str, Counter[int]] = {}
    for _, groups in _group_runs(rows, mapping):
        for position, group in enumerate(groups):
            counts.setdefault(group, Counter())[position] += 1
    out: dict[str, str] = {}
    for group, seen in counts.items():
        if group in spec.map:
            out[group] = spec.map[group]
        elif spec.infer:
            top = max(seen.values())
            position = min(p for p, n in seen.items() if n == top)
            out[group] = spec.infer[min(position, len(spec.infer) - 1)]
        else:
            out[group] = spec.default
    return out


def _group_runs(rows: pd.DataFrame, mapping: Mapping):
    """Per case, the groups in visit order (consecutive repeats merged)."""
    eligible = _eligible(rows, mapping)
    for case, g in rows[eligible & (rows["group"] != "")].groupby("case", sort=False):
        groups = g["group"].tolist()
        runs = [x for i, x in enumerate(groups) if i == 0 or x != groups[i - 1]]
        yield case, runs


def _eligible(rows: pd.DataFrame, mapping: Mapping) -> pd.Series:
    on = mapping.lines.handover_on
    if not on:
        return pd.Series(True, index=rows.index)
    return rows["event"].isin([str(e) for e in on]) | rows["first"]


def build_events(rows: pd.DataFrame, mapping: Mapping) -> Ingested:
    """The event log of ``rows`` (from :func:`itr_sim.ingest.read.read_rows`)."""
    zone = mapping.timestamp.timezone
    rows = rows.copy()
    rows["_file"] = np.arange(len(rows))
    back = rows.groupby("case", sort=False)["ts"].diff() < pd.Timedelta(0)
    out_of_order = int(back.sum())
    rows = rows.sort_values(["case", "ts", "order", "_file"], kind="stable",
                            ignore_index=True)
    rows["first"] = ~rows["case"].duplicated()
    same = ["case", "ts", "order", "status", "group", "resource", "priority", "customer",
            "product"]
    dup = (rows[same] == rows[same].shift()).all(axis=1) & ~rows["first"]
    duplicates = int(dup.sum())
    rows = rows[~dup].reset_index(drop=True)
    statuses = {k: str(v) for k, v in mapping.statuses.items()}
    rows["event"] = rows["status"].map(statuses).fillna("")
    unmapped = Counter(rows.loc[~rows["status"].isin(list(statuses)), "status"].tolist())
    lines = infer_lines(rows, mapping)
    useful = rows[~rows["event"].isin(["", "ignore"])]
    opening = useful.drop_duplicates("case")["event"]
    late_start = int(opening.isin([str(e) for e in WAITS] + ["resolved", "closed"]).sum())
    eligible = _eligible(rows, mapping).to_numpy()

    arrive_ts = rows["opened"].where(rows["opened"].notna(), rows["ts"])
    first_arrival = arrive_ts[rows["first"]].min()
    origin = first_arrival.tz_convert(zone).normalize()
    base = origin.tz_convert("UTC")
    t = ((rows["ts"] - base).dt.total_seconds() / 60.0).to_numpy()
    t_open = ((arrive_ts - base).dt.total_seconds() / 60.0).to_numpy()
    case = rows["case"].to_numpy()
    first = rows["first"].to_numpy()
    event = rows["event"].to_numpy()
    group = rows["group"].to_numpy()
    resource = rows["resource"].to_numpy()
    default = mapping.lines.default

    out: list[tuple] = []
    add = out.append
    tier = waiting = last = ""
    engaged = done = False
    cur_group = ""
    for i in range(len(rows)):
        c, ti, ev, g = case[i], t[i], event[i], group[i]
        if first[i]:
            firstg = g
            if not firstg:  # the first group named later in the case, if any
                j = i + 1
                while j < len(rows) and not first[j] and not group[j]:
                    j += 1
                firstg = group[j] if j < len(rows) and not first[j] else ""
            tier = lines.get(firstg, default) if firstg else default
            cur_group = firstg
            waiting = last = ""
            engaged = done = False
            ta = min(t_open[i], ti)
            add((c, ta, "arrived", "", "technical", cur_group, resource[i]))
            add((c, ta, "queued", tier, "", cur_group, resource[i]))
        moved = bool(g) and eligible[i] and g != cur_group and not first[i]
        new_tier = lines.get(g, default) if moved else tier
        work = ev in WORK or ev == "reopened" or (moved and new_tier != tier)
        if (done and work and ev != last) or (ev == "reopened" and ev != last):
            if waiting:
                add((c, ti, "resumed", tier, waiting, cur_group, resource[i]))
                waiting = ""
            add((c, ti, "reopened", tier, "", cur_group, resource[i]))
            add((c, ti, "queued", tier, "", cur_group, resource[i]))
            done = False
        if moved:
            cur_group = g
            if new_tier != tier:
                if waiting:
                    add((c, ti, "resumed", tier, waiting, cur_group, resource[i]))
                    waiting = ""
                add((c, ti, "handed_over", tier, new_tier, cur_group, resource[i]))
                add((c, ti, "queued", new_tier, "", cur_group, resource[i]))
                tier = new_tier
            else:  # another group of the same line: back in a queue, the visit goes on
                add((c, ti, "queued", tier, "reassigned", cur_group, resource[i]))
            last = "queued"  # the status of this row starts work at the new group
        if not ev or ev == "ignore" or ev == last or ev == "reopened":
            last = ev if ev and ev != "ignore" else last
            continue
        if waiting and ev != waiting:
            add((c, ti, "resumed", tier, waiting, cur_group, resource[i]))
            waiting = ""
        if ev == "engaged":
            add((c, ti, "engaged", tier, "" if engaged else "first", cur_group, resource[i]))
            engaged = True
        elif ev in WAITS:
            add((c, ti, ev, tier, "", cur_group, resource[i]))
            waiting = ev
        elif ev == "resolved":
            if not engaged:
                add((c, ti, "engaged", tier, "first", cur_group, resource[i]))
                engaged = True
            add((c, ti, "resolved", tier, "", cur_group, resource[i]))
            done = True
        elif ev == "closed":
            add((c, ti, "closed", tier, "", cur_group, resource[i]))
            done = True
        last = ev

    events = pd.DataFrame(out, columns=["number", "time_min", "event", "unit", "detail",
                                        "group", "resource"])
    attrs = rows.loc[rows["first"], ["case", "priority", "customer", "product"]]
    attrs = attrs.set_index("case")
    severity = attrs["priority"].map(
        lambda v: mapping.severities.get(v, mapping.default_severity))
    events["ticket"] = pd.factorize(events["number"], sort=True)[0]
    events["kind"] = "technical"
    events["customer"] = events["number"].map(attrs["customer"]).replace("", "unknown")
    events["level"] = mapping.level
    events["severity"] = events["number"].map(severity)
    events["type"] = mapping.type
    events["product"] = events["number"].map(attrs["product"])
    events["replication"] = 0
    events = events.sort_values(["ticket", "time_min"], kind="stable", ignore_index=True)
    stamps = origin + pd.to_timedelta(events["time_min"], unit="min")
    events.insert(2, "time", stamps.dt.strftime("%Y-%m-%d %H:%M:%S%z"))
    events = events[["replication", "ticket", "time_min", "time", "event", "unit", "detail",
                     "kind", "customer", "level", "severity", "type", "number", "group",
                     "resource", "product"]]
    return Ingested(events, origin, float(np.nanmax(t)) if len(t) else 0.0, lines, unmapped,
                    len(rows) + duplicates, duplicates, out_of_order, late_start)
