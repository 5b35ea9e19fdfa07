"""Every file in tests/data/bad is rejected with the expected message at the marked line.

Each bad file starts with ``# expect: <message fragment>`` and marks the line the error must
point at with ``# <-- error``. The files under tests/data/good are the templates the bad
ones were made from: they must be valid, so each bad file differs by its one defect.
"""

import json
from pathlib import Path

import pytest
from itr_sim.cli import main as cli_main
from typer.testing import CliRunner

from itr_sim.model.load import validate_file
from itr_sim.model.source import Level

DATA = Path(__file__).parent / "data"
BAD = sorted((DATA / "bad").glob("*.yaml"))
MARK = "# <-- error"


def expectation(path: Path) -> tuple[str, int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# expect: "), f"{path.name} lacks an '# expect:' header"
    marked = [i + 1 for i, line in enumerate(lines) if MARK in line]
    assert len(marked) == 1, f"{path.name} must mark exactly one line"
    return lines[0].removeprefix("# expect: "), marked[0]


def test_the_corpus_is_large_enough():
    assert len(BAD) >= 30


@pytest.mark.parametrize("path", sorted((DATA / "good").glob("*.yaml")), ids=lambda p: p.name)
def test_templates_are_valid(path):
    assert [str(d) for d in validate_file(path) if d.level is Level.ERROR] == []


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file_is_rejected_at_the_right_line(path):
    fragment, line = expectation(path)
    found = [d for d in validate_file(path) if d.level is Level.ERROR]
    assert found, f"{path.name} was accepted"
    matching = [d for d in found if fragment in d.message]
    assert matching, f"no error says {fragment!r}; got:\n" + "\n".join(map(str, found))
    assert any(d.line == line for d in matching), (
        f"expected line {line}; got:\n" + "\n".join(map(str, matching)))
    assert all(d.file.endswith(".yaml") for d in found)


# -- the command line: exit status, no traceback ------------------------------------------

runner = CliRunner()
ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("args", [
    ["--rate", "10/h", "--aht", "10m", "--shrinkage", "100%"],
    ["--rate", "10/h", "--aht", "10m", "--max-occupancy", "0%"],
    ["--rate", "10/h", "--aht", "10m", "--patience", "0m"],
    ["--rate", "10/h", "--aht", "0m"],
    ["--rate", "10/h", "--aht", "0m", "--agents", "2"],
    ["--rate", "10/h", "--aht", "10m", "--target", "100%"],
    ["--rate", "10/h", "--aht", "1bd"],
    ["--rate", "100000000/h", "--aht", "10m"],
    ["--rate", "0/h", "--aht", "10m", "--patience", "5m"],
    ["--rate", "10/h", "--aht", "10m", "--agents", "1000000000"],
])
def test_erlang_outside_its_domain_exits_2_with_a_message(args):
    """Fails on a ZeroDivisionError/ValueError traceback or an endless staffing search
    (100% target, 100% shrinkage)."""
    result = runner.invoke(cli_main.app, ["erlang", *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("error: ")


def test_an_internal_error_exits_3_with_a_hint_and_a_traceback_only_with_debug(monkeypatch):
    """Fails if a bug escapes as a traceback with exit 1 (indistinguishable from a missed
    target), or if --debug hides the traceback."""
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    import itr_sim.model.load

    monkeypatch.setattr(itr_sim.model.load, "validate_file", broken)
    good = str(DATA / "good" / "mini_catalog.yaml")
    result = runner.invoke(cli_main.app, ["validate", good])
    assert result.exit_code == 3
    assert "internal error: RuntimeError: boom" in result.output
    assert "please report it" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli_main.app, ["--debug", "validate", good])
    assert isinstance(result.exception, RuntimeError)


def test_an_unwritable_output_is_bad_input_not_an_internal_error(tmp_path):
    """Fails if an OSError while writing is reported as a bug (exit 3) or a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(cli_main.app, ["schema", "--out", str(blocker / "sub")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")


def test_a_run_with_zero_demand_completes(tmp_path):
    """Fails if a run in which no ticket arrives crashes in the analysis (it used to: empty
    per-replication tables without columns)."""
    text = (DATA / "good" / "mini_scenario.yaml").read_text(encoding="utf-8")
    text = text.replace("../../../sla_catalog", str(ROOT / "sla_catalog")).replace(
        "tickets_per_week: 20", "tickets_per_week: 0").replace("horizon: 4w", "horizon: 2w")
    path = tmp_path / "zero.yaml"
    path.write_text(text + "replications: 2\n", encoding="utf-8")
    result = runner.invoke(cli_main.app, ["run", str(path), "--json", "--out",
                                          str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tickets"]["arrived"] == 0
    # and its report says there is nothing to chart instead of failing on empty tables
    html = tmp_path / "zero.html"
    report = runner.invoke(cli_main.app, ["report", str(tmp_path / "out"), "-o", str(html)])
    assert report.exit_code == 0, report.output
    page = html.read_text(encoding="utf-8")
    assert "nothing to chart" in page
    assert "no ticket." in page  # cost per ticket of no ticket
    assert "None" not in page  # a missing figure is shown as such, not as Python's None


def test_swapped_targets_warn_and_comparable_ones_do_not(tmp_path):
    """A response target longer than the restore target of the same severity can never
    decide anything (engagement comes before restoration): a warning at that line. Business
    days against elapsed time are not compared (no calendar at validation). Fails if the
    check compares across severities, compares business days with hours, or misses the
    swap."""
    good = (DATA / "bad" / "cat_zero_target.yaml").read_text().split("\n", 1)[1]
    good = good.replace("{response: 0m, restore: 4h, resolve: 5d}  # <-- error",
                        "{response: 5h, restore: 4h, resolve: 3bd}")
    # equal budgets are fine; 2d against 1bd is not compared (a business day is no 24 h)
    good = good.replace("minor: {response: 4h, resolve: 20d}",
                        "minor: {response: 2d, restore: 2d, resolve: 1bd}")
    path = tmp_path / "cat.yaml"
    path.write_text(good)
    found = [(d.line, d.level, d.message[:40]) for d in validate_file(path)]
    assert found == [(13, Level.WARNING, "the response target 5h is longer than th")]


def test_a_product_file_is_validated_as_a_product(tmp_path):
    """`validate` on a product file checks it as a product (keys and values; its level and
    customer need a scenario), and `run` on one says what it is. Fails if a product is read
    as a scenario ('scenario to extend not found: platinum'), or called a catalogue."""
    product = ROOT / "tests" / "data" / "economics" / "platinum_plus.yaml"
    out = runner.invoke(cli_main.app, ["validate", str(product)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli_main.app, ["run", str(product)])
    assert out.exit_code == 2
    assert "this is a product (a new level extending a catalogue), not a scenario" in out.output
    bad = tmp_path / "p.yaml"
    bad.write_text("product: x\nextends: platinum\nsold_to: {customer: a, contracts: 0}\n")
    out = runner.invoke(cli_main.app, ["validate", str(bad)])
    assert out.exit_code == 2
    assert "p.yaml:3: sold_to.contracts" in out.output
