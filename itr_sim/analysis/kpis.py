"""Operational KPIs from the event log, per replication (definitions in docs/kpis.md).

Every function takes the event log (with a ``replication`` column), the ticket table (with
``warmup``) and returns one row per replication and key, so that :mod:`summary` can give
means with confidence intervals. Tickets that arrived during the warm-up are left out; time
windows run from the end of the warm-up to the end of the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from itr_sim.engine.staffing import Staffing
from itr_sim.units import MINUTES_PER_DAY

__all__ = ["LONG_STANDING_MIN", "OUTCOMES", "attainment", "backlog", "busy_minutes",
           "clock_hours", "clock_times", "entitlement_counts", "hour_stats", "no_sla_hours",
           "only_kept", "quality", "service_counts", "sessions",
           "shift_utilisation", "ticket_counts", "tier_counts", "tier_figures", "tier_periods",
           "tier_rates",
           "utilisation", "utilisation_of", "waits", "with_attainment"]

LONG_STANDING_MIN = 30 * MINUTES_PER_DAY
"""A fix is long-standing when its resolve clock is still running and more than 30 days late,
days counted as on the clock: covered time of its calendar (``lateness_min``), as the
catalogue's ``at: "+30d"`` rung counts them."""

OUTCOMES = ("entitled", "emergency_only", "rejected", "best_effort")
"""KCP1 outcomes (:class:`itr_sim.rules.entitlement.Outcome`), in the order of the summary."""

SESSION_ENDS = ("released", "waiting_customer", "waiting_vendor", "waiting_parts",
                "waiting_onsite", "handed_over", "resolved", "closed", "fix_pending",
                "review_requested", "reviewed", "callback", "complaint_escalated")


def only_kept(frame: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` of tickets that arrived after the warm-up."""
    return frame.merge(tickets.loc[~tickets["warmup"], ["replication", "ticket"]],
                       on=["replication", "ticket"])


def attainment(clocks: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Per replication, level, severity and clock: clocks that are due (stopped, or open past
    their deadline) and the share met."""
    c = only_kept(clocks, tickets)
    c = c[c["status"] != "open"]
    c = c[c["severity"].notna()]
    grouped = c.groupby(["replication", "level", "severity", "clock"], observed=True)
    return with_attainment(grouped["breached"].agg(n="size", breached="sum").reset_index())


def with_attainment(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` (columns ``n`` due clocks and ``breached``) with ``attainment``, the share
    of due clocks that met their deadline."""
    return counts.assign(attainment=1.0 - counts["breached"] / counts["n"])


def ticket_counts(tickets: pd.DataFrame) -> pd.DataFrame:
    """Per replication and kind: tickets that arrived after the warm-up and those closed."""
    kept = tickets[~tickets["warmup"]]
    return kept.groupby(["replication", "kind"], observed=True).agg(
        arrived=("ticket", "size"), closed=("closed", "sum")).reset_index()


def service_counts(clocks: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Per replication, kind and clock: due clocks (``n``) of non-technical requests and
    complaints, and those ``breached``."""
    kept = tickets.loc[~tickets["warmup"], ["replication", "ticket", "kind"]]
    c = clocks.merge(kept, on=["replication", "ticket"])
    c = c[c["kind"].astype(str).isin(["non_technical", "complaint"]) & (c["status"] != "open")]
    return c.groupby(["replication", "kind", "clock"], observed=True)["breached"].agg(
        n="size", breached="sum").reset_index()


def clock_hours(clocks: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Stopped SLA clocks of the tickets after the warm-up, with ``hours``: wall-clock hours
    from start to stop."""
    c = only_kept(clocks, tickets)
    c = c[c["stop_min"].notna() & c["severity"].notna()]
    return c.assign(hours=(c["stop_min"] - c["start_min"]) / 60.0)


def clock_times(clocks: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Wall-clock hours from start to stop of stopped clocks (pooled over replications)."""
    return hour_stats(clock_hours(clocks, tickets), ["level", "severity", "clock"])


def hour_stats(hours: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean, median (p50), 90th percentile (p90) and count (n) of the column ``hours`` by
    ``keys``, pooled over replications."""
    return hours.groupby(keys, observed=True)["hours"].agg(
        mean="mean", p50="median", p90=lambda x: float(np.quantile(x, 0.9)), n="size"
    ).reset_index()


def _outcomes(ev: pd.DataFrame) -> pd.DataFrame:
    """replication, ticket, outcome: the KCP1 outcome each ticket of ``ev`` was logged with
    (the ``entitled`` event's detail, or ``rejected``); complaints have none."""
    name = ev["event"].astype(str)
    done = ev[(name == "entitled") | (name == "rejected")]
    outcome = done["detail"].astype(str).where(done["event"].astype(str) == "entitled",
                                               "rejected")
    return pd.DataFrame({"replication": done["replication"].to_numpy(),
                         "ticket": done["ticket"].to_numpy(), "outcome": outcome.to_numpy()})


def entitlement_counts(events: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Per replication and KCP1 outcome (:data:`OUTCOMES`, every one, zero when none): the
    customer tickets after the warm-up that got it (``arrived``) and those ``closed``, from
    the ``entitled`` and ``rejected`` events of the log."""
    found = _outcomes(only_kept(events, tickets)).merge(
        tickets[["replication", "ticket", "closed"]], on=["replication", "ticket"])
    counts = found.groupby(["replication", "outcome"]).agg(
        arrived=("ticket", "size"), closed=("closed", "sum"))
    grid = pd.MultiIndex.from_product([sorted(tickets["replication"].unique()), OUTCOMES],
                                      names=["replication", "outcome"])
    return counts.reindex(grid, fill_value=0).reset_index()


def no_sla_hours(events: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Served technical tickets without an SLA (``emergency_only``, ``best_effort``) after
    the warm-up, one row per measure reached: replication, ticket, outcome, severity,
    clock, hours. ``restore``: wall-clock hours from arrival to the first ``restored``
    (else ``resolved``); ``resolve``: to ``resolved`` (an emergency-only ticket is closed at
    its restoration and has none). Tickets not there yet by the end have no row."""
    ev = only_kept(events, tickets)
    ev = ev[ev["kind"].astype(str) == "technical"]
    served = _outcomes(ev)
    served = served[served["outcome"].isin(["emergency_only", "best_effort"])]
    keys = ["replication", "ticket"]
    mine = ev.merge(served[keys], on=keys)
    name = mine["event"].astype(str)

    def first(event: str) -> pd.Series:
        return mine[name == event].groupby(keys)["time_min"].min()

    arrived, restored, resolved = first("arrived"), first("restored"), first("resolved")
    stops = {"restore": restored.combine_first(resolved), "resolve": resolved}
    base = served.merge(mine.groupby(keys, observed=True)["severity"].first().reset_index(),
                        on=keys)
    rows = []
    for clock, stop in stops.items():
        hours = ((stop - arrived) / 60.0).dropna().rename("hours").reset_index()
        rows.append(base.merge(hours, on=keys).assign(clock=clock))
    return pd.concat(rows, ignore_index=True)[
        ["replication", "ticket", "outcome", "severity", "clock", "hours"]]


def sessions(events: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Service sessions (replication, ticket, unit, start, end) from ``engaged`` to the next
    event that ends the session; a session still running ends at the horizon."""
    ev = events.sort_values(["replication", "ticket", "time_min"], kind="stable")
    name = ev["event"].astype(str).to_numpy()
    rep, tid = ev["replication"].to_numpy(), ev["ticket"].to_numpy()
    time = ev["time_min"].to_numpy(float)
    starts = np.flatnonzero(name == "engaged")
    ends = np.flatnonzero(np.isin(name, SESSION_ENDS))
    nxt = np.searchsorted(ends, starts, side="right")
    has = nxt < len(ends)
    j = np.where(has, ends[np.minimum(nxt, len(ends) - 1)], 0)
    same = has & (rep[j] == rep[starts]) & (tid[j] == tid[starts])
    end_time = np.where(same, time[j], horizon)
    return pd.DataFrame({"replication": rep[starts], "ticket": tid[starts],
                         "unit": ev["unit"].astype(str).to_numpy()[starts],
                         "start": time[starts], "end": end_time})


def utilisation(sess: pd.DataFrame, staffing: dict[int, dict[str, Staffing]], start: float,
                end: float) -> pd.DataFrame:
    """Busy agent-minutes over staffed agent-minutes per replication and unit, in
    [start, end)."""
    return utilisation_of(busy_minutes(sess, start, end), staffing, start, end)


def busy_minutes(sess: pd.DataFrame, start: float, end: float) -> pd.Series:
    """Busy agent-minutes in [start, end) per (replication, unit), from :func:`sessions`."""
    busy = sess.assign(lo=sess["start"].clip(lower=start), hi=sess["end"].clip(upper=end))
    busy = busy[busy["hi"] > busy["lo"]]
    return (busy["hi"] - busy["lo"]).groupby([busy["replication"], busy["unit"]]).sum()


def utilisation_of(minutes: pd.Series, staffing: dict[int, dict[str, Staffing]],
                   start: float, end: float) -> pd.DataFrame:
    """Busy agent-minutes per (replication, unit) over staffed agent-minutes in [start, end)."""
    rows = []
    for rep, units in staffing.items():
        for unit, steps in units.items():
            staffed = steps.agent_minutes(start, end)
            used = float(minutes.get((rep, unit), 0.0))
            rows.append({"replication": rep, "unit": unit, "busy_min": used,
                         "staffed_min": staffed,
                         "utilisation": used / staffed if staffed else np.nan})
    return pd.DataFrame(rows)


def shift_utilisation(sess: pd.DataFrame, shifts: dict[str, list[Staffing]], start: float,
                      end: float) -> pd.DataFrame:
    """Per replication, unit and shift: busy agent-minutes inside the shift's windows over the
    shift's staffed agent-minutes (shifts of a unit never overlap, so each busy minute belongs
    to at most one shift)."""
    rows = []
    for unit, per_shift in shifts.items():
        mine = sess[sess["unit"] == unit]
        lo = mine["start"].to_numpy().clip(start)
        hi = mine["end"].to_numpy().clip(max=end)
        reps = mine["replication"].to_numpy()
        for index, steps in enumerate(per_shift):
            busy = np.zeros(len(mine))
            times = (*steps.times, np.inf)
            for i, capacity in enumerate(steps.capacity):
                if capacity <= 0:
                    continue
                a, b = max(times[i], start), min(times[i + 1], end)
                if b > a:
                    busy += np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0.0, None)
            staffed = steps.agent_minutes(start, end)
            for rep in np.unique(sess["replication"].to_numpy()):
                used = float(busy[reps == rep].sum())
                rows.append({"replication": rep, "unit": unit, "shift": index,
                             "busy_min": used, "staffed_min": staffed,
                             "utilisation": used / staffed if staffed else np.nan})
    return pd.DataFrame(rows, columns=["replication", "unit", "shift", "busy_min",
                                       "staffed_min", "utilisation"])


def tier_figures(events: pd.DataFrame, tickets: pd.DataFrame, path: list[str]) -> pd.DataFrame:
    """Per replication and tier: tickets reaching it, resolved there, handed over, the share
    of all resolved technical tickets resolved there, the escalation rate and the mean wait
    (:func:`waits`) at that tier."""
    return tier_rates(tier_counts(only_kept(events, tickets), path))


def tier_counts(ev: pd.DataFrame, path: list[str]) -> pd.DataFrame:
    """Per replication and tier, from the technical tickets' rows of ``ev``: ``reached``
    (queued there), ``resolved`` there (at ``fix_pending`` when a permanent fix follows),
    ``escalated_out`` (handed over from there),
    ``total_resolved`` (at any tier), and ``wait_sum``, ``wait_n`` of :func:`waits`."""
    ev = ev[ev["kind"].astype(str) == "technical"]
    unit = ev["unit"].astype(str)
    name = ev["event"].astype(str)
    solved = _solved(ev, name)
    wait = waits(ev).groupby(["replication", "unit"])["wait_min"].agg(["sum", "size"])
    rows = []
    for rep, group in ev.groupby("replication"):
        gu, gn, gs = unit.loc[group.index], name.loc[group.index], solved.loc[group.index]
        total_resolved = int(gs.sum())
        for tier in path:
            total, count = wait.loc[(rep, tier)] if (rep, tier) in wait.index else (0.0, 0)
            rows.append({"replication": rep, "tier": tier,
                         "reached": int(((gu == tier) & (gn == "queued")).sum()),
                         "resolved": int(((gu == tier) & gs).sum()),
                         "escalated_out": int(((gu == tier) & (gn == "handed_over")).sum()),
                         "total_resolved": total_resolved,
                         "wait_sum": float(total), "wait_n": int(count)})
    return pd.DataFrame(rows, columns=["replication", "tier", "reached", "resolved",
                                       "escalated_out", "total_resolved", "wait_sum", "wait_n"])


def _solved(ev: pd.DataFrame, name: pd.Series) -> pd.Series:
    """Rows where a tier resolved a ticket: ``resolved``, or with a permanent fix the
    ``fix_pending`` of the tier's solution (its later ``resolved`` is not counted again)."""
    solved = name == "resolved"
    fixing = name == "fix_pending"
    if not fixing.any():
        return solved
    order = ev[["replication", "ticket", "time_min"]].assign(name=name).sort_values(
        ["replication", "ticket", "time_min"], kind="stable")
    before = order.shift(1)
    closes = ((order["name"] == "resolved") & (before["name"] == "fix_pending")
              & (before["replication"] == order["replication"])
              & (before["ticket"] == order["ticket"]))
    return (solved & ~closes.reindex(ev.index)) | fixing


def tier_periods(events: pd.DataFrame, tickets: pd.DataFrame, path: list[str],
                 length_min: float, start_min: float = 0.0) -> pd.DataFrame:
    """:func:`tier_figures` per period of ``length_min`` minutes from ``start_min`` (period
    0, 1, ...; a quarter is 13 weeks): each event counts in the period of its time, so
    ``reached`` is the tier's load (tickets queued there) and ``resolved_share`` its share of
    the resolutions in that period; a wait counts only if it ends in the period it began."""
    ev = only_kept(events, tickets)
    ev = ev[ev["time_min"] >= start_min]
    period = ((ev["time_min"].to_numpy(float) - start_min) // length_min).astype(int)
    parts = [tier_rates(tier_counts(part, path)).assign(period=int(k))
             for k, part in ev.groupby(period)]
    if not parts:
        return pd.DataFrame(columns=["period", "replication", "tier", "reached", "resolved",
                                     "escalated_out", "resolved_share", "escalation_rate",
                                     "mean_wait_min"])
    out = pd.concat(parts, ignore_index=True)
    return out[["period", *[c for c in out.columns if c != "period"]]]


def tier_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`tier_counts` (or sums of them) -> the per-tier figures of the summary."""
    def ratio(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a / b.where(b > 0)).astype(float)

    out = counts[["replication", "tier", "reached", "resolved", "escalated_out"]].copy()
    out["resolved_share"] = ratio(counts["resolved"], counts["total_resolved"])
    out["escalation_rate"] = ratio(counts["escalated_out"],
                                   counts["escalated_out"] + counts["resolved"])
    out["mean_wait_min"] = ratio(counts["wait_sum"], counts["wait_n"])
    return out


def waits(ev: pd.DataFrame) -> pd.DataFrame:
    """The one definition of a wait: from ``queued`` at a unit to the next ``engaged`` of
    that ticket at that unit (waiting for coverage included; a ``queued`` with no later
    ``engaged`` there is no wait). Columns replication, ticket, unit, wait_min."""
    e = ev[ev["event"].isin(["queued", "engaged"])]
    rep, tid = e["replication"].to_numpy(), e["ticket"].to_numpy()
    unit = e["unit"].astype(str).to_numpy()
    time = e["time_min"].to_numpy(float)
    order = np.lexsort((time, unit, tid, rep))  # stable: equal times keep the log's order
    rep, tid, unit, time = rep[order], tid[order], unit[order], time[order]
    queued = (e["event"].astype(str).to_numpy() == "queued")[order]
    same = (rep[1:] == rep[:-1]) & (tid[1:] == tid[:-1]) & (unit[1:] == unit[:-1])
    pair = np.flatnonzero(queued[:-1] & ~queued[1:] & same)
    return pd.DataFrame({"replication": rep[pair], "ticket": tid[pair], "unit": unit[pair],
                         "wait_min": time[pair + 1] - time[pair]})


def backlog(events: pd.DataFrame, tickets: pd.DataFrame, start: float, end: float
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open customer tickets over time (hourly, per replication) and per-replication mean
    backlog, open at the end and the age of those (hours)."""
    closed = events[events["event"] == "closed"][["replication", "ticket", "time_min"]]
    t = tickets[tickets["kind"].astype(str) != "complaint"].merge(
        closed.rename(columns={"time_min": "closed_min"}), on=["replication", "ticket"],
        how="left")
    grid = np.arange(start, end + 1e-9, 60.0)
    series, summary = [], []
    for rep, group in t.groupby("replication"):
        arrived = np.sort(group["arrived_min"].to_numpy())
        done = np.sort(group["closed_min"].fillna(np.inf).to_numpy())
        open_now = np.searchsorted(arrived, grid, "right") - np.searchsorted(done, grid, "right")
        series.append(pd.DataFrame({"replication": rep, "time_min": grid, "open": open_now}))
        still = group[group["closed_min"].isna()]
        age = (end - still["arrived_min"]) / 60.0
        summary.append({"replication": rep, "mean_open": float(open_now.mean()),
                        "open_at_end": len(still),
                        "mean_age_h_at_end": float(age.mean()) if len(age) else 0.0,
                        "p90_age_h_at_end": float(np.quantile(age, 0.9)) if len(age) else 0.0})
    if not series:  # no ticket at all (zero demand)
        return (pd.DataFrame({"replication": pd.Series(dtype=int), "time_min": pd.Series(
                    dtype=float), "open": pd.Series(dtype=int)}),
                pd.DataFrame(columns=["replication", "mean_open", "open_at_end",
                                      "mean_age_h_at_end", "p90_age_h_at_end"]))
    return pd.concat(series, ignore_index=True), pd.DataFrame(summary)


def quality(events: pd.DataFrame, tickets: pd.DataFrame, clocks: pd.DataFrame, entry: str,
            weeks: float, end: float) -> pd.DataFrame:
    """Per replication: first-time fix (resolved at ``entry`` or at the tier where the ticket
    was first queued, never handed over), reopen rate, complaints per week, TL 9000-style FRT
    (fixes on time among fixes due) and OFR (overdue among open fixes at the end)."""
    ev = only_kept(events, tickets)
    rows = []
    c = only_kept(clocks, tickets)
    resolve = c[c["clock"] == "resolve"]
    for rep, group in ev.groupby("replication"):
        tech = group[group["kind"].astype(str) == "technical"]
        name, unit = tech["event"].astype(str), tech["unit"].astype(str)
        resolved_ids = set(tech.loc[name == "resolved", "ticket"])
        handed_ids = set(tech.loc[name == "handed_over", "ticket"])
        first_line = set(tech.loc[(name == "resolved") & (unit == entry), "ticket"])
        # with entry at any tier: resolved at the tier the ticket was first queued at
        entered = tech.loc[name == "queued"].groupby("ticket", sort=False)["unit"].first()
        done = tech.loc[name == "resolved", ["ticket", "unit"]]
        first_line |= set(done.loc[done["ticket"].map(entered).astype(str).to_numpy()
                                   == done["unit"].astype(str).to_numpy(), "ticket"])
        ftf = len(first_line - handed_ids) / len(resolved_ids) if resolved_ids else np.nan
        closed = int((group["event"] == "closed").sum())
        reopened = int((group["event"] == "reopened").sum())
        complaints = int((group["event"] == "complaint_raised").sum())
        r = resolve[resolve["replication"] == rep]
        due = r[r["status"] != "open"]
        fixed = due[due["stop_min"].notna()]
        open_fixes = r[r["stop_min"].isna()]
        rows.append({
            "replication": rep, "first_time_fix": ftf,
            "reopen_rate": reopened / closed if closed else np.nan,
            "complaints_per_week": complaints / weeks,
            "frt": float((~fixed["breached"]).mean()) if len(fixed) else np.nan,
            "ofr": float(open_fixes["breached"].mean()) if len(open_fixes) else 0.0,
            "long_standing": int((open_fixes["lateness_min"] > LONG_STANDING_MIN).sum()),
        })
    return pd.DataFrame(rows, columns=["replication", "first_time_fix", "reopen_rate",
                                       "complaints_per_week", "frt", "ofr", "long_standing"])
