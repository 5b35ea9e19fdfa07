"""The event log: one row per ticket state change, kept in columns while running.

Rows hold small integers (ticket, event kind, unit and detail codes) and a float time; the
ticket attributes (customer, level, severity, type) are stored once per ticket and joined
when the log is turned into a pandas DataFrame, like the export of an ITSM tool.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum

import numpy as np
import pandas as pd

__all__ = ["Event", "EventLog", "TicketTable"]


class Event(IntEnum):
    ARRIVED = 0
    ENTITLED = 1
    REJECTED = 2
    QUEUED = 3
    ENGAGED = 4
    RELEASED = 5          # handed back to the queue at a shift end
    WAITING_CUSTOMER = 6
    WAITING_VENDOR = 7
    WAITING_PARTS = 8
    RESUMED = 9
    HANDED_OVER = 10
    RESTORED = 11
    RESOLVED = 12
    CLOSED = 13
    COMPLAINT_RAISED = 14
    CALLBACK = 15
    NOTIFIED = 16         # hierarchical escalation notices, added by the clock analysis
    REOPENED = 17         # a closed ticket comes back (unit = the tier that takes it again)
    FIX_PENDING = 18      # solved at the tier (unit); the permanent fix (resolved) follows
    SEVERITY_CHANGED = 19  # KCP gates: detail = the new severity
    MISDISPATCHED = 20    # KCP2: unit = the wrong tier, detail = the right one
    REVIEW_REQUESTED = 21  # KCP3/KCP4: unit = the reviewer, detail = solution/implementation
    REVIEWED = 22         # KCP3/KCP4: detail = "<review> passed" or "<review> failed"
    COMPLAINT_ESCALATED = 23  # a stage's limit passed: the complaint goes to the next stage
    COMPLAINT_OVERDUE = 24    # the last stage's limit passed
    COMPLAINT_MAJOR = 25      # a complaint is major (detail: vip or repeated)
    SURVEY_ANSWERED = 26      # the callback's satisfaction survey was answered
    UPDATE_SENT = 27      # a progress update to the customer (unit = its sender)
    WAITING_ONSITE = 28   # the tier waits for a field engineer's visit (unit = the tier)
    ONSITE_ARRIVED = 29   # the field engineer is on site (unit = the field team)

    @property
    def label(self) -> str:
        return self.name.lower()


EVENT_LABELS = [e.label for e in Event]
"""Labels indexed by event code: the codes run from 0 without gaps."""
assert [e.value for e in Event] == list(range(len(Event))), "event codes must not leave gaps"


def _categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """Interned codes as a categorical of the names they use, in sorted order (as
    ``pd.Categorical(names[codes])`` would give, without building the strings)."""
    if len(codes) == 0:
        return pd.Categorical([], categories=[])
    used = np.flatnonzero(np.bincount(codes, minlength=len(names)))
    labels = np.array([names[i] for i in used], dtype=object)
    order = np.argsort(labels, kind="stable")
    position = np.empty(len(names), dtype=np.int64)
    position[used[order]] = np.arange(len(used))
    return pd.Categorical.from_codes(position[codes], categories=labels[order])


def _attribute(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """A ticket attribute (level, severity) as :func:`_categorical`, the empty name (a ticket
    without a level, a request without a severity) as a missing value."""
    cat = _categorical(codes, names)
    return cat.remove_categories([""]) if "" in cat.categories else cat


def _np(col: array) -> np.ndarray:
    """A view of an ``array.array`` as a NumPy array (no copy)."""
    return np.frombuffer(col, dtype=np.dtype(col.typecode)) if len(col) else \
        np.zeros(0, dtype=np.dtype(col.typecode))


class _Codes:
    """Interns strings into small integer codes."""

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self._index: dict[str, int] = {"": 0}

    def code(self, name: str | None) -> int:
        if not name:
            return 0
        i = self._index.get(name)
        if i is None:
            i = self._index[name] = len(self.names)
            self.names.append(name)
        return i


class TicketTable:
    """Attributes of every ticket, one row per ticket id (0, 1, 2, ...)."""

    def __init__(self) -> None:
        self.codes = _Codes()
        self.kind = array("i")
        self.customer = array("i")
        self.contract = array("i")
        self.level = array("i")
        self.severity = array("i")
        self.type = array("i")
        self.arrived = array("d")
        self.parent = array("i")

    def writer(self) -> Callable[[int, int, int, int, int, int, float, int], None]:
        """How the engine adds a ticket: ``row(kind, customer, contract, level, severity,
        type, arrived, parent)`` with strings already turned into :meth:`codes`."""
        appends = (self.kind.append, self.customer.append, self.contract.append,
                   self.level.append, self.severity.append, self.type.append,
                   self.arrived.append, self.parent.append)
        k, c, n, lv, sv, ty, ar, pa = appends

        def row(kind: int, customer: int, contract: int, level: int, severity: int,
                rtype: int, arrived: float, parent: int) -> None:
            k(kind)
            c(customer)
            n(contract)
            lv(level)
            sv(severity)
            ty(rtype)
            ar(arrived)
            pa(parent)

        return row

    def __len__(self) -> int:
        return len(self.kind)

    def to_frame(self, ids: np.ndarray | None = None) -> pd.DataFrame:
        """One row per ticket, or per ticket of ``ids``."""
        names = self.codes.names
        rows = np.arange(len(self), dtype=np.int64) if ids is None else np.asarray(ids)

        def column(col: array) -> np.ndarray:
            return _np(col)[rows]

        def cat(col: array) -> pd.Categorical:
            return _categorical(column(col), names)

        return pd.DataFrame({
            "ticket": rows.astype(np.int64),
            "kind": cat(self.kind),
            "customer": cat(self.customer),
            "contract": column(self.contract),
            "level": _attribute(column(self.level), names),
            "severity": _attribute(column(self.severity), names),
            "type": cat(self.type),
            "arrived_min": column(self.arrived).astype(float),
            "parent": column(self.parent).astype(np.int64),
        })


class EventLog:
    """Columnar log of ticket state changes. A row is a ticket id, a time and one packed
    integer ``event | unit << 8 | detail << 32`` (unit and detail as string codes), so that
    the engine writes three values per row. Rows are in time order per ticket; the engine
    may write a ticket's last rows ahead of time, so :meth:`to_frame` sorts them by time."""

    def __init__(self, tickets: TicketTable) -> None:
        self.tickets = tickets
        self.codes = tickets.codes
        self.ticket = array("i")
        self.time = array("d")
        self.packed = array("q")

    def writer(self) -> Callable[..., None]:
        """The engine's fast path: ``row(ticket, time, event, unit=0, detail=0)`` with the
        unit and detail already turned into codes (``codes.code(name)``)."""
        t, tm, pk = self.ticket.append, self.time.append, self.packed.append

        def row(ticket: int, time: float, event: int, unit: int = 0, detail: int = 0) -> None:
            t(ticket)
            tm(time)
            pk(event | unit << 8 | detail << 32)

        return row

    def split(self, done: np.ndarray) -> EventLog:
        """Move the rows of the tickets marked in ``done`` (indexed by ticket id) into a new
        log, keep the others; the engine's :meth:`writer` must be taken again afterwards."""
        keep = ~done[_np(self.ticket)] if len(self.ticket) else np.zeros(0, dtype=bool)
        chunk = EventLog(self.tickets)
        for name in ("ticket", "time", "packed"):
            col = getattr(self, name)
            values = _np(col)
            getattr(chunk, name).frombytes(values[~keep].tobytes())
            setattr(self, name, array(col.typecode, values[keep].tobytes()))
        return chunk

    @property
    def ticket_ids(self) -> np.ndarray:
        return _np(self.ticket)

    @property
    def event(self) -> np.ndarray:
        return (_np(self.packed) & 0xFF).astype(np.int8)

    @property
    def unit(self) -> np.ndarray:
        return ((_np(self.packed) >> 8) & 0xFFFFFF).astype(np.int64)

    @property
    def detail(self) -> np.ndarray:
        return (_np(self.packed) >> 32).astype(np.int64)

    def __len__(self) -> int:
        return len(self.ticket)

    def to_frame(self, origin: datetime | None = None) -> pd.DataFrame:
        """The log as a DataFrame, one row per event, with the ticket attributes joined and,
        given the origin (scenario start, time-zone aware), the local wall-clock time."""
        names = self.codes.names
        ticket = _np(self.ticket).astype(np.int64)
        time = _np(self.time).copy()
        event, unit, detail = self.event, self.unit, self.detail
        if len(time) > 1 and not bool(np.all(time[1:] >= time[:-1])):
            order = np.argsort(time, kind="stable")  # rows written ahead (closure) go in place
            ticket, time, event = ticket[order], time[order], event[order]
            unit, detail = unit[order], detail[order]
        frame = pd.DataFrame({
            "ticket": ticket,
            "time_min": time,
            "event": pd.Categorical.from_codes(event, categories=EVENT_LABELS),
            "unit": _categorical(unit, names),
            "detail": _categorical(detail, names),
        })
        if origin is not None:
            stamps = pd.Timestamp(origin) + pd.to_timedelta(time, unit="min")
            frame.insert(2, "time", stamps.tz_convert(origin.tzinfo))
        t = self.tickets
        for col, codes in (("kind", t.kind), ("customer", t.customer), ("type", t.type)):
            frame[col] = _categorical(_np(codes)[ticket], names)
        for col, codes in (("level", t.level), ("severity", t.severity)):
            frame[col] = _attribute(_np(codes)[ticket], names)
        frame = frame[[*frame.columns[:-5], "kind", "customer", "level", "severity", "type"]]
        return frame
