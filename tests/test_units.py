"""Unit grammar: what is accepted, what is rejected, and the hint given."""

import pytest

from itr_sim.units import (
    DurationKind,
    UnitError,
    parse_days,
    parse_duration,
    parse_fraction,
    parse_hours,
    parse_offset,
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("15m", 15), ("4h", 240), ("2d", 2880), ("1w", 10080), ("1h30m", 90), ("1.5h", 90),
     ("0m", 0)],
)
def test_elapsed_durations(text, minutes):
    d = parse_duration(text)
    assert d.kind is DurationKind.ELAPSED
    assert d.minutes == minutes
    assert str(d) == text


def test_business_days_and_nbd():
    assert parse_duration("3bd").days == 3
    assert parse_duration("3bd").kind is DurationKind.BUSINESS_DAYS
    assert parse_duration("NBD").kind is DurationKind.NEXT_BUSINESS_DAY
    assert parse_duration("nbd").kind is DurationKind.NEXT_BUSINESS_DAY


@pytest.mark.parametrize(
    ("value", "hint"),
    [(4, "write 4m"), ("4", "write 4m, 4h"), ("4 hours", "write 4h"), ("4H", "write 4h"),
     ("2 days", "write 2d"), ("1.5bd", "business days are whole"), ("0bd", "start at 1bd"),
     ("soon", "use a number with a unit"), (None, "expected a duration"),
     (True, "expected a duration")],
)
def test_ambiguous_durations_are_rejected_with_a_hint(value, hint):
    with pytest.raises(UnitError, match=hint):
        parse_duration(value)


def test_offsets_are_signed():
    assert parse_offset("+30m") == 30
    assert parse_offset("-2d") == -2880
    with pytest.raises(UnitError, match="needs a sign"):
        parse_offset("30m")
    with pytest.raises(UnitError, match="elapsed durations"):
        parse_offset("+1bd")


@pytest.mark.parametrize(("value", "fraction"), [("95%", 0.95), (0.95, 0.95), ("99.5%", 0.995),
                                                 (1, 1.0), (0, 0.0), ("0.9", 0.9)])
def test_fractions(value, fraction):
    assert parse_fraction(value) == pytest.approx(fraction)


@pytest.mark.parametrize("value", [95, "95", "150%", "-1%", "ninety"])
def test_bad_fractions(value):
    with pytest.raises(UnitError):
        parse_fraction(value)


def test_growth_may_be_negative_when_allowed():
    assert parse_fraction("-5%", low=-1.0, high=None) == pytest.approx(-0.05)


def test_hours_and_days():
    assert parse_hours("09:00-18:00") == (540, 1080)
    assert parse_hours("20:00-08:00") == (1200, 1920)
    assert parse_hours("00:00-24:00") == (0, 1440)
    assert parse_days("Mon-Fri") == (0, 1, 2, 3, 4)
    assert parse_days("Fri-Mon") == (0, 4, 5, 6)
    assert parse_days("Sat,Sun") == (5, 6)
    with pytest.raises(UnitError, match="empty"):
        parse_hours("09:00-09:00")
    with pytest.raises(UnitError, match="unknown day"):
        parse_days("Mon-Fry")
    with pytest.raises(UnitError, match="HH:MM"):
        parse_hours("9-18")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity", "9" * 400 + "%"])
def test_non_finite_percentages_are_rejected(text):
    """Fails if float('nan') slips through: every comparison with NaN is False, so the
    range check alone accepts it."""
    with pytest.raises(UnitError):
        parse_fraction(text)
    with pytest.raises(UnitError):  # unbounded above (a growth rate): only finiteness stops it
        parse_fraction(text, low=-1.0, high=None)


@pytest.mark.parametrize("text", ["9" * 400 + "w", "99999999w", "999999999bd"])
def test_durations_beyond_a_century_are_unit_mistakes(text):
    """Fails if an overflowing duration becomes inf minutes (or a week count the calendar
    must walk day by day)."""
    with pytest.raises(UnitError, match="100 years"):
        parse_duration(text)


def test_a_signed_share_keeps_its_sign_in_the_message():
    """Fails if "-50%" is reported as "'50%' is not a duration" (the sign dropped)."""
    with pytest.raises(UnitError, match="'-50%': a share of the clock has no sign"):
        parse_offset("-50%")
