"""KPIs, ladders, OLA attribution and the run --json contract."""

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.analysis.clock_table import evaluate_clocks
from itr_sim.analysis.kpis import attainment, backlog, quality
from itr_sim.analysis.ladders import notifications
from itr_sim.analysis.ola import attribute_breaches, ola_clocks
from itr_sim.analysis.stats import mean_ci
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.checks import offered_load
from itr_sim.model.load import load_scenario

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SH = ZoneInfo("Asia/Shanghai")
H, D = 60.0, 1440.0


@pytest.fixture(scope="module")
def analysis():
    return analyse(run_scenario(load_scenario(BASELINE), replications=3))


def test_mean_ci_is_a_student_t_interval():
    mean, lo, hi = mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert hi - mean == pytest.approx(4.302652729911275 * 1.0 / 3 ** 0.5)  # t(0.975, 2)
    assert mean - lo == pytest.approx(hi - mean)
    assert mean_ci([5.0])[1] != mean_ci([5.0])[1]  # NaN interval from one replication


def test_json_has_the_documented_keys(analysis):
    s = analysis.summary
    assert set(s["tickets"]) >= {"arrived", "closed", "open"}
    for tier in ("L1", "L2", "L3"):
        assert set(s["tiers"][tier]) >= {"resolved_share", "utilisation", "mean_wait_min",
                                         "escalated_out"}
    cell = s["sla"]["platinum"]["critical"]["restore"]
    assert set(cell) >= {"attainment", "ci95", "target"} and cell["target"] == 0.95
    lo, hi = cell["ci95"]
    assert 0 <= lo <= cell["attainment"] <= hi <= 1
    assert set(s["ola"]) == {"L1", "L2", "L3"}
    assert s["cost"]["total"] > 0 and "platinum" in s["cost"]["per_level"]
    json.dumps(s, allow_nan=False)
    documented = (ROOT / "docs" / "kpis.md").read_text("utf-8")
    for key in _keys(s):
        assert f"`{key}`" in documented, f"key {key!r} is not documented in docs/kpis.md"


def _keys(obj, depth=0):
    """Key names of the summary, without the names of levels, tiers, severities, ..."""
    names = set()
    fixed = {"tiers", "teams", "sla", "ola", "times_h", "per_level", "by_kind", "services",
             "escalations_per_week", "metadata", "versions"}
    if isinstance(obj, dict):
        for key, value in obj.items():
            names.add(key)
            if key in fixed and isinstance(value, dict):
                for inner in value.values():
                    names |= _keys(inner, depth + 1) if key not in ("metadata",) else set()
            else:
                names |= _keys(value, depth + 1)
    names = {n for n in names if not re.fullmatch(r"L\d|platinum|gold|silver|critical|major|"
                                                  r"minor|none", n)}
    return names


def test_line_shares_follow_the_991_design(analysis):
    tiers = analysis.summary["tiers"]
    assert tiers["L1"]["resolved_share"] == pytest.approx(0.90, abs=0.015)
    assert tiers["L2"]["resolved_share"] == pytest.approx(0.09, abs=0.015)
    assert tiers["L3"]["resolved_share"] == pytest.approx(0.01, abs=0.005)


def test_utilisation_matches_the_offered_load(analysis):
    loaded = load_scenario(BASELINE)
    load = offered_load(loaded.scenario, loaded.catalog)
    offered, staffed = load["L1"]
    # the estimate uses end-of-horizon demand (growth) and no outage: within 4 points
    assert analysis.summary["tiers"]["L1"]["utilisation"] == pytest.approx(offered / staffed,
                                                                          abs=0.04)


def _log(rows, level="platinum", severity="critical"):
    return pd.DataFrame({"replication": 0, "ticket": 0,
                         "time_min": [r[0] for r in rows], "event": [r[1] for r in rows],
                         "unit": [r[2] if len(r) > 2 else "L1" for r in rows],
                         "detail": [r[3] if len(r) > 3 else "" for r in rows],
                         "level": level, "severity": severity, "kind": "technical"})


def test_escalation_ladder_produces_notices():
    loaded = load_scenario(BASELINE)
    origin = datetime(2027, 1, 4, tzinfo=SH)
    events = _log([(0, "arrived"), (0, "queued"), (60, "engaged"), (9 * H, "restored"),
                   (20 * D, "resolved")])
    clocks = evaluate_clocks(events, loaded.catalog, origin, 60 * D)
    notes = notifications(clocks, loaded.catalog, origin, 60 * D)
    got = sorted(zip(notes["time_min"], notes["role"], strict=True))
    assert got == sorted([
        (45.0, "customer_pm"),                        # response 15m breached, +30m
        (2 * H, "duty_manager"), (3 * H, "line_manager"),  # restore 50%, 75% of 4 h
        (4 * H, "regional_manager"), (4 * H, "customer_pm"),  # restore breached ...
        (8 * H, "regional_manager"), (8 * H, "customer_pm"),  # ... repeated every 4 h
        (13 * D, "line_manager"),                     # resolve 15d, -2d
    ])


def test_ola_overrun_is_attributed_to_the_tier():
    loaded = load_scenario(BASELINE)
    origin = datetime(2027, 1, 4, tzinfo=SH)
    events = _log([(0, "arrived"), (0, "queued", "L1"), (5, "engaged", "L1"),
                   (3 * H, "handed_over", "L1", "L2"), (3 * H, "queued", "L2"),
                   (3.5 * H, "engaged", "L2"), (6 * H, "restored", "L2"),
                   (7 * H, "resolved", "L2")])
    clocks = evaluate_clocks(events, loaded.catalog, origin, 10 * D)
    olas = ola_clocks(events, loaded.catalog, loaded.scenario.organisation, origin, 10 * D)
    assert dict(zip(olas["tier"], olas["breached"], strict=True)) == {"L1": True, "L2": False}
    blame = attribute_breaches(clocks, olas)
    assert list(blame["clock"]) == ["restore"]  # restore 4h breached at 6h
    assert list(blame["tiers"]) == ["L1"]


def test_check_exits_1_on_a_missed_target_and_0_otherwise(tmp_path):
    runner = CliRunner()
    args = ["run", str(BASELINE), "-n", "2", "--check", "--format", "csv", "--out",
            str(tmp_path / "a")]
    assert runner.invoke(app, args).exit_code == 1
    lenient = [f"--set=catalog.levels.{level}.attainment=10%"
               for level in ("platinum", "gold", "silver")]
    result = runner.invoke(app, [*args[:-1], str(tmp_path / "b"), *lenient])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "kpis.json").exists()
    assert (tmp_path / "b" / "clocks.csv").exists()
    events = pd.read_csv(tmp_path / "b" / "events.csv")
    assert (events["event"] == "notified").any()


def test_shift_utilisation_adds_up_to_the_tier(analysis):
    for tier in ("L1", "L2", "L3"):
        shifts = analysis.tables["shift_utilisation"]
        mine = shifts[shifts["unit"] == tier].groupby("replication")[["busy_min",
                                                                      "staffed_min"]].sum()
        util = analysis.tables["utilisation"]
        whole = util[util["unit"] == tier].set_index("replication")
        assert (mine["busy_min"] - whole["busy_min"]).abs().max() < 1e-6
        assert (mine["staffed_min"] - whole["staffed_min"]).abs().max() < 1e-6
    night = analysis.summary["tiers"]["L1"]["shifts"][1]
    day = analysis.summary["tiers"]["L1"]["shifts"][0]
    assert night["hours"] == "20:00-08:00" and night["utilisation"] < day["utilisation"]


# --- Hand oracles for the KPI functions (values worked out in the comments) ----------------

def _clock_rows(rows):
    """rows: (ticket, status, stop_min, deadline_min[, lateness_min]); one replication, level
    gold, severity major, clock resolve; `breached` follows the status."""
    return pd.DataFrame({
        "replication": 0, "ticket": [r[0] for r in rows], "level": "gold",
        "severity": "major", "clock": "resolve", "status": [r[1] for r in rows],
        "breached": [r[1] == "breached" for r in rows],
        "stop_min": [r[2] for r in rows], "start_min": 0.0,
        "deadline_min": [r[3] for r in rows],
        "lateness_min": [r[4] if len(r) > 4 else 0.0 for r in rows]})


def _tickets(ids, warmup=(), kinds=None, arrived=None, levels=None):
    kinds, arrived, levels = kinds or {}, arrived or {}, levels or {}
    return pd.DataFrame({"replication": 0, "ticket": list(ids),
                         "warmup": [i in warmup for i in ids],
                         "kind": [kinds.get(i, "technical") for i in ids],
                         "arrived_min": [arrived.get(i, 0.0) for i in ids],
                         "level": [levels.get(i, "gold") for i in ids]})


def test_attainment_leaves_out_clocks_not_yet_due():
    """Fails if attainment counts running, not-yet-due clocks as met, drops running clocks
    already past their deadline, or keeps warm-up tickets.

    Tickets 0 met, 1 breached, 2 running and not yet due (status open), 3 running past its
    deadline (status breached), 4 met but arrived in the warm-up. Due: 0, 1, 3 -> n = 3,
    2 breached, attainment 1/3 (counting 2 as met would give 2/4 = 0.5)."""
    clocks = _clock_rows([(0, "met", 50.0, 100.0), (1, "breached", 150.0, 100.0),
                          (2, "open", np.nan, 900.0), (3, "breached", np.nan, 100.0),
                          (4, "met", 50.0, 100.0)])
    out = attainment(clocks, _tickets(range(5), warmup={4}))
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["n"], row["breached"]) == (3, 2)
    assert row["attainment"] == pytest.approx(1 / 3)


def test_backlog_series_and_summary_by_hand():
    """Fails if the backlog counts complaints, counts a ticket closed exactly on a grid hour
    as still open there, misses one arriving exactly on it, or ages open tickets from the
    wrong end.

    Grid 0, 60, 120, 180 (start 0, end 180). A arrives -30 (before the window), closed 90;
    B 30 -> 150; C 100, never closed; E 120 -> 180; a complaint at 10, never closed, is not
    a customer ticket. Open: at 0 {A} = 1; 60 {A, B} = 2; 120 {B, C, E} = 3; 180 {C} = 1.
    Mean 7/4 = 1.75; open at the end 1 (C), age (180 - 100) / 60 = 4/3 h."""
    tickets = _tickets([0, 1, 2, 3, 4], kinds={4: "complaint"},
                       arrived={0: -30.0, 1: 30.0, 2: 100.0, 3: 120.0, 4: 10.0})
    events = pd.DataFrame({"replication": 0, "ticket": [0, 1, 3], "event": "closed",
                           "time_min": [90.0, 150.0, 180.0]})
    series, summary = backlog(events, tickets, 0.0, 180.0)
    assert series["time_min"].tolist() == [0.0, 60.0, 120.0, 180.0]
    assert series["open"].tolist() == [1, 2, 3, 1]
    s = summary.iloc[0]
    assert s["mean_open"] == pytest.approx(1.75)
    assert s["open_at_end"] == 1
    assert s["mean_age_h_at_end"] == pytest.approx(4 / 3)


def test_quality_kpis_by_hand():
    """Fails if first-time fix counts a ticket resolved by the entry tier after a hand-over,
    counts unresolved, warm-up or non-technical tickets, if FRT includes running clocks or
    OFR stopped ones, or if long-standing counts fixes overdue by 30 days or less.

    Entry tier L1; technical tickets: 1 resolved by L1 (first-time fix); 2 handed to L2 and
    resolved there; 3 handed to L2, back, resolved by L1 (not first-time); 4 never resolved;
    5 resolved by L1 in the warm-up (left out); 6 non-technical, resolved by the order desk.
    FTF = 1 / |{1, 2, 3}| = 1/3. Ticket 1 is closed, reopened, closed again; 2 and 3 closed:
    reopen rate 1 / 4. Complaints raised: 2 over 2 weeks -> 1 per week.
    Resolve clocks (end = 100 days, 24x7): 1 met, 2 breached, 3 met (stopped: FRT = 2/3);
    running: 4 breached, 31 days late; 7 open, deadline after the end; 8 breached, 29 days
    late (OFR = 2/3; long-standing, more than 30 days late: only ticket 4)."""
    end = 100 * D
    ev = [(1, 10, "resolved", "L1"), (1, 20, "closed", "L1"), (1, 30, "reopened", "L1"),
          (1, 40, "closed", "L1"),
          (2, 10, "handed_over", "L1"), (2, 20, "resolved", "L2"), (2, 30, "closed", "L2"),
          (3, 10, "handed_over", "L1"), (3, 20, "handed_over", "L2"),
          (3, 30, "resolved", "L1"), (3, 40, "closed", "L1"),
          (4, 10, "engaged", "L1"), (5, 10, "resolved", "L1"),
          (6, 10, "resolved", "order_desk"),
          (9, 10, "complaint_raised", "customer_care"),
          (10, 10, "complaint_raised", "customer_care")]
    kinds = {6: "non_technical", 9: "complaint", 10: "complaint"}
    events = pd.DataFrame({"replication": 0, "ticket": [e[0] for e in ev],
                           "time_min": [float(e[1]) for e in ev],
                           "event": [e[2] for e in ev], "unit": [e[3] for e in ev],
                           "kind": [kinds.get(e[0], "technical") for e in ev]})
    tickets = _tickets([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], warmup={5}, kinds=kinds)
    clocks = _clock_rows([(1, "met", 10.0, 50.0), (2, "breached", 20.0, 15.0),
                          (3, "met", 30.0, 50.0),
                          (4, "breached", np.nan, end - 31 * D, 31 * D),
                          (5, "breached", 10.0, 5.0), (7, "open", np.nan, end + 10 * D),
                          (8, "breached", np.nan, end - 29 * D, 29 * D)])
    q = quality(events, tickets, clocks, "L1", 2.0, end).iloc[0]
    assert q["first_time_fix"] == pytest.approx(1 / 3)
    assert q["reopen_rate"] == pytest.approx(1 / 4)
    assert q["complaints_per_week"] == pytest.approx(1.0)
    assert q["frt"] == pytest.approx(2 / 3)
    assert q["ofr"] == pytest.approx(2 / 3)
    assert q["long_standing"] == 1


def test_cost_allocation_by_hand():
    """Fails if a unit's cost is shared by ticket counts instead of busy minutes, sessions
    are not clipped to the measured period, an idle unit's cost is dropped, or revenue is
    not price x contracts x share of a year.

    One week measured (0 to 10080). L1: 2 agents all week = 20160 agent-min = 336 h x 180 =
    60480; busy minutes: platinum ticket 1 300, gold ticket 2 100, gold ticket 3 (warm-up)
    100 of its -100..100 session, ticket 4 without an SLA 50: total 550, so platinum gets
    60480 x 300/550, gold 60480 x 200/550, none 60480 x 50/550. L2: 1 agent for half the
    week = 84 h x 350 = 29400, never busy: all of it to none. Silver: 0.
    Revenue platinum = 300000 x 8 contracts x 7 / 365 (a week's share of a 365-day year,
    docs/kpis.md); the
    gold contracts are set to expired here: no gold revenue, 0 contracts.
    Cost per ticket: gold has one kept ticket (3 is in the warm-up)."""
    from itr_sim.analysis.cost import cost_by_level
    from itr_sim.engine.staffing import Staffing

    loaded = load_scenario(BASELINE, sets={"demand.customers.enterprises.contract": "expired"})
    sess = pd.DataFrame({"replication": 0, "ticket": [1, 2, 3, 4], "unit": "L1",
                         "start": [0.0, 100.0, -100.0, 500.0],
                         "end": [300.0, 200.0, 100.0, 550.0]})
    tickets = _tickets([1, 2, 3, 4], warmup={3},
                       levels={1: "platinum", 2: "gold", 3: "gold", 4: None})
    staffing = {0: {"L1": Staffing((0.0,), (2,)), "L2": Staffing((0.0, 5040.0), (1, 0))}}
    out = cost_by_level(sess, tickets, staffing, loaded.scenario, loaded.catalog, 0.0,
                        10080.0).set_index("level")
    assert out.loc["platinum", "cost"] == pytest.approx(60480 * 300 / 550)
    assert out.loc["gold", "cost"] == pytest.approx(60480 * 200 / 550)
    assert out.loc["none", "cost"] == pytest.approx(60480 * 50 / 550 + 29400)
    assert out.loc["silver", "cost"] == 0
    assert out["cost"].sum() == pytest.approx(60480 + 29400)
    assert out.loc["platinum", "revenue"] == pytest.approx(300000 * 8 * 7 / 365)
    assert out.loc["platinum", "margin"] == pytest.approx(
        300000 * 8 * 7 / 365 - 60480 * 300 / 550)
    assert (out.loc["gold", "revenue"], out.loc["gold", "contracts"]) == (0, 0)
    assert out.loc["gold", "tickets"] == 1
    assert out.loc["gold", "cost_per_ticket"] == pytest.approx(60480 * 200 / 550)


def test_clock_times_by_hand():
    """Fails if clock times are not wall-clock hours from start to stop, include running
    clocks or warm-up tickets, or p90 is another quantile.

    Ten stopped clocks lasting 1, 2, ..., 10 h: mean 5.5, median 5.5, p90 (linear
    interpolation, position 0.9 x 9 = 8.1 between 9 and 10) 9.1; a running clock and a
    warm-up ticket's clock are left out."""
    from itr_sim.analysis.kpis import clock_times

    rows = [(i, "met", 60.0 * (i + 1), 1e9) for i in range(10)]
    clocks = _clock_rows([*rows, (10, "open", np.nan, 1e9), (11, "met", 6000.0, 1e9)])
    out = clock_times(clocks, _tickets(range(12), warmup={11})).iloc[0]
    assert (out["n"], out["mean"], out["p50"]) == (10, pytest.approx(5.5), pytest.approx(5.5))
    assert out["p90"] == pytest.approx(9.1)


def test_tier_figures_by_hand():
    """Fails if the escalation rate is not handed over / (handed over + resolved) at the
    tier, the resolved share is not over all resolved technical tickets, or the mean wait
    is not from `queued` to the next `engaged` at that tier.

    Tickets 1-3 queued at L1 at 0, engaged at 10, resolved there; ticket 4 queued at L1 at
    0, engaged at 30, handed over at 50, queued at L2 at 50, engaged at 110, resolved.
    L1: reached 4, resolved 3, out 1, share 3/4, escalation 1/4, wait (10+10+10+30)/4 = 15.
    L2: reached 1, resolved 1, out 0, share 1/4, escalation 0, wait 60."""
    from itr_sim.analysis.kpis import tier_figures

    ev = []
    for t in (1, 2, 3):
        ev += [(t, 0, "queued", "L1"), (t, 10, "engaged", "L1"), (t, 20, "resolved", "L1")]
    ev += [(4, 0, "queued", "L1"), (4, 30, "engaged", "L1"), (4, 50, "handed_over", "L1"),
           (4, 50, "queued", "L2"), (4, 110, "engaged", "L2"), (4, 130, "resolved", "L2")]
    events = pd.DataFrame({"replication": 0, "ticket": [e[0] for e in ev],
                           "time_min": [float(e[1]) for e in ev],
                           "event": [e[2] for e in ev], "unit": [e[3] for e in ev],
                           "kind": "technical"})
    out = tier_figures(events, _tickets([1, 2, 3, 4]), ["L1", "L2"]).set_index("tier")
    assert out.loc["L1", ["reached", "resolved", "escalated_out"]].tolist() == [4, 3, 1]
    assert out.loc["L1", "resolved_share"] == pytest.approx(3 / 4)
    assert out.loc["L1", "escalation_rate"] == pytest.approx(1 / 4)
    assert out.loc["L1", "mean_wait_min"] == pytest.approx(15)
    assert out.loc["L2", ["reached", "resolved", "escalated_out"]].tolist() == [1, 1, 0]
    assert out.loc["L2", "escalation_rate"] == 0
    assert out.loc["L2", "mean_wait_min"] == pytest.approx(60)


def test_ola_nbd_budget_uses_the_levels_cutoff():
    """Fails if an NBD OLA budget ignores the level's `nbd_cutoff`.

    Silver (office calendar Mon-Fri 09:00-12:00, 13:00-18:00) with the cut-off moved to
    12:00; a minor ticket arrives and is queued at L1 on Tue 2027-01-05 13:00, after the
    cut-off: the L1 OLA (NBD) is due at the close of Thu 01-07, 18:00 (with 15:00 it would
    be Wed 18:00)."""
    loaded = load_scenario(BASELINE, sets={"organisation.tiers.L1.ola.minor": "NBD",
                                           "catalog.levels.silver.nbd_cutoff": "12:00"})
    origin = datetime(2027, 1, 4, tzinfo=SH)
    t0 = D + 13 * H
    events = _log([(t0, "arrived"), (t0, "queued", "L1"), (t0 + 30, "engaged", "L1"),
                   (t0 + 60, "resolved", "L1")], level="silver", severity="minor")
    olas = ola_clocks(events, loaded.catalog, loaded.scenario.organisation, origin, 10 * D)
    assert olas["deadline_min"].tolist() == [3 * D + 18 * H]


def test_waits_pair_a_queue_with_the_next_engagement_of_that_ticket_there():
    """Fails if a `queued` is paired with an engagement of another ticket or at another
    unit, or a `queued` never followed by an engagement counts as a wait.

    Ticket 1 queued at L1 at 0, engaged at 10: wait 10. Ticket 2 queued at L1 at 5, never
    engaged: no wait. Ticket 3 engaged at L1 at 30 without a queue: no wait. Ticket 4 queued
    at L1 at 0 (never engaged there), queued at L2 at 40, engaged at L2 at 100: wait 60 at
    L2. Exactly two waits."""
    from itr_sim.analysis.kpis import waits

    ev = [(1, 0, "queued", "L1"), (1, 10, "engaged", "L1"), (2, 5, "queued", "L1"),
          (3, 30, "engaged", "L1"), (4, 0, "queued", "L1"), (4, 40, "queued", "L2"),
          (4, 100, "engaged", "L2")]
    events = pd.DataFrame({"replication": 0, "ticket": [e[0] for e in ev],
                           "time_min": [float(e[1]) for e in ev],
                           "event": [e[2] for e in ev], "unit": [e[3] for e in ev]})
    got = sorted(zip(*(waits(events)[k].tolist() for k in ("ticket", "unit", "wait_min")),
                     strict=True))
    assert got == [(1, "L1", 10.0), (4, "L2", 60.0)]


def test_share_interval_widens_the_t_interval_by_the_pooled_wilson_interval():
    """Fails if a cell with no spread between replications is treated as certain, if the
    Wilson side is computed on the wrong counts, or if an interval leaves [0, 1].

    Wilson score interval by hand, z = 1.959964: centre (p + z^2/2n) / (1 + z^2/n),
    half width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
    * 10 of 10 met in one replication: the lower end is n / (n + z^2) = 10 / 13.8415 = 0.72247;
    * 90 of 100 met in each of two replications (t-interval of zero width at 0.9), pooled
      p = 0.9, n = 200: centre 0.892462, half width 0.041868, so 0.85059 to 0.93433."""
    from itr_sim.analysis.stats import share_interval

    mean, lo, hi = share_interval([1.0], [10])
    assert (mean, hi) == (1.0, 1.0) and lo == pytest.approx(0.72247, abs=1e-5)
    mean, lo, hi = share_interval([0.9, 0.9, float("nan")], [100, 100, 0])
    assert mean == pytest.approx(0.9)
    assert (lo, hi) == (pytest.approx(0.85059, abs=1e-5), pytest.approx(0.93433, abs=1e-5))
    # wide between-replication spread: the t-interval is the wider one and is kept, clipped
    mean, lo, hi = share_interval([0.5, 1.0], [1000, 1000])
    assert lo == 0.0 and hi == 1.0


def test_verdict_by_the_whole_interval_for_attainments_and_caps():
    """Fails if a target whose interval straddles it is called missed (or met), if a bound
    equal to the target is not enough, or if a cap (lower is better) is judged the wrong
    way round."""
    from itr_sim.analysis.stats import verdict

    assert verdict(0.90, 0.85, 0.95, 0.90) == "at risk"
    assert verdict(0.96, 0.95, 0.97, 0.95) == "met"          # the bound reaching it is enough
    assert verdict(0.80, 0.75, 0.8999, 0.90) == "missed"
    assert verdict(0.85, 0.80, 0.90, 0.90) == "at risk"      # an upper end at the target
    assert verdict(0.80, None, None, 0.90) == "at risk"      # one run never proves a miss
    assert verdict(0.80, 0.70, 0.90, 0.85, higher_is_better=False) == "at risk"
    assert verdict(0.70, 0.60, 0.85, 0.85, higher_is_better=False) == "met"
    assert verdict(0.95, 0.90, 0.99, 0.85, higher_is_better=False) == "missed"


def test_summary_cells_carry_the_verdict_of_their_interval(analysis):
    """Fails if the summary's verdict disagrees with its own interval and target (the report
    and `run --check` read it), or if the interval shown is not the one judged on."""
    from itr_sim.analysis.stats import verdict

    cells = [c for sevs in analysis.summary["sla"].values() for clocks in sevs.values()
             for c in clocks.values()]
    assert cells and all(
        c["verdict"] == (None if c["target"] is None else
                         verdict(c["attainment"], *c["ci95"], c["target"])) for c in cells)
    assert {c["verdict"] for c in cells} - {None} <= {"met", "at risk", "missed"}


def test_summary_lists_levels_severities_and_clocks_in_catalogue_order(analysis):
    """Fails if the summary (and so `run`, the report and the JSON) lists levels
    alphabetically (gold, platinum, silver) instead of as the catalogue sells them, or
    clocks in another order than a ticket's life."""
    sla = analysis.summary["sla"]
    assert list(sla) == ["platinum", "gold", "silver"]
    assert list(sla["platinum"]) == ["critical", "major", "minor"]
    order = ["response", "restore", "resolve", "update", "onsite", "parts"]
    clocks = list(sla["platinum"]["critical"])
    assert clocks == sorted(clocks, key=order.index)
