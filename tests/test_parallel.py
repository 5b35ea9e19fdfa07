"""Parallel replications (process pool, dask.distributed) and sweeps."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

import itr_sim
from itr_sim.analysis.sweep import grid_points, sweep
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

ROOT = Path(__file__).parent.parent
SHORT = {"horizon": "4w", "warmup": "1w"}


def test_process_pool_gives_the_serial_results():
    loaded = load_scenario(ROOT / "scenarios" / "baseline.yaml", sets=SHORT)
    serial = run_scenario(loaded, replications=3)
    pooled = run_scenario(loaded, replications=3, jobs=2)
    pd.testing.assert_frame_equal(serial.events(), pooled.events())
    assert pooled.metadata["executor"] == "process"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_sweep_on_a_dask_local_cluster_matches_the_serial_run():
    from distributed import Client, LocalCluster

    loaded = load_scenario(ROOT / "scenarios" / "baseline.yaml", sets=SHORT)
    serial = run_scenario(loaded, replications=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        address = client.scheduler.address
        on_dask = run_scenario(loaded, replications=2, executor="dask", scheduler=address)
        pd.testing.assert_frame_equal(serial.events(), on_dask.events())
        table = sweep(ROOT / "scenarios" / "baseline.yaml",
                      {"horizon": ["4w"], "warmup": ["1w"],
                       "organisation.tiers.L2.shifts.0.agents": [2, 4]},
                      replications=2, executor="dask", scheduler=address)
    assert list(table["organisation.tiers.L2.shifts.0.agents"]) == [2, 4]
    assert table["L2.mean_wait_min"].iloc[0] > table["L2.mean_wait_min"].iloc[1]
    assert table["cost_total"].iloc[0] < table["cost_total"].iloc[1]


def test_grid_points_and_sweep_command(tmp_path):
    assert grid_points({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    runner = CliRunner()
    out = tmp_path / "sweep.csv"
    result = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "baseline.yaml"),
                                 "--grid", "horizon=3w", "--grid", "warmup=1w",
                                 "--grid", "organisation.tiers.L1.shifts.0.agents=3,5",
                                 "-n", "2", "--out", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 2 and table["L1.utilisation"].iloc[0] > table["L1.utilisation"].iloc[1]
    counted = table[["met", "at_risk", "missed"]].sum(axis=1)
    assert counted.nunique() == 1 and counted.iloc[0] > 0  # every target judged, at each point
    # the terminal table: at 80 columns no line is wider (transposed: a row per figure)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith("L1 util") for line in lines)
    again = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "baseline.yaml"),
                                "--grid", "horizon=3w", "--grid", "warmup=1w",
                                "--grid", "organisation.tiers.L1.shifts.0.agents=3,5",
                                "-n", "2", "--out", str(out), "--json"])
    assert again.exit_code == 2 and "--force" in again.output  # the CSV is the user's now
    rows = json.loads(runner.invoke(app, [
        "sweep", str(ROOT / "scenarios" / "baseline.yaml"), "--grid", "horizon=3w",
        "--grid", "warmup=1w", "--grid", "organisation.tiers.L1.shifts.0.agents=3,5",
        "-n", "2", "--json"]).stdout)
    assert [r["organisation.tiers.L1.shifts.0.agents"] for r in rows] == [3, 5]
    assert rows[0]["L1.utilisation"] == pytest.approx(table["L1.utilisation"].iloc[0])
    bad = runner.invoke(app, ["sweep", str(ROOT / "scenarios" / "baseline.yaml"), "--grid",
                              "organisation.tiers.L9.resolves=50%"])
    assert bad.exit_code == 2


def test_public_api_resolves_and_engine_workers_skip_the_analysis_stack():
    assert all(getattr(itr_sim, name) is not None for name in itr_sim.__all__)
    # a process-pool worker imports the engine only: no SciPy, no analysis
    code = ("import sys, itr_sim.engine.replicate; "
            "print(any(m in sys.modules for m in ('scipy', 'itr_sim.analysis.summary')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
