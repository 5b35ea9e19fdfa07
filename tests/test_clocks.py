"""Golden cases for the SLA clock semantics, on hand-written event logs."""

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from itr_sim.analysis.clock_table import evaluate_clocks
from itr_sim.analysis.clocks import evaluate_clocks_per_ticket
from itr_sim.model.catalog import Catalog

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
H = 60.0
D = 1440.0
IMPLS = pytest.mark.parametrize("impl", [evaluate_clocks, evaluate_clocks_per_ticket],
                                ids=["array", "per_ticket"])
"""Every case runs on the array table (what the analysis uses) and on the per-ticket
reference, each against the same hand-worked values."""


def catalog(**policies):
    return Catalog.model_validate({
        "catalog": "golden",
        "calendars": {
            "ny": {"timezone": "America/New_York"},
            "sh": {"timezone": "Asia/Shanghai"},
            "office": {"timezone": "Asia/Shanghai", "week": {"Mon-Fri": "09:00-18:00"},
                       "holidays": {"extra": [date(2027, 1, 15)]}},
        },
        "severities": ["critical", "major", "minor"],
        "policies": policies,
        "levels": {
            "dst": {"calendar": "ny", "attainment": "95%", "targets": {
                "critical": {"response": "15m", "restore": "4h", "resolve": "1d"},
                "major": {"response": "30m", "resolve": "2d"},
                "minor": {"response": "1h", "resolve": "5d"}}},
            "always": {"calendar": "sh", "attainment": "95%", "targets": {
                "critical": {"response": "15m", "restore": "4h", "resolve": "1d"},
                "major": {"response": "30m", "restore": "12h", "resolve": "2d"},
                "minor": {"response": "1h", "resolve": "5d"}}},
            "office": {"calendar": "office", "attainment": "90%", "targets": {
                "critical": {"response": "2h", "resolve": "NBD"},
                "major": {"response": "4h", "resolve": "NBD"},
                "minor": {"response": "1bd", "resolve": "3bd"}}},
        },
    })


def log(rows, level, severity):
    """rows: (minutes, event, detail)."""
    return pd.DataFrame({
        "ticket": 0, "time_min": [r[0] for r in rows], "event": [r[1] for r in rows],
        "unit": "L1", "detail": [r[2] if len(r) > 2 else "" for r in rows],
        "level": level, "severity": severity,
    })


def clocks(impl, rows, level, severity, origin, end=30 * D, **policies):
    table = impl(log(rows, level, severity), catalog(**policies), origin, end)
    return {(r.clock, r.cycle): r for r in table.itertuples()}


def at(origin, *args):
    """Minutes from origin to a local time (via UTC: same-tzinfo subtraction is wall time)."""
    moment = datetime(*args, tzinfo=origin.tzinfo)
    return (moment.astimezone(UTC) - origin.astimezone(UTC)).total_seconds() / 60.0


@IMPLS
def test_dst_change_shortens_the_night(impl):
    origin = datetime(2027, 3, 13, tzinfo=NY)
    arrive = at(origin, 2027, 3, 14, 0, 30)  # 02:00-03:00 does not exist that night
    ok = clocks(impl, [(arrive, "arrived"), (arrive + 5, "engaged"),
                 (at(origin, 2027, 3, 14, 5, 15), "restored"),
                 (at(origin, 2027, 3, 14, 6, 0), "resolved")], "dst", "critical", origin)
    assert ok[("restore", 1)].deadline_min == at(origin, 2027, 3, 14, 5, 30)
    assert ok[("restore", 1)].status == "met"
    assert ok[("restore", 1)].business_elapsed_min == pytest.approx(3 * H + 45)
    late = clocks(impl, [(arrive, "arrived"), (arrive + 5, "engaged"),
                   (at(origin, 2027, 3, 14, 5, 45), "restored")], "dst", "critical", origin)
    assert late[("restore", 1)].breached and late[("restore", 1)].lateness_min == 15


@IMPLS
def test_friday_1759_on_5x8(impl):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    arrive = at(origin, 2027, 1, 8, 17, 59)
    c = clocks(impl, [(arrive, "arrived"), (at(origin, 2027, 1, 11, 10, 30), "engaged")],
               "office", "critical", origin)
    response = c[("response", 1)]
    assert response.deadline_min == at(origin, 2027, 1, 11, 10, 59)
    assert response.status == "met"
    assert response.business_elapsed_min == pytest.approx(91)


@IMPLS
def test_holiday_on_the_next_business_day(impl):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    arrive = at(origin, 2027, 1, 14, 10, 0)  # Thursday before the cut-off; Friday is a holiday
    c = clocks(impl, [(arrive, "arrived"), (arrive + 30, "engaged"),
                (at(origin, 2027, 1, 18, 17, 0), "resolved")], "office", "major", origin)
    resolve = c[("resolve", 1)]
    assert resolve.deadline_min == at(origin, 2027, 1, 18, 18, 0)  # Monday's close
    assert resolve.status == "met"


@IMPLS
def test_pause_across_midnight_moves_the_deadline(impl):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    start = at(origin, 2027, 1, 5, 22, 0)
    rows = [(start, "arrived"), (start + 10, "engaged"),
            (at(origin, 2027, 1, 5, 23, 30), "waiting_customer"),
            (at(origin, 2027, 1, 6, 0, 30), "resumed", "waiting_customer"),
            (at(origin, 2027, 1, 6, 2, 30), "restored")]
    c = clocks(impl, rows, "always", "critical", origin)
    restore = c[("restore", 1)]
    assert restore.paused_waiting_customer_min == 60
    assert restore.deadline_min == start + 5 * H  # 4 h budget + 1 h paused
    assert restore.business_elapsed_min == pytest.approx(3.5 * H)
    assert restore.status == "met"
    # the response clock is not paused by waiting for the customer (default pause scope)
    assert c[("response", 1)].paused_waiting_customer_min == 0


@IMPLS
@pytest.mark.parametrize(("policy", "status", "deadline_h"),
                         [("retroactive", "breached", 4), ("restart", "met", 7)])
def test_severity_upgrade(impl, policy, status, deadline_h):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (10, "engaged"), (3 * H, "severity_changed", "critical"),
            (5 * H, "restored"), (6 * H, "resolved")]
    c = clocks(impl, rows, "always", "major", origin, severity_upgrade=policy)
    restore = c[("restore", 1)]
    assert restore.severity == "critical"
    assert restore.deadline_min == deadline_h * H
    assert restore.status == status


@IMPLS
def test_downgrade_keeps_the_time_already_spent(impl):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (10, "engaged"), (10 * H, "severity_changed", "minor"),
            (3 * D, "resolved")]
    c = clocks(impl, rows, "always", "critical", origin)  # default downgrade: keep_elapsed
    resolve = c[("resolve", 1)]
    assert resolve.severity == "minor"
    assert resolve.deadline_min == 5 * D  # 10 h spent, 5 d - 10 h left from the change
    assert resolve.business_elapsed_min == pytest.approx(3 * D)


@IMPLS
def test_reopen_after_closure_new_cycle_or_continue(impl):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (10, "engaged"), (2 * D, "resolved"), (3 * D, "closed"),
            (5 * D, "reopened"), (6 * D, "resolved"), (6.5 * D, "closed")]
    cycles = clocks(impl, rows, "always", "minor", origin)
    assert cycles[("resolve", 1)].stop_min == 2 * D
    assert cycles[("resolve", 2)].start_min == 5 * D
    assert cycles[("resolve", 2)].business_elapsed_min == pytest.approx(1 * D)
    one = clocks(impl, rows, "always", "minor", origin, on_reopen="continue")
    assert ("resolve", 2) not in one
    assert one[("resolve", 1)].stop_min == 6 * D
    assert one[("resolve", 1)].business_elapsed_min == pytest.approx(3 * D)


@IMPLS
def test_a_breach_keeps_accruing_lateness(impl):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (5, "engaged")]
    c = clocks(impl, rows, "always", "critical", origin, end=3 * D)
    resolve = c[("resolve", 1)]
    assert resolve.status == "breached" and resolve.lateness_min == pytest.approx(2 * D)
    assert pd.isna(resolve.stop_min)
    later = clocks(impl, rows, "always", "critical", origin, end=5 * D)[("resolve", 1)]
    assert later.lateness_min == pytest.approx(4 * D)
    early = clocks(impl, rows, "always", "critical", origin, end=0.5 * D)[("resolve", 1)]
    assert early.status == "open" and not early.breached


# --- Hand-worked cases, checked on BOTH implementations ------------------------------------
# The array table (what the analysis uses) and the per-ticket reference are each compared with
# values worked out by hand in the comments, never with each other.

ORIGIN = datetime(2027, 1, 4, tzinfo=SH)  # Monday 00:00 in Shanghai; minute 0


def hand_catalog(**clock_scope):
    """24x7 level ``fast`` and 5x9 level ``nbd`` (cut-off 12:00, not the default 15:00) on
    an office calendar Mon-Fri 09:00-18:00 with Friday 2027-01-15 a holiday."""
    spec = {
        "catalog": "hand",
        "calendars": {
            "sh": {"timezone": "Asia/Shanghai"},
            "office": {"timezone": "Asia/Shanghai", "week": {"Mon-Fri": "09:00-18:00"},
                       "holidays": {"extra": [date(2027, 1, 15)]}},
        },
        "severities": ["critical", "major", "minor"],
        "non_technical": {"calendar": "office",
                          "targets": {"response": "1bd", "resolve": "5bd", "survey": "1h"}},
        "complaints": {"calendar": "office",
                       "targets": {"acknowledge": "4h", "reply": "2bd", "close": "10bd"}},
        "levels": {
            "fast": {"calendar": "sh", "attainment": "95%", "targets": {
                "critical": {"response": "15m", "restore": "4h", "resolve": "1d",
                             "update": "1h", "parts": "4h"}}},
            "nbd": {"calendar": "office", "attainment": "90%", "nbd_cutoff": "12:00",
                    "targets": {"major": {"response": "4h", "resolve": "NBD",
                                          "parts": "NBD"}}},
        },
    }
    if clock_scope:
        spec["clocks"] = {k: {"pause_on": v} for k, v in clock_scope.items()}
    return Catalog.model_validate(spec)


def hand(impl, tickets, end, catalog=None):
    """tickets: {id: (level, severity, kind, [(minutes, event[, detail]), ...])}; returns
    {(ticket, clock): [rows in start order]}."""
    frames = []
    for tid, (level, severity, kind, rows) in tickets.items():
        frames.append(log(rows, level, severity).assign(ticket=tid, kind=kind))
    table = impl(pd.concat(frames, ignore_index=True), catalog or hand_catalog(), ORIGIN, end)
    out = {}
    for r in table.sort_values(["ticket", "start_min"], kind="stable").itertuples():
        out.setdefault((r.ticket, r.clock), []).append(r)
    return out


def _one(c, ticket, clock):
    rows = c[(ticket, clock)]
    assert len(rows) == 1
    return rows[0]


@IMPLS
def test_update_clock_is_the_longest_uncovered_gap_net_of_customer_pauses(impl):
    """Fails if the update clock ignores its pause scope, measures from arrival, takes the
    last or first gap instead of the longest, or stops at the end instead of at resolution.

    Ticket 0 (24x7, budget 1 h): engaged 10, waiting_customer 40, resumed 200, restored 350,
    resolved 380, closed 900. Gaps: 10-40 = 30; 40-200 = 160 but all of it paused -> 0;
    200-350 = 150; 350-380 = 30. Worst 150 from minute 200: deadline 200 + 60 = 260,
    breached by 150 - 60 = 90.
    Ticket 1: the same with waiting_vendor (not in the default scope of `update`): the gap
    40-200 = 160 now counts and is the worst, from minute 40: deadline 100, lateness 100.
    Ticket 2: engaged 10, nothing more, log ends at 1000: one gap 990, still running
    (stop empty) and breached, lateness 930.
    Ticket 3: touches every 50 min from 10 to 260: worst 50 <= 60, met; the first gap of
    the largest size starts at 10, so the deadline is 70."""
    def rows(reason):
        return [(0, "arrived"), (10, "engaged"), (40, reason), (200, "resumed", reason),
                (350, "restored"), (380, "resolved"), (900, "closed")]
    touches = [(0, "arrived"), (10, "engaged")] + \
        [(t, "waiting_customer" if i % 2 == 0 else "resumed", "" if i % 2 == 0 else
          "waiting_customer") for i, t in enumerate(range(60, 260, 50))] + [(260, "resolved")]
    c = hand(impl, {0: ("fast", "critical", "technical", rows("waiting_customer")),
                    1: ("fast", "critical", "technical", rows("waiting_vendor")),
                    2: ("fast", "critical", "technical", [(0, "arrived"), (10, "engaged")]),
                    3: ("fast", "critical", "technical", touches)}, end=1000)
    u = _one(c, 0, "update")
    assert (u.start_min, u.stop_min, u.deadline_min) == (10, 380, 260)
    assert u.business_elapsed_min == pytest.approx(150)
    assert u.breached and u.status == "breached" and u.lateness_min == pytest.approx(90)
    v = _one(c, 1, "update")
    assert v.business_elapsed_min == pytest.approx(160) and v.deadline_min == 100
    assert v.lateness_min == pytest.approx(100)
    w = _one(c, 2, "update")
    assert pd.isna(w.stop_min) and w.status == "breached"
    assert w.business_elapsed_min == pytest.approx(990) and w.lateness_min == pytest.approx(930)
    m = _one(c, 3, "update")
    # touches at 10, 60 (wait), 110 (resume), 160 (wait), 210 (resume), 260 (resolved);
    # 60-110 and 160-210 are paused: gaps 50, 0, 50, 0, 50
    assert m.business_elapsed_min == pytest.approx(50) and m.status == "met"
    assert m.deadline_min == 70 and m.lateness_min == 0


@IMPLS
def test_parts_clock_runs_per_wait_for_parts_and_never_pauses(impl):
    """Fails if parts clocks are merged, take the ticket's start, get paused, or an open
    wait at the end is reported as stopped.

    24x7, parts budget 4 h. Waits for parts 60-400 (340 min: deadline 300, breached by 100),
    500-600 (100 min: deadline 740, met) and 700 to the end of the log at 1200 (open; its
    deadline 940 is passed, so breached with lateness 260). The resolve clock (1 d) is not
    paused by parts (default scope): elapsed = 1200 since arrival, no paused minutes."""
    rows = [(0, "arrived"), (5, "engaged"), (60, "waiting_parts"),
            (400, "resumed", "waiting_parts"), (500, "waiting_parts"),
            (600, "resumed", "waiting_parts"), (700, "waiting_parts")]
    c = hand(impl, {0: ("fast", "critical", "technical", rows)}, end=1200)
    parts = c[(0, "parts")]
    assert [(p.start_min, p.deadline_min) for p in parts] == [(60, 300), (500, 740),
                                                               (700, 940)]
    assert parts[0].stop_min == 400 and parts[0].status == "breached"
    assert parts[0].business_elapsed_min == pytest.approx(340)
    assert parts[0].lateness_min == pytest.approx(100)
    assert parts[1].stop_min == 600 and parts[1].status == "met" and parts[1].lateness_min == 0
    assert pd.isna(parts[2].stop_min) and parts[2].status == "breached"
    assert parts[2].lateness_min == pytest.approx(260)
    resolve = _one(c, 0, "resolve")
    assert resolve.paused_waiting_parts_min == 0
    assert resolve.business_elapsed_min == pytest.approx(1200)
    assert resolve.deadline_min == 1440 and resolve.status == "open"


@IMPLS
def test_vendor_pause_scope_follows_the_catalogue(impl):
    """Fails if a clock is paused by a reason outside its `pause_on`, or not paused by one
    inside it.

    24x7: arrived 0, engaged 10, waiting_vendor 60-180 (120 min), restored 300, resolved 500.
    Default scope (vendor pauses nothing): restore deadline 240, breached by 60; resolve
    deadline 1440, elapsed 500, nothing paused.
    resolve: pause_on [waiting_customer, waiting_vendor]: resolve deadline 1440 + 120 =
    1560, elapsed 500 - 120 = 380, paused vendor 120; restore unchanged."""
    rows = [(0, "arrived"), (10, "engaged"), (60, "waiting_vendor"),
            (180, "resumed", "waiting_vendor"), (300, "restored"), (500, "resolved")]
    tickets = {0: ("fast", "critical", "technical", rows)}
    default = hand(impl, tickets, end=2000)
    scoped = hand(impl, tickets, end=2000, catalog=hand_catalog(
        resolve=["waiting_customer", "waiting_vendor"]))
    for c in (default, scoped):
        restore = _one(c, 0, "restore")
        assert restore.deadline_min == 240 and restore.lateness_min == pytest.approx(60)
        assert restore.paused_waiting_vendor_min == 0
    d, s = _one(default, 0, "resolve"), _one(scoped, 0, "resolve")
    assert (d.deadline_min, d.paused_waiting_vendor_min) == (1440, 0)
    assert d.business_elapsed_min == pytest.approx(500)
    assert (s.deadline_min, s.paused_waiting_vendor_min) == (1560, 120)
    assert s.business_elapsed_min == pytest.approx(380)


@IMPLS
def test_restore_falls_back_to_the_resolution(impl):
    """Fails if a ticket resolved without a `restored` event leaves its restore clock
    running, or if a `restored` event is ignored.

    24x7, restore 4 h. Ticket 0: resolved at 300 without restoring: the restore clock stops
    at 300, breached by 60. Ticket 1: restored at 100, resolved at 300: stops at 100, met."""
    c = hand(impl, {
        0: ("fast", "critical", "technical", [(0, "arrived"), (5, "engaged"),
                                              (300, "resolved")]),
        1: ("fast", "critical", "technical", [(0, "arrived"), (5, "engaged"),
                                              (100, "restored"), (300, "resolved")])},
        end=2000)
    a, b = _one(c, 0, "restore"), _one(c, 1, "restore")
    assert a.stop_min == 300 and a.status == "breached" and a.lateness_min == pytest.approx(60)
    assert b.stop_min == 100 and b.status == "met"
    assert b.business_elapsed_min == pytest.approx(100)


@IMPLS
def test_a_non_default_nbd_cutoff_is_used(impl):
    """Fails if the level's `nbd_cutoff` (12:00) is replaced by the default 15:00, or the
    cut-off compares `<=` instead of `<`, for the resolve and the parts clocks.

    Office Mon-Fri 09:00-18:00, Fri 2027-01-15 a holiday.
    Ticket 0 arrives Tue 01-05 11:59, before the cut-off: NBD = Wed 01-06 18:00.
    Ticket 1 arrives Tue 01-05 12:00, at the cut-off (not before): Thu 01-07 18:00 (with
    15:00 it would be Wed). Its wait for parts starts Tue 14:00, also after the cut-off:
    Thu 18:00; resumed Thu 10:00, met.
    Ticket 2 arrives Thu 01-14 10:00: Friday is a holiday, so Mon 01-18 18:00.
    Ticket 3 arrives Sat 01-09 10:00, "before the cut-off" but not on a business day: as
    docs/units.md says (Saturday -> Tuesday), the close of the business day after the next
    one, Tue 01-12 18:00. Ticket 4 arrives on the holiday Fri 01-15 10:00: Tue 01-19 18:00."""
    at_ = functools.partial(at, ORIGIN)
    c = hand(impl, {
        0: ("nbd", "major", "technical", [(at_(2027, 1, 5, 11, 59), "arrived")]),
        1: ("nbd", "major", "technical", [
            (at_(2027, 1, 5, 12, 0), "arrived"), (at_(2027, 1, 5, 14, 0), "waiting_parts"),
            (at_(2027, 1, 7, 10, 0), "resumed", "waiting_parts")]),
        2: ("nbd", "major", "technical", [(at_(2027, 1, 14, 10, 0), "arrived")]),
        3: ("nbd", "major", "technical", [(at_(2027, 1, 9, 10, 0), "arrived")]),
        4: ("nbd", "major", "technical", [(at_(2027, 1, 15, 10, 0), "arrived")])},
        end=at_(2027, 1, 30, 0, 0))
    assert _one(c, 0, "resolve").deadline_min == at_(2027, 1, 6, 18, 0)
    assert _one(c, 1, "resolve").deadline_min == at_(2027, 1, 7, 18, 0)
    parts = _one(c, 1, "parts")
    assert parts.deadline_min == at_(2027, 1, 7, 18, 0) and parts.status == "met"
    # covered time Tue 14:00-18:00 and Wed 09:00-18:00 and Thu 09:00-10:00: 240 + 540 + 60
    assert parts.business_elapsed_min == pytest.approx(840)
    assert _one(c, 2, "resolve").deadline_min == at_(2027, 1, 18, 18, 0)
    assert _one(c, 3, "resolve").deadline_min == at_(2027, 1, 12, 18, 0)
    assert _one(c, 4, "resolve").deadline_min == at_(2027, 1, 19, 18, 0)


@IMPLS
def test_non_technical_and_complaint_clocks(impl):
    """Fails if service clocks use the wrong stop event (engaged / resolved / closed), the
    wrong calendar, elapsed instead of business-day budgets, or report targets they cannot
    measure (`survey`).

    Office Mon-Fri 09:00-18:00 (9 h days), Fri 01-15 a holiday.
    Request (non-technical) arrives Tue 01-05 17:00, engaged Wed 10:30, resolved Tue 01-12
    17:30. response 1bd: Wed 01-06 17:00, met, elapsed Tue 60 + Wed 90 = 150.
    resolve 5bd: Wed, Thu, Fri 8, Mon 11, Tue 12 -> Tue 01-12 17:00; breached by 30; elapsed
    60 + 4 x 540 + 510 = 2730.
    Complaint raised Fri 01-08 16:00, engaged Mon 01-11 10:00, resolved Wed 01-13 09:30, not
    closed; the log ends Wed 01-20 00:00. acknowledge 4 h of office time: Fri 16-18 + Mon
    09-11 -> Mon 11:00, met, elapsed 120 + 60 = 180. reply 2bd: Tue 01-12 16:00, breached by
    Tue 120 + Wed 30 = 150. close 10bd: Mon 11 ... Thu 14 (4), holiday skipped, Mon 18 ...
    Fri 22 (9), Mon 25 (10) -> Mon 01-25 16:00; still open, elapsed Fri 120 + 6 x 540 = 3360.
    """
    at_ = functools.partial(at, ORIGIN)
    c = hand(impl, {
        0: (None, None, "non_technical", [
            (at_(2027, 1, 5, 17, 0), "arrived"), (at_(2027, 1, 6, 10, 30), "engaged"),
            (at_(2027, 1, 12, 17, 30), "resolved")]),
        1: (None, None, "complaint", [
            (at_(2027, 1, 8, 16, 0), "complaint_raised"),
            (at_(2027, 1, 11, 10, 0), "engaged"), (at_(2027, 1, 13, 9, 30), "resolved")])},
        end=at_(2027, 1, 20, 0, 0))
    assert (0, "survey") not in c
    response, resolve = _one(c, 0, "response"), _one(c, 0, "resolve")
    assert response.deadline_min == at_(2027, 1, 6, 17, 0) and response.status == "met"
    assert response.business_elapsed_min == pytest.approx(150)
    assert resolve.deadline_min == at_(2027, 1, 12, 17, 0) and resolve.status == "breached"
    assert resolve.lateness_min == pytest.approx(30)
    assert resolve.business_elapsed_min == pytest.approx(2730)
    ack, reply, close = (_one(c, 1, k) for k in ("acknowledge", "reply", "close"))
    assert ack.deadline_min == at_(2027, 1, 11, 11, 0) and ack.status == "met"
    assert ack.business_elapsed_min == pytest.approx(180)
    assert reply.deadline_min == at_(2027, 1, 12, 16, 0) and reply.status == "breached"
    assert reply.lateness_min == pytest.approx(150)
    assert close.deadline_min == at_(2027, 1, 25, 16, 0) and close.status == "open"
    assert pd.isna(close.stop_min) and close.business_elapsed_min == pytest.approx(3360)


@IMPLS
def test_pauses_after_the_deadline_do_not_move_it_but_do_not_count_as_late(impl):
    """Fails if lateness counts paused time after the deadline, or if a pause beginning at
    (or after) the deadline moves it.

    24x7, restore 4 h, deadline 240. Ticket 0: waiting for the customer 300-360, restored
    400: lateness 160 - 60 = 100. Ticket 1: waiting 240-300, restored 350: the pause begins
    at the deadline, which stays 240; lateness 110 - 60 = 50."""
    c = hand(impl, {
        0: ("fast", "critical", "technical", [
            (0, "arrived"), (10, "engaged"), (300, "waiting_customer"),
            (360, "resumed", "waiting_customer"), (400, "restored")]),
        1: ("fast", "critical", "technical", [
            (0, "arrived"), (10, "engaged"), (240, "waiting_customer"),
            (300, "resumed", "waiting_customer"), (350, "restored")])}, end=2000)
    a, b = _one(c, 0, "restore"), _one(c, 1, "restore")
    assert a.deadline_min == 240 and a.lateness_min == pytest.approx(100)
    assert a.paused_waiting_customer_min == 60
    assert b.deadline_min == 240 and b.lateness_min == pytest.approx(50)
