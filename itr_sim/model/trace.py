"""Trace files (``demand.trace``): arrivals read from a CSV table, checked row by row.

Columns: ``time`` (a local date-time of the organisation such as ``2027-01-08 19:00``, a
date-time with a UTC offset, or minutes since the start), ``customer``, ``severity`` (empty
for non-technical requests) and ``type``. Every unreadable row is an error naming the trace
file and its line; rows outside the simulated window are left out with a warning that
counts them; customers not in the scenario are served best effort, with a warning.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from itr_sim.model.catalog import Catalog, RequestKind
from itr_sim.model.fields import did_you_mean
from itr_sim.model.scenario import Scenario
from itr_sim.model.source import Diagnostic, Level, ScenarioError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["COLUMNS", "MAX_TRACE_BYTES", "MAX_TRACE_ROWS", "TraceRows", "check_trace"]

COLUMNS = ("time", "customer", "severity", "type")
MAX_TRACE_BYTES = 200_000_000
"""Largest trace file read."""
MAX_TRACE_ROWS = 10_000_000
"""Most rows (tickets) in one trace."""
MAX_REPORTED = 50
"""Row errors listed before the rest are only counted."""


@dataclass(frozen=True)
class TraceRows:
    """The rows of a trace inside the window, sorted by time (minutes since the start)."""

    time: np.ndarray
    customer: list[str]
    severity: list[str | None]
    rtype: list[str]


def check_trace(path: Path, shown: str, sc: Scenario, cat: Catalog, horizon_min: float
                ) -> tuple[TraceRows, list[Diagnostic]]:
    """Read and check a trace; returns its rows in the window and the warnings, or raises
    :class:`ScenarioError` with every bad row's line (the first :data:`MAX_REPORTED`)."""
    text = _read(path, shown)
    zone = ZoneInfo(sc.organisation.timezone)
    origin = sc.start.replace(tzinfo=zone)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ScenarioError([Diagnostic(shown, 0, "", "the trace is empty; it needs a header "
                                        "line: " + ",".join(COLUMNS))])
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ScenarioError([Diagnostic(shown, 1, "", f"missing column(s): {', '.join(missing)}"
                                        f"; the header must name {','.join(COLUMNS)}")])
    where = {c: header.index(c) for c in COLUMNS}
    technical = {t for t, spec in cat.request_types.items()
                 if spec.kind is RequestKind.TECHNICAL}
    teams = {h for team in sc.organisation.teams.values() for h in team.handles}
    errors: list[Diagnostic] = []
    rows: list[tuple[float, str, str | None, str]] = []
    outside = 0
    strangers: dict[str, int] = {}
    count = 0
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        count += 1
        if count > MAX_TRACE_ROWS:
            raise ScenarioError([Diagnostic(shown, line, "", f"more than {MAX_TRACE_ROWS:,} "
                                            "rows; split the trace or shorten the window")])

        def bad(column: str, message: str, line: int = line) -> None:
            errors.append(Diagnostic(shown, line, column, message))

        if len(fields) != len(header):
            bad("", f"{len(fields)} fields, but the header has {len(header)}; quote values "
                "that contain a comma")
            continue
        value = {c: fields[where[c]].strip() for c in COLUMNS}
        minutes = _minutes(value["time"], zone, origin)
        if minutes is None:
            bad("time", f"{value['time']!r} is not a time: give a local date-time such as "
                "2027-01-08 19:00, or minutes since the start")
        rtype, severity = value["type"], value["severity"] or None
        if rtype not in cat.request_types:
            bad("type", did_you_mean(rtype, cat.request_types, "request type"))
        elif rtype in technical:
            if severity not in cat.severities:
                bad("severity", "a technical request needs a severity: " + (
                    did_you_mean(severity, cat.severities, "severity") if severity
                    else "the column is empty"))
            elif (tier := _unhandled(sc, severity, rtype)) is not None:
                bad("severity", f"no handling time for {severity}/{rtype} at the entry tier "
                    f"{tier}")
        else:
            if severity is not None:
                bad("severity", f"{rtype!r} is non-technical: leave the severity empty")
            if rtype not in teams:
                bad("type", f"{rtype!r} requests are non-technical but no team handles "
                    "them; add it to the `handles` of a team")
        customer = value["customer"]
        if not customer:
            bad("customer", "the customer is empty; name a customer of the scenario (others "
                "are served best effort)")
        elif customer not in sc.demand.customers:
            strangers[customer] = strangers.get(customer, 0) + 1
        if minutes is None or errors:
            continue
        if not 0.0 <= minutes < horizon_min:
            outside += 1
            continue
        rows.append((minutes, customer, severity, rtype))
    if errors:
        more = len(errors) - MAX_REPORTED
        shown_errors = errors[:MAX_REPORTED]
        if more > 0:
            shown_errors.append(Diagnostic(shown, 0, "", f"... and {more} more bad row(s)"))
        raise ScenarioError(shown_errors)
    warnings = []
    if outside:
        warnings.append(Diagnostic(shown, 0, "time", f"{outside} of {count} row(s) fall "
                                   "outside the simulated window (from "
                                   f"{sc.start:%Y-%m-%d %H:%M}, {sc.horizon}) and are left "
                                   "out", Level.WARNING))
    if strangers:
        names = ", ".join(sorted(strangers)[:5]) + (", ..." if len(strangers) > 5 else "")
        warnings.append(Diagnostic(shown, 0, "customer", f"{sum(strangers.values())} row(s) "
                                   f"name customers not in the scenario ({names}): served best "
                                   "effort, without SLA clocks", Level.WARNING))
    rows.sort(key=lambda r: r[0])
    import numpy as np

    return TraceRows(np.array([r[0] for r in rows], float), [r[1] for r in rows],
                     [r[2] for r in rows], [r[3] for r in rows]), warnings


def _read(path: Path, shown: str) -> str:
    try:
        if path.is_dir():
            raise ScenarioError([Diagnostic(shown, 0, "", "is a directory; name the CSV file")])
        size = path.stat().st_size
        if size > MAX_TRACE_BYTES:
            raise ScenarioError([Diagnostic(shown, 0, "", f"the trace has {size:,} bytes, more "
                                            f"than the {MAX_TRACE_BYTES:,} read")])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Diagnostic(shown, 0, "", "trace file not found (the path is "
                                        "relative to the scenario file)")]) from None
    except OSError as exc:
        raise ScenarioError([Diagnostic(shown, 0, "", f"cannot read the trace: "
                                        f"{exc.strerror or exc}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError([Diagnostic(shown, line, "", "not UTF-8; save the trace as "
                                        "UTF-8")]) from None


def _minutes(text: str, zone: ZoneInfo, origin: datetime) -> float | None:
    """Minutes since the start: a number as it is, a date-time in local time (or with its
    own UTC offset) from the start; None if neither or not finite."""
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return value if math.isfinite(value) else None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return (moment.astimezone(UTC) - origin.astimezone(UTC)).total_seconds() / 60.0


def _unhandled(sc: Scenario, severity: str, rtype: str) -> str | None:
    """An entry tier of this severity without a handling time for the ticket, if any."""
    for name in sc.organisation.entry_shares(severity):
        tier = sc.organisation.tiers.get(name)
        if tier is not None and not any(
                k in tier.handling for k in (f"{severity}/{rtype}", severity, rtype, "default")):
            return name
    return None
