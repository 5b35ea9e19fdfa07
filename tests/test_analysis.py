"""KPIs, ladders, OLA attribution and the run --json contract."""

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.analysis.clock_table import evaluate_clocks
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
    args = ["run", str(BASELINE), "-n", "2", "--check", "--out", str(tmp_path / "a")]
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
