"""Golden cases for the SLA clock semantics, on hand-written event logs."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from itr_sim.analysis.clock_table import evaluate_clocks
from itr_sim.model.catalog import Catalog

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
H = 60.0
D = 1440.0


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


def clocks(rows, level, severity, origin, end=30 * D, **policies):
    table = evaluate_clocks(log(rows, level, severity), catalog(**policies), origin, end)
    return {(r.clock, r.cycle): r for r in table.itertuples()}


def at(origin, *args):
    """Minutes from origin to a local time (via UTC: same-tzinfo subtraction is wall time)."""
    moment = datetime(*args, tzinfo=origin.tzinfo)
    return (moment.astimezone(UTC) - origin.astimezone(UTC)).total_seconds() / 60.0


def test_dst_change_shortens_the_night():
    origin = datetime(2027, 3, 13, tzinfo=NY)
    arrive = at(origin, 2027, 3, 14, 0, 30)  # 02:00-03:00 does not exist that night
    ok = clocks([(arrive, "arrived"), (arrive + 5, "engaged"),
                 (at(origin, 2027, 3, 14, 5, 15), "restored"),
                 (at(origin, 2027, 3, 14, 6, 0), "resolved")], "dst", "critical", origin)
    assert ok[("restore", 1)].deadline_min == at(origin, 2027, 3, 14, 5, 30)
    assert ok[("restore", 1)].status == "met"
    assert ok[("restore", 1)].business_elapsed_min == pytest.approx(3 * H + 45)
    late = clocks([(arrive, "arrived"), (arrive + 5, "engaged"),
                   (at(origin, 2027, 3, 14, 5, 45), "restored")], "dst", "critical", origin)
    assert late[("restore", 1)].breached and late[("restore", 1)].lateness_min == 15


def test_friday_1759_on_5x8():
    origin = datetime(2027, 1, 4, tzinfo=SH)
    arrive = at(origin, 2027, 1, 8, 17, 59)
    c = clocks([(arrive, "arrived"), (at(origin, 2027, 1, 11, 10, 30), "engaged")],
               "office", "critical", origin)
    response = c[("response", 1)]
    assert response.deadline_min == at(origin, 2027, 1, 11, 10, 59)
    assert response.status == "met"
    assert response.business_elapsed_min == pytest.approx(91)


def test_holiday_on_the_next_business_day():
    origin = datetime(2027, 1, 4, tzinfo=SH)
    arrive = at(origin, 2027, 1, 14, 10, 0)  # Thursday before the cut-off; Friday is a holiday
    c = clocks([(arrive, "arrived"), (arrive + 30, "engaged"),
                (at(origin, 2027, 1, 18, 17, 0), "resolved")], "office", "major", origin)
    resolve = c[("resolve", 1)]
    assert resolve.deadline_min == at(origin, 2027, 1, 18, 18, 0)  # Monday's close
    assert resolve.status == "met"


def test_pause_across_midnight_moves_the_deadline():
    origin = datetime(2027, 1, 4, tzinfo=SH)
    start = at(origin, 2027, 1, 5, 22, 0)
    rows = [(start, "arrived"), (start + 10, "engaged"),
            (at(origin, 2027, 1, 5, 23, 30), "waiting_customer"),
            (at(origin, 2027, 1, 6, 0, 30), "resumed", "waiting_customer"),
            (at(origin, 2027, 1, 6, 2, 30), "restored")]
    c = clocks(rows, "always", "critical", origin)
    restore = c[("restore", 1)]
    assert restore.paused_waiting_customer_min == 60
    assert restore.deadline_min == start + 5 * H  # 4 h budget + 1 h paused
    assert restore.business_elapsed_min == pytest.approx(3.5 * H)
    assert restore.status == "met"
    # the response clock is not paused by waiting for the customer (default pause scope)
    assert c[("response", 1)].paused_waiting_customer_min == 0


@pytest.mark.parametrize(("policy", "status", "deadline_h"),
                         [("retroactive", "breached", 4), ("restart", "met", 7)])
def test_severity_upgrade(policy, status, deadline_h):
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (10, "engaged"), (3 * H, "severity_changed", "critical"),
            (5 * H, "restored"), (6 * H, "resolved")]
    c = clocks(rows, "always", "major", origin, severity_upgrade=policy)
    restore = c[("restore", 1)]
    assert restore.severity == "critical"
    assert restore.deadline_min == deadline_h * H
    assert restore.status == status


def test_downgrade_keeps_the_time_already_spent():
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (10, "engaged"), (10 * H, "severity_changed", "minor"),
            (3 * D, "resolved")]
    c = clocks(rows, "always", "critical", origin)  # default downgrade: keep_elapsed
    resolve = c[("resolve", 1)]
    assert resolve.severity == "minor"
    assert resolve.deadline_min == 5 * D  # 10 h spent, 5 d - 10 h left from the change
    assert resolve.business_elapsed_min == pytest.approx(3 * D)


def test_reopen_after_closure_new_cycle_or_continue():
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (10, "engaged"), (2 * D, "resolved"), (3 * D, "closed"),
            (5 * D, "reopened"), (6 * D, "resolved"), (6.5 * D, "closed")]
    cycles = clocks(rows, "always", "minor", origin)
    assert cycles[("resolve", 1)].stop_min == 2 * D
    assert cycles[("resolve", 2)].start_min == 5 * D
    assert cycles[("resolve", 2)].business_elapsed_min == pytest.approx(1 * D)
    one = clocks(rows, "always", "minor", origin, on_reopen="continue")
    assert ("resolve", 2) not in one
    assert one[("resolve", 1)].stop_min == 6 * D
    assert one[("resolve", 1)].business_elapsed_min == pytest.approx(3 * D)


def test_a_breach_keeps_accruing_lateness():
    origin = datetime(2027, 1, 4, tzinfo=SH)
    rows = [(0, "arrived"), (5, "engaged")]
    c = clocks(rows, "always", "critical", origin, end=3 * D)
    resolve = c[("resolve", 1)]
    assert resolve.status == "breached" and resolve.lateness_min == pytest.approx(2 * D)
    assert pd.isna(resolve.stop_min)
    later = clocks(rows, "always", "critical", origin, end=5 * D)[("resolve", 1)]
    assert later.lateness_min == pytest.approx(4 * D)
    early = clocks(rows, "always", "critical", origin, end=0.5 * D)[("resolve", 1)]
    assert early.status == "open" and not early.breached
