"""Reading an export (CSV, gzip CSV or XES) into rows named by the mapping's roles.

The result has one row per log row: ``case``, ``ts`` (UTC, tz-aware), ``status``, and
``order``, ``opened``, ``resource``, ``group``, ``priority``, ``customer``, ``product`` when
the mapping names them (empty strings otherwise), plus ``line`` (the row's line in the file,
for messages). Timestamps with a UTC offset (``+01:00``, ``Z``) keep it; times without one
are in the mapping's zone.
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from itr_sim.ingest.mapping import Mapping
from itr_sim.model.source import Diagnostic, ScenarioError

__all__ = ["ROLES", "read_rows"]

ROLES = ("case", "status", "timestamp", "order", "opened", "resource", "group", "priority",
         "customer", "product")
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
MAX_REPORTED = 20


def read_rows(path: Path, mapping: Mapping) -> pd.DataFrame:
    shown = str(path)
    if not path.is_file():
        raise ScenarioError([Diagnostic(shown, 0, "", "log file not found")])
    raw = _read_xes(path, mapping) if mapping.format == "xes" else _read_csv(path, mapping)
    if raw.empty:
        raise ScenarioError([Diagnostic(shown, 1, "", "the log has no events (a CSV with only "
                                        "its header, or an XES without events); export the "
                                        "tickets' history, not just its columns")])
    cols = mapping.columns
    named = {role: getattr(cols, role) for role in ROLES if getattr(cols, role) is not None}
    has = [str(c) for c in raw.columns if c != "_line"]
    absent = [(role, c) for role, c in named.items() if c not in raw.columns or c == "_line"]
    if absent:
        listed = ", ".join(has[:15]) + (", ..." if len(has) > 15 else "")
        raise ScenarioError([Diagnostic(
            shown, 1, f"columns.{role}", f"column {c!r} is not in the log (the log has: "
            f"{listed}); name one of its columns in the mapping")
            for role, c in absent])
    out = pd.DataFrame({"line": raw["_line"]})
    missing = set(mapping.missing)
    for role in ROLES:
        column = named.get(role)
        values = raw[column].astype(str).str.strip() if column else pd.Series("", index=raw.index)
        out[role] = values.where(~values.isin(missing), "")
    errors: list[Diagnostic] = []
    out["ts"] = _times(out["timestamp"], out["line"], mapping, shown, "timestamp", errors)
    if named.get("opened"):
        out["opened"] = _times(out["opened"], out["line"], mapping, shown, "opened", errors,
                               optional=True)
    else:
        out["opened"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    empty = out["case"] == ""
    for line in out.loc[empty, "line"].head(MAX_REPORTED):
        errors.append(Diagnostic(shown, int(line), f"columns.case ({cols.case})",
                                 "the case identifier is empty"))
    if errors:
        raise ScenarioError(errors[:MAX_REPORTED] + (
            [Diagnostic(shown, 0, "", f"... and {len(errors) - MAX_REPORTED} more")]
            if len(errors) > MAX_REPORTED else []))
    out["order"] = pd.to_numeric(out["order"], errors="coerce").fillna(0.0)
    return out.drop(columns=["timestamp"])


def _times(text: pd.Series, lines: pd.Series, mapping: Mapping, shown: str, role: str,
           errors: list[Diagnostic], optional: bool = False) -> pd.Series:
    fmt = mapping.timestamp.format
    zone = mapping.timestamp.timezone
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    present = text != ""
    offset = present & text.str.contains(_OFFSET)
    if offset.any():
        with_zone = fmt if fmt and "%z" in fmt else "ISO8601"
        result[offset] = pd.to_datetime(text[offset], format=with_zone, utc=True,
                                        errors="coerce")
    naive = present & ~offset
    if naive.any():
        parsed = pd.to_datetime(text[naive], format=fmt or "ISO8601", errors="coerce")
        result[naive] = parsed.dt.tz_localize(zone, ambiguous="NaT",
                                              nonexistent="shift_forward").dt.tz_convert("UTC")
    bad = present & result.isna()
    if not optional:
        bad |= ~present
    column = getattr(mapping.columns, role)
    for i in bad[bad].index[:MAX_REPORTED]:
        value = text[i]
        errors.append(Diagnostic(
            shown, int(lines[i]), f"columns.{role} ({column})",
            f"{value!r} is not a time in the format {fmt or 'ISO 8601'}" if value else
            "the time is empty",
            ))
    extra = int(bad.sum()) - MAX_REPORTED
    if extra > 0:
        errors.append(Diagnostic(shown, 0, f"columns.{role}", f"... and {extra} more bad "
                                 "time(s); check timestamp.format in the mapping"))
    return result


def _read_csv(path: Path, mapping: Mapping) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, gzip.BadGzipFile, EOFError) as exc:
        raise ScenarioError([Diagnostic(str(path), 0, "", f"cannot read as CSV: "
                                        f"{' '.join(str(exc).split())[:200]}")]) from None
    except pd.errors.EmptyDataError:
        raise ScenarioError([Diagnostic(str(path), 0, "", "the log is empty")]) from None
    raw["_line"] = range(2, len(raw) + 2)  # line 1 is the header (no multi-line fields)
    return raw


def _read_xes(path: Path, mapping: Mapping) -> pd.DataFrame:
    """A small streaming XES reader: one row per event, with the event's attributes and the
    trace's attributes as ``case:KEY``. ``_line`` counts events (XES has no row lines)."""
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[dict[str, str]] = []
    case: dict[str, str] = {}
    event: dict[str, str] | None = None
    depth = first = 0
    try:
        with opener(path, "rb") as handle:
            for kind, elem in ET.iterparse(handle, events=("start", "end")):
                tag = elem.tag.rsplit("}", 1)[-1]
                if kind == "start":
                    if tag == "trace":
                        case, first = {}, len(rows)
                    elif tag == "event":
                        event = {}
                    elif tag in ("string", "date", "int", "float", "boolean", "id"):
                        depth += 1
                    continue
                if tag in ("string", "date", "int", "float", "boolean", "id"):
                    depth -= 1
                    if depth == 0:
                        key, value = elem.get("key"), elem.get("value", "")
                        if key is not None:
                            if event is not None:
                                event[key] = value
                            else:
                                case[f"case:{key}"] = value
                elif tag == "event" and event is not None:
                    rows.append(event)
                    event = None
                    elem.clear()
                elif tag == "trace":
                    for row in rows[first:]:
                        row.update(case)
                    elem.clear()
    except ET.ParseError as exc:
        raise ScenarioError([Diagnostic(str(path), exc.position[0], "",
                                        f"not valid XES/XML: {exc}")]) from None
    raw = pd.DataFrame(rows, dtype=str).fillna("")
    raw["_line"] = range(1, len(raw) + 1)
    return raw

