"""Business-time arithmetic: (b) property tests on invariants, (c) golden cases."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itr_sim.calendar import BusinessClock, Calendar, weekly_windows
from itr_sim.units import parse_duration

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
WEEKDAYS = (0, 1, 2, 3, 4)

OFFICE = Calendar(name="office", timezone="Asia/Shanghai",
                  week=weekly_windows({WEEKDAYS: [(540, 1080)]}))
OFFICE_CN = Calendar(name="office_cn", timezone="Asia/Shanghai",
                     week=weekly_windows({WEEKDAYS: [(540, 720), (780, 1080)]}),
                     holiday_country="CN")
NIGHTS = Calendar(name="nights", timezone="America/New_York",
                  week=weekly_windows({tuple(range(7)): [(1200, 1920)]}))
NY_OFFICE = Calendar(name="ny_office", timezone="America/New_York",
                     week=weekly_windows({WEEKDAYS: [(480, 1020)]}), holiday_country="US",
                     extra_holidays=frozenset({date(2027, 3, 15)}))
ALWAYS = Calendar()
FULL_DAYS_NY = Calendar(name="full", timezone="America/New_York",
                        week=weekly_windows({tuple(range(7)): [(0, 1440)]}))


def clock(cal, origin=datetime(2027, 1, 4, tzinfo=SH)):
    return BusinessClock(cal, origin)


def local(bc, t):
    return bc.to_datetime(t).replace(tzinfo=None)


CALENDARS = [OFFICE, OFFICE_CN, NIGHTS, NY_OFFICE, ALWAYS, FULL_DAYS_NY]
# Engine time: minutes since the origin; spread over three years either side.
times = st.floats(min_value=-3 * 525600, max_value=3 * 525600, allow_nan=False)
budgets = st.floats(min_value=0, max_value=60 * 1440, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(cal=st.sampled_from(CALENDARS), t=times, d=budgets)
def test_elapsed_inverts_add(cal, t, d):
    bc = clock(cal)
    assert bc.elapsed(t, bc.add(t, d)) == pytest.approx(d, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(cal=st.sampled_from(CALENDARS), t=times, d1=budgets, d2=budgets)
def test_add_is_monotone_in_budget_and_start(cal, t, d1, d2):
    bc = clock(cal)
    lo, hi = sorted((d1, d2))
    assert bc.add(t, lo) <= bc.add(t, hi)
    assert bc.add(t, lo) <= bc.add(t + (hi - lo), lo) + 1e-9
    assert bc.add(t, d1) >= t


@settings(max_examples=150, deadline=None)
@given(cal=st.sampled_from(CALENDARS), t0=times, t1=times)
def test_elapsed_is_monotone_and_bounded_by_wall_time(cal, t0, t1):
    bc = clock(cal)
    a, b = sorted((t0, t1))
    e = bc.elapsed(a, b)
    assert -1e-6 <= e <= (b - a) + 1e-6


@settings(max_examples=100, deadline=None)
@given(cal=st.sampled_from(CALENDARS), t=times, d=budgets)
def test_sub_inverts_add(cal, t, d):
    bc = clock(cal)
    back = bc.sub(t, d)
    assert back <= t
    assert bc.elapsed(back, t) == pytest.approx(d, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(t=times, d=budgets)
def test_24x7_equals_wall_time(t, d):
    for cal in (ALWAYS, FULL_DAYS_NY):
        bc = clock(cal)
        assert bc.add(t, d) == pytest.approx(t + d, abs=1e-6)
        assert bc.elapsed(t, t + d) == pytest.approx(d, abs=1e-6)


def test_friday_1759_on_5x8_rolls_to_monday():
    bc = clock(OFFICE)
    t = bc.to_minutes(datetime(2027, 1, 8, 17, 59))  # a Friday
    assert local(bc, bc.add(t, 1)) == datetime(2027, 1, 8, 18, 0)
    assert local(bc, bc.add(t, 2)) == datetime(2027, 1, 11, 9, 1)
    assert local(bc, bc.add(t, 120)) == datetime(2027, 1, 11, 10, 59)
    assert local(bc, bc.deadline(t, parse_duration("1bd"))) == datetime(2027, 1, 11, 17, 59)
    # after the 15:00 cut-off: next business day is Monday, NBD is due Tuesday's close
    assert local(bc, bc.deadline(t, parse_duration("NBD"))) == datetime(2027, 1, 12, 18, 0)
    # 2d = 48 h of covered office time = 5 1/3 working days
    assert bc.elapsed(t, bc.deadline(t, parse_duration("2d"))) == 2880


def test_nbd_skips_a_holiday():
    bc = clock(NY_OFFICE, datetime(2027, 1, 4, tzinfo=NY))
    # Friday 2027-03-12 10:00, before the cut-off; Monday 15 March is an explicit holiday
    t = bc.to_minutes(datetime(2027, 3, 12, 10, 0))
    assert local(bc, bc.deadline(t, parse_duration("NBD"))) == datetime(2027, 3, 16, 17, 0)
    # Thursday 1 July before the cut-off; Friday is an ordinary day
    t = bc.to_minutes(datetime(2027, 7, 1, 10, 0))
    assert local(bc, bc.deadline(t, parse_duration("NBD"), nbd_cutoff_min=15 * 60)) == \
        datetime(2027, 7, 2, 17, 0)
    # Friday 2 July 2027 before the cut-off: Monday 5 July is Independence Day (observed)
    t = bc.to_minutes(datetime(2027, 7, 2, 10, 0))
    assert local(bc, bc.deadline(t, parse_duration("NBD"))) == datetime(2027, 7, 6, 17, 0)


def test_spring_festival_and_lunch_break_in_china():
    bc = clock(OFFICE_CN)
    t = bc.to_minutes(datetime(2027, 2, 4, 10, 0))  # Thursday before Spring Festival
    # 10:00-12:00 and 13:00-18:00 = 7 h on Thursday; 5-10 Feb are holidays
    assert local(bc, bc.add(t, 8 * 60)) == datetime(2027, 2, 11, 10, 0)
    assert bc.elapsed(t, bc.to_minutes(datetime(2027, 2, 11, 10, 0))) == 8 * 60


def test_make_up_working_day_runs_like_a_monday():
    cal = Calendar(name="cn", timezone="Asia/Shanghai",
                   week=weekly_windows({WEEKDAYS: [(540, 1080)]}), holiday_country="CN")
    bc = clock(cal)
    # 2026-02-14 is a Saturday announced as a make-up working day in China
    sat = bc.to_minutes(datetime(2026, 2, 14, 9, 0))
    assert bc.is_open(sat)
    assert bc.elapsed(sat, bc.to_minutes(datetime(2026, 2, 14, 18, 0))) == 540


def test_pause_across_midnight_on_an_overnight_shift():
    bc = clock(NIGHTS, datetime(2027, 1, 4, tzinfo=NY))
    t0 = bc.to_minutes(datetime(2027, 1, 5, 22, 0))
    t1 = bc.to_minutes(datetime(2027, 1, 6, 2, 0))
    assert bc.elapsed(t0, t1) == 240
    # 10 h from 22:00 ends at the 08:00 close; 11 h resumes at 20:00 for one more hour
    assert local(bc, bc.add(t0, 600)) == datetime(2027, 1, 6, 8, 0)
    assert local(bc, bc.add(t0, 660)) == datetime(2027, 1, 6, 21, 0)
    # a clock paused from 23:30 to 00:30 loses exactly that hour of covered time
    p0 = bc.to_minutes(datetime(2027, 1, 5, 23, 30))
    p1 = bc.to_minutes(datetime(2027, 1, 6, 0, 30))
    assert bc.elapsed(t0, t1) - bc.elapsed(p0, p1) == 180


def test_dst_spring_forward_and_fall_back():
    bc = clock(FULL_DAYS_NY, datetime(2027, 1, 1, tzinfo=NY))
    t = bc.to_minutes(datetime(2027, 3, 14, 1, 0))
    # 02:00-03:00 does not exist on 14 March 2027 in New York
    assert local(bc, bc.add(t, 120)) == datetime(2027, 3, 14, 4, 0)
    day = bc.elapsed(bc.to_minutes(datetime(2027, 3, 14)), bc.to_minutes(datetime(2027, 3, 15)))
    assert day == 23 * 60
    day = bc.elapsed(bc.to_minutes(datetime(2027, 11, 7)), bc.to_minutes(datetime(2027, 11, 8)))
    assert day == 25 * 60
    # a business day keeps the wall-clock time across the change
    t = bc.to_minutes(datetime(2027, 3, 13, 12, 0))
    assert local(bc, bc.deadline(t, parse_duration("1bd"))) == datetime(2027, 3, 14, 12, 0)


def test_overnight_window_belongs_to_the_day_it_starts():
    cal = Calendar(name="n", timezone="UTC", week=weekly_windows({tuple(range(7)): [(1200, 1920)]}),
                   extra_holidays=frozenset({date(2027, 1, 6)}))
    bc = BusinessClock(cal, datetime(2027, 1, 4, tzinfo=ZoneInfo("UTC")))
    assert bc.is_open(bc.to_minutes(datetime(2027, 1, 6, 3, 0)))  # started on the 5th
    assert not bc.is_open(bc.to_minutes(datetime(2027, 1, 6, 21, 0)))  # the 6th is off
    assert bc.is_open(bc.to_minutes(datetime(2027, 1, 7, 21, 0)))


def test_far_dates_extend_the_precomputed_range():
    bc = clock(OFFICE)
    t = bc.to_minutes(datetime(2031, 6, 2, 9, 0))  # a Monday
    assert local(bc, bc.add(t, 9 * 60 * 5 + 1)) == datetime(2031, 6, 9, 9, 1)
    assert bc.elapsed(0, t) > 0


def test_calendar_without_working_time_is_reported():
    cal = Calendar(name="never", week=tuple(() for _ in range(7)))
    with pytest.raises(ValueError, match="no working time"):
        BusinessClock(cal, datetime(2027, 1, 4, tzinfo=SH)).add(0, 60)


def test_to_datetime_round_trip():
    bc = clock(OFFICE)
    moment = datetime(2027, 5, 1, 12, 34, tzinfo=SH)
    assert bc.to_datetime(bc.to_minutes(moment)) == moment
    assert bc.to_minutes(moment + timedelta(hours=1)) - bc.to_minutes(moment) == 60


def _business_days_by_wall_clock(bc, t, days):
    """Nbd through local wall-clock times (the definition; the clock takes a shortcut on
    days without a clock change)."""
    from itr_sim.calendar import local_to_minutes

    start = bc.next_open(t)
    i = bc._business_day_index(start)
    j = bc._day_at(i + days)
    wall = bc.to_datetime(start).replace(tzinfo=None)
    offset = (wall - datetime.combine(bc._days[i], datetime.min.time())).total_seconds() / 60
    target = local_to_minutes(bc._days[j], offset, bc.calendar.tz, bc.origin)
    if bc._day_starts[j] <= target <= bc._day_ends[j] and bc.is_open(target):
        return target
    offset = bc.covered(start) - bc.covered(bc._day_starts[i])
    return min(bc.add(bc._day_starts[j], offset), bc._day_ends[j])


@settings(max_examples=300, deadline=None)
@given(cal=st.sampled_from([OFFICE_CN, NIGHTS, NY_OFFICE, FULL_DAYS_NY]),
       t=st.floats(min_value=-60 * 1440, max_value=400 * 1440, allow_nan=False),
       days=st.integers(min_value=1, max_value=10))
def test_business_days_shortcut_equals_the_wall_clock_definition(cal, t, days):
    bc = clock(cal)
    # equal up to the microsecond resolution of datetime arithmetic
    assert bc.add_business_days(t, days) == pytest.approx(
        _business_days_by_wall_clock(bc, t, days), abs=1e-6)


def test_a_make_up_day_is_not_a_holiday_even_if_listed_as_one():
    """Fails if `workdays` (make-up working days) lose to `extra` holidays in
    Calendar.is_holiday, or a make-up Saturday does not get the `makeup_as` weekday's
    windows. Saturday 2027-02-20 is both: it is a working day with Tuesday's hours."""
    saturday = date(2027, 2, 20)
    cal = Calendar(name="cn", timezone="Asia/Shanghai",
                   week=weekly_windows({(1,): [(600, 900)], (0, 2, 3, 4): [(540, 1080)]}),
                   extra_holidays=frozenset({saturday}), workdays=frozenset({saturday}),
                   makeup_as=1)
    assert not cal.is_holiday(saturday)
    assert cal.windows_on(saturday) == ((600, 900),)


def test_business_days_around_the_clock_are_calendar_days_on_arrays_too():
    """Fails if the array form of business-day arithmetic loops on a 24x7 calendar (its
    windows merge into one, so no later window ever opens: it extended its range until the
    date overflowed, an internal error on a valid catalogue), or disagrees with the scalar
    form. Around the clock in New York, 1bd from Saturday 2027-03-13 12:00 is Sunday 12:00
    local, 23 elapsed hours across the spring-forward change; 2bd from Monday 08:00 is
    Wednesday 08:00."""
    bc = BusinessClock(FULL_DAYS_NY, datetime(2027, 3, 1, tzinfo=NY))
    sat = bc.to_minutes(datetime(2027, 3, 13, 12, 0))
    mon = bc.to_minutes(datetime(2027, 3, 1, 8, 0))
    got = bc.add_business_days_array(np.array([sat, mon]), 1)
    assert got[0] - sat == 23 * 60
    assert local(bc, got[1]) == datetime(2027, 3, 2, 8, 0)
    assert local(bc, bc.add_business_days_array(np.array([mon]), 2)[0]) == datetime(
        2027, 3, 3, 8, 0)
    assert list(got) == [bc.add_business_days(sat, 1), bc.add_business_days(mon, 1)]
    utc = BusinessClock(ALWAYS, datetime(2027, 1, 4, tzinfo=ZoneInfo("UTC")))
    t = np.array([0.0, 600.5, 50_000.0])
    assert list(utc.add_business_days_array(t, 3)) == list(t + 3 * 1440)
