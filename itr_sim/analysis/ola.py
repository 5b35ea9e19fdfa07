"""OLA clocks per tier: from the hand-over to a tier until it resolves or hands over.

Each visit of a ticket to a tier with an OLA budget for the ticket's severity is one clock.
It starts when the ticket is queued at the tier (for the entry tier, on arrival) and stops
when that tier resolves it, hands it over, or closes it under emergency recovery. It runs on
the ticket's coverage calendar (24x7 without an SLA), with its level's NBD cut-off, and
pauses like the resolve clock (a pause still open at the end of the log counts up to the end).
Attribution: an SLA breach is attributed to every tier whose OLA overran before the SLA
clock stopped, and to every vendor whose underpinning contract overran before it stopped.

Response and restore OLAs (a tier's long-form ``ola:``) are clocks of the same visit: the
response OLA stops at the tier's first engagement, the restore OLA when the tier restores
service or hands the ticket over. A vendor clock runs from ``waiting_vendor`` to its
``resumed`` on the contract's calendar (24x7 without one), never paused.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from itr_sim.analysis.clocks import pause_intervals
from itr_sim.calendar import BusinessClock, Calendar
from itr_sim.model.catalog import Catalog, ClockName
from itr_sim.model.org import Organisation
from itr_sim.rules.coverage import Coverage

__all__ = ["OLA_COLUMNS", "VENDOR_COLUMNS", "VISIT_COLUMNS", "attribute_breaches",
           "ola_clocks", "ola_clocks_per_ticket", "vendor_clocks", "visit_tables", "visit_times",
           "visit_times_per_ticket"]

OLA_COLUMNS = ["replication", "ticket", "tier", "severity", "start_min", "stop_min",
               "deadline_min", "breached"]
STOPS = {"resolved", "handed_over", "closed", "fix_pending"}
VENDOR_COLUMNS = ["replication", "ticket", "tier", "level", "severity", "start_min", "stop_min",
                  "deadline_min", "breached"]
VISIT_COLUMNS = ["replication", "ticket", "tier", "level", "severity", "customer", "start_min",
                 "stop_min", "at_tier_min", "handover_min", "resolved_here"]


def _ticket_groups(events: pd.DataFrame, keep: pd.Series):
    """(replication, ticket, level, severity, customer, rows) per ticket of ``events[keep]``
    with rows (time, event, unit, detail) in time order."""
    frame = events[keep].sort_values(["replication", "ticket", "time_min"], kind="stable")
    if len(frame) == 0:
        return
    rep_ = frame["replication"].to_numpy()
    tid_ = frame["ticket"].to_numpy()
    cols = [frame["time_min"].to_numpy(float).tolist(), frame["event"].astype(str).tolist(),
            frame["unit"].astype(str).tolist(), frame["detail"].astype(str).tolist()]
    levels = frame["level"].astype(object).tolist()
    sevs = frame["severity"].astype(object).tolist()
    custs = (frame["customer"].astype(object).tolist() if "customer" in frame
             else [None] * len(frame))
    bounds = np.flatnonzero((rep_[1:] != rep_[:-1]) | (tid_[1:] != tid_[:-1])) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(frame)], strict=True):
        yield (rep_[lo], tid_[lo], levels[lo], sevs[lo], custs[lo],
               list(zip(*(c[lo:hi] for c in cols), strict=True)))


def ola_clocks_per_ticket(events: pd.DataFrame, catalog: Catalog, org: Organisation,
                          origin: datetime, end_min: float,
                          clocks: tuple[str, ...] = ("resolve",)) -> pd.DataFrame:
    """:func:`ola_clocks` ticket by ticket: the reference the vectorised one must equal."""
    coverage = Coverage(catalog, origin)
    always = BusinessClock(Calendar(timezone=org.timezone), origin)
    pausing = {c: set(catalog.pauses(ClockName(c))) for c in clocks}
    tiers = {name: t for name, t in org.tiers.items() if t.ola}
    event = events["event"].astype(str)
    keep = events["unit"].isin(list(tiers)) | event.str.startswith("waiting") \
        | (event == "resumed")
    rows = []
    for rep, tid, level, severity, customer, ticket_events in _ticket_groups(events, keep):
        if not isinstance(severity, str):
            continue
        all_pauses = pause_intervals(ticket_events, end_min)
        visits: list[tuple[str, float, float | None, float | None, float | None]] = []
        # unit -> (queued at, [engaged at, restored at]) of its open visit
        open_at: dict[str, tuple[float, list[float | None]]] = {}
        for t, name, unit, _ in ticket_events:
            if name == "queued" and unit in tiers and unit not in open_at:
                open_at[unit] = (t, [None, None])
            elif unit in open_at:
                marks = open_at[unit][1]
                if name == "engaged" and marks[0] is None:
                    marks[0] = t
                elif name == "restored" and marks[1] is None:
                    marks[1] = t
                elif name in STOPS:
                    start, (engaged, restored) = open_at.pop(unit)
                    visits.append((unit, start, t, engaged, restored))
        visits += [(unit, start, None, engaged, restored)
                   for unit, (start, (engaged, restored)) in open_at.items()]
        for unit, start, stop, engaged, restored in visits:
            for clock in clocks:
                budget = tiers[unit].ola_budget(
                    severity, clock, customer if isinstance(customer, str) else None)
                if budget is None:
                    continue
                end = {"resolve": stop, "response": engaged,
                       "restore": stop if restored is None else restored}[clock]
                assert start is not None
                finish = end_min if end is None else end
                mine = [(a, b) for a, b, why in all_pauses
                        if why in pausing[clock] and a < finish]
                if isinstance(level, str):
                    deadline = coverage.budget_deadline(level, severity, budget, start, mine)
                else:
                    deadline = always.extend(always.deadline(start, budget), start, mine)
                row = (rep, tid, unit, severity, start, math.nan if end is None else end,
                       deadline, bool(finish > deadline))
                rows.append(row if clocks == ("resolve",) else (*row, clock))
    columns = OLA_COLUMNS if clocks == ("resolve",) else [*OLA_COLUMNS, "clock"]
    return pd.DataFrame(rows, columns=columns)


def ola_clocks(events: pd.DataFrame, catalog: Catalog, org: Organisation, origin: datetime,
               end_min: float, clocks: tuple[str, ...] = ("resolve",)) -> pd.DataFrame:
    """One row per tier visit and OLA clock (columns :data:`OLA_COLUMNS`, and ``clock``
    when ``clocks`` asks for more than the resolve clock): per ticket, the visits closed in
    the order they closed, then those still open in the order they opened.

    Vectorised over the whole log: visits and pauses are paired per ticket on arrays
    (:func:`_pair`), deadlines computed per calendar and budget with
    :meth:`~itr_sim.calendar.BusinessClock.deadline_array` and moved by the pauses with
    :meth:`~itr_sim.calendar.BusinessClock.extend_array`; :func:`ola_clocks_per_ticket` is
    the ticket-by-ticket reference it equals."""
    columns = OLA_COLUMNS if clocks == ("resolve",) else [*OLA_COLUMNS, "clock"]
    tiers = {name: t for name, t in org.tiers.items() if t.ola}
    event = _strings(events["event"])
    keep = events["unit"].isin(list(tiers)).to_numpy(bool) | _startswith(event, "waiting") \
        | (event == "resumed")
    f = events[keep]
    if len(f) == 0:
        return pd.DataFrame([], columns=columns)
    order = np.lexsort((f["time_min"].to_numpy(float), f["ticket"].to_numpy(),
                        f["replication"].to_numpy()))
    f = f.iloc[order]
    n = len(f)
    rep, tid = f["replication"].to_numpy(), f["ticket"].to_numpy()
    new = np.r_[True, (rep[1:] != rep[:-1]) | (tid[1:] != tid[:-1])]
    grp = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    levels = f["level"].astype(object).to_numpy()[first]
    sevs = f["severity"].astype(object).to_numpy()[first]
    custs = (f["customer"].astype(object).to_numpy()[first] if "customer" in f
             else np.full(len(first), None, dtype=object))
    time = f["time_min"].to_numpy(float)
    name = event[keep][order]
    unit = _strings(f["unit"])
    detail = _strings(f["detail"])
    at_tier = np.isin(unit, list(tiers))
    key = _codes(grp, unit)
    # visits: queued at a tier with an OLA until that tier resolves, hands over or closes
    opens, opened_at = _pair(key, (name == "queued") & at_tier,
                             np.isin(name, list(STOPS)) & at_tier)
    close = np.flatnonzero(opened_at >= 0)
    still = np.setdiff1d(np.flatnonzero(opens), opened_at[close])
    v_open = np.r_[opened_at[close], still]
    v_close = np.r_[close, np.full(len(still), n)]  # n: open at the end of the log
    v_grp = grp[v_open]
    # the first engagement and the first restoration within each visit, at its tier
    by_start = np.argsort(key[v_open] * (n + 1) + v_open, kind="stable")
    starts = (key[v_open] * (n + 1) + v_open)[by_start]

    def first_in_visit(rows: np.ndarray) -> np.ndarray:
        at = np.full(len(v_open), np.nan)
        if len(rows) == 0 or len(v_open) == 0:
            return at
        i = np.searchsorted(starts, key[rows] * (n + 1) + rows, side="right") - 1
        v = by_start[np.maximum(i, 0)]
        inside = (i >= 0) & (key[v_open[v]] == key[rows]) & (rows < v_close[v])
        hits = pd.Series(rows[inside]).groupby(v[inside]).min()
        at[hits.index.to_numpy()] = time[hits.to_numpy()]
        return at

    engaged = first_in_visit(np.flatnonzero((name == "engaged") & at_tier))
    restored = first_in_visit(np.flatnonzero((name == "restored") & at_tier))
    v_start = time[v_open]
    v_stop = np.where(v_close < n, time[np.minimum(v_close, n - 1)], np.nan)
    # pauses: waiting_<reason> to the resumed with that detail; one still open ends at end
    is_wait = _startswith(name, "waiting_")
    reason = np.where(is_wait, name, detail)
    p_open, p_from = _pair(_codes(grp, reason), is_wait, name == "resumed")
    p_close = np.flatnonzero(p_from >= 0)
    p_still = np.setdiff1d(np.flatnonzero(p_open), p_from[p_close])
    pauses = pd.DataFrame({"grp": np.r_[grp[p_close], grp[p_still]],
                           "a": np.r_[time[p_from[p_close]], time[p_still]],
                           "b": np.r_[time[p_close], np.full(len(p_still), end_min)],
                           "why": np.r_[reason[p_close], reason[p_still]]})
    coverage = Coverage(catalog, origin)
    always = BusinessClock(Calendar(timezone=org.timezone), origin)
    # what a visit's deadline depends on: its tier, level, severity and customer
    combo, where = _combos(unit[v_open], levels[v_grp], sevs[v_grp], custs[v_grp])
    parts = []
    for c_index, clock in enumerate(clocks):
        end = {"resolve": v_stop, "response": engaged,
               "restore": np.where(np.isnan(restored), v_stop, restored)}[clock]
        finish = np.where(np.isnan(end), end_min, end)
        mine = pauses[pauses["why"].isin(sorted(catalog.pauses(ClockName(clock))))]
        # one array computation per calendar, budget and NBD cut-off
        kinds: dict[tuple[int, int, int], list[int]] = {}
        specs = {}
        for i, (u, level, sev, cust) in enumerate(combo):
            if not isinstance(sev, str):
                continue
            b = tiers[str(u)].ola_budget(sev, clock, cust if isinstance(cust, str) else None)
            if b is None:
                continue
            bc, cutoff = (coverage.level_clock(level, sev), catalog.levels[level].nbd_cutoff) \
                if isinstance(level, str) else (always, 15 * 60)
            specs[(id(bc), id(b), cutoff)] = (bc, b, cutoff)
            kinds.setdefault((id(bc), id(b), cutoff), []).append(i)
        has = np.flatnonzero(np.isin(where, [i for js in kinds.values() for i in js]))
        deadline = np.full(len(v_open), np.nan)
        for k, js in kinds.items():
            bc, b, cutoff = specs[k]
            v = np.flatnonzero(np.isin(where, js))
            d = bc.deadline_array(v_start[v], b, nbd_cutoff_min=cutoff)
            p0, p1 = _pause_matrix(mine, v_grp[v], finish[v])
            deadline[v] = bc.extend_array(d, v_start[v], p0, p1)
        deadline = deadline[has]
        parts.append(pd.DataFrame({
            "order_grp": v_grp[has], "order_open": (v_close[has] == n).astype(int),
            "order_row": np.where(v_close[has] < n, v_close[has], v_open[has]),
            "order_clock": c_index,
            "replication": rep[v_open[has]], "ticket": tid[v_open[has]],
            "tier": unit[v_open[has]], "severity": sevs[v_grp[has]],
            "start_min": v_start[has], "stop_min": end[has], "deadline_min": deadline,
            "breached": finish[has] > deadline, "clock": clock}))
    rows = pd.concat(parts, ignore_index=True).sort_values(
        ["order_grp", "order_open", "order_row", "order_clock"], kind="stable")
    if len(rows) == 0:
        return pd.DataFrame([], columns=columns)
    out = rows[columns].reset_index(drop=True)
    return out.astype({"tier": str, "severity": str, "start_min": float, "stop_min": float,
                       "deadline_min": float, "breached": bool})


def _combos(*columns: np.ndarray) -> tuple[list[tuple[object, ...]], np.ndarray]:
    """The distinct rows of ``columns`` (object arrays; None and NaN kept as values) and,
    per row, the index of its distinct row."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        c, uniques = pd.factorize(column, use_na_sentinel=False)
        codes = codes * (len(uniques) + 1) + c
    where, _ = pd.factorize(codes)
    firsts = np.unique(where, return_index=True)[1]
    return [tuple(c[i] for c in columns) for i in firsts.tolist()], where


def _pause_matrix(pauses: pd.DataFrame, grp: np.ndarray, finish: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The (k, n) matrices of :meth:`~itr_sim.calendar.BusinessClock.extend_array`: for
    clock ``i`` (its ticket ``grp[i]``), the starts and ends of the ticket's ``pauses`` that
    begin before ``finish[i]``, in order of start (then end), NaN padded."""
    clocks = pd.DataFrame({"grp": grp, "finish": finish, "i": np.arange(len(grp))})
    both = clocks.merge(pauses, on="grp")
    both = both[both["a"] < both["finish"]].sort_values(["i", "a", "b"], kind="stable")
    if len(both) == 0:
        return np.empty((0, len(grp))), np.empty((0, len(grp)))
    i = both["i"].to_numpy()
    k = np.arange(len(i)) - np.searchsorted(i, i, side="left")
    p0 = np.full((int(k.max()) + 1, len(grp)), np.nan)
    p1 = p0.copy()
    p0[k, i] = both["a"].to_numpy(float)
    p1[k, i] = both["b"].to_numpy(float)
    return p0, p1


def vendor_clocks(events: pd.DataFrame, catalog: Catalog, org: Organisation,
                  origin: datetime, end_min: float) -> pd.DataFrame:
    """One row per wait for a vendor under an underpinning contract (a tier's
    ``waiting.vendor.contract``): from ``waiting_vendor`` to its ``resumed`` (the end of the
    log while still open), against the contract's target on its calendar."""
    contracts = {name: t.waiting.vendor.contract for name, t in org.tiers.items()
                 if t.waiting.vendor is not None and t.waiting.vendor.contract is not None}
    if not contracts:
        return pd.DataFrame(columns=VENDOR_COLUMNS)
    clocks = {name: BusinessClock(catalog.calendar(c.calendar) if c.calendar
                                  else Calendar(timezone=org.timezone), origin)
              for name, c in contracts.items()}
    event = events["event"].astype(str)
    keep = events["unit"].isin(list(contracts)) & event.isin(["waiting_vendor", "resumed"])
    rows = []
    for rep, tid, level, severity, _, ticket_events in _ticket_groups(events, keep):
        open_at: dict[str, float] = {}
        spans: list[tuple[str, float, float | None]] = []
        for t, name, unit, detail in ticket_events:
            if name == "waiting_vendor":
                open_at[unit] = t
            elif name == "resumed" and detail == "waiting_vendor" and unit in open_at:
                spans.append((unit, open_at.pop(unit), t))
        spans += [(unit, a, None) for unit, a in open_at.items()]
        for unit, a, b in spans:
            contract, bc = contracts[unit], clocks[unit]
            deadline = bc.deadline(a, contract.target)
            finish = end_min if b is None else b
            rows.append((rep, tid, unit, level, severity, a, math.nan if b is None else b,
                         deadline, bool(finish > deadline)))
    return pd.DataFrame(rows, columns=VENDOR_COLUMNS)


def _pair(keys: np.ndarray, is_open: np.ndarray, is_close: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Open/close pairs of a state machine per key (rows in time order within a key): an
    open row opens when its key is closed (a repeated open is ignored), a close row closes
    it when open (otherwise it is ignored). Per row: whether it opens, and for a row that
    closes the position of its opening row (-1 otherwise)."""
    n = len(keys)
    opens_out, from_out = np.zeros(n, bool), np.full(n, -1)
    rows = np.flatnonzero(is_open | is_close)
    if len(rows) == 0:
        return opens_out, from_out
    order = rows[np.argsort(keys[rows], kind="stable")]
    k, o = keys[order], is_open[order]
    same = np.r_[False, k[1:] == k[:-1]]
    prev_open = np.r_[False, o[:-1]] & same
    opens, closes = o & ~prev_open, ~o & prev_open
    segment = np.cumsum(~same)
    last = pd.Series(np.where(opens, order, np.nan)).groupby(segment).ffill()
    opens_out[order[opens]] = True
    from_out[order[closes]] = last.to_numpy()[closes].astype(int)
    return opens_out, from_out


def _codes(grp: np.ndarray, values: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    return grp.astype(np.int64) * (len(uniques) + 1) + codes


def _strings(series: pd.Series) -> np.ndarray:
    """A column as an object array of strings (as ``astype(str)``), fast on categoricals."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = np.array([str(c) for c in series.cat.categories] + ["nan"], dtype=object)
        return cats[series.cat.codes.to_numpy()]
    return series.astype(str).to_numpy(dtype=object)


def visit_times(events: pd.DataFrame, catalog: Catalog, org: Organisation, origin: datetime,
                end_min: float, clock: str = "resolve") -> pd.DataFrame:
    """Per tier visit of a ticket with an SLA level: the time it spent at the tier as the
    tier's OLA clock on ``clock`` measures it (covered minutes of the level's calendar for
    its severity, less the waits that pause that clock), and the hand-over delay that
    followed (same covered minutes; NaN when the tier did not hand over). A ``restore``
    visit ends when the tier restores service (later visits are left out: the clock has
    stopped); a ``response`` visit is the entry tier's, until an agent first engages.
    Visits still open at the end of the log are left out (their time is censored).

    Vectorised over the whole log (pandas, NumPy); :func:`visit_times_per_ticket` is the
    ticket-by-ticket reference it equals. :func:`visit_tables` measures several clocks in
    one pass."""
    return visit_tables(events, catalog, org, origin, end_min, (clock,))[clock]


def visit_tables(events: pd.DataFrame, catalog: Catalog, org: Organisation, origin: datetime,
                 end_min: float, clocks: tuple[str, ...] = ("resolve",)
                 ) -> dict[str, pd.DataFrame]:
    """:func:`visit_times` of each clock in ``clocks``, sharing the work on the log."""
    coverage = Coverage(catalog, origin)
    tiers = list(org.tiers)
    entry = org.entry_tier()
    event = _strings(events["event"])
    waits = _startswith(event, "waiting")
    keep = events["unit"].isin(tiers).to_numpy(bool) | waits | (event == "resumed")
    f = events[keep]
    order = np.lexsort((f["time_min"].to_numpy(float), f["ticket"].to_numpy(),
                        f["replication"].to_numpy()))
    f = f.iloc[order]
    if len(f) == 0:
        return {c: pd.DataFrame(columns=VISIT_COLUMNS) for c in clocks}
    rep, tid = f["replication"].to_numpy(), f["ticket"].to_numpy()
    new = np.r_[True, (rep[1:] != rep[:-1]) | (tid[1:] != tid[:-1])]
    grp = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    levels = f["level"].astype(object).to_numpy()[first]
    sevs = f["severity"].astype(object).to_numpy()[first]
    custs = (f["customer"].astype(object).to_numpy()[first] if "customer" in f
             else np.full(len(first), None, dtype=object))
    valid = np.array([isinstance(a, str) and isinstance(b, str)
                      for a, b in zip(levels, sevs, strict=True)], dtype=bool)
    time = f["time_min"].to_numpy(float)
    name = event[keep][order]
    unit = _strings(f["unit"])
    detail = _strings(f["detail"])
    at_tier = np.isin(unit, tiers)
    unit_keys = _codes(grp, unit)
    # pauses: waiting_<reason> to the resumed with that detail; one still open ends at end
    is_wait = _startswith(name, "waiting_")
    reason = np.where(is_wait, name, detail)
    p_open, p_from = _pair(_codes(grp, reason), is_wait, name == "resumed")
    p_close = np.flatnonzero(p_from >= 0)
    still = np.setdiff1d(np.flatnonzero(p_open), p_from[p_close])
    pa = np.r_[time[p_from[p_close]], time[still]]
    pb = np.r_[time[p_close], np.full(len(still), end_min)]
    pg = np.r_[grp[p_close], grp[still]]
    pr = np.r_[reason[p_close], reason[still]]
    calendar_of = {(lv, sv): coverage.calendar_of(lv, sv)
                   for lv, sv in set(zip(levels[valid], sevs[valid], strict=True))}
    out = {}
    for clock in clocks:
        pausing = sorted(catalog.pauses(ClockName(clock)))
        stops = {"resolve": STOPS, "restore": STOPS | {"restored"},
                 "response": {"engaged"}}[clock]
        opens, opened_at = _pair(unit_keys, (name == "queued") & at_tier,
                                 np.isin(name, list(stops)) & at_tier)
        close = np.flatnonzero(opened_at >= 0)
        # the hand-over reaches the next tier at the ticket's next opening queue, unless
        # another visit closed first
        marks = np.flatnonzero(opens | (opened_at >= 0))
        nxt = np.r_[marks[1:], marks[-1]] if len(marks) else marks
        follows = (nxt != marks) & (grp[nxt] == grp[marks]) & opens[nxt]
        reached_at = np.full(len(f), np.nan)
        reached_at[marks[follows]] = time[nxt[follows]]
        how = name[close]
        if clock != "resolve":  # the clock stops at the first close not a hand-over
            ends = pd.Series(np.where(how != "handed_over", close, np.iinfo(np.int64).max))
            brk = ends.groupby(grp[close]).transform("min").to_numpy()
            close = close[close <= brk]
        if clock == "response":
            g0 = grp[close]
            close = close[np.r_[True, g0[1:] != g0[:-1]] & (unit[close] == entry)]
        close = close[valid[grp[close]]]
        how, g = name[close], grp[close]
        start, stop = time[opened_at[close]], time[close]
        reached = np.where(how == "handed_over", reached_at[close], np.nan)
        use = np.isin(pr, pausing)
        visits = pd.DataFrame({"grp": g, "start": start, "stop": stop, "v": np.arange(len(g))})
        both = visits.merge(pd.DataFrame({"grp": pg[use], "a": pa[use], "b": pb[use]}),
                            on="grp")
        both = both[(both["b"] > both["start"]) & (both["a"] < both["stop"])]
        cal = np.array([calendar_of[(levels[i], sevs[i])] for i in g], dtype=object)
        at, hand, paused = np.zeros(len(g)), np.full(len(g), np.nan), np.zeros(len(g))
        pv = both["v"].to_numpy(int)
        for calendar in sorted(set(cal.tolist())):
            bc = coverage.clock(calendar)
            mine = cal == calendar
            at[mine] = bc.elapsed_array(start[mine], stop[mine])
            has = mine & ~np.isnan(reached)
            hand[has] = bc.elapsed_array(stop[has], reached[has])
            sel = mine[pv]
            lo = np.maximum(both["a"].to_numpy(float)[sel], both["start"].to_numpy(float)[sel])
            hi = np.minimum(both["b"].to_numpy(float)[sel], both["stop"].to_numpy(float)[sel])
            np.add.at(paused, pv[sel], bc.elapsed_array(lo, hi))
        out[clock] = pd.DataFrame({
            "replication": rep[first][g], "ticket": tid[first][g], "tier": unit[close],
            "level": levels[g], "severity": sevs[g], "customer": custs[g],
            "start_min": start, "stop_min": stop, "at_tier_min": at - paused,
            "handover_min": hand, "resolved_here": how != "handed_over"},
            columns=VISIT_COLUMNS)
    return out


def _startswith(values: np.ndarray, prefix: str) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    hits = np.array([str(u).startswith(prefix) for u in uniques] + [False], dtype=bool)
    return hits[codes]


def visit_times_per_ticket(events: pd.DataFrame, catalog: Catalog, org: Organisation,
                           origin: datetime, end_min: float, clock: str = "resolve"
                           ) -> pd.DataFrame:
    """:func:`visit_times` ticket by ticket: the reference the vectorised one must equal.
    Per tier visit of a ticket with an SLA level: the time it spent at the tier as the
    tier's OLA clock on ``clock`` measures it (covered minutes of the level's calendar for
    its severity, less the waits that pause that clock), and the hand-over delay that
    followed (same covered minutes; NaN when the tier did not hand over). A ``restore``
    visit ends when the tier restores service (later visits are left out: the clock has
    stopped); a ``response`` visit is the entry tier's, until an agent first engages.
    Visits still open at the end of the log are left out (their time is censored)."""
    coverage = Coverage(catalog, origin)
    pausing = set(catalog.pauses(ClockName(clock)))
    tiers = set(org.tiers)
    entry = org.entry_tier()
    event = events["event"].astype(str)
    keep = events["unit"].isin(list(tiers)) | event.str.startswith("waiting") \
        | (event == "resumed")
    stops = {"resolve": STOPS, "restore": STOPS | {"restored"}, "response": {"engaged"}}[clock]
    rows = []
    for rep, tid, level, severity, customer, ticket_events in _ticket_groups(events, keep):
        if not isinstance(severity, str) or not isinstance(level, str):
            continue
        bc = coverage.level_clock(level, severity)
        pauses = [(a, b) for a, b, why in pause_intervals(ticket_events, end_min)
                  if why in pausing]
        visits: list[list] = []
        open_at: dict[str, float] = {}
        for t, name, unit, _ in ticket_events:
            if name == "queued" and unit in tiers and unit not in open_at:
                if visits and visits[-1][3] == "handed_over" and visits[-1][4] is None:
                    visits[-1][4] = t
                open_at[unit] = t
            elif name in stops and unit in open_at:
                visits.append([unit, open_at.pop(unit), t, name, None])
                if clock != "resolve" and name != "handed_over":
                    break  # restored, or first engaged: the clock stopped
        if clock == "response":
            visits = [v for v in visits[:1] if v[0] == entry and v[3] == "engaged"]
        for unit, start, stop, how, reached in visits:
            paused = sum(bc.elapsed(max(a, start), min(b, stop)) for a, b in pauses
                         if b > start and a < stop)
            hand = bc.elapsed(stop, reached) if how == "handed_over" and reached is not None \
                else math.nan
            rows.append((rep, tid, unit, level, severity, customer, start, stop,
                         bc.elapsed(start, stop) - paused, hand, how != "handed_over"))
    return pd.DataFrame(rows, columns=VISIT_COLUMNS)


def attribute_breaches(clocks: pd.DataFrame, olas: pd.DataFrame,
                       vendors: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each breached SLA clock, the tiers whose OLA overran before the SLA clock
    stopped (``tiers`` is a comma-separated list, empty when no OLA overran); a vendor whose
    underpinning contract overran first is named ``vendor@TIER``."""
    breached = clocks[clocks["breached"] & clocks["clock"].isin(
        ["response", "restore", "resolve"])]
    overran = olas[olas["breached"]]
    by_ticket: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for r in overran.itertuples(index=False):
        by_ticket.setdefault((r.replication, r.ticket), []).append((r.deadline_min, r.tier))
    if vendors is not None:
        for r in vendors[vendors["breached"]].itertuples(index=False):
            by_ticket.setdefault((r.replication, r.ticket), []).append(
                (r.deadline_min, f"vendor@{r.tier}"))
    rows = []
    for c in breached.itertuples(index=False):
        stop = c.stop_min if not np.isnan(c.stop_min) else math.inf
        tiers = [t for d, t in sorted(by_ticket.get((c.replication, c.ticket), []))
                 if d < stop]
        rows.append((c.replication, c.ticket, c.clock, c.level, c.severity,
                     ",".join(dict.fromkeys(tiers))))
    return pd.DataFrame(rows, columns=["replication", "ticket", "clock", "level", "severity",
                                       "tiers"])
