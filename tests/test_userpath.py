"""The user's path made fast without changing what it gives: zone-aware times as CSV text on
arrays, OLA clocks and escalation notices on arrays, run folders with Parquet tables."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.ladders import NOTIFICATION_COLUMNS, notifications, notifications_per_clock
from itr_sim.analysis.ola import ola_clocks, ola_clocks_per_ticket
from itr_sim.engine.replicate import run_scenario
from itr_sim.engine.simulation import scenario_origin
from itr_sim.model.load import load_scenario
from itr_sim.report.run import load_run
from itr_sim.report.runfolder import open_run_folder
from itr_sim.report.timetext import iso_local, text_columns

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
runner = CliRunner()


# -- zone-aware times as text ---------------------------------------------------------------
def test_iso_local_hand_worked_across_a_clock_change():
    """Fails if the wall time, the offset or the fraction is wrong around a clock change:
    Berlin moves from +01:00 to +02:00 at 01:00 UTC on 2025-03-30, so 00:59:59.5 UTC is
    01:59:59.5 local (+01:00) and 01:00 UTC is 03:00 local (+02:00); one value with half a
    second gives the whole column milliseconds (as pandas writes it)."""
    utc = pd.Series(pd.to_datetime(["2025-03-30 00:59:59.5", "2025-03-30 01:00:00"],
                                   utc=True, format="ISO8601"))
    got = iso_local(utc.dt.tz_convert("Europe/Berlin")).tolist()
    assert got == ["2025-03-30 01:59:59.500+01:00", "2025-03-30 03:00:00.000+02:00"]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "America/St_Johns"])
@pytest.mark.parametrize("minutes", [
    np.arange(0.0, 366 * 1440.0, 37.0),               # whole seconds: no fraction
    np.array([0.0, 0.5 / 60]),                         # milliseconds
    np.array([0.0, 123.456789]),                       # microseconds
    np.array([0.0, 1 / 60e6]),                         # nanoseconds
    np.array([0.0, np.nan, 7.25]),                     # a missing time is written empty
    np.random.default_rng(7).uniform(0, 366 * 1440.0, 500)])
def test_csv_text_is_what_pandas_writes(zone, minutes):
    """Fails if the vectorised text differs in any character from pandas' own CSV of the
    column (the oracle) anywhere in a year with two clock changes, half-hour offsets
    (Kolkata +05:30, St John's -03:30/-02:30) or any resolution."""
    origin = pd.Timestamp("2025-01-06 00:00", tz=zone)
    frame = pd.DataFrame({"time": origin + pd.to_timedelta(minutes, unit="min"), "x": 1})
    assert text_columns(frame).to_csv(index=False) == frame.to_csv(index=False)


# -- OLA clocks on arrays -------------------------------------------------------------------
def _log(rows: list[tuple[int, float, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ticket", "time_min", "event", "unit", "detail"])
    return frame.assign(replication=0, level="platinum", severity="critical",
                        customer="operators")


def test_ola_clocks_hand_worked():
    """Fails if a visit's deadline ignores a customer wait inside it (or counts a vendor
    wait, which does not pause resolve), if a pause still open at the end of the log does
    not run to the end, or if the rows come in another order than the ticket's visits
    closing (then the open ones).

    Baseline OLAs for critical: L1 1h, L2 4h; platinum critical runs 24x7; end of log 1000.
    Ticket 1: L1 0-100 with waiting_customer 20-50 (30 min) and waiting_vendor 70-80:
    deadline 60 + 30 = 90, 100 > 90 breached; L2 100-400: 340, breached.
    Ticket 2: L1 0-30 (deadline 60), L2 30-50 (270), back to L1 50-200 (110, breached).
    Ticket 3: L1 from 0, still open, waiting_customer from 5 to the end: 60 + 995 = 1055,
    not breached (1000 <= 1055), no stop."""
    loaded = load_scenario(BASELINE)
    rows = [(1, 0.0, "queued", "L1", ""), (1, 10.0, "engaged", "L1", "first"),
            (1, 20.0, "waiting_customer", "L1", ""),
            (1, 50.0, "resumed", "L1", "waiting_customer"),
            (1, 70.0, "waiting_vendor", "L1", ""), (1, 80.0, "resumed", "L1", "waiting_vendor"),
            (1, 100.0, "handed_over", "L1", "L2"), (1, 100.0, "queued", "L2", ""),
            (1, 400.0, "resolved", "L2", ""),
            (2, 0.0, "queued", "L1", ""), (2, 30.0, "handed_over", "L1", "L2"),
            (2, 30.0, "queued", "L2", ""), (2, 50.0, "handed_over", "L2", "L1"),
            (2, 50.0, "queued", "L1", ""), (2, 200.0, "resolved", "L1", ""),
            (3, 0.0, "queued", "L1", ""), (3, 5.0, "waiting_customer", "L1", "")]
    org, origin = loaded.scenario.organisation, scenario_origin(loaded)
    got = ola_clocks(_log(rows), loaded.catalog, org, origin, 1000.0)
    table = list(got[["ticket", "tier", "start_min", "stop_min", "deadline_min", "breached"]]
                 .itertuples(index=False, name=None))
    nan = table[-1][3]
    assert math.isnan(nan)
    assert table == [(1, "L1", 0.0, 100.0, 90.0, True), (1, "L2", 100.0, 400.0, 340.0, True),
                     (2, "L1", 0.0, 30.0, 60.0, False), (2, "L2", 30.0, 50.0, 270.0, False),
                     (2, "L1", 50.0, 200.0, 110.0, True), (3, "L1", 0.0, nan, 1055.0, False)]
    reference = ola_clocks_per_ticket(_log(rows), loaded.catalog, org, origin, 1000.0)
    pd.testing.assert_frame_equal(got, reference)


@pytest.fixture(scope="module")
def simulated():
    """The baseline over 13 weeks, 2 replications (office hours, holidays, parts, vendor
    waits, complaints, reopenings)."""
    loaded = load_scenario(BASELINE, sets={"horizon": "13w"})
    return loaded, run_scenario(loaded, replications=2)


@pytest.mark.parametrize("clocks", [("resolve",), ("resolve", "response", "restore")])
def test_ola_clocks_equal_the_ticket_by_ticket_reference(simulated, clocks):
    """Fails if the array version differs from the reference in any row, value, order or
    column type on a simulated log (thousands of visits, pauses of every kind)."""
    loaded, result = simulated
    first = result.replications[0]
    args = (result.events(), loaded.catalog, loaded.scenario.organisation, first.origin,
            first.horizon_min, clocks)
    got, reference = ola_clocks(*args), ola_clocks_per_ticket(*args)
    assert len(got) > 1000
    pd.testing.assert_frame_equal(got, reference)


# -- escalation notices on arrays -----------------------------------------------------------
def test_notifications_hand_worked():
    """Fails if a share rung, a repeat, a rung before or after the deadline, the stop of the
    clock or the end of the log is handled wrongly, or the rows come in another order.

    Platinum critical runs 24x7. Restore clock 0 -> deadline 240, stopped at 700: 50% at
    120 (duty_manager), 75% at 180 (line_manager), 100% at 240 to two roles, repeated every
    4 h: 480; 720 is after the stop. Resolve clock 0 -> deadline 5000, still running at the
    end of the log (50,000): -2d at 5000 - 2880 = 2120 (line_manager), +30d at 5000 +
    43,200 = 48,200 (product_line_itr). Response clock 0 -> 15, stopped at 10: +30m at 45
    is after the stop, so nothing."""
    loaded = load_scenario(BASELINE)
    clocks = pd.DataFrame({
        "replication": 0, "ticket": 1, "clock": ["restore", "resolve", "response"],
        "level": "platinum", "severity": "critical", "start_min": 0.0,
        "deadline_min": [240.0, 5000.0, 15.0], "stop_min": [700.0, np.nan, 10.0]})
    origin = scenario_origin(loaded)
    got = notifications(clocks, loaded.catalog, origin, 50_000.0)
    assert list(got.columns) == NOTIFICATION_COLUMNS
    assert list(got[["time_min", "role", "clock", "rung"]].itertuples(index=False,
                                                                      name=None)) == [
        (120.0, "duty_manager", "restore", 0), (180.0, "line_manager", "restore", 1),
        (240.0, "regional_manager", "restore", 2), (240.0, "customer_pm", "restore", 2),
        (480.0, "regional_manager", "restore", 2), (480.0, "customer_pm", "restore", 2),
        (2120.0, "line_manager", "resolve", 4), (48_200.0, "product_line_itr", "resolve", 5)]
    pd.testing.assert_frame_equal(
        got, notifications_per_clock(clocks, loaded.catalog, origin, 50_000.0))


def test_notifications_equal_the_clock_by_clock_reference(simulated):
    """Fails if the array version differs from the reference in any notice, time, order or
    column type on a simulated run (office and extended calendars, every rung kind)."""
    loaded, result = simulated
    first = result.replications[0]
    clocks = run_clocks(result)
    args = (clocks, loaded.catalog, first.origin, first.horizon_min)
    got, reference = notifications(*args), notifications_per_clock(*args)
    assert len(got) > 100 and got["rung"].nunique() >= 4
    pd.testing.assert_frame_equal(got, reference)


# -- run folders: Parquet for the big tables, CSV on request --------------------------------
@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The same run written with the default format and with --format csv."""
    base = tmp_path_factory.mktemp("formats")
    out = {}
    for fmt in ("auto", "csv"):
        args = ["run", str(BASELINE), "-n", "1", "--set", "horizon=3w", "--out",
                str(base / fmt)]
        done = runner.invoke(app, args if fmt == "auto" else [*args, "--format", fmt])
        assert done.exit_code == 0, done.output
        out[fmt] = base / fmt
    return out


def test_default_writes_the_big_tables_as_parquet_and_the_rest_as_csv(folders):
    """Fails if the default run folder writes the event log, tickets, clocks or OLA clocks
    as CSV, or a KPI table as Parquet, or records another format in its manifest."""
    names = {p.name for p in folders["auto"].iterdir()}
    assert {"events.parquet", "tickets.parquet", "clocks.parquet", "ola.parquet"} <= names
    assert {"attainment.csv", "kpi_values.csv", "notifications.csv"} <= names
    assert not {"events.csv", "tickets.csv", "clocks.csv", "ola.csv"} & names
    assert open_run_folder(folders["auto"]).format == "auto"
    assert not list(folders["csv"].glob("*.parquet"))


def test_csv_event_log_is_the_parquet_one_as_pandas_writes_it(folders):
    """Fails if the CSV event log (written with the vectorised time text) differs in any
    byte from pandas' own CSV of the Parquet event log: the two formats must hold the same
    log, and the CSV must read as it did before the change."""
    events = pd.read_parquet(folders["auto"] / "events.parquet")
    assert isinstance(events["time"].dtype, pd.DatetimeTZDtype)
    assert (events["event"] == "notified").any()
    assert (folders["csv"] / "events.csv").read_text("utf-8") == events.to_csv(index=False)


def test_every_reader_reads_both_formats(folders, tmp_path):
    """Fails if export or the notebook loader reads one format and not the other: both
    folders give the same process-mining CSV, the same events and KPI tables, and the same
    per-replication KPI values (what compare and check read from a folder)."""
    exported = {}
    for fmt, folder in folders.items():
        out = tmp_path / f"{fmt}.csv"
        done = runner.invoke(app, ["export", str(folder), "--format", "csv", "-o", str(out)])
        assert done.exit_code == 0, done.output
        exported[fmt] = out.read_text("utf-8")
    assert exported["auto"] == exported["csv"]
    runs = {fmt: load_run(folder) for fmt, folder in folders.items()}
    assert runs["auto"].events["ticket"].tolist() == runs["csv"].events["ticket"].tolist()
    assert set(runs["auto"].analysis.tables) == set(runs["csv"].analysis.tables)
    kpis = {fmt: open_run_folder(folder).table("kpi_values") for fmt, folder in folders.items()}
    pd.testing.assert_frame_equal(kpis["auto"], kpis["csv"])


def test_ingested_log_reads_the_same_from_either_format(tmp_path):
    """Fails if the loader of ingested logs reads only events.csv, or gives a Parquet log
    other text than the CSV one (an empty unit must be "" in both)."""
    from itr_sim.report.run import load_ingested
    from itr_sim.report.runwrite import write_run_folder

    events = pd.DataFrame({"replication": 0, "ticket": [1, 1], "time_min": [0.0, 5.0],
                           "event": ["arrived", "closed"], "unit": ["L1", None],
                           "number": ["INC1", "INC1"]})
    meta = {"kind": "ingested", "origin": "2025-01-06T00:00:00+00:00", "timezone": "UTC"}
    read = {}
    for fmt in ("csv", "parquet"):
        write_run_folder(tmp_path / fmt, {"events": events}, {"checks": {"cases": 1}}, meta,
                         fmt)
        read[fmt] = load_ingested(tmp_path / fmt)[0]
    assert read["csv"]["unit"].tolist() == ["L1", ""]
    pd.testing.assert_frame_equal(read["csv"], read["parquet"])


# -- parallel runs (worker processes take seconds to start: slow) ---------------------------
@pytest.mark.slow
def test_sweep_points_in_parallel_give_the_serial_rows():
    """Fails if a sweep whose points run in worker processes (each sending back its row)
    gives another row, order or value than the serial sweep: every point keeps its own
    common random numbers wherever it runs."""
    from itr_sim.analysis.sweep import sweep

    grid = {"horizon": ["3w"], "warmup": ["1w"],
            "organisation.tiers.L1.shifts.0.agents": [3, 5]}
    serial = sweep(BASELINE, grid, replications=2)
    pooled = sweep(BASELINE, grid, replications=2, jobs=2)
    pd.testing.assert_frame_equal(serial, pooled)
    assert serial["L1.mean_wait_min"].iloc[0] > serial["L1.mean_wait_min"].iloc[1]


@pytest.mark.slow
def test_replications_shared_with_the_pool_give_the_serial_log():
    """Fails if a replication run by this process beside the pool (the pool starts with the
    first, this process takes the last) is lost, run twice or put in the wrong place: the
    log of 5 replications must be the serial one, replication by replication."""
    loaded = load_scenario(BASELINE, sets={"horizon": "2w", "warmup": "0m"})
    serial = run_scenario(loaded, replications=5)
    pooled = run_scenario(loaded, replications=5, jobs=2)
    assert [r.replication for r in pooled.replications] == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(serial.events(), pooled.events())
