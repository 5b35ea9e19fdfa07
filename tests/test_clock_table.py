"""The columnar clock table gives exactly the reference evaluator's rows."""

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from itr_sim.analysis.clock_table import evaluate_clocks, run_clocks
from itr_sim.analysis.clocks import evaluate_clocks_per_ticket
from itr_sim.calendar import BusinessClock, Calendar, weekly_windows
from itr_sim.engine.replicate import run_scenario
from itr_sim.ingest.servicenow import read_audit_log
from itr_sim.model.load import load_catalog, load_scenario

ROOT = Path(__file__).parent.parent
SH = ZoneInfo("Asia/Shanghai")
DATA = ROOT.parent / "shared" / "data" / "uci_incident_event_log.csv.gz"


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) > 0
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_dtype=False)


@pytest.mark.parametrize("scenario", ["baseline", "outage_storm", "spring_festival"])
def test_simulated_logs_give_the_reference_rows(scenario):
    # office hours, holidays, pauses, spare parts, NBD and business-day budgets, complaints
    loaded = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml",
                           sets={"horizon": "6w", "warmup": "1w", "replications": 2})
    result = run_scenario(loaded)
    rep = result.replications[0]
    events = result.events()
    table = evaluate_clocks(events, loaded.catalog, rep.origin, rep.horizon_min)
    assert set(table["clock"]) >= {"response", "restore", "resolve", "update", "parts"}
    assert (table["paused_waiting_customer_min"] > 0).any()
    same(table, evaluate_clocks_per_ticket(events, loaded.catalog, rep.origin,
                                           rep.horizon_min))
    same(run_clocks(result), table)  # straight from the engine's columns


def test_odd_logs_give_the_reference_rows():
    """Stray waits and resumes, a pause still open at the end, severity changes and
    reopenings (these tickets go through the reference), events out of order."""
    catalog, _ = load_catalog(ROOT / "sla_catalog" / "standard.yaml")
    rows = [
        # ticket, minutes, event, detail, level, severity
        (0, 0, "arrived", "", "silver", "major"), (0, 30, "engaged", "", "silver", "major"),
        (0, 40, "waiting_customer", "", "silver", "major"),
        (0, 50, "waiting_customer", "", "silver", "major"),       # second, ignored
        (0, 900, "resumed", "waiting_customer", "silver", "major"),
        (0, 950, "resumed", "waiting_customer", "silver", "major"),  # nothing open
        (0, 2000, "waiting_parts", "", "silver", "major"),           # open at the end
        (1, 10, "arrived", "", "platinum", "critical"),
        (1, 5, "queued", "", "platinum", "critical"),                # out of order
        (1, 20, "engaged", "", "platinum", "critical"),
        (1, 300, "restored", "", "platinum", "critical"),
        (1, 400, "resolved", "", "platinum", "critical"),
        (2, 0, "arrived", "", "gold", "minor"), (2, 60, "engaged", "", "gold", "minor"),
        (2, 70, "severity_changed", "critical", "gold", "minor"),
        (2, 500, "resolved", "", "gold", "minor"), (2, 900, "reopened", "", "gold", "minor"),
        (2, 2000, "resolved", "", "gold", "minor"),
        (3, 100, "arrived", "", "nobody", "minor"),                  # unknown level
    ]
    events = pd.DataFrame(rows, columns=["ticket", "time_min", "event", "detail", "level",
                                         "severity"]).assign(unit="L1")
    origin = datetime(2027, 1, 4, tzinfo=SH)
    table = evaluate_clocks(events, catalog, origin, 20 * 1440)
    assert set(table["ticket"]) == {0, 1, 2}
    same(table, evaluate_clocks_per_ticket(events, catalog, origin, 20 * 1440))


@pytest.mark.skipif(not DATA.exists() and not os.environ.get("CI"),
                    reason="shared/data is not beside the repo")
def test_real_log_gives_the_reference_rows():
    events, origin, end = read_audit_log(DATA)
    events = events[events["ticket"] < 3000]
    catalog, _ = load_catalog(ROOT / "sla_catalog" / "it_service_desk.yaml")
    same(evaluate_clocks(events, catalog, origin, end),
         evaluate_clocks_per_ticket(events, catalog, origin, end))


def test_array_arithmetic_matches_the_scalar_one():
    catalog, _ = load_catalog(ROOT / "sla_catalog" / "standard.yaml")
    bc = BusinessClock(catalog.calendar("office"), datetime(2027, 1, 4, tzinfo=SH))
    rng = np.random.default_rng(3)
    t0 = rng.uniform(-2000, 200_000, 500)
    t1 = t0 + rng.exponential(5000, 500)
    minutes = rng.exponential(900, 500)
    pairs = list(zip(t0, t1, minutes, strict=True))
    assert bc.elapsed_array(t0, t1).tolist() == [bc.elapsed(a, b) for a, b, _ in pairs]
    assert bc.add_array(t0, minutes).tolist() == [bc.add(a, m) for a, _, m in pairs]


NY_OFFICE = Calendar(name="ny", timezone="America/New_York",
                     week=weekly_windows({(0, 1, 2, 3, 4): [(480, 1020)]}))
NIGHTS = Calendar(name="nights", timezone="America/New_York",
                  week=weekly_windows({tuple(range(7)): [(1200, 1920)]}))


@pytest.mark.parametrize("calendar", ["office", "extended", NY_OFFICE, NIGHTS])
def test_business_days_on_arrays_match_the_scalar_ones(calendar):
    """Also across daylight-saving changes and overnight windows (the one-by-one path)."""
    catalog, _ = load_catalog(ROOT / "sla_catalog" / "standard.yaml")
    cal = catalog.calendar(calendar) if isinstance(calendar, str) else calendar
    bc = BusinessClock(cal, datetime(2027, 1, 4, tzinfo=SH))
    t = np.random.default_rng(5).uniform(-3000, 400_000, 2000)
    for days in (1, 2, 5):
        assert bc.add_business_days_array(t, days).tolist() == \
            [bc.add_business_days(x, days) for x in t.tolist()]
