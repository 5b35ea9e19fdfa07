"""The pause-extended deadline, written once (BusinessClock.extend), and the OLA clocks that
use it, against hand-worked cases on the bundled 5x8 office calendar.

Calendar ``office``: Asia/Shanghai, Mon-Fri 09:00-12:00 and 13:00-18:00 (8 covered hours a
day). The axis starts on Monday 2027-01-04 00:00 local, so Tue 11:30 is minute 1440 + 690.
"""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from itr_sim.analysis.ola import ola_clocks
from itr_sim.calendar import BusinessClock
from itr_sim.engine.simulation import scenario_origin
from itr_sim.model.load import load_scenario

BASELINE = Path(__file__).parent.parent / "scenarios" / "baseline.yaml"
SH = ZoneInfo("Asia/Shanghai")
ORIGIN = datetime(2027, 1, 4, tzinfo=SH)  # a Monday
DAY = 1440


def at(day: int, hour: int, minute: int = 0) -> float:
    """Minutes since the origin of local ``hour:minute`` on Monday + ``day`` days."""
    return day * DAY + hour * 60 + minute


@pytest.fixture(scope="module")
def office():
    loaded = load_scenario(BASELINE)
    return BusinessClock(loaded.catalog.calendar("office"), ORIGIN)


def test_extend_by_pauses_hand_worked(office):
    """Fails if a pause moves the deadline by wall time instead of covered time, if a pause
    that began before the clock's start counts from its own start, or if a pause that begins
    after the (moved) deadline moves it."""
    start, deadline = at(0, 9), at(0, 18)          # an 8-covered-hour budget on Monday
    # Mon 11:00-14:00 covers 1 h + 1 h (lunch is not covered): Mon 18:00 -> Tue 11:00
    assert office.extend(deadline, start, [(at(0, 11), at(0, 14))]) == at(1, 11)
    # a pause from Sunday to Mon 10:00 counts only from the start: one hour -> Tue 10:00
    assert office.extend(deadline, start, [(at(-1, 9), at(0, 10))]) == at(1, 10)
    # a pause in the evening after the deadline does not move it
    assert office.extend(deadline, start, [(at(0, 19), at(0, 20))]) == deadline
    # two pauses, the second starting before the deadline moved by the first (Tue 11:00):
    # Mon 10:00-12:00 (2 h) -> Tue 11:00; Tue 10:00-11:00 (1 h) -> Tue 12:00, the close of
    # the morning window (a deadline that falls on a close is that close, not 13:00)
    two = [(at(1, 10), at(1, 11)), (at(0, 10), at(0, 12))]  # any order
    assert office.extend(deadline, start, two) == at(1, 12)
    # a third pause that begins at the moved deadline's instant does not count
    assert office.extend(deadline, start, [*two, (at(1, 12), at(1, 15))]) == at(1, 12)


def _extend_on_arrays(bc: BusinessClock, deadline: float, start: float,
                      pauses: list[tuple[float, float]]) -> float:
    """BusinessClock.extend_array (the clock table's path) for one clock."""
    ordered = sorted(pauses) or [(float("nan"), float("nan"))]
    p = np.array(ordered, dtype=float)
    return float(bc.extend_array(np.array([deadline]), np.array([start]), p[:, :1],
                                 p[:, 1:])[0])


def test_scalar_and_array_extensions_agree(office):
    """Fails if the engine's scalar path and the clock table's array path of the one
    pause-extension rule drift apart: the hand-worked cases above on both, then random
    clocks with up to four pauses each (a fixed seed; every case must agree exactly)."""
    start, deadline = at(0, 9), at(0, 18)
    two = [(at(1, 10), at(1, 11)), (at(0, 10), at(0, 12))]
    for pauses, expected in (([(at(0, 11), at(0, 14))], at(1, 11)),
                             ([(at(-1, 9), at(0, 10))], at(1, 10)),
                             ([(at(0, 19), at(0, 20))], deadline), (two, at(1, 12)),
                             ([*two, (at(1, 12), at(1, 15))], at(1, 12))):
        assert _extend_on_arrays(office, deadline, start, pauses) == expected
    rng = np.random.default_rng(3)
    for _ in range(300):
        start = float(rng.uniform(0, 5 * DAY))
        deadline = office.add(start, float(rng.uniform(30, 3000)))
        pauses = []
        for _ in range(int(rng.integers(0, 5))):
            a = float(rng.uniform(start - DAY, start + 4 * DAY))
            pauses.append((a, a + float(rng.uniform(1, 2 * DAY))))
        assert office.extend(deadline, start, pauses) == pytest.approx(
            _extend_on_arrays(office, deadline, start, pauses), abs=1e-6)


def _ola_log(rows: list[tuple[int, float, str, str, str]]) -> pd.DataFrame:
    """An event log of silver/major tickets: (ticket, time, event, unit, detail)."""
    frame = pd.DataFrame(rows, columns=["ticket", "time_min", "event", "unit", "detail"])
    return frame.assign(replication=0, level="silver", severity="major")


def test_ola_uses_the_level_nbd_cutoff_and_pauses():
    """Fails if the OLA clock ignores the level's NBD cut-off (it did: the default 15:00
    was used) or a pause still open at the end of the log.

    Level silver has its cut-off moved to 11:00; tier L1's OLA for major is NBD.
    * ticket 1 queued Tue 11:30 (after 11:00): due at the close of the business day after
      the next, Thu 18:00 (with 15:00 it would be Wed 18:00); resolved Thu 10:00: met.
    * ticket 2 as 1, waiting for the customer Wed 09:00-10:00 (1 covered hour): Thu 18:00
      moves to Fri 10:00; resolved Fri 09:30: met.
    * ticket 3 queued Mon 10:00 (before 11:00): due Tue 18:00; still open at the end (Fri
      18:00) with no pause: breached.
    * ticket 4 queued Tue 11:30, waiting for the customer from Wed 09:00 to the end of the
      log (Fri 18:00: 3 x 8 covered hours): Thu 18:00 moves by 24 covered hours to Tue 12
      Jan 18:00, so the open clock is not breached.
    """
    loaded = load_scenario(BASELINE, {"catalog.levels.silver.nbd_cutoff": "11:00",
                                      "organisation.tiers.L1.ola.major": "NBD"})
    assert scenario_origin(loaded) == ORIGIN
    end = at(4, 18)
    log = _ola_log([
        (1, at(1, 11, 30), "queued", "L1", ""), (1, at(3, 10), "resolved", "L1", ""),
        (2, at(1, 11, 30), "queued", "L1", ""),
        (2, at(2, 9), "waiting_customer", "L1", ""),
        (2, at(2, 10), "resumed", "L1", "waiting_customer"),
        (2, at(4, 9, 30), "resolved", "L1", ""),
        (3, at(0, 10), "queued", "L1", ""),
        (4, at(1, 11, 30), "queued", "L1", ""),
        (4, at(2, 9), "waiting_customer", "L1", ""),
    ])
    olas = ola_clocks(log, loaded.catalog, loaded.scenario.organisation, ORIGIN, end)
    got = olas.set_index("ticket")
    assert got.loc[1, "deadline_min"] == at(3, 18)
    assert got.loc[2, "deadline_min"] == at(4, 10)
    assert got.loc[3, "deadline_min"] == at(1, 18)
    assert got.loc[4, "deadline_min"] == at(8, 18)
    assert got["breached"].to_dict() == {1: False, 2: False, 3: True, 4: False}


def test_long_standing_counts_days_as_the_plus_30d_rung():
    """Fails if the ``long_standing`` KPI counts 30 wall-clock days past the deadline (it
    did) while the catalogue's ``{clock: resolve, at: "+30d"}`` rung counts 30 days of the
    clock's covered time; both must pick the same tickets.

    Level gold, severity major: calendar ``extended``, 08:00-20:00 every day (12 covered
    hours a day, no holidays). The log ends on day 61 at 09:00. Ticket 1's resolve deadline
    is day 0 at 20:00: days 1-60 give 60 x 12 h = 43,200 covered minutes (30 d) by day 60 at
    20:00, plus 60 minutes on day 61: more than 30 d late. Ticket 2's deadline is day 1 at
    20:00: 59 x 720 + 60 = 42,540 covered minutes, not yet 30 d late, although both are more
    than 30 wall-clock days past their deadlines.
    """
    from itr_sim.analysis.kpis import quality
    from itr_sim.analysis.ladders import notifications

    loaded = load_scenario(BASELINE)
    end = at(61, 9)
    clocks = pd.DataFrame({
        "replication": 0, "ticket": [1, 2], "clock": "resolve", "cycle": 1,
        "level": "gold", "severity": "major", "start_min": [at(0, 8), at(0, 9)],
        "stop_min": float("nan"), "deadline_min": [at(0, 20), at(1, 20)],
        "status": "breached", "breached": True,
        "lateness_min": [60 * 720 + 60.0, 59 * 720 + 60.0],
    })
    assert (end - clocks["deadline_min"] > 30 * DAY).all()  # the wall-clock reading
    tickets = pd.DataFrame({"replication": 0, "ticket": [1, 2], "warmup": False,
                            "kind": "technical"})
    events = pd.DataFrame({"replication": 0, "ticket": [1, 2], "time_min": [at(0, 8), at(0, 9)],
                           "event": "arrived", "unit": "", "kind": "technical"})
    kpi = quality(events, tickets, clocks, "L1", 1.0, end)
    assert kpi["long_standing"].tolist() == [1]
    notes = notifications(clocks, loaded.catalog, ORIGIN, end)
    fired = notes[notes["role"] == "product_line_itr"]
    assert fired["ticket"].tolist() == [1]
    assert fired["time_min"].tolist() == [at(60, 20)]
