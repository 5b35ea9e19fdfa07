"""The clock table of a whole event log, computed on columns.

:func:`evaluate_clocks` gives the same rows as evaluating every ticket with
:class:`~itr_sim.analysis.clocks.ClockEvaluator` (the reference, whose docstring states the
semantics), but works on arrays: tickets are grouped by (level, severity), whose calendar
and budgets they share, and each clock is a handful of NumPy operations over the group.
Pauses are paired per ticket and laid out as a (k-th pause, ticket) matrix, so that moving
a deadline by its pauses, one after the other, is a loop over k, not over tickets.
Tickets whose severity changed or that were reopened go through the reference evaluator.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from itr_sim.analysis.clocks import (
    CLOCK_COLUMNS,
    SERVICE_STOPS,
    TEXT_COLUMNS,
    VISIBLE,
    ClockEvaluator,
    _Ticket,
)
from itr_sim.calendar import BusinessClock
from itr_sim.engine.log import EVENT_LABELS
from itr_sim.model.catalog import Catalog, ClockName
from itr_sim.units import Duration, DurationKind

if TYPE_CHECKING:
    from itr_sim.engine.replicate import RunResult

__all__ = ["evaluate_clocks", "run_clocks"]

REASONS = ("waiting_customer", "waiting_parts", "waiting_vendor")
ORDER = {"response": 0, "restore": 1, "resolve": 2, "update": 3, "parts": 4, "onsite": 5}
_Row = dict[str, Any]
"""One batch of clock rows: column -> array, or (label, count) for a label repeated count
times (see :func:`_assemble`)."""


class _Codes:
    """String labels as integer codes; code -1 is a missing value."""

    def __init__(self, codes: np.ndarray, labels: list[str]) -> None:
        self.codes = codes
        self.labels = labels
        self._index = {name: i for i, name in enumerate(self.labels)}

    @classmethod
    def of(cls, column: pd.Series) -> _Codes:
        cat = column.astype("category")
        return cls(cat.cat.codes.to_numpy(), [str(x) for x in cat.cat.categories])

    def code(self, name: str) -> int:
        return self._index.get(name, -2)

    def is_(self, name: str) -> np.ndarray:
        return self.codes == self.code(name)

    def in_(self, names: set[str] | tuple[str, ...]) -> np.ndarray:
        wanted = [self._index[n] for n in names if n in self._index]
        return np.isin(self.codes, wanted)


@dataclass
class _Log:
    """The sorted log, one group per (replication, ticket)."""

    group: np.ndarray       # group index of every row
    time: np.ndarray
    event: _Codes
    detail: _Codes
    first_row: np.ndarray   # first row of every group
    end: float

    def __post_init__(self) -> None:
        self._first: dict[str, np.ndarray] = {}
        self._visible: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.first_row)

    def first_time(self, name: str) -> np.ndarray:
        """Time of each group's first ``name`` event (NaN if none), computed once."""
        if name not in self._first:
            self._first[name] = self.first(self.event.is_(name))
        return self._first[name]

    def visible_rows(self) -> np.ndarray:
        """Rows of customer-visible events (the update clock's touches), computed once."""
        if self._visible is None:
            self._visible = np.flatnonzero(self.event.in_(VISIBLE))
        return self._visible

    def first(self, mask: np.ndarray, default: float = np.nan) -> np.ndarray:
        """Time of the first row matching ``mask`` in each group (``default`` if none)."""
        out = np.full(self.size, default)
        rows = np.flatnonzero(mask)
        groups = self.group[rows]
        first = np.r_[True, groups[1:] != groups[:-1]] if len(rows) else np.zeros(0, bool)
        out[groups[first]] = self.time[rows[first]]
        return out


@dataclass
class _Pauses:
    """Paired ``waiting_<reason>`` ... ``resumed`` intervals, sorted by (group, start)."""

    group: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    reason: np.ndarray      # index into REASONS-like labels
    labels: list[str]

    def matrix(self, groups: np.ndarray, allowed: Collection[str]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start, stop and reason of the allowed pauses of ``groups`` (sorted group indices)
        as (k, len(groups)) matrices, padded with NaN; k is the pause's rank in its ticket."""
        codes = [i for i, name in enumerate(self.labels) if name in allowed]
        keep = np.isin(self.reason, codes) & np.isin(self.group, groups)
        g, a, b, r = self.group[keep], self.start[keep], self.stop[keep], self.reason[keep]
        col = np.searchsorted(groups, g)
        if len(g) == 0:
            empty = np.zeros((0, len(groups)))
            return empty, empty, empty.astype(int)
        new = np.r_[True, g[1:] != g[:-1]]
        first = np.maximum.accumulate(np.where(new, np.arange(len(g)), 0))
        k = np.arange(len(g)) - first
        depth = int(k.max()) + 1
        p0 = np.full((depth, len(groups)), np.nan)
        p1 = np.full((depth, len(groups)), np.nan)
        why = np.full((depth, len(groups)), -1)
        p0[k, col], p1[k, col], why[k, col] = a, b, r
        return p0, p1, why


def _sort(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by (replication, ticket, time), keeping the order of equal times."""
    rep = frame["replication"].to_numpy(np.int64)
    tid = frame["ticket"].to_numpy(np.int64)
    time = frame["time_min"].to_numpy(float)
    key = rep * (int(tid.max()) + 1 if len(tid) else 1) + tid
    ordered = len(time) < 2 or bool(np.all((np.diff(time) >= 0) | (np.diff(rep) != 0)))
    order = np.argsort(key, kind="stable") if ordered else np.lexsort((time, key))
    return frame.iloc[order]


def _pair_pauses(log: _Log, is_resumed: np.ndarray) -> _Pauses:
    """Pauses as the reference pairs them: a second ``waiting_x`` while one is open, and a
    ``resumed`` with nothing open, are ignored; one still open ends at the end of the log."""
    labels = sorted(name for name in log.event.labels if name.startswith("waiting_"))
    parts: list[tuple[np.ndarray, ...]] = []
    for code, name in enumerate(labels):
        opens = log.event.is_(name)
        closes = is_resumed & log.detail.is_(name)
        rows = np.flatnonzero(opens | closes)
        if len(rows) == 0:
            continue
        g, is_open = log.group[rows], opens[rows]
        new = np.r_[True, g[1:] != g[:-1]]
        prev_open = np.r_[False, is_open[:-1]] & ~new
        kept = np.where(is_open, ~prev_open, prev_open)
        rows, g, is_open = rows[kept], g[kept], is_open[kept]
        starts = np.flatnonzero(is_open)
        nxt = starts + 1
        closed = nxt < len(rows)
        closed[closed] = (g[nxt[closed]] == g[starts[closed]]) & ~is_open[nxt[closed]]
        stop = np.full(len(starts), log.end)
        stop[closed] = log.time[rows[nxt[closed]]]
        parts.append((g[starts], log.time[rows[starts]], stop, np.full(len(starts), code)))
    if not parts:
        z = np.zeros(0)
        return _Pauses(z.astype(int), z, z, z.astype(int), labels)
    g, a, b, r = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((r, b, a, g))
    return _Pauses(g[order], a[order], b[order], r[order], labels)


class _Batch:
    """Clocks of the tickets of one (level, severity) pair, or of one service."""

    def __init__(self, evaluator: ClockEvaluator, log: _Log, pauses: _Pauses,
                 groups: np.ndarray, bc: BusinessClock) -> None:
        self.ev, self.log, self.pauses, self.groups, self.bc = evaluator, log, pauses, groups, bc
        self.rows: list[_Row] = []
        self._matrices: dict[frozenset[str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def matrix(self, allowed: Collection[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_Pauses.matrix` of this batch's tickets, laid out once per reason set."""
        key = frozenset(allowed)
        if key not in self._matrices:
            self._matrices[key] = self.pauses.matrix(self.groups, allowed)
        return self._matrices[key]

    def paused(self, a: np.ndarray, b: np.ndarray, allowed: Collection[str]
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Covered paused minutes within [a, b] per ticket, in total and by reason."""
        p0, p1, why = self.matrix(allowed)
        total = np.zeros(len(self.groups))
        by_reason = {name: np.zeros(len(self.groups)) for name in REASONS}
        for k in range(p0.shape[0]):
            lo, hi = np.maximum(p0[k], a), np.minimum(p1[k], b)
            hit = hi > lo
            if not hit.any():
                continue
            covered = np.zeros(len(self.groups))
            covered[hit] = self.bc.elapsed_array(lo[hit], hi[hit])
            total += covered
            for r, name in enumerate(self.pauses.labels):
                if name in by_reason:
                    by_reason[name] += np.where(why[k] == r, covered, 0.0)
        return total, by_reason

    def emit(self, clock: str, mask: np.ndarray, start: np.ndarray, stop: np.ndarray,
             deadline: np.ndarray, budget: Duration, elapsed: np.ndarray,
             by_reason: dict[str, np.ndarray] | None, breached: np.ndarray,
             lateness: np.ndarray, severity: str | None, order: int) -> None:
        n = int(mask.sum())
        if n == 0:
            return
        stopped = ~np.isnan(stop[mask])
        status = np.where(breached[mask], 2, np.where(stopped, 1, 0)).astype(np.int8)
        zero = np.zeros(n)
        reasons = by_reason or {}

        def paused(name: str) -> np.ndarray:
            return reasons[name][mask] if name in reasons else zero

        self.rows.append({
            "group": self.groups[mask], "order": np.full(n, order),
            "clock": (clock, n), "cycle": np.ones(n, dtype=np.int64),
            "severity": (severity, n),
            "start_min": start[mask], "stop_min": stop[mask], "deadline_min": deadline[mask],
            "budget": (budget.text, n), "business_elapsed_min": elapsed[mask],
            "paused_waiting_customer_min": paused("waiting_customer"),
            "paused_waiting_vendor_min": paused("waiting_vendor"),
            "paused_waiting_parts_min": paused("waiting_parts"),
            "status": status, "breached": breached[mask], "lateness_min": lateness[mask],
        })

    # -- technical tickets --------------------------------------------------------------
    def clock(self, clock: ClockName, budget: Duration, start: np.ndarray, stop: np.ndarray,
              severity: str, cutoff: int) -> None:
        """A clock from ``start`` to ``stop`` (NaN: still running) with pauses."""
        bc, end = self.bc, np.where(np.isnan(stop), self.log.end, stop)
        allowed = set(self.ev.catalog.pauses(clock))
        deadline = bc.deadline_array(start, budget, nbd_cutoff_min=cutoff)
        paused = np.zeros(len(start))
        by_reason: dict[str, np.ndarray] = {}
        if allowed:
            p0, p1, _ = self.matrix(allowed)
            deadline = bc.extend_array(deadline, start, p0, p1)
            paused, by_reason = self.paused(start, end, allowed)
        elapsed = bc.elapsed_array(start, end) - paused
        breached = end > deadline
        lateness = np.zeros(len(start))
        if breached.any():
            lateness[breached] = bc.elapsed_array(deadline[breached], end[breached])
            if allowed:
                lateness -= self.paused(np.where(breached, deadline, 0.0),
                                        np.where(breached, end, 0.0), allowed)[0]
        self.emit(clock.value, np.ones(len(start), dtype=bool), start, stop, deadline, budget,
                  elapsed, by_reason, breached, lateness, severity, ORDER[clock.value])

    def update(self, budget: Duration, engaged: np.ndarray, stop: np.ndarray,
               severity: str) -> None:
        """The longest gap between customer-visible events against the budget."""
        log, bc = self.log, self.bc
        mask = ~np.isnan(engaged)
        if not mask.any():
            return
        end = np.where(np.isnan(stop), log.end, stop)
        col = np.full(log.size, -1)
        col[self.groups] = np.arange(len(self.groups))
        rows = log.visible_rows()
        rows = rows[col[log.group[rows]] >= 0]
        c, t = col[log.group[rows]], log.time[rows]
        inside = mask[c] & (t >= engaged[c]) & (t <= end[c])
        c, t = c[inside], t[inside]
        ends = np.flatnonzero(mask)
        c = np.concatenate([c, ends])
        t = np.concatenate([t, end[ends]])
        order = np.lexsort((t, c))
        c, t = c[order], t[order]
        new = np.r_[True, c[1:] != c[:-1]]
        prev = np.where(new, engaged[c], np.r_[0.0, t[:-1]])
        allowed = set(self.ev.catalog.pauses(ClockName.UPDATE))
        gap = bc.elapsed_array(prev, t)
        if allowed:
            p0, p1, _ = self.matrix(allowed)
            for k in range(p0.shape[0]):
                lo, hi = np.maximum(p0[k][c], prev), np.minimum(p1[k][c], t)
                hit = hi > lo
                if hit.any():
                    gap[hit] -= bc.elapsed_array(lo[hit], hi[hit])
        starts = np.flatnonzero(new)
        worst = np.maximum(np.maximum.reduceat(gap, starts), 0.0)
        best = (gap == worst[np.cumsum(new) - 1]) & (gap > 0)
        cols, first = np.unique(c[best], return_index=True)
        worst_at = engaged.copy()
        worst_at[cols] = prev[best][first]
        worst_all = np.zeros(len(self.groups))
        worst_all[c[starts]] = worst
        minutes = budget.minutes
        deadline = np.full(len(engaged), np.nan)
        deadline[mask] = bc.add_array(worst_at[mask], minutes)
        breached = worst_all > minutes
        self.emit("update", mask, engaged, stop, deadline, budget, worst_all, None, breached,
                  np.maximum(worst_all - minutes, 0.0), severity, ORDER["update"])

    def parts(self, budget: Duration, severity: str, cutoff: int) -> None:
        """One clock per ``waiting_parts`` pause, without pauses of its own."""
        p = self.pauses
        if "waiting_parts" not in p.labels:
            return
        keep = (p.reason == p.labels.index("waiting_parts")) & np.isin(p.group, self.groups)
        if not keep.any():
            return
        start, stop = p.start[keep], p.stop[keep]
        stop = np.where(stop >= self.log.end, np.nan, stop)
        end = np.where(np.isnan(stop), self.log.end, stop)
        deadline = self.bc.deadline_array(start, budget, nbd_cutoff_min=cutoff)
        breached = end > deadline
        lateness = np.zeros(len(start))
        lateness[breached] = self.bc.elapsed_array(deadline[breached], end[breached])
        sub = _Batch(self.ev, self.log, self.pauses, p.group[keep], self.bc)
        sub.emit("parts", np.ones(len(start), dtype=bool), start, stop, deadline, budget,
                 self.bc.elapsed_array(start, end), None, breached, lateness, severity,
                 ORDER["parts"])
        self.rows += sub.rows


def _technical(ev: ClockEvaluator, log: _Log, pauses: _Pauses, groups: np.ndarray,
               level: str, severity: str) -> list[dict[str, np.ndarray]]:
    spec = ev.catalog.levels[level]
    targets = spec.targets.get(severity)
    if targets is None:
        return []
    bc = ev.coverage.level_clock(level, severity)
    batch = _Batch(ev, log, pauses, groups, bc)
    def first(name: str) -> np.ndarray:
        return log.first_time(name)[groups]

    arrived = first("arrived")
    arrived = np.where(np.isnan(arrived), log.time[log.first_row[groups]], arrived)
    engaged, restored, resolved = first("engaged"), first("restored"), first("resolved")
    cutoff = spec.nbd_cutoff
    for clock, stop in ((ClockName.RESPONSE, engaged),
                        (ClockName.RESTORE, np.where(np.isnan(restored), resolved, restored)),
                        (ClockName.RESOLVE, resolved)):
        budget = getattr(targets, clock.value)
        if budget is not None:
            batch.clock(clock, budget, arrived, stop, severity, cutoff)
    update = targets.update
    if update is not None and update.kind is DurationKind.ELAPSED:
        batch.update(update, engaged, resolved, severity)
    if targets.parts is not None:
        batch.parts(targets.parts, severity, cutoff)
    if targets.onsite is not None:  # tickets with a site visit only
        visit = ~np.isnan(first("waiting_onsite"))
        if visit.any():
            sub = _Batch(ev, log, pauses, groups[visit], bc)
            sub.clock(ClockName.ONSITE, targets.onsite, arrived[visit],
                      first("onsite_arrived")[visit], severity, cutoff)
            batch.rows += sub.rows
    return batch.rows


def _service(ev: ClockEvaluator, log: _Log, pauses: _Pauses, groups: np.ndarray,
             kind: str) -> list[dict[str, np.ndarray]]:
    service = ev.catalog.non_technical if kind == "non_technical" else ev.catalog.complaints
    if service is None:
        return []
    bc = ev.coverage.clock(service.calendar)
    batch = _Batch(ev, log, pauses, groups, bc)
    start = log.time[log.first_row[groups]]
    every = np.ones(len(groups), dtype=bool)
    for order, (name, budget) in enumerate(service.targets.items()):
        stop_event = SERVICE_STOPS.get(name)
        if stop_event is None:
            continue
        stop = log.first_time(stop_event)[groups]
        end = np.where(np.isnan(stop), log.end, stop)
        deadline = bc.deadline_array(start, budget)
        breached = end > deadline
        lateness = np.zeros(len(groups))
        lateness[breached] = bc.elapsed_array(deadline[breached], end[breached])
        batch.emit(name, every, start, stop, deadline, budget, bc.elapsed_array(start, end),
                   None, breached, lateness, None, order)
    return batch.rows


def evaluate_clocks(events: pd.DataFrame, catalog: Catalog, origin: datetime,
                    end_min: float) -> pd.DataFrame:
    """One row per (replication, ticket, clock, cycle), columns :data:`CLOCK_COLUMNS`,
    identical to the reference evaluator's.

    ``events`` needs columns ticket, time_min, event, unit, detail, level, severity (and
    replication, 0 if absent; kind, ``technical`` if absent); ``level``/``severity`` are the
    ticket's at arrival."""
    if len(events) == 0:
        return pd.DataFrame(columns=CLOCK_COLUMNS)
    frame = events if "replication" in events.columns else events.assign(replication=0)
    frame = _sort(frame)
    rep = frame["replication"].to_numpy(np.int64)
    tid = frame["ticket"].to_numpy(np.int64)
    new = np.r_[True, (rep[1:] != rep[:-1]) | (tid[1:] != tid[:-1])]
    log = _Log(np.cumsum(new) - 1, frame["time_min"].to_numpy(float),
               _Codes.of(frame["event"]), _Codes.of(frame["detail"]), np.flatnonzero(new),
               end_min)
    first = log.first_row
    kind = (frame["kind"].iloc[first].astype(object).to_numpy() if "kind" in frame.columns
            else np.full(log.size, "technical", dtype=object))
    return _evaluate(ClockEvaluator(catalog, origin, end_min), log,
                     _Codes.of(frame["level"].iloc[first]),
                     _Codes.of(frame["severity"].iloc[first]), kind, rep[first], tid[first],
                     lambda: frame)


def run_clocks(result: RunResult) -> pd.DataFrame:
    """:func:`evaluate_clocks` of a run, read from the engine's columnar logs without
    building the event DataFrame first (same rows)."""
    reps = result.replications
    first_rep = reps[0]
    labels: dict[str, int] = {}
    remaps = []
    for rep in reps:
        names = rep.tickets.codes.names
        remaps.append(np.array([labels.setdefault(n, len(labels)) for n in names],
                               dtype=np.int64))
    label_list = list(labels)
    tickets = [np.asarray(r.log.ticket_ids, dtype=np.int64) for r in reps]
    sizes = [len(r.tickets) for r in reps]
    offsets = np.cumsum([0, *sizes])
    key = np.concatenate([t + off for t, off in zip(tickets, offsets, strict=False)])
    if len(key) == 0:
        return pd.DataFrame(columns=CLOCK_COLUMNS)
    order = np.argsort(key, kind="stable")   # each log is in time order
    key = key[order]
    new = np.r_[True, key[1:] != key[:-1]]
    time = np.concatenate([r.log.time for r in reps])[order]
    event = np.concatenate([r.log.event for r in reps])[order]
    detail = np.concatenate([m[r.log.detail] for r, m in zip(reps, remaps, strict=True)])
    log = _Log(np.cumsum(new) - 1, time, _Codes(event.astype(np.int64), list(EVENT_LABELS)),
               _Codes(detail[order], label_list), np.flatnonzero(new), first_rep.horizon_min)
    group_key = key[log.first_row]
    rep_index = np.searchsorted(offsets, group_key, side="right") - 1
    tid = group_key - offsets[rep_index]

    def attribute(name: str) -> np.ndarray:
        return np.concatenate([m[np.asarray(getattr(r.tickets, name), dtype=np.int64)]
                               for r, m in zip(reps, remaps, strict=True)])[group_key]

    kind = np.array(label_list, dtype=object)[attribute("kind")]
    replication = np.array([r.replication for r in reps])[rep_index]
    evaluator = ClockEvaluator(result.loaded.catalog, first_rep.origin, first_rep.horizon_min)
    return _evaluate(evaluator, log, _Codes(attribute("level"), label_list),
                     _Codes(attribute("severity"), label_list), kind, replication, tid,
                     lambda: _sort(result.events()))


def _evaluate(evaluator: ClockEvaluator, log: _Log, g_level: _Codes, g_sev: _Codes,
              g_kind: np.ndarray, rep: np.ndarray, tid: np.ndarray,
              frame: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The clock table of a sorted log with the level, severity, kind, replication and
    ticket of each of its groups; ``frame`` gives the event frame in the log's (sorted) row
    order if some tickets need the reference evaluator."""
    catalog = evaluator.catalog
    special = np.zeros(log.size, dtype=bool)
    special[log.group[log.event.in_(("severity_changed", "reopened"))]] = True
    technical = ~np.isin(g_kind, ("non_technical", "complaint"))
    pauses = _pair_pauses(log, log.event.is_("resumed"))
    rows: list[_Row] = []
    for li, level in enumerate(g_level.labels):
        if level not in catalog.levels:
            continue
        for si, severity in enumerate(g_sev.labels):
            groups = np.flatnonzero(technical & ~special & (g_level.codes == li)
                                    & (g_sev.codes == si))
            if len(groups):
                rows += _technical(evaluator, log, pauses, groups, level, severity)
    rejected = np.zeros(log.size, dtype=bool)  # KCP1 rejections have no service clocks
    rejected[log.group[log.event.is_("rejected")]] = True
    for kind in ("non_technical", "complaint"):
        groups = np.flatnonzero((g_kind == kind) & ~special & ~rejected)
        if len(groups):
            rows += _service(evaluator, log, pauses, groups, kind)
    table = _assemble(rows, rep, tid, g_level)
    fallback = np.flatnonzero(special)
    if len(fallback):
        text = dict.fromkeys(TEXT_COLUMNS, object)
        extra = _reference(evaluator, frame(), log, fallback, g_kind).astype(text)
        if not table.empty:
            extra = pd.concat([table.astype(text), extra], ignore_index=True)
        table = extra.astype(dict.fromkeys(TEXT_COLUMNS, "category")).sort_values(
            ["replication", "ticket", "_order", "start_min"], kind="stable")
    return table[CLOCK_COLUMNS].reset_index(drop=True)


def _assemble(rows: list[_Row], rep: np.ndarray, tid: np.ndarray,
              g_level: _Codes) -> pd.DataFrame:
    """The batches' rows as one frame in (replication, ticket, clock order, start) order;
    text columns are categoricals with their categories sorted."""
    if not rows:
        return pd.DataFrame(columns=[*CLOCK_COLUMNS, "_order"])
    labelled = ("clock", "severity", "budget")
    cols = {key: np.concatenate([r[key] for r in rows]) for key in rows[0]
            if key not in labelled}
    for key in labelled:
        cols[key] = _repeat_labels([r[key][0] for r in rows], [r[key][1] for r in rows])
    group = cols.pop("group")
    # one integer key: (replication, ticket, clock order); batches emit a ticket's parts
    # clocks in start order, and a stable sort keeps it
    ticket_key = rep[group] * (int(tid.max()) + 1) + tid[group]
    order = np.argsort(ticket_key * 8 + cols["order"], kind="stable")
    group = group[order]
    cols = {key: value[order] for key, value in cols.items()}
    cols["status"] = pd.Categorical.from_codes(cols["status"], ["open", "met", "breached"]
                                               ).reorder_categories(["breached", "met", "open"])
    out = {"replication": rep[group], "ticket": tid[group],
           "level": _sorted_categorical(g_level.codes[group], g_level.labels), **cols}
    out["_order"] = out.pop("order")
    return pd.DataFrame(out, copy=False)


def _sorted_categorical(codes: np.ndarray, labels: Sequence[str | None]) -> pd.Categorical:
    """``labels[codes]`` (-1, None or the empty label: missing) as a categorical of the labels
    used, sorted."""
    used = sorted({labels[i] for i in np.unique(codes) if i >= 0 and labels[i]})
    position = np.array([used.index(x) if x in used else -1 for x in labels] + [-1])
    return pd.Categorical.from_codes(position[codes], used)


def _repeat_labels(names: list[str | None], counts: list[int]) -> pd.Categorical:
    """``names[i]`` repeated ``counts[i]`` times."""
    unique = list(dict.fromkeys(names))
    return _sorted_categorical(np.repeat([unique.index(x) for x in names], counts), unique)


def _reference(evaluator: ClockEvaluator, frame: pd.DataFrame, log: _Log, groups: np.ndarray,
               kinds: np.ndarray) -> pd.DataFrame:
    """Tickets with severity changes or reopenings, through the reference evaluator."""
    bounds = np.r_[log.first_row, len(log.group)]
    units = frame["unit"].astype(str).to_numpy()
    names = np.array([*log.event.labels, ""], dtype=object)[log.event.codes]
    details = np.array([*log.detail.labels, ""], dtype=object)[log.detail.codes]
    level = frame["level"].astype(object).where(frame["level"].notna(), None).to_numpy()
    sev = frame["severity"].astype(object).where(frame["severity"].notna(), None).to_numpy()
    rep, tid = frame["replication"].to_numpy(), frame["ticket"].to_numpy()
    rows = []
    for g in groups.tolist():
        lo, hi = bounds[g], bounds[g + 1]
        ticket = _Ticket(level[lo], sev[lo], list(zip(
            log.time[lo:hi].tolist(), names[lo:hi].tolist(), units[lo:hi].tolist(),
            details[lo:hi].tolist(), strict=True)), kinds[g])
        for order, row in enumerate(evaluator.ticket(ticket)):
            row.update(replication=rep[lo], ticket=tid[lo], _order=order)
            rows.append(row)
    return pd.DataFrame(rows, columns=[*CLOCK_COLUMNS, "_order"])
