"""Arrivals: a non-homogeneous Poisson process per customer group, or a replayed trace.

The rate of a customer group is ``count x tickets_per_week`` per week (10080 minutes), times the
normalised hour-of-day x day-of-week weight (local time of the organisation), times
``(1 + growth_per_year) ** years``, times the multiplier of every outage event covering it.
Arrivals are drawn by thinning (Lewis and Shedler), vectorised: candidate times from a
homogeneous process at the maximum rate, each kept with probability rate(t) / max rate.
Extra arrivals of an outage event (the share (k - 1) / k inside a window of multiplier k)
are technical tickets with the event's severity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from itr_sim.engine.draws import stream
from itr_sim.model.catalog import Catalog, RequestKind
from itr_sim.model.demand import Customer
from itr_sim.model.scenario import Scenario
from itr_sim.units import MINUTES_PER_WEEK, MINUTES_PER_YEAR, WEEKDAYS

__all__ = ["WINDOW_MIN", "ArrivalStream", "Arrivals", "hourly_weights", "profile_phase",
           "read_trace"]



@dataclass(frozen=True)
class Arrivals:
    """Arrivals sorted by time. ``customer`` is a name; ``severity`` may be None for
    non-technical requests."""

    time: np.ndarray
    customer: list[str]
    contract: np.ndarray
    severity: list[str | None]
    rtype: list[str]

    def __len__(self) -> int:
        return len(self.time)


def profile_phase(origin: datetime, timezone: str) -> float:
    """Minutes from the start of the local hour that contains ``origin`` to ``origin``: the
    profile's hour bins start that long before each whole hour since the origin, so that
    they follow the local clock (``00:30`` start: the first bin is 00:00-01:00)."""
    local = origin.astimezone(ZoneInfo(timezone))
    return local.minute + local.second / 60.0 + local.microsecond / 60e6


def hourly_weights(sc: Scenario, origin: datetime, horizon_min: float) -> np.ndarray:
    """Profile weight of every local hour of the horizon (mean 1 over a week). Bin ``k``
    covers the minutes ``[60 k - phase, 60 k - phase + 60)`` since the origin, ``phase``
    being :func:`profile_phase`; its weight is that of the local hour and weekday at its
    middle, found in UTC, so that it follows the local clock across daylight-saving
    changes."""
    profile = sc.demand.profile
    hourly = np.ones(24) if profile.hourly is None else np.asarray(profile.hourly, float)
    hourly = hourly / hourly.mean()
    weekly = np.array([profile.weekly.get(d, 1.0) for d in WEEKDAYS], np.float64)
    if weekly.sum() <= 0:
        weekly = np.ones(7)
    weekly = weekly / weekly.mean()
    phase = profile_phase(origin, sc.organisation.timezone)
    hours = int(np.ceil((horizon_min + phase) / 60.0)) + 1
    # aware datetime + timedelta moves the wall clock; UTC instants do not
    middles = pd.Timestamp(origin.astimezone(UTC)) + pd.to_timedelta(
        60.0 * np.arange(hours) - phase + 30.0, unit="min")
    local = middles.tz_convert(sc.organisation.timezone)
    return hourly[np.asarray(local.hour)] * weekly[np.asarray(local.day_of_week)]


WINDOW_MIN = 4 * MINUTES_PER_WEEK
"""Arrivals are drawn four weeks at a time, so that a replication never holds more than one
window of future arrivals (streaming mode keeps memory flat over long horizons)."""


class ArrivalStream:
    """The demand of one replication, drawn window by window. Each customer group has its
    own random stream keyed by its name and kept across windows, so two scenarios with the
    same customers share their arrivals (also over different horizons)."""

    def __init__(self, sc: Scenario, cat: Catalog, origin: datetime, horizon_min: float,
                 seeds: np.random.SeedSequence, source: int) -> None:
        dem = sc.demand
        self.horizon = horizon_min
        self.weights = hourly_weights(sc, origin, horizon_min)
        self.phase = profile_phase(origin, sc.organisation.timezone)
        self.growth = np.log1p(dem.growth_per_year) / MINUTES_PER_YEAR
        zone = ZoneInfo(sc.organisation.timezone)
        events = []
        for event in dem.events:
            start = event.at.replace(tzinfo=zone) if event.at.tzinfo is None else event.at
            # convert both: aware datetimes sharing a tzinfo subtract as wall-clock times
            a = (start.astimezone(UTC) - origin.astimezone(UTC)).total_seconds() / 60.0
            events.append((a, a + event.lasts.minutes, event.multiplier, event.severity,
                           None if event.customers is None else set(event.customers)))
        self.tech = [t for t, spec in cat.request_types.items()
                     if spec.kind is RequestKind.TECHNICAL]
        self.groups = []
        for name, cust in dem.customers.items():
            mine = [w for w in events if w[4] is None or name in w[4]]
            self.groups.append((name, cust, stream(seeds, source, name),
                                cust.count * cust.tickets_per_week / MINUTES_PER_WEEK, mine,
                                max([1.0] + [w[2] for w in mine]),
                                list((cust.type_mix or dem.type_mix).items()),
                                list((cust.severity_mix or dem.severity_mix).items())))
        self.next_start = 0.0

    def window(self) -> Arrivals | None:
        """The arrivals of the next window, or None past the horizon."""
        t0 = self.next_start
        if t0 >= self.horizon:
            return None
        t1 = self.next_start = min(t0 + WINDOW_MIN, self.horizon)
        hours = self.weights[int((t0 + self.phase) // 60):
                             int(np.ceil((t1 + self.phase) / 60.0)) + 1]
        parts = [self._group(t0, t1, float(hours.max()), *group) for group in self.groups]
        parts = [p for p in parts if p is not None]
        if not parts:
            return Arrivals(np.zeros(0), [], np.zeros(0, int), [], [])
        frame = pd.concat(parts, ignore_index=True).sort_values("time", kind="stable")
        return Arrivals(frame["time"].to_numpy(float), frame["customer"].tolist(),
                        frame["contract"].to_numpy(int),
                        [s if isinstance(s, str) else None for s in frame["severity"].tolist()],
                        frame["rtype"].tolist())

    def _group(self, t0: float, t1: float, top_weight: float, name: str, cust: Customer,
               rng: np.random.Generator, base: float, mine: list, peak: float,
               types: list, sev: list) -> pd.DataFrame | None:
        """Thinning for one customer group over [t0, t1)."""
        growth, tech = self.growth, self.tech
        top = base * top_weight * np.exp(max(growth, 0.0) * t1) * peak
        if top <= 0:
            return None
        n = rng.poisson(top * (t1 - t0))
        t = np.sort(rng.uniform(t0, t1, n))
        storm = np.ones(n)
        for a, b, k, _, _ in mine:
            storm[(t >= a) & (t < b)] *= k
        weight = self.weights[((t + self.phase) // 60).astype(int)]
        rate = base * weight * np.exp(growth * t) * storm
        keep = rng.uniform(0.0, top, n) < rate
        t, storm = t[keep], storm[keep]
        rtype = rng.choice([k for k, _ in types], size=len(t), p=_p(types))
        severity = rng.choice([k for k, _ in sev], size=len(t), p=_p(sev)).astype(object)
        technical = np.isin(rtype, tech)
        severity[~technical] = None
        # extra tickets of an outage storm: technical, with the event's severity
        is_storm = rng.uniform(size=len(t)) < (storm - 1.0) / storm
        if is_storm.any():
            tech_mix = [(k, v) for k, v in types if k in tech] or [(tech[0], 1.0)]
            rtype[is_storm] = rng.choice([k for k, _ in tech_mix], size=int(is_storm.sum()),
                                         p=_p(tech_mix))
            for a, b, _, ev_sev, _ in mine:
                inside = is_storm & (t >= a) & (t < b)
                if ev_sev is not None:
                    severity[inside] = ev_sev
            missing = is_storm & (severity == None)  # noqa: E711  (object array)
            severity[missing] = rng.choice([k for k, _ in sev], size=int(missing.sum()),
                                           p=_p(sev))
        return pd.DataFrame({"time": t, "customer": name,
                             "contract": rng.integers(0, cust.count, len(t)),
                             "severity": severity, "rtype": rtype})


def _p(pairs: list[tuple[str, float]]) -> np.ndarray:
    p = np.array([v for _, v in pairs], float)
    return p / p.sum()


def read_trace(path: Path, sc: Scenario, cat: Catalog, origin: datetime,
               horizon_min: float) -> Arrivals:
    """Arrivals from a CSV table: ``time`` (local date-time of the organisation, or minutes
    since the start), ``customer``, ``severity`` (empty for non-technical) and ``type``."""
    from itr_sim.model.trace import check_trace

    rows, _ = check_trace(path, str(path), sc, cat, horizon_min)  # validate reported warnings
    return Arrivals(rows.time, rows.customer, np.zeros(len(rows.time), int), rows.severity,
                    rows.rtype)
