"""Streaming mode: the same KPIs as the full log, from a log that holds only open tickets."""

import json
from pathlib import Path

import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.analysis.streaming import run_streaming
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

BASELINE = Path(__file__).parent.parent / "scenarios" / "baseline.yaml"


def same(streamed, full, path=""):
    """Every number the streamed summary has equals the full summary's."""
    if isinstance(streamed, dict):
        for key, value in streamed.items():
            if key not in ("metadata", "streamed", "peak_log_rows"):
                assert key in full, f"{path}.{key} not in the full summary"
                same(value, full[key], f"{path}.{key}")
    elif isinstance(streamed, list):
        assert len(streamed) == len(full), path
        for i, (a, b) in enumerate(zip(streamed, full, strict=True)):
            same(a, b, f"{path}[{i}]")
    elif isinstance(streamed, float) and isinstance(full, float):
        assert streamed == pytest.approx(full, rel=1e-9, abs=1e-9), path
    else:
        assert streamed == full, path


def test_streamed_kpis_equal_the_full_analysis():
    loaded = load_scenario(BASELINE, sets={"replications": 3})
    result, streamed = run_streaming(loaded, jobs=2)  # the sink goes to worker processes
    full = run_scenario(loaded)
    summary = analyse(full).summary
    same(streamed, summary)
    assert set(streamed["sla"]) == set(summary["sla"]) and streamed["services"]
    assert len(result.replications[0].log) == 0  # nothing kept
    assert result.replications[0].streamed["chunks"] == 13  # one per simulated week
    # conservation holds on the streamed counts too
    kinds = streamed["tickets"]["by_kind"]
    assert sum(k["arrived"] for k in kinds.values()) == pytest.approx(
        streamed["tickets"]["closed"] + streamed["tickets"]["open"])


def test_streamed_log_stays_small_as_the_horizon_grows():
    rows = {}
    for horizon in ("13w", "52w"):
        loaded = load_scenario(BASELINE, sets={"replications": 1, "horizon": horizon})
        result, _ = run_streaming(loaded)
        rows[horizon] = (result.replications[0].peak_log_rows,
                         len(result.replications[0].tickets))
    (peak13, tickets13), (peak52, tickets52) = rows["13w"], rows["52w"]
    assert tickets52 > 3.5 * tickets13
    # the full log grows with tickets (about 7.6 rows each); the streamed one with the
    # open tickets of one week, which do not grow with the horizon
    assert peak52 < 1.3 * peak13 < 0.2 * 7 * tickets13


def test_run_stream_writes_the_kpis_and_no_log(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(BASELINE), "--stream", "-n", "2", "--json",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.stdout)
    assert kpis["streamed"] and kpis["sla"]["platinum"]["critical"]["restore"]["n"] > 0
    assert sorted(p.name for p in out.iterdir()) == ["kpis.json", "metadata.json"]
