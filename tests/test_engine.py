"""Engine invariants and rule effects: (b) invariants on the baseline, (c) exact traces,
and effects of rules with fixed seeds and common random numbers."""

from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from itr_sim.engine.arrivals import ArrivalStream, hourly_weights
from itr_sim.engine.draws import Source
from itr_sim.engine.log import Event
from itr_sim.engine.replicate import run_scenario
from itr_sim.engine.simulation import Replication, scenario_origin
from itr_sim.model.load import load_scenario
from itr_sim.rules.coverage import Coverage

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TRACE = Path(__file__).parent / "data" / "engine" / "trace.yaml"
SH = ZoneInfo("Asia/Shanghai")
SESSION_ENDS = {"released", "waiting_customer", "waiting_vendor", "waiting_parts",
                "handed_over", "resolved", "closed"}


@pytest.fixture(scope="module")
def baseline_run():
    return run_scenario(load_scenario(BASELINE), replications=2)


def generated_arrivals(loaded, child) -> Counter:
    """What the arrival process drew for one replication, window by window, per (request
    type, arrived during the warm-up): the source the engine consumes, counted without it."""
    sc = loaded.scenario
    stream = ArrivalStream(sc, loaded.catalog, scenario_origin(loaded), sc.horizon.minutes,
                           child, Source.ARRIVALS)
    counts: Counter = Counter()
    while (window := stream.window()) is not None:
        for t, rtype in zip(window.time, window.rtype, strict=True):
            counts[(rtype, bool(t < sc.warmup.minutes))] += 1
    return counts


# state of a ticket after each event, for the replay below (None: no change)
AFTER = {Event.ARRIVED: "arrived", Event.QUEUED: "queued", Event.RELEASED: "queued",
         Event.RESUMED: "queued", Event.ENGAGED: "in service",
         Event.WAITING_CUSTOMER: "waiting", Event.WAITING_VENDOR: "waiting",
         Event.WAITING_PARTS: "waiting", Event.HANDED_OVER: "in transit",
         Event.RESOLVED: "resolved", Event.CLOSED: "closed"}


def replay(log) -> dict[int, tuple[str, str]]:
    """Each ticket's state at the horizon and the unit it was last at, by replaying the
    engine's raw rows in the order they were written."""
    names = log.codes.names
    state: dict[int, tuple[str, str]] = {}
    for t, e, u in zip(log.ticket_ids.tolist(), log.event.tolist(), log.unit.tolist(),
                       strict=True):
        after = AFTER.get(Event(e))
        if after is not None:
            state[t] = (after, names[u] or state.get(t, ("", ""))[1])
    return state


def test_arrivals_are_conserved_across_the_warm_up_against_independent_counts():
    """Fails if the engine drops, duplicates or mislabels an arrival (per request type, on
    either side of the warm-up), if a ticket is lost between arrival and the horizon, or if
    a unit's queue or service set disagrees with what the log says happened to it.

    Three sources: the arrival process's own draws (complaints: the log's
    ``complaint_raised`` rows); the log's ``arrived`` and ``closed`` rows; and the
    engine's queues and tickets in service at the horizon, against the still-open
    tickets found by replaying the log (queued, in service, waiting, in transit between
    tiers, resolved awaiting confirmation; queued but in no queue: parked outside its
    coverage hours, so its coverage must be closed at the horizon)."""
    loaded = load_scenario(BASELINE, sets={"horizon": "6w"})
    sc = loaded.scenario
    warmup, horizon = sc.warmup.minutes, sc.horizon.minutes
    coverage = Coverage(loaded.catalog, scenario_origin(loaded))
    seen: Counter = Counter()
    for r, child in enumerate(np.random.SeedSequence(sc.seed).spawn(2)):
        expected = generated_arrivals(loaded, child)
        sim = Replication(loaded, child, r)
        log = sim.run().log
        tickets = sim.tickets.to_frame()
        event, time = log.event, np.asarray(log.time)
        raised = time[event == Event.COMPLAINT_RAISED]
        expected[("complaints", True)] = int((raised < warmup).sum())
        expected[("complaints", False)] = int((raised >= warmup).sum())
        arrived_at = time[event == Event.ARRIVED]
        arrived_ids = log.ticket_ids[event == Event.ARRIVED]
        assert len(np.unique(arrived_ids)) == len(arrived_ids) == len(tickets)
        rtype = tickets["type"].astype(str).to_numpy()
        logged = Counter(zip(rtype[arrived_ids], (arrived_at < warmup).tolist(), strict=True))
        assert logged == +expected, r
        assert {side for _, side in expected} == {True, False}

        closed_ids = log.ticket_ids[event == Event.CLOSED]
        assert len(np.unique(closed_ids)) == len(closed_ids)  # closed at most once
        state = replay(log)
        open_ids = {t for t, (s, _) in state.items() if s != "closed"}
        assert set(closed_ids.tolist()).isdisjoint(open_ids)
        assert len(closed_ids) + len(open_ids) == sum(expected.values()), r
        by_state = Counter(s for t, (s, _) in state.items() if t in open_ids)
        assert set(by_state) <= {"queued", "in service", "waiting", "in transit", "resolved"}
        seen += by_state
        for name, unit in sim.units.items():
            serving = {t for t, (s, u) in state.items() if s == "in service" and u == name}
            assert serving == set(unit.busy), (r, name)
            waiting = {t for t, (s, u) in state.items() if s == "queued" and u == name}
            queued = {entry[-1].id for entry in unit.queue}
            assert queued <= waiting, (r, name)
            for t in waiting - queued:  # parked until its coverage opens
                level, severity = tickets.at[t, "level"], tickets.at[t, "severity"]
                clock = coverage.level_clock(str(level), str(severity))
                assert not clock.is_open(horizon), (r, name, t)
        # and per request type and side of the warm-up
        for key, n in expected.items():
            mask = (rtype[arrived_ids] == key[0]) & ((arrived_at < warmup) == key[1])
            ids = set(arrived_ids[mask].tolist())
            assert len(ids & set(closed_ids.tolist())) + len(ids & open_ids) == n, (r, key)
    # the horizon catches tickets in each open state (the checks above are not vacuous)
    assert all(seen[s] for s in ("queued", "in service", "waiting", "resolved")), seen


def test_trace_rows_all_arrive_once():
    """Fails if a replayed trace loses or duplicates a row: six rows in trace.csv, by
    request type, against the log's arrived rows."""
    rows = pd.read_csv(TRACE.with_suffix(".csv"))
    result = run_scenario(load_scenario(TRACE))
    events = result.events()
    arrived = events[events["event"] == "arrived"]
    assert len(rows) == 6
    assert Counter(arrived["type"].astype(str)) == Counter(rows["type"])


def test_the_engine_writes_each_ticket_s_rows_in_time_order(baseline_run):
    """Fails if the engine writes a ticket's rows out of order (e.g. a resumption before
    its wait, a closure before its resolution): checked on the raw columnar log, before
    ``to_frame`` sorts it."""
    for rep in baseline_run.replications:
        ids, time = rep.log.ticket_ids, np.asarray(rep.log.time)
        order = np.argsort(ids, kind="stable")  # per ticket, in the order written
        same_ticket = ids[order][1:] == ids[order][:-1]
        steps = np.diff(time[order])[same_ticket]
        assert len(steps) > 10_000
        assert (steps >= 0).all(), rep.replication


def test_same_seed_same_log_and_other_seed_other_log():
    loaded = load_scenario(BASELINE)
    a = run_scenario(loaded, replications=1).events()
    b = run_scenario(loaded, replications=1).events()
    pd.testing.assert_frame_equal(a, b)
    c = run_scenario(loaded, replications=1, seed=1).events()
    assert len(c) != len(a) or not c["time_min"].equals(a["time_min"])


def test_replications_are_independent(baseline_run):
    events = baseline_run.events()
    first = events[events["replication"] == 0]
    second = events[events["replication"] == 1]
    assert not np.array_equal(first["time_min"].to_numpy()[:100],
                              second["time_min"].to_numpy()[:100])


def sessions(events: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Service sessions (unit, start, end) from the event log."""
    rows = []
    for (_, _), group in events.sort_values("time_min", kind="stable").groupby(
            ["replication", "ticket"], sort=False):
        start = unit = None
        for ev in group.itertuples():
            if ev.event == "engaged":
                start, unit = ev.time_min, ev.unit
            elif start is not None and ev.event in SESSION_ENDS:
                rows.append((unit, start, ev.time_min))
                start = None
        if start is not None:
            rows.append((unit, start, horizon))
    return pd.DataFrame(rows, columns=["unit", "start", "end"])


def test_a_unit_never_serves_more_tickets_than_agents_on_duty(baseline_run):
    rep = baseline_run.replications[0]
    events = baseline_run.events()
    s = sessions(events[events["replication"] == 0], rep.horizon_min)
    assert len(s) > 5000
    checked = 0
    for unit, group in s.groupby("unit", observed=True):
        staffing = rep.staffing[unit]
        points = sorted([(t, 1) for t in group["start"]] + [(t, -1) for t in group["end"]],
                        key=lambda p: (p[0], p[1]))  # ends before starts at equal times
        busy = 0
        for t, step in points:
            busy += step
            if step == 1:
                assert busy <= staffing.at(t), (unit, t, busy, staffing.at(t))
                checked += 1
        # at every capacity drop the hand-back has made room
        starts, ends = group["start"].to_numpy(), group["end"].to_numpy()
        for t, capacity in zip(staffing.times, staffing.capacity, strict=True):
            if 0 < t < rep.horizon_min:
                in_service = int(((starts <= t) & (ends > t)).sum())
                assert in_service <= capacity, (unit, t, in_service, capacity)
    assert checked > 5000
    assert (events["event"] == "released").any()


def test_arrival_volume_matches_the_demand_rate():
    loaded = load_scenario(BASELINE)
    result = run_scenario(loaded, replications=4)
    tickets = result.tickets()
    customers = tickets[tickets["kind"] != "complaint"]
    sc = loaded.scenario
    horizon = sc.horizon.minutes
    weights = hourly_weights(sc, scenario_origin(loaded), horizon)
    minutes = np.arange(0, horizon, 1.0) + 0.5
    growth = np.exp(np.log1p(sc.demand.growth_per_year) / 525600 * minutes)
    rate = sc.demand.tickets_per_week() / 10080.0
    expected = 4 * rate * float(np.sum(weights[(minutes // 60).astype(int)] * growth))
    observed = len(customers)
    assert abs(observed - expected) < 4 * np.sqrt(expected), (observed, expected)
    # the weekly profile: Mondays (weight 1.3) against Sundays (0.3)
    local = pd.Timestamp(scenario_origin(loaded)) + pd.to_timedelta(
        customers["arrived_min"], unit="min")
    weekday = local.dt.tz_convert(SH).dt.day_of_week
    ratio = (weekday == 0).sum() / (weekday == 6).sum()
    assert ratio == pytest.approx(1.3 / 0.3, rel=0.15)


def test_friday_evening_silver_ticket_waits_for_monday():
    result = run_scenario(load_scenario(TRACE))
    events = result.events()
    first = events[(events["event"] == "engaged") & (events["detail"] == "first")]
    shop = first[(first["customer"] == "shop") & (first["type"] == "fault")]
    telco = first[first["customer"] == "telco"]
    assert shop["time"].iloc[0] == pd.Timestamp(datetime(2027, 1, 11, 9, 0), tz=SH)
    assert telco["time"].iloc[0] == pd.Timestamp(datetime(2027, 1, 8, 19, 0), tz=SH)


def test_entitlement_outcomes():
    events = run_scenario(load_scenario(TRACE)).events()
    by_ticket = events.groupby("ticket")["event"].apply(list)
    lapsed_critical, lapsed_minor, stranger = 2, 3, 4
    assert by_ticket[lapsed_minor] == ["arrived", "rejected", "closed"]
    assert "resolved" not in by_ticket[lapsed_critical]
    assert by_ticket[lapsed_critical][-2:] == ["restored", "closed"]
    detail = events[(events["ticket"] == lapsed_critical) & (events["event"] == "closed")]
    assert detail["detail"].iloc[0] == "emergency recovery"
    entitled = events[(events["ticket"] == stranger) & (events["event"] == "entitled")]
    assert entitled["detail"].iloc[0] == "best_effort"
    assert by_ticket[stranger][-1] == "closed"


def mean_wait(events: pd.DataFrame, unit: str) -> float:
    """Mean time from queued at ``unit`` to the next engagement there."""
    ev = events[events["unit"] == unit].sort_values(["replication", "ticket", "time_min"])
    waits = []
    for _, group in ev.groupby(["replication", "ticket"]):
        queued = None
        for row in group.itertuples():
            if row.event == "queued":
                queued = row.time_min
            elif row.event == "engaged" and queued is not None:
                waits.append(row.time_min - queued)
                queued = None
    return float(np.mean(waits))


def test_doubling_second_line_cuts_its_waits_with_common_random_numbers():
    base = load_scenario(BASELINE)
    doubled = load_scenario(BASELINE, sets={"organisation.tiers.L2.shifts.0.agents": 6,
                                            "organisation.tiers.L2.shifts.1.agents": 2})
    a = run_scenario(base, replications=3).events()
    b = run_scenario(doubled, replications=3).events()
    arrived_a = a[a["event"] == "arrived"]["time_min"].to_numpy()
    arrived_b = b[b["event"] == "arrived"]["time_min"].to_numpy()
    customer_arrivals = min(len(arrived_a), len(arrived_b)) - 200  # complaints may differ
    assert np.intersect1d(arrived_a, arrived_b).size >= customer_arrivals  # same demand
    wait_a, wait_b = mean_wait(a, "L2"), mean_wait(b, "L2")
    assert wait_b < 0.6 * wait_a, (wait_a, wait_b)
    assert mean_wait(a, "L1") == pytest.approx(mean_wait(b, "L1"), rel=0.02)


def parts_wait(events: pd.DataFrame) -> np.ndarray:
    ev = events[events["event"].isin(["waiting_parts", "resumed"])]
    ev = ev[(ev["event"] == "waiting_parts") | (ev["detail"] == "waiting_parts")]
    starts = ev[ev["event"] == "waiting_parts"].set_index(["replication", "ticket"])["time_min"]
    ends = ev[ev["event"] == "resumed"].set_index(["replication", "ticket"])["time_min"]
    joined = pd.concat([starts.rename("start"), ends.rename("end")], axis=1).dropna()
    return (joined["end"] - joined["start"]).to_numpy()


def test_a_stock_out_lengthens_the_repair():
    stocked = load_scenario(BASELINE, sets={"organisation.parts.classes.board.stock": 100,
                                            "organisation.parts.classes.power.stock": 100})
    empty = load_scenario(BASELINE, sets={"organisation.parts.classes.board.stock": 0,
                                          "organisation.parts.classes.power.stock": 0})
    a = run_scenario(stocked, replications=2).events()
    b = run_scenario(empty, replications=2).events()
    wait_stocked, wait_empty = parts_wait(a), parts_wait(b)
    assert len(wait_stocked) > 100 and len(wait_empty) > 100
    assert not a["detail"].astype(str).str.endswith("backorder").any()
    assert b["detail"].astype(str).str.endswith("backorder").mean() > 0
    # with no stock a part waits for a replenishment (lead times of 3 to 10 days) on top of
    # the delivery (4 h express to NBD or 1-3 days standard)
    assert np.median(wait_empty) - np.median(wait_stocked) > 3 * 1440


def test_restore_comes_before_the_permanent_fix(baseline_run):
    events = baseline_run.events()
    pivot = events[events["event"].isin(["restored", "resolved"])].pivot_table(
        index=["replication", "ticket"], columns="event", values="time_min", aggfunc="first",
        observed=True).dropna()
    assert len(pivot) > 500
    assert (pivot["restored"] <= pivot["resolved"]).all()
    assert (pivot["restored"] < pivot["resolved"]).sum() > 20  # workarounds before hand-over


def test_breaches_raise_complaints_handled_by_the_complaint_team(baseline_run):
    events = baseline_run.events()
    raised = events[events["event"] == "complaint_raised"]
    assert len(raised) > 0
    complaints = events[(events["kind"] == "complaint") & (events["event"] == "queued")]
    assert set(complaints["unit"].astype(str)) == {"customer_care"}
    assert len(complaints) == len(raised)


def test_event_log_is_written_as_csv_and_parquet(tmp_path):
    from itr_sim.cli.run import write_run

    result = run_scenario(load_scenario(TRACE))
    for fmt in ("csv", "parquet"):
        paths = write_run(result, tmp_path / fmt, fmt)
        names = {p.name for p in paths}
        assert {f"events.{fmt}", f"tickets.{fmt}", "metadata.json"} <= names
    back = pd.read_parquet(tmp_path / "parquet" / "events.parquet")
    assert len(back) == len(result.events())
    assert {"ticket", "time_min", "time", "event", "unit", "customer", "level", "severity",
            "type"} <= set(back.columns)
    meta = result.metadata
    assert meta["seed"] == 7 and len(meta["scenario_hash"]) == 64


def waits_by_severity(events: pd.DataFrame, unit: str) -> dict[str, float]:
    """Mean waits of platinum tickets (7x24 coverage, so no wait for office hours)."""
    platinum = events[events["level"] == "platinum"]
    return {severity: mean_wait(platinum[platinum["severity"] == severity], unit)
            for severity in ("critical", "minor")}


def test_severity_priority_serves_critical_faults_first():
    # a busier first line (about 63% of its staffed hours) so that queues form
    busy = {"organisation.tiers.L1.shifts.0.agents": 3, "organisation.tiers.L1.shifts.1.agents": 1}
    fcfs = load_scenario(BASELINE, sets={**busy, "organisation.tiers.L1.queue": "fcfs"})
    prio = load_scenario(BASELINE, sets={**busy, "organisation.tiers.L1.queue": "severity"})
    a = waits_by_severity(run_scenario(fcfs, replications=2).events(), "L1")
    b = waits_by_severity(run_scenario(prio, replications=2).events(), "L1")
    assert b["critical"] < 0.5 * a["critical"], (a, b)
    assert b["critical"] < b["minor"]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_bundled_scenario_runs(path):
    loaded = load_scenario(path, sets={"horizon": "3w", "warmup": "1w"})
    result = run_scenario(loaded, replications=1)
    tickets = result.tickets()
    assert len(tickets) > 0
    assert int(tickets["closed"].sum()) + int((~tickets["closed"]).sum()) == len(tickets)


def test_third_line_is_off_over_spring_festival(baseline_run):
    events = baseline_run.events()
    l3 = events[(events["unit"] == "L3") & (events["event"] == "engaged")]
    day = l3["time"].dt.tz_convert(SH).dt.date
    festival = (day >= datetime(2027, 2, 5).date()) & (day <= datetime(2027, 2, 10).date())
    assert len(l3) > 20
    assert not festival.any()
    staffing = baseline_run.replications[0].staffing["L3"]
    monday = scenario_origin(load_scenario(BASELINE))
    t = (pd.Timestamp(datetime(2027, 2, 8, 10, 0), tz=SH) - pd.Timestamp(monday)) / pd.Timedelta(
        minutes=1)
    assert staffing.at(t) == 0 and staffing.at(t + 3 * 1440) == 2  # Mon 8th off, Thu 11th on


def time_to_resolve(events: pd.DataFrame) -> float:
    t = events[events["event"].isin(["arrived", "resolved"])].pivot_table(
        index=["replication", "ticket"], columns="event", values="time_min", aggfunc="first",
        observed=True).dropna()
    return float((t["resolved"] - t["arrived"]).mean())


def test_waiting_for_customers_lengthens_resolution():
    quick = load_scenario(BASELINE, sets={"organisation.tiers.L1.waiting.customer.probability": 0})
    slow = load_scenario(BASELINE, sets={"organisation.tiers.L1.waiting.customer.probability": 0.6})
    a = run_scenario(quick, replications=1).events()
    b = run_scenario(slow, replications=1).events()
    assert (a["event"] == "waiting_customer").sum() < (b["event"] == "waiting_customer").sum() / 5
    # 45 more points of tickets wait a mean 4 h at L1: about 1.8 h more per ticket
    assert time_to_resolve(b) - time_to_resolve(a) > 60
