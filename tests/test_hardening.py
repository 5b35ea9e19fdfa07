"""Bad input on the newer YAML surfaces: each case is a mistake once accepted or crashed on.

Every case edits one line of a bundled file and checks the loader's answer: an error at the
edited line (never an exception, never a silent default or coercion).
"""

import re
from pathlib import Path

import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.model.load import load_scenario, validate_file
from itr_sim.model.source import Level, ScenarioError

ROOT = Path(__file__).parent.parent
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
CATALOG = ROOT / "sla_catalog" / "standard.yaml"
TZ = "  timezone: Asia/Shanghai\n"
runner = CliRunner()


def edited(tmp_path: Path, source: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of ``source`` (its catalogue path kept working) with ``old`` replaced once;
    the line of the edit, 1-based."""
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    text = text.replace("catalog: ../sla_catalog/standard.yaml", f"catalog: {CATALOG.as_posix()}")
    line = text[: text.index(new)].count("\n") + 1 + (new.startswith("\n"))
    out = tmp_path / source.name
    out.write_text(text, encoding="utf-8")
    return out, line


def errors(path: Path) -> list:
    return [d for d in validate_file(path) if d.level is Level.ERROR]


def test_empty_entry_shares_are_an_error_not_a_crash(tmp_path):
    """Fails if `entry: {}` passes validation into `entry_shares`, which raised StopIteration
    (exit 3, "internal error") from both `validate` and `run`."""
    path, line = edited(tmp_path, SCENARIO, TZ, TZ + "  entry: {}\n")
    found = errors(path)
    assert [(d.line, d.path) for d in found] == [(line + 1, "organisation.entry")]
    assert "at least 1" in found[0].message
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output


def test_empty_entry_shares_of_a_severity_are_an_error(tmp_path):
    """Fails if `{default: {}}` is accepted: no tier would take the tickets."""
    path, line = edited(tmp_path, SCENARIO, TZ, TZ + "  entry: {default: {}}\n")
    found = errors(path)
    assert found and all(d.line == line + 1 for d in found)
    assert any(d.path.startswith("organisation.entry") for d in found)


@pytest.mark.parametrize(("old", "new", "key"), [
    # `true` read as 1 agent: a yes/no where a head count belongs
    ("agents: 4}", "agents: true}", "organisation.tiers.L1.shifts.0.agents"),
    # a quoted "4" read as the number 4
    ("agents: 4}", 'agents: "4"}', "organisation.tiers.L1.shifts.0.agents"),
    ("tickets_per_week: 10}", 'tickets_per_week: "10"}',
     "demand.customers.operators.tickets_per_week"),
    ("replications: 10", "replications: true", "replications"),
    (TZ, TZ + '  max_visits: "3"\n', "organisation.max_visits"),
    (TZ, TZ + "  max_visits: true\n", "organisation.max_visits"),
], ids=["agents-true", "agents-quoted", "volume-quoted", "replications-true",
        "max-visits-quoted", "max-visits-true"])
def test_a_number_field_does_not_coerce_booleans_or_strings(tmp_path, old, new, key):
    """Fails if pydantic's lax mode turns `true` into 1 or `"4"` into 4 without a word."""
    path, _ = edited(tmp_path, SCENARIO, old, new)
    found = errors(path)
    assert [d.path for d in found] == [key], [str(d) for d in found]
    assert "expected a number" in found[0].message
    with pytest.raises(ScenarioError):
        load_scenario(path)


@pytest.mark.parametrize(("old", "new", "key"), [
    # a cap of `true` was read as an amount of 1 (currency)
    ("      cap: 20%", "      cap: true", "levels.platinum.penalties.cap"),
    # an amount written as a string was read as the number
    ("severity: critical, per_miss: 5%}", 'severity: critical, per_miss: "2000"}',
     "levels.platinum.penalties.credits.0.per_miss"),
], ids=["cap-true", "amount-quoted"])
def test_a_penalty_amount_does_not_coerce(tmp_path, old, new, key):
    """Fails if a service-credit amount or cap accepts a boolean or a quoted number."""
    path, line = edited(tmp_path, CATALOG, old, new)
    found = errors(path)
    assert [(d.line, d.path) for d in found] == [(line, key)], [str(d) for d in found]


def test_a_huge_cost_is_an_input_error_not_an_overflow(tmp_path):
    """Fails if `cost_per_agent_hour: 1e308` validates: the cost sum overflows to infinity
    and `run` died formatting it (internal error, exit 3)."""
    path, line = edited(tmp_path, SCENARIO, "cost_per_agent_hour: 180",
                        "cost_per_agent_hour: 1e308")
    found = errors(path)
    assert [(d.line, d.path) for d in found] == [
        (line, "organisation.tiers.L1.cost_per_agent_hour")], [str(d) for d in found]
    assert "at most 1e+15" in found[0].message
    # the largest allowed value itself still validates (the bound is inclusive)
    ok, _ = edited(tmp_path, SCENARIO, "cost_per_agent_hour: 180", "cost_per_agent_hour: 1e15")
    assert errors(ok) == []


@pytest.mark.parametrize(("value", "says"), [
    ('{platinum: "5000"}', "expected a number"),
    ("{platinum: 1e308}", "at most 1e+15"),
])
def test_fixed_cost_per_contract_year_is_checked(tmp_path, value, says):
    """Fails if a quoted or overflowing fixed cost is taken. (A level the catalogue lacks is
    allowed here: it may be a product's, checked by `price`.)"""
    path, line = edited(tmp_path, SCENARIO, TZ, TZ + f"  cost_per_contract_year: {value}\n")
    found = errors(path)
    assert [d.line for d in found] == [line + 1], [str(d) for d in found]
    assert found[0].path.startswith("organisation.cost_per_contract_year.")
    assert says in found[0].message


def test_shares_and_durations_still_take_strings(tmp_path):
    """Fails if the number check also rejects the fields whose grammar is a string
    (`95%`, `4h`): the bundled scenario and catalogue stay valid."""
    assert errors(SCENARIO) == []
    assert errors(CATALOG) == []


@pytest.mark.parametrize(("new", "key", "says"), [
    ("major: {resolve: 4h, attainment: 150%}", "organisation.tiers.L1.ola.major.attainment",
     "between 0% and 100%"),
    ("major: {resolve: 4h, respond: 15m}", "organisation.tiers.L1.ola.major.respond",
     "did you mean 'response'"),
    ("major: 4", "organisation.tiers.L1.ola.major", "needs a unit"),
], ids=["attainment", "misspelt-key", "bare-number"])
def test_an_ola_mistake_is_reported_once_in_its_own_form(tmp_path, new, key, says):
    """Fails if a mistake in the long form `{resolve: ..}` is also reported as "expected a
    duration such as 4h, got dict" (or a bare number as "expected a mapping"): the OLA
    union is tried both ways and the second error misleads."""
    path, line = edited(tmp_path, SCENARIO, "      ola: {critical: 1h, major: 4h, minor: 1d}",
                        f"      ola: {{critical: 1h, {new}, minor: 1d}}")
    found = errors(path)
    assert [(d.line, d.path) for d in found] == [(line, key)], [str(d) for d in found]
    assert says in found[0].message


# -- ingest: a log that does not fit its mapping ----------------------------------------------

SMALL_LOG = ROOT / "tests" / "data" / "calibration" / "small.csv"


def test_a_log_with_only_its_header_is_an_input_error(tmp_path):
    """Fails if a CSV with a header and no rows reaches the event builder, which crashed on
    the missing first arrival (NaT has no `normalize`; exit 3)."""
    log = tmp_path / "log.csv"
    log.write_text(SMALL_LOG.read_text(encoding="utf-8").splitlines()[0] + "\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(log), "--mapping", "generic",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "log.csv:1: the log has no events" in result.output
    assert "internal error" not in result.output


def test_a_mapped_column_missing_from_the_log_names_its_mapping_key(tmp_path):
    """Fails if a misspelt column is reported without the mapping key that names it, or the
    reader's own row counter `_line` is offered as a column of the log (or accepted)."""
    mapping = (ROOT / "itr_sim" / "ingest" / "mappings" / "generic.yaml").read_text(
        encoding="utf-8")
    mapping = mapping.replace("  status: activity", "  status: activty").replace(
        "  resource: resource", "  resource: _line")
    (tmp_path / "m.yaml").write_text(mapping, encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(SMALL_LOG), "--mapping",
                                 str(tmp_path / "m.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "is not in the log" in line]
    assert [line.split(": ")[1] for line in lines] == ["columns.status", "columns.resource"]
    assert all("the log has: case, activity, timestamp, resource, group)" in line
               for line in lines)


# -- baseline files read by `check` and `compare` ---------------------------------------------

STORED = ROOT / "scenarios" / "baselines" / "baseline.json"


def stored_with(tmp_path: Path, change) -> Path:
    """A copy of the committed baseline of scenarios/baseline.yaml, edited by ``change``."""
    import json

    data = json.loads(STORED.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(data, indent=1, allow_nan=True), encoding="utf-8")
    return path


def _set(key, value):
    return lambda d: d.__setitem__(key, value)


def _row(i, j, value):
    return lambda d: d["rows"][i].__setitem__(j, value)


@pytest.mark.parametrize(("change", "says"), [
    (_set("seed", 1.5), "seed must be a whole number"),      # was re-run with seed 1
    (_set("seed", True), "seed must be a whole number"),     # was re-run with seed 1
    (_set("seed", -5), "seed must be a whole number"),       # was an internal error
    (_set("replications", 0), "replications must be"),       # "passed" against no data
    (_set("replications", 10**9), "replications must be"),   # ran until killed
    (_set("replications", 11), "replication 10 has no rows"),  # rows of 10 replications
    (_set("rows", []), "rows must be a non-empty list"),     # every KPI "new": passed
    (_row(0, 2, float("nan")), "NaN is not a finite number"),
    (_row(0, 2, float("inf")), "Infinity is not a finite number"),
    (_row(0, 0, 12), "rows[0] must be [replication 0..9"),   # out of range, was kept
    (lambda d: d["rows"].append(d["rows"][0]), "is given twice"),
    (_set("columns", ["kpi", "replication", "value"]), "columns must be"),
    (_set("measured_weeks", -1), "measured_weeks must be a positive number"),
], ids=["seed-float", "seed-bool", "seed-negative", "replications-0", "replications-huge",
        "replications-more-than-rows", "no-rows", "value-nan", "value-inf",
        "replication-out-of-range", "duplicate-row", "columns-reordered", "weeks-negative"])
def test_an_edited_baseline_is_refused(tmp_path, change, says):
    """Fails if `read_baseline` coerces or accepts a damaged file, so that `check` re-runs
    with another seed, compares against no or non-finite values, or crashes."""
    from itr_sim.report.baseline import BaselineError, read_baseline

    with pytest.raises(BaselineError, match=re.escape(says)):
        read_baseline(stored_with(tmp_path, change))


def test_the_committed_baselines_and_null_values_still_read(tmp_path):
    """Fails if the stricter reader refuses what `itr-sim baseline` writes: a KPI without a
    value (null) or measured in only some replications."""
    from itr_sim.model.load import load_scenario
    from itr_sim.report.baseline import read_baseline

    for path in sorted((ROOT / "scenarios" / "baselines").glob("*.json")):
        scenario = load_scenario(ROOT / "scenarios" / f"{path.stem}.yaml").scenario
        assert read_baseline(path).replications == scenario.replications
    drop_one = stored_with(tmp_path, lambda d: (d["rows"].pop(), _row(0, 2, None)(d)))
    assert read_baseline(drop_one).values["value"].isna().sum() >= 1


def test_check_with_a_negative_seed_in_the_baseline_exits_2(tmp_path):
    """Fails if a hand-edited seed reaches numpy (internal error, exit 3)."""
    folder = tmp_path / "bl"
    folder.mkdir()
    (folder / "baseline.json").write_text(
        stored_with(tmp_path, _set("seed", -5)).read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["check", str(SCENARIO), "--baseline", str(folder)])
    assert result.exit_code == 2, result.output
    assert "seed must be a whole number" in result.output
    assert "internal error" not in result.output
