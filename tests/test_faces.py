"""What users see: the HTML report in a real browser, leader notebooks, compare."""

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
runner = CliRunner()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it (Debian package chromium)")
        pytest.skip("chromium is not installed")
    return CHROMIUM


@pytest.mark.slow
def test_report_renders_in_chromium_with_every_figure(tmp_path):
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", str(BASELINE), "-n", "2", "--out", str(out)]).exit_code \
        in (0, 1)
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(out), "-o", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text("utf-8")
    assert "http://" not in html and "https://" not in html  # self-contained
    assert "Are we keeping our SLAs?" in html
    # every section of the decision page, each figure an SVG
    for anchor in ("status", "where-it-hurts", "what-to-change", "fig-attainment", "fig-weekly",
                   "monthly", "lines", "fig-load", "glossary", "footer"):
        assert f"id='{anchor}'" in html, anchor
    assert re.search(r"itr-sim staff \S*baseline.yaml --write staffed.yaml\n"
                     r"itr-sim compare \S*baseline.yaml staffed.yaml -n 10", html)
    assert "id='few-replications'" in html  # two replications: the warning is shown
    # every figure non-empty: each SVG draws marks and text
    svgs = [base64.b64decode(x).decode("utf-8") for x in
            re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]
    assert len(svgs) == 8
    for svg in svgs:
        assert svg.count("<path") + svg.count("<image") >= 5 and svg.count("<text") >= 3
    # the worst miss of the baseline (platinum critical update, not drawn before) is charted
    assert "Platinum · critical · update" in svgs[0]
    chrome = browser()
    dom = subprocess.run([chrome, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=5000", "--dump-dom", report.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    expected = int(re.search(r'data-figures="(\d+)"', body).group(1))
    loaded = int(re.search(r'data-loaded="(\d+)"', body).group(1))
    assert expected == 8 and loaded == expected, body
    shot = tmp_path / "shot.png"
    subprocess.run([chrome, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1100,1400", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000


def test_report_from_a_scenario_and_bad_sources(tmp_path):
    report = tmp_path / "r.html"
    ok = runner.invoke(app, ["report", str(ROOT / "tests" / "data" / "engine" / "trace.yaml"),
                             "-o", str(report)])
    assert ok.exit_code == 0, ok.output
    assert report.read_text("utf-8").count("data:image/svg+xml;base64,") == 8
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["report", str(empty)]).exit_code == 2


@pytest.mark.slow
@pytest.mark.parametrize("name", ["quarterly_review", "platinum_upsell"])
def test_notebook_runs_and_is_committed_without_outputs(name, tmp_path):
    """Fails if a notebook errors, is committed with outputs, shows no table or figure, or if
    the page for leaders (itr_sim.report.notebooks) keeps a line of code or loses the
    written conclusion."""
    from itr_sim.report.notebooks import render_for_leaders

    path = ROOT / "notebooks" / f"{name}.ipynb"
    book = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in book.cells if cell.cell_type == "code")
    assert all(cell.get("execution_count") is None for cell in book.cells
               if cell.cell_type == "code")
    page_path = tmp_path / f"{name}.html"
    assert render_for_leaders(path, page_path, timeout=600) == []
    page = page_path.read_text("utf-8")
    assert "<table" in page or "<img" in page
    code = [line.strip() for cell in book.cells if cell.cell_type == "code"
            for line in cell.source.splitlines() if len(line.strip()) > 25]
    assert code and not [line for line in code if line in page]
    assert book.cells[-1].cell_type == "markdown"
    last_word = re.findall(r"[A-Za-z]{4,}", book.cells[-1].source)[-1]
    assert last_word in page.rsplit("</main>", 1)[0][-3000:]  # the conclusion, at the end


def test_compare_marks_significant_changes_with_common_random_numbers():
    # six replications: with five, the L2 wait's p-value (0.005) does not survive the
    # Benjamini-Hochberg control across the 58 KPIs (q 0.056)
    result = runner.invoke(app, ["compare", str(BASELINE), "--set",
                                 "organisation.tiers.L2.shifts.0.agents=6", "-n", "6", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {r["kpi"]: r for r in report["kpis"]}
    wait = rows["tiers.L2.mean_wait_min"]
    assert wait["delta"] < 0 and wait["significant"]
    assert rows["cost.total"]["delta"] > 0 and rows["cost.total"]["significant"]
    # the first line is untouched by the change and sees the same arrivals
    assert not rows["tiers.L1.resolved_share"]["significant"] or \
        abs(rows["tiers.L1.resolved_share"]["delta"]) < 0.01
    table = runner.invoke(app, ["compare", str(BASELINE), str(ROOT / "scenarios" /
                                                               "l2_cut.yaml"), "-n", "2"])
    assert table.exit_code == 0 and "significant" in table.stdout
    assert runner.invoke(app, ["compare", str(BASELINE)]).exit_code == 2
