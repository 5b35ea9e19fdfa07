"""A run folder's event log for process-mining tools: XES (IEEE 1849) and a flat CSV.

One case per ticket of a replication (``case:concept:name`` = ``REPLICATION-TICKET``), one
event per state change with the standard extensions: ``concept:name`` (the event),
``time:timestamp`` (ISO 8601 with the organisation's UTC offset at that moment),
``org:group`` (the tier or team, when the event has one) and ``lifecycle:transition`` (the
standard lifecycle model: a ticket is *scheduled* in a queue, *started* when an agent takes
it, *suspended* while it waits or is released at a shift end, *resumed* after, and each other
state change *completes* a step). The ticket's customer, level, severity, type and kind are
attributes of its case.

By default the export leaves out tickets that arrived in the warm-up (the KPIs leave them
out too) and tickets still open at the end of the horizon (a process-mining tool would read
them as finished variants); ``notified`` rows are escalation notices to managers, not steps
of the ticket, and are left out as well. No pm4py is needed (its licence is AGPL): the XES
writer is a few lines over the standard library's XML escaping.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

import pandas as pd

from itr_sim.files import atomic_writer
from itr_sim.report.runfolder import RunFolder

__all__ = ["EXPORT_FORMATS", "LIFECYCLE", "ExportSummary", "export_events", "export_frame"]

EXPORT_FORMATS = ("xes", "csv")

LIFECYCLE = {
    "queued": "schedule",
    "engaged": "start",
    "released": "suspend",
    "waiting_customer": "suspend",
    "waiting_vendor": "suspend",
    "waiting_parts": "suspend",
    "waiting_onsite": "suspend",
    "resumed": "resume",
}
"""Events that are not ``complete`` in the XES lifecycle model; every other event is."""

_CASE_ATTRIBUTES = ("customer", "level", "severity", "type", "kind")


@dataclass(frozen=True)
class ExportSummary:
    cases: int
    events: int
    left_out_warmup: int
    left_out_open: int


def export_frame(run: RunFolder, *, include_warmup: bool = False,
                 include_open: bool = False) -> tuple[pd.DataFrame, ExportSummary]:
    """The run's events as the flat process-mining table (one row per event, cases in order
    of replication and ticket, events in time order), and what was left out."""
    tickets = run.table("tickets")
    events = run.table("events")
    warm = tickets["warmup"].astype(bool) & (not include_warmup)
    still_open = ~tickets["closed"].astype(bool) & (not include_open) & ~warm
    keep = ~warm & ~still_open
    kept = tickets.loc[keep, ["replication", "ticket"]]
    events = events[events["event"] != "notified"].merge(kept, on=["replication", "ticket"])
    events = events.sort_values(["replication", "ticket", "time_min"], kind="stable")
    events = events.reset_index(drop=True)
    meta = run.metadata
    stamps = _timestamps(events["time_min"].to_numpy(float), meta["start"], meta["timezone"])
    unit = events["unit"].astype("string").fillna("")
    table = pd.DataFrame({
        "case:concept:name": events["replication"].astype(str) + "-"
        + events["ticket"].astype(str),
        "concept:name": events["event"].astype(str),
        "time:timestamp": stamps,
        "org:group": unit.to_numpy(),
        "lifecycle:transition": events["event"].map(LIFECYCLE).fillna("complete").to_numpy(),
    })
    for name in _CASE_ATTRIBUTES:
        table[f"case:{name}"] = events[name].astype("string").fillna("").to_numpy()
    summary = ExportSummary(
        cases=int(keep.sum()), events=len(table),
        left_out_warmup=int(warm.sum()), left_out_open=int(still_open.sum()))
    return table, summary


def _timestamps(minutes: object, start: str, zone: str) -> pd.Series:
    """ISO 8601 with milliseconds and the zone's UTC offset at each moment (``+08:00``):
    elapsed minutes since the scenario start, which is local time in ``zone``."""
    origin = pd.Timestamp(datetime.fromisoformat(start)).tz_localize(zone)
    elapsed = pd.to_timedelta(pd.Series(minutes), unit="min").dt.round("ms")
    moments = (origin + elapsed).dt.tz_convert(zone)
    text = moments.dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    # rounded to the millisecond; %f gives microseconds and %z +0800: cut the zeros, put the
    # colon in the offset
    return text.str[:23] + text.str[26:29] + ":" + text.str[29:31]


def export_events(run: RunFolder, out: Path, fmt: str, *, include_warmup: bool = False,
                  include_open: bool = False) -> ExportSummary:
    """Write the run's events to ``out`` as ``fmt`` (``xes`` or ``csv``), atomically."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    table, summary = export_frame(run, include_warmup=include_warmup, include_open=include_open)
    with atomic_writer(out) as handle:
        if fmt == "csv":
            table.to_csv(handle, index=False, lineterminator="\n")
        else:
            _write_xes(handle, table)
    return summary


def _write_xes(handle: IO[bytes], table: pd.DataFrame) -> None:
    for chunk in _xes_lines(table):
        handle.write(chunk.encode("utf-8"))


_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849.2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace"><string key="concept:name" value="__INVALID__"/></global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
"""


def _xes_lines(table: pd.DataFrame) -> Iterator[str]:
    yield _HEADER
    q = {c: table[c].map(quoteattr).to_numpy() for c in table.columns}
    cases = table["case:concept:name"].to_numpy()
    groups = table["org:group"].to_numpy()
    previous = None
    for i in range(len(table)):
        if cases[i] != previous:
            if previous is not None:
                yield "  </trace>\n"
            previous = cases[i]
            attributes = "".join(f'<string key="{name}" value={q["case:" + name][i]}/>'
                                 for name in _CASE_ATTRIBUTES)
            yield (f'  <trace><string key="concept:name" value={q["case:concept:name"][i]}/>'
                   f"{attributes}\n")
        group = f'<string key="org:group" value={q["org:group"][i]}/>' if groups[i] else ""
        yield (f'    <event><string key="concept:name" value={q["concept:name"][i]}/>'
               f'<date key="time:timestamp" value={q["time:timestamp"][i]}/>{group}'
               f'<string key="lifecycle:transition" value={q["lifecycle:transition"][i]}/>'
               "</event>\n")
    if previous is not None:
        yield "  </trace>\n"
    yield "</log>\n"
