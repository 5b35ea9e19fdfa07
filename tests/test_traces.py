"""(c) Exact traces: a handful of tickets with fixed arrival and handling times, and the
whole event log written by hand, row by row, in the order the engine writes it (the raw
columnar log, before ``to_frame`` sorts anything).

The base scenario (tests/data/engine/exact.yaml) has one L1 agent around the clock and a
fixed 30-minute handling time; each test replays its own trace and sets what it needs.
Times are minutes since Monday 2027-01-04 00:00 (Asia/Shanghai). ``telco`` is platinum
(7x24 coverage; response 15m critical, 30m major, 2h minor; restore 4h critical);
``goldco`` is gold (08:00-20:00 daily, critical 7x24); ``shop`` is silver (office hours
Mon-Fri 09:00-12:00 and 13:00-18:00); ``lapsed`` is gold with an expired contract; a
customer not in the scenario (``stranger``) is served best effort, without an SLA.

Where a tier splits its work around a wait, the share done before the wait is random
(30-70% of the remaining work); such times are written as names (``a``, ``b``...), bound
to the logged value on first use, checked against their range and used in later rows.
"""

import re
from pathlib import Path
from typing import Any

import pytest

from itr_sim.analysis.streaming import run_streaming
from itr_sim.analysis.summary import analyse
from itr_sim.engine.log import EVENT_LABELS
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.load import load_scenario

BASE = Path(__file__).parent / "data" / "engine" / "exact.yaml"
HEADER = "time,customer,severity,type\n"
Row = tuple[int, Any, str, str, str]


def run_trace(tmp_path: Path, trace: str, sets: dict[str, Any] | None = None) -> RunResult:
    """Run the base scenario on ``trace`` (CSV rows without the header)."""
    path = tmp_path / "trace.csv"
    path.write_text(HEADER + "\n".join(line.strip() for line in trace.strip().splitlines()))
    loaded = load_scenario(BASE, {"demand.trace.file": str(path), **(sets or {})})
    return run_scenario(loaded)


def raw_log(result: RunResult) -> list[Row]:
    """The engine's own rows in the order it wrote them: (ticket, minute, event, unit,
    detail), with '-' for an empty unit or detail and '_' for a space in one."""
    log = result.replications[0].log
    names = log.codes.names
    shown = [name.replace(" ", "_") or "-" for name in names]
    return [(int(t), float(m), EVENT_LABELS[e], shown[u], shown[d])
            for t, m, e, u, d in zip(log.ticket_ids, log.time, log.event, log.unit,
                                     log.detail, strict=True)]


def parse(table: str) -> list[Row]:
    """Expected rows, one per line: ticket, time, event, unit, detail ('#' starts a
    comment). A time is a number, a new name (bound to the logged time), or a sum of
    numbers and names bound earlier such as ``2*a+3150-b``."""
    rows = []
    for line in table.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ticket, time, event, unit, detail = line.split()
            rows.append((int(ticket), time, event, unit, detail))
    return rows


def linear(expr: str, names: dict[str, float]) -> float:
    """Value of a sum of terms such as ``2*a+3150-b`` (numbers and bound names)."""
    total = 0.0
    for term in re.findall(r"[+-]?[^+-]+", expr):
        value = -1.0 if term.startswith("-") else 1.0
        for factor in term.lstrip("+-").split("*"):
            value *= names[factor] if factor.isidentifier() else float(factor)
        total += value
    return total


def check_log(result: RunResult, table: str) -> dict[str, float]:
    """Assert the raw log is exactly ``table``; return the names bound to times."""
    actual, expected = raw_log(result), parse(table)
    names: dict[str, float] = {}
    for i, (got, want) in enumerate(zip(actual, expected, strict=False)):
        time = want[1]
        if time.isidentifier() and time not in names:
            names[time] = got[1]
            value = got[1]
        else:
            value = linear(time, names)
        assert (got[0], got[2], got[3], got[4]) == (want[0], want[2], want[3], want[4]), \
            f"row {i}: got {got}, expected {want}"
        assert got[1] == pytest.approx(value, abs=1e-9), f"row {i}: got {got}, expected {want}"
    assert len(actual) == len(expected), \
        f"{len(actual)} rows logged, {len(expected)} expected; extra: " \
        f"{actual[len(expected):] or expected[len(actual):]}"
    return names


def in_split(share: float, remaining: float) -> bool:
    """A session before a wait does 30-70% of the remaining work."""
    return 0.3 * remaining - 1e-9 <= share <= 0.7 * remaining + 1e-9


# -- queue disciplines -------------------------------------------------------------------

# One agent, 30 minutes a ticket. T0 takes the agent at 0; T1 (minor), T2 (major) and
# T3 (critical) queue at 1, 2 and 3 and are served at 30, 60 and 90 in the discipline's
# order. Critical and major tickets have a restore target: resolving restores them too.
PRIORITY_TRACE = """
    0,telco,minor,fault
    1,telco,minor,fault
    2,telco,major,fault
    3,telco,critical,fault
"""
ARRIVALS = """
    0   0  arrived   -   technical
    0   0  entitled  -   entitled
    0   0  queued    L1  -
    0   0  engaged   L1  first      # agent free: no wait
    1   1  arrived   -   technical
    1   1  entitled  -   entitled
    1   1  queued    L1  -
    2   2  arrived   -   technical
    2   2  entitled  -   entitled
    2   2  queued    L1  -
    3   3  arrived   -   technical
    3   3  entitled  -   entitled
    3   3  queued    L1  -
    0  30  resolved  L1  -
    0  30  closed    -   -          # no confirmation delay: closed when resolved
"""


def test_fcfs_serves_in_arrival_order(tmp_path):
    """Fails if FCFS serves by severity or by anything but the queueing time."""
    result = run_trace(tmp_path, PRIORITY_TRACE)
    check_log(result, ARRIVALS + """
    1  30  engaged   L1  first      # T1 queued first (1), served 30-60
    1  60  resolved  L1  -
    1  60  closed    -   -
    2  60  engaged   L1  first      # T2 (queued 2), 60-90
    2  90  restored  L1  -
    2  90  resolved  L1  -
    2  90  closed    -   -
    3  90  engaged   L1  first      # T3 (queued 3), 90-120
    3 120  restored  L1  -
    3 120  resolved  L1  -
    3 120  closed    -   -
    """)


def test_severity_serves_critical_then_major_then_minor(tmp_path):
    """Fails if critical and major swap priority, if minor goes before either, or if the
    discipline falls back to FCFS."""
    result = run_trace(tmp_path, PRIORITY_TRACE, {"organisation.tiers.L1.queue": "severity"})
    check_log(result, ARRIVALS + """
    3  30  engaged   L1  first      # critical (T3) first although it queued last
    3  60  restored  L1  -
    3  60  resolved  L1  -
    3  60  closed    -   -
    2  60  engaged   L1  first      # then major (T2)
    2  90  restored  L1  -
    2  90  resolved  L1  -
    2  90  closed    -   -
    1  90  engaged   L1  first      # minor (T1) last
    1 120  resolved  L1  -
    1 120  closed    -   -
    """)


def test_deadline_serves_the_earliest_response_deadline_first(tmp_path):
    """Fails if the deadline discipline orders by severity or arrival, ignores the SLA
    budget, or does not put tickets without an SLA last."""
    # T0 takes the agent 0-30. Waiting, with their response deadlines (platinum):
    #   T1 stranger minor at 1: best effort, no SLA -> inf (last)
    #   T2 telco minor at 2:  2 + 2h  = 122
    #   T3 telco major at 4:  4 + 30m =  34
    #   T4 telco critical at 25: 25 + 15m = 40
    # Deadline order T3, T4, T2, T1 (severity would give T4, T3, T1, T2; FCFS T1..T4).
    trace = """
        0,telco,minor,fault
        1,stranger,minor,fault
        2,telco,minor,fault
        4,telco,major,fault
        25,telco,critical,fault
    """
    result = run_trace(tmp_path, trace, {"organisation.tiers.L1.queue": "deadline"})
    check_log(result, """
    0   0  arrived   -   technical
    0   0  entitled  -   entitled
    0   0  queued    L1  -
    0   0  engaged   L1  first
    1   1  arrived   -   technical
    1   1  entitled  -   best_effort
    1   1  queued    L1  -
    2   2  arrived   -   technical
    2   2  entitled  -   entitled
    2   2  queued    L1  -
    3   4  arrived   -   technical
    3   4  entitled  -   entitled
    3   4  queued    L1  -
    4  25  arrived   -   technical
    4  25  entitled  -   entitled
    4  25  queued    L1  -
    0  30  resolved  L1  -
    0  30  closed    -   -
    3  30  engaged   L1  first      # deadline 34
    3  60  restored  L1  -
    3  60  resolved  L1  -
    3  60  closed    -   -
    4  60  engaged   L1  first      # deadline 40 (breached, still before 122)
    4  90  restored  L1  -
    4  90  resolved  L1  -
    4  90  closed    -   -
    2  90  engaged   L1  first      # deadline 122
    2 120  resolved  L1  -
    2 120  closed    -   -
    1 120  engaged   L1  first      # no SLA: last although it queued first
    1 150  resolved  L1  -
    1 150  closed    -   -
    """)


def test_an_expired_contract_gets_emergency_recovery_or_is_rejected(tmp_path):
    """Fails if an expired contract's critical fault is resolved (it is only restored, then
    closed), or if its minor fault is served or left open instead of rejected and closed
    at once."""
    # lapsed: gold, contract expired. T0 critical at 0: emergency recovery, always covered,
    # restored at 30 and closed without resolution. T1 minor at 1: rejected at once.
    result = run_trace(tmp_path, """
        0,lapsed,critical,fault
        1,lapsed,minor,fault
    """)
    check_log(result, """
    0   0  arrived   -   technical
    0   0  entitled  -   emergency_only
    0   0  queued    L1  -
    0   0  engaged   L1  first
    1   1  arrived   -   technical
    1   1  rejected  -   not_entitled
    1   1  closed    -   rejected
    0  30  restored  L1  -
    0  30  closed    L1  emergency_recovery
    """)


def test_deadline_after_the_response_is_restore_while_a_restore_is_due(tmp_path):
    """Fails if the deadline discipline ranks an engaged ticket by its resolve deadline
    while its restore is still due (or by its response deadline once engaged)."""
    # L1 (two agents, 30m) escalates everything without a workaround to L2 (one agent,
    # 60m, deadline queue). Monday from 09:00 = 540:
    #   T0 telco minor at 540: L1 540-570, L2 570-630.
    #   T1 telco minor at 545: L1 545-575, waits at L2 from 575; resolve deadline
    #     545 + 60d = 86945.
    #   T2 shop (silver) major at 550: L1 busy until 570, 570-600; waits at L2 from 600;
    #     restore deadline 2 business days, far before T1's (its resolve deadline, 60d,
    #     would come after T1's).
    # At 630 L2 takes T2 (restore due) before T1, which queued earlier.
    sets = {"organisation.tiers.L1.shifts.0.agents": 2,
            "organisation.tiers.L1.resolves": 0, "organisation.tiers.L1.escalates_to": "L2",
            "organisation.tiers.L2": {
                "shifts": [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 1}],
                "handling": {"default": {"fixed": {"value": "1h"}}}, "queue": "deadline"}}
    result = run_trace(tmp_path, """
        540,telco,minor,fault
        545,telco,minor,fault
        550,shop,major,fault
    """, sets)
    check_log(result, """
    0 540  arrived      -   technical
    0 540  entitled     -   entitled
    0 540  queued       L1  -
    0 540  engaged      L1  first
    1 545  arrived      -   technical
    1 545  entitled     -   entitled
    1 545  queued       L1  -
    1 545  engaged      L1  first
    2 550  arrived      -   technical
    2 550  entitled     -   entitled
    2 550  queued       L1  -
    0 570  handed_over  L1  L2         # no hand-over delay
    0 570  queued       L2  -
    0 570  engaged      L2  -
    2 570  engaged      L1  first
    1 575  handed_over  L1  L2
    1 575  queued       L2  -
    2 600  handed_over  L1  L2
    2 600  queued       L2  -
    0 630  resolved     L2  -
    0 630  closed       -   -
    2 630  engaged      L2  -          # restore deadline first
    2 690  restored     L2  -
    2 690  resolved     L2  -
    2 690  closed       -   -
    1 690  engaged      L2  -
    1 750  resolved     L2  -
    1 750  closed       -   -
    """)


# -- shifts, coverage, hand-over ---------------------------------------------------------

def test_shift_end_hands_back_the_latest_session_with_its_remaining_work(tmp_path):
    """Fails if a shift end hands back the earliest session instead of the latest, loses
    or restarts the work done, or puts the handed-back ticket behind the queue."""
    # Two agents 00:00-10:00, one 10:00-24:00; two hours a ticket.
    #   T0 at 500 (08:20): served from 500, would end 620.
    #   T1 at 540 (09:00): served from 540, would end 660.
    #   T2 at 560: both agents busy, queues.
    # 600 (10:00): one agent left; T1 started last -> released with 120 - 60 = 60 to do,
    #   at the head of the queue (before T2, which queued earlier).
    # 620: T0 ends; T1 resumes (not a first engagement), ends 680; T2 then 680-800.
    sets = {"organisation.tiers.L1.shifts": [
        {"days": "Mon-Sun", "hours": "00:00-10:00", "agents": 2},
        {"days": "Mon-Sun", "hours": "10:00-24:00", "agents": 1}],
        "organisation.tiers.L1.handling": {"default": {"fixed": {"value": "2h"}}}}
    result = run_trace(tmp_path, """
        500,telco,minor,fault
        540,telco,minor,fault
        560,telco,minor,fault
    """, sets)
    check_log(result, """
    0 500  arrived   -   technical
    0 500  entitled  -   entitled
    0 500  queued    L1  -
    0 500  engaged   L1  first
    1 540  arrived   -   technical
    1 540  entitled  -   entitled
    1 540  queued    L1  -
    1 540  engaged   L1  first
    2 560  arrived   -   technical
    2 560  entitled  -   entitled
    2 560  queued    L1  -
    1 600  released  L1  shift_end
    0 620  resolved  L1  -
    0 620  closed    -   -
    1 620  engaged   L1  -          # 60 minutes left
    1 680  resolved  L1  -
    1 680  closed    -   -
    2 680  engaged   L1  first
    2 800  resolved  L1  -
    2 800  closed    -   -
    """)


def test_tickets_wait_for_their_coverage_hours(tmp_path):
    """Fails if a silver ticket is served outside office hours, if work in progress stops at
    the close, or if a waiting silver ticket holds up a platinum one."""
    # shop (silver): office hours Mon-Fri 09:00-12:00, 13:00-18:00.
    #   T0 at 480 (Mon 08:00): queued, engaged when the office opens at 540, ends 570.
    #   T1 at 710 (11:50): engaged at once, works past the 12:00 close to 740.
    #   T2 at 730 (12:10, lunch): parked until 13:00 = 780, ends 810.
    #   T3 telco (platinum, 7x24) at 730: waits only for the agent (T1 until 740).
    #   T4 at 6900 (Fri 19:00): waits for Monday 09:00 = 7 x 1440 + 540 = 10620.
    result = run_trace(tmp_path, """
        480,shop,minor,fault
        710,shop,minor,fault
        730,shop,minor,fault
        730,telco,minor,fault
        6900,shop,minor,fault
    """, {"horizon": "2w"})
    check_log(result, """
    0   480  arrived   -   technical
    0   480  entitled  -   entitled
    0   480  queued    L1  -
    0   540  engaged   L1  first
    0   570  resolved  L1  -
    0   570  closed    -   -
    1   710  arrived   -   technical
    1   710  entitled  -   entitled
    1   710  queued    L1  -
    1   710  engaged   L1  first
    2   730  arrived   -   technical
    2   730  entitled  -   entitled
    2   730  queued    L1  -
    3   730  arrived   -   technical
    3   730  entitled  -   entitled
    3   730  queued    L1  -
    1   740  resolved  L1  -
    1   740  closed    -   -
    3   740  engaged   L1  first
    3   770  resolved  L1  -
    3   770  closed    -   -
    2   780  engaged   L1  first
    2   810  resolved  L1  -
    2   810  closed    -   -
    4  6900  arrived   -   technical
    4  6900  entitled  -   entitled
    4  6900  queued    L1  -
    4 10620  engaged   L1  first
    4 10650  resolved  L1  -
    4 10650  closed    -   -
    """)


def test_a_level_s_calendar_per_severity(tmp_path):
    """Fails if a level's per-severity calendar is ignored: gold is covered 08:00-20:00
    every day, but around the clock for critical faults."""
    # Both at 120 (Mon 02:00): the major fault waits for 08:00 = 480; the critical one
    # is served at once.
    result = run_trace(tmp_path, """
        120,goldco,major,fault
        120,goldco,critical,fault
    """)
    check_log(result, """
    0 120  arrived   -   technical
    0 120  entitled  -   entitled
    0 120  queued    L1  -
    1 120  arrived   -   technical
    1 120  entitled  -   entitled
    1 120  queued    L1  -
    1 120  engaged   L1  first
    1 150  restored  L1  -
    1 150  resolved  L1  -
    1 150  closed    -   -
    0 480  engaged   L1  first
    0 510  restored  L1  -
    0 510  resolved  L1  -
    0 510  closed    -   -
    """)


def test_hand_over_delay_and_workaround_before_escalation(tmp_path):
    """Fails if the hand-over delay is skipped or doubled, if a critical ticket is not
    restored before it leaves L1 (restores: 100%), if a minor one is, or if the next tier
    gets the wrong handling time."""
    # L1 resolves nothing and hands over after 10 minutes; L2 (one agent, 7x24) takes 60.
    #   T0 critical at 0: L1 0-30, restored 30, handed over 30, at L2 40-100.
    #   T1 minor at 5: L1 30-60, handed over 60, at L2 70, waits for T0 until 100, 100-160.
    sets = {"organisation.tiers.L1.resolves": 0, "organisation.tiers.L1.restores": 1,
            "organisation.tiers.L1.escalates_to": "L2",
            "organisation.tiers.L1.handover": {"fixed": {"value": "10m"}},
            "organisation.tiers.L2": {
                "shifts": [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 1}],
                "handling": {"default": {"fixed": {"value": "1h"}}}}}
    result = run_trace(tmp_path, """
        0,telco,critical,fault
        5,telco,minor,fault
    """, sets)
    check_log(result, """
    0   0  arrived      -   technical
    0   0  entitled     -   entitled
    0   0  queued       L1  -
    0   0  engaged      L1  first
    1   5  arrived      -   technical
    1   5  entitled     -   entitled
    1   5  queued       L1  -
    0  30  restored     L1  -
    0  30  handed_over  L1  L2
    1  30  engaged      L1  first
    0  40  queued       L2  -
    0  40  engaged      L2  -          # not the first engagement: response was at L1
    1  60  handed_over  L1  L2
    1  70  queued       L2  -
    0 100  resolved     L2  -          # already restored: no second restore
    0 100  closed       -   -
    1 100  engaged      L2  -
    1 160  resolved     L2  -
    1 160  closed       -   -
    """)


# -- waits -------------------------------------------------------------------------------

def test_waits_for_customer_then_vendor_split_the_work(tmp_path):
    """Fails if the waits come in another order, if a wait's length is not its
    distribution's, or if work is lost or repeated around them."""
    # 30 minutes of work; the customer wait (60m) comes first, then the vendor's (120m).
    # Session 1 does a in [9, 21]; session 2 does (b - a - 60), 30-70% of the 30 - a left;
    # session 3 the rest, so the ticket is resolved at 30 + 60 + 120 = 210.
    sets = {"organisation.tiers.L1.waiting": {
        "customer": {"probability": 1, "duration": {"fixed": {"value": "1h"}}},
        "vendor": {"probability": 1, "duration": {"fixed": {"value": "2h"}}}}}
    result = run_trace(tmp_path, "0,telco,minor,fault", sets)
    t = check_log(result, """
    0       0  arrived           -   technical
    0       0  entitled          -   entitled
    0       0  queued            L1  -
    0       0  engaged           L1  first
    0       a  waiting_customer  L1  -
    0    a+60  resumed           L1  waiting_customer
    0    a+60  engaged           L1  -
    0       b  waiting_vendor    L1  -
    0   b+120  resumed           L1  waiting_vendor
    0   b+120  engaged           L1  -
    0     210  resolved          L1  -
    0     210  closed            -   -
    """)
    assert in_split(t["a"], 30) and in_split(t["b"] - t["a"] - 60, 30 - t["a"])


def test_waits_for_parts_in_stock_and_on_backorder(tmp_path):
    """Fails if a stock-out does not wait for the replenishment, if backorders are not
    served oldest first, or if the delivery time ignores the level's parts target."""
    # One board in stock, replenishment 2 days (2880) after each take; express delivery 4h
    # (platinum's parts target is 4h), standard 1 day (no SLA). Everyone needs a board.
    #   T0 platinum critical at 0: works a, takes the board, resumes a + 240, ends 270.
    #   T1 platinum major at 1: served from a, works to b, stock-out (backorder); the
    #     board ordered at a arrives at a + 2880, delivered express: resumes a + 3120 with
    #     30 - (b - a) to do.
    #   T2 stranger (best effort) at 2: served from b, works to c, second backorder; the
    #     board ordered at b comes at b + 2880, standard delivery: resumes b + 4320.
    sets = {"organisation.parts": {
        "need": {"hardware": 1},
        "classes": {"board": {"share": 1, "stock": 1,
                              "replenish": {"fixed": {"value": "2d"}}}},
        "express": {"fixed": {"value": "4h"}}, "standard": {"fixed": {"value": "1d"}}}}
    result = run_trace(tmp_path, """
        0,telco,critical,hardware
        1,telco,major,hardware
        2,stranger,minor,hardware
    """, sets)
    t = check_log(result, """
    0         0  arrived        -   technical
    0         0  entitled       -   entitled
    0         0  queued         L1  -
    0         0  engaged        L1  first
    1         1  arrived        -   technical
    1         1  entitled       -   entitled
    1         1  queued         L1  -
    2         2  arrived        -   technical
    2         2  entitled       -   best_effort
    2         2  queued         L1  -
    0         a  waiting_parts  L1  board
    1         a  engaged        L1  first
    1         b  waiting_parts  L1  board_backorder
    2         b  engaged        L1  first
    2         c  waiting_parts  L1  board_backorder
    0     a+240  resumed        L1  waiting_parts
    0     a+240  engaged        L1  -
    0       270  restored       L1  -
    0       270  resolved       L1  -
    0       270  closed         -   -
    1    a+3120  resumed        L1  waiting_parts
    1    a+3120  engaged        L1  -
    1    2*a+3150-b  restored   L1  -
    1    2*a+3150-b  resolved   L1  -
    1    2*a+3150-b  closed     -   -
    2    b+4320  resumed        L1  waiting_parts
    2    b+4320  engaged        L1  -
    2    2*b+4350-c  resolved   L1  -
    2    2*b+4350-c  closed     -   -
    """)
    assert in_split(t["a"], 30) and in_split(t["b"] - t["a"], 30) \
        and in_split(t["c"] - t["b"], 30)


# -- complaints and the warm-up ----------------------------------------------------------

COMPLAINING = {"demand.complaint_on_breach": 1}


def waiting_for(what: str) -> dict[str, Any]:
    """Every ticket at L1 waits 5 hours for ``what`` (customer or vendor)."""
    return {"organisation.tiers.L1.waiting": {what: {
        "probability": 1, "duration": {"fixed": {"value": "5h"}}}}}


def test_a_customer_wait_pauses_the_restore_clock_of_the_complaint_trigger(tmp_path):
    """Fails if the complaint trigger ignores pauses: restored at 330 is 30 minutes of
    restore clock after a 300-minute customer wait, within the 4h target."""
    result = run_trace(tmp_path, "0,telco,critical,fault",
                       {**COMPLAINING, **waiting_for("customer")})
    check_log(result, """
    0       0  arrived           -   technical
    0       0  entitled          -   entitled
    0       0  queued            L1  -
    0       0  engaged           L1  first
    0       a  waiting_customer  L1  -
    0   a+300  resumed           L1  waiting_customer
    0   a+300  engaged           L1  -
    0     330  restored          L1  -          # 330 - 300 paused = 30 <= 240: no complaint
    0     330  resolved          L1  -
    0     330  closed            -   -
    """)


def test_a_vendor_wait_does_not_pause_the_restore_clock_and_raises_a_complaint(tmp_path):
    """Fails if complaints are never raised, if vendor waits pause the restore clock (the
    catalogue pauses it for the customer only), or if the breached clock is misnamed."""
    result = run_trace(tmp_path, "0,telco,critical,fault",
                       {**COMPLAINING, **waiting_for("vendor")})
    check_log(result, """
    0       0  arrived           -   technical
    0       0  entitled          -   entitled
    0       0  queued            L1  -
    0       0  engaged           L1  first       # response at 0 <= 15: no complaint
    0       a  waiting_vendor    L1  -
    0   a+300  resumed           L1  waiting_vendor
    0   a+300  engaged           L1  -
    0     330  restored          L1  -
    0     330  complaint_raised  -   restore     # 330 > 240, nothing paused
    0     330  resolved          L1  -           # at most one complaint per ticket
    0     330  closed            -   -
    """)


def test_a_late_response_raises_one_complaint_handled_by_the_complaint_team(tmp_path):
    """Fails if the response clock is not checked at the first engagement, if a response
    exactly at its deadline counts as breached, if a ticket complains twice, or if the
    complaint does not become a ticket for the team that handles complaints."""
    # T0 minor takes the agent 0-30; T1 critical (response 15m) waits from 1 and is
    # engaged at 30 > 16: complaint. The complaint is ticket T2 for the care team (one
    # agent, 20m), 30-50. T1 is restored at 60, already complained: no second complaint.
    # T3 critical at 45 is engaged at 60 = 45 + 15, just in time: no complaint.
    sets = {**COMPLAINING, "organisation.teams": {"care": {
        "handles": ["complaints"],
        "shifts": [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 1}],
        "handling": {"default": {"fixed": {"value": "20m"}}}}}}
    result = run_trace(tmp_path, """
        0,telco,minor,fault
        1,telco,critical,fault
        45,telco,critical,fault
    """, sets)
    check_log(result, """
    0   0  arrived           -     technical
    0   0  entitled          -     entitled
    0   0  queued            L1    -
    0   0  engaged           L1    first
    1   1  arrived           -     technical
    1   1  entitled          -     entitled
    1   1  queued            L1    -
    0  30  resolved          L1    -
    0  30  closed            -     -
    1  30  engaged           L1    first
    1  30  complaint_raised  -     response
    2  30  arrived           -     complaint    # no entitlement check for complaints
    2  30  queued            care  -
    2  30  engaged           care  first
    3  45  arrived           -     technical
    3  45  entitled          -     entitled
    3  45  queued            L1    -
    2  50  resolved          care  -
    2  50  closed            -     -
    1  60  restored          L1    -
    1  60  resolved          L1    -
    1  60  closed            -     -
    3  60  engaged           L1    first
    3  90  restored          L1    -
    3  90  resolved          L1    -
    3  90  closed            -     -
    """)
    assert result.tickets()["parent"].tolist() == [-1, -1, 1, -1]


WARMUP_TRACE = """
    1439,telco,minor,fault
    1440,telco,minor,fault
    1500,shop,,billing
"""


def test_warm_up_boundary_in_the_ticket_table_and_the_kpis(tmp_path):
    """Fails if a ticket arriving exactly at the end of the warm-up (1440 of a 1-day
    warm-up) is left out, or one a minute before it is counted."""
    sets = {"warmup": "1d", "organisation.teams": {"desk": {
        "handles": ["billing"],
        "shifts": [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 1}],
        "handling": {"default": {"fixed": {"value": "20m"}}}}}}
    result = run_trace(tmp_path, WARMUP_TRACE, sets)
    tickets = result.tickets()
    assert tickets["warmup"].tolist() == [True, False, False]
    summary = analyse(result).summary
    assert summary["tickets"]["by_kind"]["technical"]["arrived"] == 1
    assert summary["tickets"]["by_kind"]["non_technical"]["arrived"] == 1
    assert summary["sla"]["platinum"]["minor"]["response"]["n"] == 1
    # streaming mode flags its chunks itself
    loaded = load_scenario(BASE, {"demand.trace.file": str(tmp_path / "trace.csv"), **sets})
    _, streamed = run_streaming(loaded)
    assert streamed["tickets"]["by_kind"]["technical"]["arrived"] == 1
    assert streamed["tickets"]["by_kind"]["non_technical"]["arrived"] == 1
    assert streamed["sla"]["platinum"]["minor"]["response"]["n"] == 1
