"""The leader's report and the notebook API: verdicts, words, tidy tables, sections."""

import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

import itr_sim
from itr_sim.analysis.stats import MIN_USEFUL_REPLICATIONS, mean_ci, verdict
from itr_sim.engine.staffing import Staffing
from itr_sim.report.html import from_run_dir, render
from itr_sim.report.loadgrid import load_grid, overloaded_hours
from itr_sim.report.tables import level_order, monthly_breaches, sla_table, weekly_attainment
from itr_sim.report.words import budget_words, label

TRACE = "tests/data/engine/trace.yaml"


@pytest.mark.parametrize(("mean", "low", "high", "expected"), [
    (0.85, 0.80, 0.92, "at risk"),   # mean below target, interval straddles: not a miss
    (0.93, 0.88, 0.97, "at risk"),   # mean above target, interval straddles: not proven
    (0.95, 0.91, 0.99, "met"),       # whole interval above
    (0.90, 0.90, 0.95, "met"),       # the low end exactly at target reaches it
    (0.80, 0.75, 0.89, "missed"),    # whole interval below
    (0.85, 0.80, 0.90, "at risk"),   # high end exactly at target: straddles
    (0.85, None, None, "at risk"),   # one replication: a single run never proves a miss
    (0.95, math.nan, math.nan, "met"),
])
def test_verdict_by_the_interval_rule(mean, low, high, expected):
    """Fails if a target is called missed on its mean alone (the old rule: 'mean < target'),
    or met while its interval still reaches below the target."""
    assert verdict(mean, low, high, 0.90) == expected


def test_few_replications_threshold_matches_its_documented_widths():
    """The documented half widths (t(0.975, n-1)/sqrt(n) standard deviations) hold: two
    replications of values with standard deviation 1 give a half width of 8.98, five 1.24,
    ten 0.72; fails if the threshold or its justification drift apart."""
    def half(n):
        x = np.r_[np.ones(n // 2), -np.ones(n - n // 2)]
        x = (x - x.mean()) / x.std(ddof=1)  # standard deviation exactly 1
        _mean, lo, hi = mean_ci(x)
        return (hi - lo) / 2
    assert half(2) == pytest.approx(8.98, abs=0.01)
    assert half(5) == pytest.approx(1.24, abs=0.01)
    assert half(10) == pytest.approx(0.72, abs=0.01)
    assert MIN_USEFUL_REPLICATIONS == 5


@pytest.mark.parametrize(("clock", "budget", "words"), [
    ("restore", "4h", "restore within 4 h"),
    ("response", "15m", "respond within 15 min"),
    ("resolve", "1d", "resolve within 1 day"),
    ("resolve", "60d", "resolve within 60 days"),
    ("response", "1bd", "respond within 1 business day"),
    ("parts", "NBD", "spare part delivered by the next business day"),
    ("update", "1h", "update at least every 1 h"),
])
def test_budgets_in_words(clock, budget, words):
    """Fails if a budget is shown in the catalogue's shorthand or with the wrong verb."""
    assert budget_words(clock, budget) == words


def test_labels():
    assert (label("platinum"), label("L1"), label("waiting_customer")) == \
        ("Platinum", "L1", "Waiting customer")


def _kpis():
    cell = {"attainment": 0.85, "ci95": [0.80, 0.92], "target": 0.9, "n": 20}
    met = {"attainment": 0.99, "ci95": [0.98, 1.0], "target": 0.95, "n": 40}
    return {"replications": 2,
            "sla": {"gold": {"major": {"restore": cell, "response": met}},
                    "platinum": {"major": {"response": met}},
                    "silver": {"minor": {"resolve": {**met, "target": None}}}},
            "cost": {"per_level": {
                "gold": {"revenue": 600.0, "contracts": 6},       # 100 a contract
                "platinum": {"revenue": 900.0, "contracts": 3},   # 300 a contract
                "silver": {"revenue": 500.0, "contracts": 10}}}}  # 50 a contract


def test_levels_in_catalogue_order_not_alphabetical():
    """Fails if levels come as the JSON sorts them (gold, platinum, silver)."""
    assert level_order(_kpis(), ["platinum", "gold", "silver"]) == \
        ["platinum", "gold", "silver"]
    # without the catalogue: by price per contract, highest first
    assert level_order(_kpis()) == ["platinum", "gold", "silver"]


def test_sla_table_rows_verdicts_and_gaps():
    """Fails if clocks come out of life order (response before restore), if a cell without
    target is kept, or if the gap is not in percentage points."""
    table = sla_table(_kpis(), ["platinum", "gold", "silver"], ["critical", "major"])
    assert list(zip(table["level"], table["clock"], strict=True)) == [
        ("platinum", "response"), ("gold", "response"), ("gold", "restore")]
    restore = table.iloc[2]
    assert restore["verdict"] == "at risk" and restore["gap_points"] == pytest.approx(-5.0)
    assert restore["due_per_replication"] == 10


def _hand_log():
    # origin Monday 2027-01-25 00:00 local; Feb 1 starts at minute 10080 (week 1)
    rows = [  # replication, ticket, start, stop, deadline, status
        (0, 1, 10, 50, 100, "met"),                     # week 0, Jan
        (0, 2, 20, math.nan, 200, "breached"),          # week 0, Jan
        (0, 4, 30, 40, 300, "met"),                     # week 0
        (0, 3, 9000, math.nan, 10140, "breached"),      # starts Jan 31, due Feb 1: Feb
        (1, 1, 10000, 10100, 10200, "met"),             # week 1
        (1, 6, 10090, 10150, 10300, "met"),             # week 1
        (1, 9, 0, math.nan, 300, "breached"),           # warm-up ticket: left out
        (1, 5, 100, math.nan, 99999, "open"),           # not due: left out
    ]
    clocks = pd.DataFrame(rows, columns=["replication", "ticket", "start_min", "stop_min",
                                         "deadline_min", "status"])
    clocks = clocks.assign(clock="response", level="platinum", severity="critical",
                           breached=clocks["status"] == "breached")
    tickets = clocks[["replication", "ticket"]].assign(warmup=clocks["ticket"] == 9)
    sla = pd.DataFrame({"level": ["platinum"], "severity": ["critical"],
                        "clock": ["response"], "target": [0.95]})
    origin = datetime(2027, 1, 25, tzinfo=ZoneInfo("Asia/Shanghai"))
    return clocks, tickets, sla, origin


def test_monthly_breaches_by_the_month_of_the_deadline():
    """Hand-worked: one January breach (ticket 2) and one February breach (ticket 3, which
    started in January) over 2 replications = 0.5 a month each. Fails if breaches are
    dated by their start, if warm-up tickets count, or if counts are not per replication."""
    clocks, tickets, sla, origin = _hand_log()
    table = monthly_breaches(clocks, tickets, sla, origin, 0.0, 20160.0, 2)
    assert list(table.columns) == ["level", "severity", "clock", "2027-01", "2027-02"]
    assert table[["2027-01", "2027-02"]].iloc[0].tolist() == [0.5, 0.5]


def test_weekly_attainment_per_level_and_week():
    """Hand-worked: week 0 has replication 0 only (2 of 3 met: 0.667); week 1 has
    replication 0 at 0 of 1 and replication 1 at 2 of 2, mean 0.5 (pooled it would be 2 of
    3). Fails if clocks are pooled across replications, if the open or warm-up clock counts,
    or if weeks are not labelled by their first local day."""
    clocks, tickets, sla, origin = _hand_log()
    weekly = weekly_attainment(clocks, tickets, sla, origin, 0.0, 20160.0, 2)
    assert weekly["attainment"].round(4).tolist() == [0.6667, 0.5]
    assert [d.date().isoformat() for d in weekly["week"]] == ["2027-01-25", "2027-02-01"]
    assert weekly["target"].tolist() == pytest.approx([0.95, 0.95])


def test_load_grid_and_overloaded_hours_by_hand():
    """One agent always on duty; one session Monday 09:30-10:30 in a one-week run: half busy
    in the 09 and 10 o'clock hours, idle elsewhere. Fails if busy time is not split at the
    hour, or if the origin's weekday offset is ignored."""
    sess = pd.DataFrame({"unit": ["L1"], "start": [570.0], "end": [630.0]})
    staffing = {"L1": Staffing((0.0,), (1,))}
    grid = load_grid(sess, staffing, ["L1"], 0.0, 0.0, 7 * 1440.0, 1)
    mon = grid[(grid["day"] == 0)].set_index("hour")["utilisation"]
    assert mon[9] == pytest.approx(0.5) and mon[10] == pytest.approx(0.5)
    assert mon.drop([9, 10]).eq(0).all()
    # the same session in a run that starts on a Wednesday lands on Wednesday
    shifted = load_grid(sess, staffing, ["L1"], 2 * 1440.0, 0.0, 7 * 1440.0, 1)
    assert shifted[(shifted["day"] == 2) & (shifted["hour"] == 9)]["utilisation"].item() == 0.5
    util = np.zeros(168)
    util[[d * 24 + h for d in range(5) for h in (9, 10, 11)]] = 0.9
    util[6 * 24 + 20] = 0.95
    hand = pd.DataFrame({"tier": "L1", "day": np.repeat(np.arange(7), 24),
                         "hour": np.tile(np.arange(24), 7), "utilisation": util})
    assert overloaded_hours(hand, 0.85) == {
        "L1": ["Mon-Fri 09:00-12:00 (90%)", "Sun 20:00-21:00 (95%)"]}


SECTION_IDS = ("header", "status", "where-it-hurts", "what-to-change", "fig-attainment",
               "fig-weekly", "monthly", "lines", "fig-flow", "fig-load", "fig-backlog",
               "fig-resolve", "entitlement", "fig-escalations", "cost", "fig-cost",
               "glossary", "footer")


def test_simulate_gives_tidy_tables_figures_and_the_report(tmp_path):
    """The notebook API on a small trace run: every tidy table has its columns, every
    figure draws on a given Axes, and the report has every section, a warning for one
    replication, its version and SVG figures only. Fails if a section or figure goes
    missing or a plot ignores ``ax``."""
    import matplotlib.pyplot as plt

    run = itr_sim.simulate(TRACE, progress=False)
    assert repr(run).startswith("<Run trace: 1 replications, 2027-01-04 to 2027-01-24")
    # one replication of a short trace: a few clocks, all met, do not prove a 90-95% target
    # (the pooled Wilson interval reaches below it), so every target is at risk, none missed
    assert "4 SLA targets: 0 met, 4 at risk, 0 missed" in repr(run)
    assert "<table>" in run._repr_html_()
    assert {"level", "severity", "clock", "words", "verdict", "ci_low"} <= set(run.sla.columns)
    assert list(run.tiers["tier"]) == ["L1", "L2"]
    assert list(run.cost["level"]) == ["platinum", "silver"]
    assert {"event", "time_min"} <= set(run.events.columns)
    for name in ("attainment", "weekly", "backlog", "flow", "resolve_times", "escalations",
                 "cost"):
        fig, ax = plt.subplots()
        assert getattr(run.plot, name)(ax=ax) is ax, name
        plt.close(fig)
    fig, ax = plt.subplots()
    assert run.plot.load("L1", ax=ax) is ax
    plt.close(fig)
    plt.close(run.plot.load())
    page = run.report(tmp_path / "r.html").read_text("utf-8")
    for anchor in SECTION_IDS:
        assert f"id='{anchor}'" in page, anchor
    assert "id='few-replications'" in page
    assert page.count("data:image/svg+xml;base64,") == int(
        re.search(r'data-figures="(\d+)"', page).group(1)) == 8
    assert "data:image/png" not in page and "http://" not in page
    assert f"itr-sim {itr_sim.__version__}" in page


@pytest.mark.slow
def test_load_run_reads_the_same_numbers_as_the_run(tmp_path):
    """A run folder written by `itr-sim run --out` loads to the same SLA table as the
    simulation in memory (same seed), and its report finds the scenario again for the
    description. Fails if the folder reader and the in-memory path disagree."""
    from itr_sim.cli.main import app
    from typer.testing import CliRunner

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", TRACE, "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    loaded = itr_sim.load_run(out)
    fresh = itr_sim.simulate(TRACE, progress=False)
    pd.testing.assert_frame_equal(loaded.sla, fresh.sla)
    assert loaded.monthly.equals(fresh.monthly)
    inputs = from_run_dir(out)
    assert inputs.loaded is not None  # found from the working directory, hash checked
    assert len(loaded.compare(fresh)) > 5 and not loaded.compare(fresh)["significant"].any()
    assert "Service report: Trace" in render(inputs)


def test_blame_counts_each_tier_of_a_breach_per_replication():
    """Hand-worked over 2 replications: breaches blamed on "L1,L2", "L1" and on no line give
    L1 1.0, L2 0.5 and none 0.5 per replication. Fails if a breach blamed on two lines
    counts for only the first, if breaches no OLA explains are dropped, or if counts are not
    divided by the replications."""
    from itr_sim.report.tables import blame

    rows = pd.DataFrame({"replication": [0, 0, 1], "ticket": [1, 2, 3],
                         "clock": "restore", "level": "gold", "severity": "major",
                         "tiers": ["L1,L2", "", "L1"]})
    out = blame(rows, 2).set_index("tier")["breaches"].to_dict()
    assert out == {"L1": 1.0, "L2": 0.5, "none": 0.5}
