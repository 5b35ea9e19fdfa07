"""``itr-sim fit``: a runnable scenario from an ingested log, each value with where it came from.

What is fitted (docs/calibration.md, "What fit writes"), on the cases that arrived before
``train_until`` (their whole history: a cohort split):

* volume: tickets per week per customer group over the steady window (weeks between a sparse
  head and tail of arrivals, see :mod:`itr_sim.analysis.datachecks`); the largest customers
  (at least 5% of the volume each, at most 7) are groups of their own, the rest one group;
* the arrival profile: hour-of-day and day-of-week weights (demand's profile is separable:
  an hour x weekday table is not expressible, so its two margins are fitted);
* severity and type mixes;
* per line: handling time = time in the visit minus its waits (lognormal, gamma, Weibull by
  maximum likelihood, else empirical quantiles; :mod:`itr_sim.analysis.distfit`), the
  routing after a visit (resolved or the line handed to), waits (share of visits with one,
  total minutes per visit), and work slots;
* entry shares, reopen probability and delay, the confirmation delay (resolved -> closed).

Cases of a settling period (leading weeks much slower than the rest, see
:func:`itr_sim.analysis.datachecks.settling`) are left out, with a note.

Staffing is stated as **work slots** on one round-the-clock shift per line, by offered load:
visits per minute x mean handling x a peak factor (the busiest hour x busiest weekday weight
when the mean handling is under a day, the busiest weekday under a week, else 1), and the
99.9% quantile of a Poisson with that mean (an M/G/infinity line: tickets in progress).
A slot is a ticket in progress, not a person: the log's visit times already contain the
people's availability, so the model should add almost no queueing.

By default (``waits="in_handling"``) a visit's handling is its whole time, waits included,
and no waiting states are written (they are measured and given as comments): the engine
draws waits independently of the work, which on the real logs moves the median time to
resolution several fold. ``waits="separate"`` writes them as waiting states and subtracts
them from the handling.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from itr_sim.analysis.datachecks import SETTLING, settling, steady_window
from itr_sim.analysis.distfit import Fit, fit_duration, fmt_minutes
from itr_sim.analysis.visits import ticket_outcomes, visits
from itr_sim.model.catalog import Catalog, RequestKind
from itr_sim.model.distributions import Distribution
from itr_sim.model.org import Organisation, Tier

__all__ = ["Capabilities", "FitResult", "fit_scenario"]

WEEK = 7 * 1440.0
SLOT_QUANTILE = 0.999
MAX_GROUPS = 7
GROUP_SHARE = 0.05
OTHERS = "other customers"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Capabilities:
    """What the model accepts (the matrix routing, reopens and ``empirical`` come with the
    routing model; without them the fit writes the nearest short form and says so)."""

    empirical: bool = "empirical" in Distribution.model_fields
    routing: bool = "routing" in Tier.model_fields
    reopen: bool = "reopen" in Organisation.model_fields


@dataclass
class FitResult:
    text: str
    fits: dict[str, Fit] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    customers: dict[str, str] = field(default_factory=dict)
    """raw customer -> group written in the scenario."""
    severities: list[str] = field(default_factory=list)
    train: list[int] = field(default_factory=list)
    """Tickets the fit used."""

    def gof_table(self) -> list[dict[str, Any]]:
        rows = []
        for what, fit in self.fits.items():
            for cand in fit.table:
                rows.append({"what": what, "n": fit.n, **cand})
            rows.append({"what": what, "n": fit.n, "family": "chosen", "fits": True,
                         "params": fit.spec, "note": fit.chosen})
        return rows


def _pct(x: float) -> str:
    return f"{round(100 * x, 2):g}%"


def _shares(counts: dict[str, float]) -> dict[str, str]:
    """Shares in percent with two decimals, summing to exactly 100% (the largest absorbs
    the rounding)."""
    total = sum(counts.values())
    raw = {k: round(100 * v / total, 2) for k, v in counts.items() if v > 0}
    top = max(raw, key=lambda k: raw[k])
    raw[top] = round(raw[top] + 100 - sum(raw.values()), 2)
    return {k: f"{v:g}%" for k, v in raw.items() if v > 0}


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _y(value: Any) -> str:
    """A value in YAML flow style."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_y(k)}: {_y(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_y(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value)
    if _PLAIN.match(text) or re.match(r"^\d+(\.\d+)?(m|h|d|w|s|%)$", text):
        return text
    return json.dumps(text)


def work_slots(visits_per_min: float, mean_min: float, peak: float) -> tuple[int, float]:
    """Work slots for a line and the offered load they cover: with ample slots a line is an
    M/G/infinity system, whose number of tickets in progress is Poisson with mean = arrival
    rate x mean handling (the offered load); the slots are that Poisson's
    :data:`SLOT_QUANTILE` quantile at the peak rate (mean rate x ``peak``), so that queueing
    is negligible."""
    load = visits_per_min * mean_min * peak
    return max(1, int(stats.poisson.ppf(SLOT_QUANTILE, max(load, 1e-9))) + 1), load


def fit_scenario(events: pd.DataFrame, origin: datetime, catalog: Catalog, catalog_ref: str, *,
                 train_until: float | None = None, start: datetime | None = None,
                 horizon_weeks: float = 13, trace: str | None = None,
                 name: str = "fitted", replications: int = 10, seed: int = 1,
                 caps: Capabilities | None = None, handling_from: str = "first",
                 waits: str = "in_handling", coverage_24x7: bool = False) -> FitResult:
    """The scenario text fitted to ``events`` (an ingested log; ``origin`` its local time
    zero, tz-aware). ``catalog_ref`` is the catalogue path as written in the scenario;
    ``trace`` a trace file to replay instead of generated demand."""
    caps = caps or Capabilities()
    zone = origin.tzinfo
    res = FitResult("")
    notes = res.notes
    tickets = ticket_outcomes(events)
    if train_until is not None:
        tickets = tickets[tickets["arrived"] < train_until]
    if tickets.empty:
        raise ValueError("no case arrived before the training cut-off")
    w0, w1, _, _ = steady_window(tickets["arrived"].to_numpy())
    settled, settle_weeks = settling(tickets, w0, w1)
    if settle_weeks and (tickets["arrived"] >= settled).sum() >= 10:
        dropped = int((tickets["arrived"] < settled).sum())
        tickets = tickets[tickets["arrived"] >= settled]
        notes.append(f"settling period: the first {settle_weeks} week(s) of the steady window "
                     f"complete more than {SETTLING:g}x slower than the rest; their {dropped} "
                     "case(s) are left out of the fit")
    keep = set(tickets["ticket"])
    res.train = sorted(keep)
    events = events[events["ticket"].isin(keep)]
    vis = visits(events)
    done = vis[vis["outcome"] != "open"]
    lines: list[str] = []
    out = lines.append

    # ------------------------------------------------------------------ demand
    w0, w1, _, _ = steady_window(tickets["arrived"].to_numpy())
    weeks = max((w1 - w0) / WEEK, 1 / 7)
    steady = tickets[(tickets["arrived"] >= w0) & (tickets["arrived"] < w1)]
    w0_local = origin + timedelta(minutes=w0)
    w1_local = origin + timedelta(minutes=w1)
    window = f"{w0_local:%Y-%m-%d} to {w1_local:%Y-%m-%d} ({weeks:.1f} weeks)"
    volume = steady["customer"].astype(str).value_counts()
    total = float(volume.sum())
    big = [c for c in volume.index[:MAX_GROUPS] if volume[c] >= GROUP_SHARE * total]
    if len(volume) <= MAX_GROUPS:
        big = list(volume.index)
    groups = {c: _customer_name(c) for c in big}
    for c in tickets["customer"].astype(str).unique():
        groups.setdefault(c, OTHERS)
    res.customers = groups
    level = _level(events, catalog, notes)
    sev = tickets["severity"].astype(str).value_counts()
    unknown = sorted(set(sev.index) - set(catalog.severities))
    if unknown:
        raise ValueError(f"severities {', '.join(unknown)} are not in the catalogue "
                         f"({', '.join(catalog.severities)}); fix `severities` in the mapping")
    res.severities = list(sev.index)
    rtype = _request_type(events, catalog, notes)
    base = pd.Timestamp(origin).tz_convert("UTC").tz_localize(None)
    local = pd.to_datetime(steady["arrived"], unit="m", origin=base).dt.tz_localize(
        "UTC").dt.tz_convert(zone)
    hourly = np.bincount(local.dt.hour, minlength=24).astype(float)
    hourly = hourly / hourly.mean()
    daily = np.bincount(local.dt.day_of_week, minlength=7).astype(float)
    # weekday weights: arrivals per calendar day of that weekday in the window
    ndays = np.bincount(pd.date_range(w0_local.date(), (w1_local - timedelta(seconds=1))
                                      .date()).day_of_week, minlength=7).astype(float)
    daily = np.where(ndays > 0, daily / np.maximum(ndays, 1), 0.0)
    daily = daily / daily.mean() if daily.mean() > 0 else np.ones(7)

    # ------------------------------------------------------------------ header
    fit_end = origin + timedelta(minutes=float(tickets["arrived"].max()))
    begin = start or (fit_end + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
    out("# Fitted by `itr-sim fit` from an ingested log; every value says where it came from.")
    out(f"# Training cases: {len(tickets)} that arrived {_d(origin, tickets['arrived'].min())}"
        f" to {_d(origin, tickets['arrived'].max())}; volume over the steady window {window}.")
    out(f"scenario: {_y(name)}")
    out(f"description: {_y('fitted from a ticket log')}")
    out(f"catalog: {_y(catalog_ref)}")
    out(f"start: {_y(begin.replace(tzinfo=None).isoformat(timespec='minutes'))}")
    out(f"horizon: {horizon_weeks:g}w")
    out("warmup: 0m")
    out(f"replications: {replications}")
    out(f"seed: {seed}")
    out("")
    out("organisation:")
    out(f"  timezone: {_y(str(zone))}                  # the mapping's time zone")

    # ------------------------------------------------------------------ entry, reopen
    tiers = sorted(set(vis["tier"].astype(str)))
    first = vis[vis["position"] == 0]["tier"].astype(str).value_counts()
    if caps.routing and len(first) > 1:
        out(f"  entry: {_y(_shares(first.to_dict()))}"
            f"   # tier of the first visit of {int(first.sum())} cases")
    else:
        share = _pct(first.iloc[0] / first.sum())
        out(f"  entry: {first.index[0]}   # most frequent first tier ({share} of cases)")
        if len(first) > 1:
            notes.append("entry at several tiers needs the routing model; all enter at "
                         f"{first.index[0]}")
    if caps.routing:
        out("  max_visits: 8      # cap on tier visits per ticket (a guard, not fitted)")
    reopened = _reopen_delays(events)
    n_done = int(tickets["first_done"].notna().sum())
    if caps.reopen and n_done:
        p = len(reopened) / n_done
        if len(reopened) >= 1:
            f = fit_duration(reopened, empirical=caps.empirical)
            res.fits["reopen delay"] = f
            out(f"  reopen: {_y({'probability': _pct(p), 'delay': f.spec})}")
            out(f"    # {len(reopened)} reopens of {n_done} resolved cases; delay from the "
                f"resolution or closure before it: {f.comment()}")
    elif len(reopened):
        notes.append(f"{len(reopened)} reopens not modelled (needs the routing model)")

    # ------------------------------------------------------------------ tiers
    out("  tiers:")
    for tier in tiers:
        tv = done[done["tier"].astype(str) == tier]
        allv = vis[vis["tier"].astype(str) == tier]
        out(f"    {tier}:")
        hv = tv if handling_from == "all" else tv.drop_duplicates(["replication", "ticket"])
        work = hv["end"] - hv["start"]
        if waits == "separate":
            work = work - hv["wait_customer_min"] - hv["wait_vendor_min"] - hv["wait_parts_min"]
        work = work.clip(lower=0)
        if len(work) == 0:
            work = pd.Series([1.0])
        f = fit_duration(work, empirical=caps.empirical)
        res.fits[f"{tier} handling"] = f
        in_window = allv[(allv["start"] >= w0) & (allv["start"] < w1)]
        rate = len(in_window) / max(w1 - w0, 1.0)
        mean = float(work.mean()) if f.spec.get("fixed") is None else 0.0
        peak = (float(hourly.max() * daily.max()) if mean < 1440 else
                float(daily.max()) if mean < 7 * 1440 else 1.0)
        slots, load = work_slots(rate, mean, peak)
        out("      shifts:")
        out(f"        - {{days: Mon-Sun, hours: \"00:00-24:00\", agents: {slots}}}")
        out(f"        # work slots: offered load {load:.1f} ({rate * 60 * 24 * 7:.1f} visits/week"
            f" x mean {fmt_minutes(mean)} x peak factor {peak:.2f}), Poisson "
            f"{SLOT_QUANTILE:.1%} quantile")
        out("      handling:")
        out(f"        default: {_y(f.spec)}")
        what = ("each ticket's first visit here" if handling_from == "first"
                else "every visit here") + (", minus its waits" if waits == "separate"
                                              else ", waits included")
        out(f"        # {what}; {f.comment()}")
        out("      queue: fcfs   # not in the log; with ample work slots nothing queues")
        outcome = tv["outcome"].astype(str).value_counts().to_dict()
        outcome = {k: v for k, v in outcome.items() if k != tier}
        if not outcome:
            outcome = {"resolved": 1}
        moves = {k: v for k, v in outcome.items() if k != "resolved"}
        how = f"# outcome of {len(tv)} ended visits"
        if caps.routing:
            order = ["resolved", *[t for t in tiers if t in outcome]]
            out(f"      routing: {_y(_shares({k: outcome[k] for k in order if k in outcome}))}")
            out(f"      {how}")
        else:
            resolves = outcome.get("resolved", 0) / sum(outcome.values())
            target = max(moves, key=lambda k: moves[k]) if moves else None
            if not caps.routing and target is not None:  # a one-way chain: the next tier
                later = tiers[tiers.index(tier) + 1:]
                target = later[0] if later else None
            if target is None or resolves >= 1:
                out("      resolves: 100%")
            else:
                out(f"      resolves: {_pct(resolves)}")
                out(f"      escalates_to: {target}")
            out(f"      {how}")
            if len(moves) > 1:
                notes.append(f"{tier}: moves to {', '.join(moves)} merged into "
                             f"{target} (needs the routing model)")
        waiting = {}
        for kind in ("customer", "vendor") if waits == "separate" else ():
            has = allv[allv[f"waits_{kind}"] > 0]
            if len(has) >= 1:
                f = fit_duration(has[f"wait_{kind}_min"], empirical=caps.empirical)
                res.fits[f"{tier} wait {kind}"] = f
                waiting[kind] = (len(has) / max(len(allv), 1), f)
        if waits != "separate":
            for kind in ("customer", "vendor"):
                has = allv[allv[f"waits_{kind}"] > 0]
                if len(has):
                    out(f"      # waits for {kind} (inside the handling above): "
                        f"{_pct(len(has) / len(allv))} of {len(allv)} visits, median "
                        f"{fmt_minutes(float(has[f'wait_{kind}_min'].median()))} per visit")
        if waiting:
            out("      waiting:")
            for kind, (p, f) in waiting.items():
                out(f"        {kind}: {_y({'probability': _pct(p), 'duration': f.spec})}")
                out(f"        # {_pct(p)} of {len(allv)} visits wait; minutes per visit: "
                    f"{f.comment()}")

    # ------------------------------------------------------------------ confirmation
    conf = _closure_delays(events)
    if len(conf) >= 1 and conf.max() > 0:
        f = fit_duration(conf, empirical=caps.empirical)
        res.fits["confirmation"] = f
        out(f"  confirmation: {_y(f.spec)}")
        out(f"  # last resolution -> closure: {f.comment()}")

    # ------------------------------------------------------------------ demand
    out("")
    out("demand:")
    out("  customers:")
    per_group: dict[str, float] = {}
    for raw, g in groups.items():
        per_group[g] = per_group.get(g, 0.0) + float(volume.get(raw, 0))
    for g, count in per_group.items():
        out(f"    {_y(g)}: {{level: {level}, tickets_per_week: {count / weeks:.3f}}}"
            f"   # {int(count)} cases / {weeks:.2f} weeks")
    out(f"  severity_mix: {_y(_shares(sev.to_dict()))}   # of {len(tickets)} training cases")
    out(f"  type_mix: {{{rtype}: 100%}}")
    out("  profile:       # arrivals per local hour and per calendar weekday, steady window")
    out(f"    hourly: {_y([round(float(h), 3) for h in hourly])}")
    out(f"    weekly: {_y({d: round(float(w), 3) for d, w in zip(DAYS, daily, strict=True)})}")
    if trace:
        out(f"  trace: {{file: {_y(trace)}}}")
    always = [n for n in catalog.calendars if catalog.calendar(n).is_24x7]
    if always:
        hash_ = "" if coverage_24x7 else "# "
        out(f"{hash_}overrides:   # the log's visit times already hold nights and weekends: "
            "coverage round")
        out(f"{hash_}             # the clock, so they are not added twice (SLA clocks run on "
            "it too)")
        out(f"{hash_}  catalog.levels.{level}.calendar: {always[0]}")
        out(f"{hash_}  catalog.levels.{level}.calendars: {{}}")
        if not coverage_24x7:
            notes.append("tickets wait for their level's coverage hours on top of visit times "
                         "that already include closed hours; the commented overrides remove "
                         "that (backtest uses them)")
    else:
        notes.append("the catalogue has no 24x7 calendar: tickets wait for coverage on top of "
                     "visit times that already include closed hours")
    out("")
    if notes:
        out("# Notes:")
        for note in notes:
            out(f"# - {note}")
    res.text = "\n".join(lines) + "\n"
    return res


def _d(origin: datetime, minutes: float) -> str:
    return f"{origin + timedelta(minutes=float(minutes)):%Y-%m-%d}"


def _customer_name(raw: str) -> str:
    name = raw.replace(".", "_").strip() or "unknown"
    return name if name != OTHERS else f"{name} (own)"


def _level(events: pd.DataFrame, catalog: Catalog, notes: list[str]) -> str:
    wanted = str(events["level"].iloc[0]) if "level" in events and len(events) else ""
    if wanted in catalog.levels:
        return wanted
    level = next(iter(catalog.levels))
    notes.append(f"level {wanted!r} of the log is not in the catalogue; using {level}")
    return level


def _request_type(events: pd.DataFrame, catalog: Catalog, notes: list[str]) -> str:
    wanted = str(events["type"].iloc[0]) if "type" in events and len(events) else ""
    technical = [t for t, spec in catalog.request_types.items()
                 if spec.kind is RequestKind.TECHNICAL]
    if wanted in technical:
        return wanted
    notes.append(f"request type {wanted!r} is not a technical type of the catalogue; "
                 f"using {technical[0]}")
    return technical[0]


def _reopen_delays(events: pd.DataFrame) -> np.ndarray:
    """Minutes from the last resolution or closure before each reopen."""
    ev = events.sort_values(["ticket", "time_min"], kind="stable")
    name = ev["event"].astype(str).to_numpy()
    tid, t = ev["ticket"].to_numpy(), ev["time_min"].to_numpy(float)
    out, last, key = [], math.nan, None
    for i in range(len(ev)):
        if tid[i] != key:
            key, last = tid[i], math.nan
        if name[i] in ("resolved", "closed"):
            last = t[i]
        elif name[i] == "reopened" and not math.isnan(last):
            out.append(t[i] - last)
            last = math.nan
    return np.array(out, float)


def _closure_delays(events: pd.DataFrame) -> np.ndarray:
    name = events["event"].astype(str)
    last_res = events[name == "resolved"].groupby("ticket")["time_min"].max()
    closed = events[name == "closed"].groupby("ticket")["time_min"].max()
    both = pd.concat([last_res, closed], axis=1, keys=["r", "c"]).dropna()
    delay = both["c"] - both["r"]
    return delay[delay >= 0].to_numpy(float)


def relative_ref(target: Path, base_dir: Path) -> str:
    """A path as written in a scenario in ``base_dir`` (relative when possible)."""
    try:
        return os.path.relpath(target.resolve(), base_dir.resolve())
    except ValueError:  # another drive
        return str(target.resolve())


__all__ += ["fmt_minutes", "relative_ref"]
