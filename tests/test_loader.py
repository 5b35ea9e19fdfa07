"""Loading: YAML 1.2 scalars, duplicate keys, overrides, warnings and bundled files."""

import json
from datetime import date
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from itr_sim.model.catalog import Catalog
from itr_sim.model.checks import offered_load
from itr_sim.model.distributions import Distribution
from itr_sim.model.load import load_catalog, load_scenario, validate_file
from itr_sim.model.scenario import Scenario
from itr_sim.model.schema import json_schema, reference_markdown, schema_text
from itr_sim.model.source import Level, ScenarioError, read_yaml

ROOT = Path(__file__).parent.parent
BUNDLED = sorted([*ROOT.glob("sla_catalog/*.yaml"), *ROOT.glob("scenarios/*.yaml")])
MINI = Path(__file__).parent / "data" / "good" / "mini_scenario.yaml"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_12_scalars(tmp_path):
    doc = read_yaml(write(tmp_path, "a.yaml", "country: NO\ncutoff: 15:00\nflag: yes\n"
                                              "on: true\nmode: 0755\nday: 2027-01-04\n"))
    assert doc.data == {"country": "NO", "cutoff": "15:00", "flag": "yes", "on": True,
                        "mode": 755, "day": date(2027, 1, 4)}
    assert doc.lines.line_of(("cutoff",)) == 2


def test_duplicate_keys_are_errors(tmp_path):
    with pytest.raises(ScenarioError, match="duplicate key 'a' \\(first given on line 2\\)"):
        read_yaml(write(tmp_path, "d.yaml", "x: 1\na: 1\nb: 2\na: 3\n"))


def test_every_bundled_yaml_validates_without_errors():
    assert BUNDLED, "no bundled YAML found"
    for path in BUNDLED:
        errors = [str(d) for d in validate_file(path) if d.level is Level.ERROR]
        assert errors == [], path


def test_bundled_yamls_name_their_schema_for_editors():
    for path in BUNDLED:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        kind = "catalog" if path.parent.name == "sla_catalog" else "scenario"
        assert first == f"# yaml-language-server: $schema=../docs/schema/{kind}.schema.json"


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def test_bundled_yamls_satisfy_the_generated_json_schema():
    for path in BUNDLED:
        data = read_yaml(path).data
        kind = "scenario" if "scenario" in data else "catalog"
        jsonschema.validate(_jsonable(data), json_schema(kind))


def test_json_schema_rejects_an_unknown_key():
    data = _jsonable(read_yaml(ROOT / "sla_catalog" / "standard.yaml").data)
    data["levels"]["gold"]["atainment"] = "90%"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema("catalog"))


def test_models_round_trip_through_json():
    loaded = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    for model, cls in ((loaded.scenario, Scenario), (loaded.catalog, Catalog)):
        dumped = model.model_dump(mode="json", exclude_none=True)
        again = cls.model_validate(dumped)
        assert again == model


def test_committed_schema_and_reference_are_in_sync():
    for kind in ("catalog", "scenario"):
        committed = (ROOT / "docs" / "schema" / f"{kind}.schema.json").read_text("utf-8")
        assert committed == schema_text(kind), (
            "regenerate: itr-sim schema --out docs/schema --reference docs/yaml-reference.md")
    assert (ROOT / "docs" / "yaml-reference.md").read_text("utf-8") == reference_markdown()


def test_baseline_is_a_mid_size_vendor():
    loaded = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    demand = loaded.scenario.demand
    assert demand.tickets_per_week() / 7 == pytest.approx(60, rel=0.05)
    contracts = sum(c.count for c in demand.customers.values())
    assert 200 <= contracts <= 600
    assert set(loaded.scenario.organisation.tiers) == {"L1", "L2", "L3"}
    assert loaded.warnings == []
    for offered, staffed in offered_load(loaded.scenario, loaded.catalog).values():
        assert offered < staffed


def test_overrides_in_the_file_and_from_the_command_line(tmp_path):
    text = MINI.read_text("utf-8").replace(
        "../../../sla_catalog/standard.yaml", str(ROOT / "sla_catalog" / "standard.yaml"))
    text += ("overrides:\n  organisation.tiers.L1.shifts.0.agents: 7\n"
             "  catalog.levels.gold.targets.critical.restore: 2h\n")
    path = write(tmp_path, "s.yaml", text)
    loaded = load_scenario(path, sets={"demand.customers.acme.tickets_per_week": 40})
    assert loaded.scenario.organisation.tiers["L1"].shifts[0].agents == 7
    assert loaded.catalog.levels["gold"].targets["critical"].restore.minutes == 120
    assert loaded.scenario.demand.customers["acme"].tickets_per_week == 40
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, sets={"organisation.tiers.L1.resolves": "95"})
    assert err.value.diagnostics[0].file == "--set"
    assert "ambiguous" in err.value.diagnostics[0].message


def test_unstable_tier_is_a_warning_with_the_figure(tmp_path):
    text = MINI.read_text("utf-8").replace(
        "../../../sla_catalog/standard.yaml", str(ROOT / "sla_catalog" / "standard.yaml"))
    # 600 tickets a week, 90% technical: L1 540 x 30 min = 270 h against 3 x 12 h x 7 = 252 h;
    # L2 gets 10% of those: 54 x 2 h = 108 h against 2 x 9 h x 5 = 90 h
    path = write(tmp_path, "s.yaml", text.replace("tickets_per_week: 20", "tickets_per_week: 600"))
    found = validate_file(path)
    assert [d.level for d in found] == [Level.WARNING, Level.WARNING]
    assert "L1: offered load 270.0 agent-hours/week vs 252.0 staffed (107%)" in found[0].message
    assert "L2: offered load 108.0 agent-hours/week vs 90.0 staffed (120%)" in found[1].message
    assert all("unstable" in d.message for d in found)
    assert found[0].path == "organisation.tiers.L1.shifts"
    assert found[0].line == 12


def test_ola_budgets_beyond_the_sla_are_a_warning(tmp_path):
    text = MINI.read_text("utf-8").replace(
        "../../../sla_catalog/standard.yaml", str(ROOT / "sla_catalog" / "standard.yaml"))
    text = text.replace("      resolves: 90%\n",
                        "      resolves: 90%\n      ola: {critical: 10d}\n")
    text = text.replace("handling: {default: {exponential: {mean: 2h}}}\n",
                        "handling: {default: {exponential: {mean: 2h}}}\n"
                        "      ola: {critical: 10d}\n")
    found = validate_file(write(tmp_path, "s.yaml", text))
    assert found and all(d.level is Level.WARNING for d in found)
    assert any("add up to 480.0 h (L1 10d + L2 10d), more than platinum's resolve target 15d"
               in d.message for d in found)


def test_strict_errors_name_file_line_and_path(tmp_path):
    path = write(tmp_path, "c.yaml", "catalog: x\ncalendars: {a: {}}\nseverities: [s]\n"
                                     "levels:\n  l:\n    calendar: a\n    targets:\n"
                                     "      s: {response: 1h, resolve: 4}\n    attainment: 1\n")
    with pytest.raises(ScenarioError) as err:
        load_catalog(path)
    (diagnostic,) = err.value.diagnostics
    assert str(diagnostic).startswith(f"{path}:8: levels.l.targets.s.resolve: a duration needs")


@pytest.mark.parametrize("spec", [
    {"exponential": {"mean": "30m"}},
    {"lognormal": {"mean": "25m", "cv": 1.0}},
    {"gamma": {"mean": "3h", "cv": 0.5}},
    {"weibull": {"mean": "1h", "shape": 1.5}},
    {"uniform": {"low": "5m", "high": "30m"}},
    {"triangular": {"low": "5m", "mode": "10m", "high": "40m"}},
    {"fixed": {"value": "10m"}},
])
def test_distributions_sample_their_stated_moments(spec):
    dist = Distribution.model_validate(spec)
    x = dist.sample(np.random.default_rng(7), 200_000)
    se = np.sqrt(dist.variance / len(x))
    assert abs(x.mean() - dist.mean) <= 4 * se + 1e-9  # 4 standard errors
    if dist.variance:
        assert x.var() == pytest.approx(dist.variance, rel=0.05)


def test_spare_stock_below_lead_time_demand_is_a_warning(tmp_path):
    found = validate_file(ROOT / "scenarios" / "baseline.yaml")
    assert found == []
    text = (ROOT / "scenarios" / "baseline.yaml").read_text("utf-8").replace(
        "../sla_catalog", str(ROOT / "sla_catalog")).replace("stock: 40,", "stock: 6,")
    found = validate_file(write(tmp_path, "b.yaml", text))
    assert len(found) == 1 and found[0].level is Level.WARNING
    assert "stock 6 of 'board' is below the expected demand during its replenishment lead " \
           "time (28.9 units)" in found[0].message


def test_extends_takes_the_base_and_points_errors_at_the_right_file(tmp_path):
    loaded = load_scenario(ROOT / "scenarios" / "platinum_upsell.yaml")
    assert loaded.scenario.demand.customers["operators"].count == 11
    assert loaded.scenario.organisation.tiers["L1"].resolves == 0.9  # from the baseline
    assert loaded.scenario.scenario == "platinum_upsell"
    bad = write(tmp_path, "w.yaml", "scenario: w\nextends: base.yaml\nhorizon: 3 weeks\n")
    (tmp_path / "base.yaml").write_text(
        (ROOT / "scenarios" / "baseline.yaml").read_text("utf-8").replace(
            "../sla_catalog", str(ROOT / "sla_catalog")), "utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    (d,) = err.value.diagnostics
    assert (d.file.endswith("w.yaml"), d.line, d.path) == (True, 3, "horizon")
    loop = write(tmp_path, "loop.yaml", "scenario: l\nextends: loop.yaml\n")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(loop)


@pytest.mark.parametrize("spec", [
    {"exponential": {"mean": "30m"}}, {"lognormal": {"mean": "25m", "cv": 1.0}},
    {"gamma": {"mean": "3h", "cv": 0.5}}, {"weibull": {"mean": "1h", "shape": 1.5}},
    {"uniform": {"low": "5m", "high": "30m"}}, {"fixed": {"value": "10m"}},
    {"triangular": {"low": "5m", "mode": "10m", "high": "40m"}},
])
def test_one_value_draws_match_vector_draws(spec):
    dist = Distribution.model_validate(spec)
    rng = np.random.default_rng(5)
    many = [dist.sample(rng) for _ in range(20)]
    assert np.allclose(many, dist.sample(np.random.default_rng(5), 20))


# -- untrusted input: bounds, encodings, files of the wrong kind ---------------------------

def _bomb(levels: int) -> str:
    """Each anchor lists the previous one nine times: 9**levels strings from ~100 bytes a
    level (levels=9: 387 million strings if expanded)."""
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    return text


def test_alias_bomb_is_refused_fast_and_small(tmp_path):
    """Fails if aliases are expanded before the count is checked: a 9**9 bomb would take
    minutes and gigabytes; the bound must stop it within a second and well under 1 GB. Run
    in a child process with a memory cap and a timeout, so that a regression fails rather
    than hangs the suite."""
    import subprocess
    import sys

    path = write(tmp_path, "bomb.yaml", _bomb(9))
    assert path.stat().st_size < 1000
    child = (
        "import resource, sys, time\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from itr_sim.model.source import ScenarioError, read_yaml\n"
        "began = time.perf_counter()\n"
        "try:\n"
        "    read_yaml(__import__('pathlib').Path(sys.argv[1]))\n"
        "except ScenarioError as exc:\n"
        "    print(exc)\n"
        "print(round(time.perf_counter() - began, 3))\n")
    done = subprocess.run([sys.executable, "-c", child, str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    message, seconds = done.stdout.strip().rsplit("\n", 1)
    assert "alias bomb" in message
    assert float(seconds) < 1.0


def test_aliases_within_bounds_still_read(tmp_path):
    """Fails if the bound rejects ordinary aliases (a list reused twice)."""
    doc = read_yaml(write(tmp_path, "a.yaml", "a: &x [1, 2]\nb: *x\n"))
    assert doc.data == {"a": [1, 2], "b": [1, 2]}


def test_an_alias_inside_its_own_anchor_is_an_error(tmp_path):
    """Fails if a self-referencing alias recurses until RecursionError."""
    with pytest.raises(ScenarioError, match="cycle"):
        read_yaml(write(tmp_path, "c.yaml", "a: &a [1, *a]\n"))


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "a:\n" + "".join(" " * i + "-\n" for i in range(1, 200))])
def test_deep_nesting_is_an_error_with_a_line_not_a_recursion_error(tmp_path, text):
    """Fails if nesting reaches Python's recursion limit (RecursionError traceback)."""
    with pytest.raises(ScenarioError, match="nested more than 40 levels") as err:
        read_yaml(write(tmp_path, "deep.yaml", text))
    assert err.value.diagnostics[0].line >= 1


def test_oversized_file_is_refused_before_reading(tmp_path):
    """Fails if any size of file is parsed (one byte over the bound)."""
    from itr_sim.model.source import MAX_FILE_BYTES

    path = write(tmp_path, "big.yaml", "# " + "x" * (MAX_FILE_BYTES - 1) + "\n")
    with pytest.raises(ScenarioError, match="more than the 1,000,000"):
        read_yaml(path)


@pytest.mark.parametrize("text, message", [("", "the file is empty"),
                                           ("  \n\n", "the file is empty"),
                                           ("# only a comment\n", "holds only comments")])
def test_empty_files_are_called_empty(tmp_path, text, message):
    """Fails if an empty file gets "cannot tell what this file is"."""
    (d,) = validate_file(write(tmp_path, "e.yaml", text))
    assert message in d.message


def test_latin1_file_reports_the_line_of_the_bad_byte(tmp_path):
    """Fails if a non-UTF-8 file gets a byte offset (position 16) instead of a line."""
    path = tmp_path / "latin.yaml"
    path.write_bytes("catalog: x\ndescription: caf\xe9\n".encode("latin-1"))
    (d,) = validate_file(path)
    # "description: caf" is 16 characters: the bad byte is in column 17 of line 2
    assert (d.line, "not UTF-8" in d.message, "column 17" in d.message) == (2, True, True)


def test_directory_is_called_a_directory(tmp_path):
    """Fails if a directory is reported as "not found" or as an OS error."""
    (d,) = validate_file(tmp_path)
    assert "is a directory" in d.message


def test_a_catalogue_given_as_a_scenario_says_so():
    """Fails if `run sla_catalog/standard.yaml` lists missing scenario keys instead."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(ROOT / "sla_catalog" / "standard.yaml")
    (d,) = err.value.diagnostics
    assert "this is a catalogue, not a scenario" in d.message


def test_yaml_infinities_and_nans_are_errors(tmp_path):
    """Fails if .inf, .nan or an overflowing 1e999 reaches a model as a float."""
    with pytest.raises(ScenarioError) as err:
        read_yaml(write(tmp_path, "n.yaml", "a: .inf\nb: -.inf\nc: .nan\nd: 1e999\ne: 1.5\n"))
    assert [d.line for d in err.value.diagnostics] == [1, 2, 3, 4]


def test_nonfinite_values_from_the_command_line_are_errors():
    """Fails if --set cost_per_agent_hour=.inf passes (it bypasses the file reader)."""
    with pytest.raises(ScenarioError, match="finite number"):
        load_scenario(MINI, {"organisation.tiers.L1.cost_per_agent_hour": float("inf")})


def test_reference_shows_the_nbd_cutoff_default_as_a_time():
    """Fails if the default is shown as the 900 minutes it is stored as."""
    row = next(line for line in reference_markdown().splitlines()
               if line.startswith("| `nbd_cutoff`"))
    assert '`"15:00"`' in row and "900" not in row
    assert Catalog.model_validate(
        read_yaml(Path(__file__).parent / "data" / "good" / "mini_catalog.yaml").data
    ).levels["gold"].nbd_cutoff == 15 * 60


# -- what-ifs that extend a scenario ------------------------------------------------------

BASE_FOR_WHATIF = MINI.read_text(encoding="utf-8").replace(
    "../../../sla_catalog", str(ROOT / "sla_catalog"))


def test_a_whatif_warning_names_the_file_checked_and_its_override(tmp_path):
    """Fails if the warning points only at the base's line (the base alone is fine; the
    what-if's override of L2's agents makes L2 unstable)."""
    # 300 tickets/week: L2 gets 300 x 90% x 10% x 2h = 54 agent-hours/week, against 90
    # staffed with 2 agents (fine) and 45 with 1 (unstable)
    write(tmp_path, "base.yaml", BASE_FOR_WHATIF.replace("tickets_per_week: 20",
                                                         "tickets_per_week: 300"))
    whatif = write(tmp_path, "cut.yaml", "scenario: cut\nextends: base.yaml\noverrides:\n"
                   "  demand.type_mix.billing: 10%\n"
                   "  organisation.tiers.L2.shifts.0.agents: 1\n")
    assert load_scenario(tmp_path / "base.yaml").warnings == []
    (d,) = load_scenario(whatif).warnings
    assert (d.file.endswith("cut.yaml"), d.line, d.path) == (
        True, 5, "organisation.tiers.L2.shifts")
    assert "override organisation.tiers.L2.shifts.0.agents: 1 (line 5);" in d.message
    assert "base.yaml:18" in d.message


def test_a_whatif_names_itself_for_a_finding_inherited_from_its_base(tmp_path):
    """Fails if a finding about the base's keys names only the base file."""
    write(tmp_path, "base.yaml", BASE_FOR_WHATIF.replace("agents: 2}", "agents: 1}").replace(
        "tickets_per_week: 20", "tickets_per_week: 300"))
    whatif = write(tmp_path, "w.yaml", "scenario: w\nextends: base.yaml\n"
                   "description: same staff\n")
    (d,) = load_scenario(whatif).warnings
    assert d.file.endswith("w.yaml") and "base.yaml:18" in d.message
    assert "builds on" in d.message


# -- trace files --------------------------------------------------------------------------

def _trace_scenario(tmp_path, rows: str):
    write(tmp_path, "arrivals.csv", "time,customer,severity,type\n" + rows)
    return write(tmp_path, "t.yaml", BASE_FOR_WHATIF + "  trace: {file: arrivals.csv}\n")


def test_trace_rows_are_checked_by_validate_with_the_trace_line(tmp_path):
    """Fails if a bad severity, type, customer or time in a trace passes `validate` (and
    crashes `run` later)."""
    path = _trace_scenario(tmp_path, "2027-01-05 10:00,acme,minor,fault\n"
                           "2027-01-05 11:00,acme,urgent,fault\n"
                           "2027-01-05 12:00,acme,minor,faults\n"
                           "2027-01-05 13:00,,minor,fault\n"
                           "yesterday,acme,minor,fault\n"
                           "2027-01-05 14:00,acme,minor,billing\n")
    found = [(d.file.endswith("arrivals.csv"), d.line, d.path) for d in validate_file(path)]
    assert found == [(True, 3, "severity"), (True, 4, "type"), (True, 5, "customer"),
                     (True, 6, "time"), (True, 7, "severity")]


def test_trace_rows_outside_the_window_are_counted_in_a_warning(tmp_path):
    """Fails if rows before the start or after the horizon are dropped silently."""
    from itr_sim.engine.arrivals import read_trace
    from itr_sim.engine.simulation import scenario_origin

    path = _trace_scenario(tmp_path, "2027-01-03 23:00,acme,minor,fault\n"
                           "2027-01-04 00:00,acme,minor,fault\n"
                           "120,acme,major,fault\n"
                           "2027-02-01 00:00,acme,minor,fault\n")
    loaded = load_scenario(path)
    (w,) = loaded.warnings
    assert "2 of 4 row(s) fall outside the simulated window" in w.message
    arrivals = read_trace(tmp_path / "arrivals.csv", loaded.scenario, loaded.catalog,
                          scenario_origin(loaded), loaded.scenario.horizon.minutes)
    # 2027-01-04 00:00 is the start (minute 0); the 4w horizon ends 2027-02-01 00:00
    assert list(arrivals.time) == [0.0, 120.0]
    assert arrivals.severity == ["minor", "major"]


def test_command_line_values_have_the_same_bounds_as_files():
    """Fails if a --set value bypasses the file reader's bounds (an alias bomb or deep
    nesting given on the command line)."""
    from itr_sim.model.load import parse_assignments

    bomb = "[&a0 [x, x, x, x, x, x, x, x, x]" + "".join(
        f", &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)) + "]"
    with pytest.raises(ScenarioError, match="alias bomb"):
        parse_assignments([f"demand.events={bomb}"])
    with pytest.raises(ScenarioError, match="nested more than"):
        parse_assignments(["demand.events=" + "[" * 100 + "]" * 100])
    assert parse_assignments(["a=95%", "b=4", "c=15:00"]) == {"a": "95%", "b": 4, "c": "15:00"}


@pytest.mark.parametrize("hours, error", [("21:00-07:00", False), ("14:00-20:00", True)])
def test_shifts_against_coverage_hours_are_compared_across_time_zones(tmp_path, hours, error):
    """Fails if shift and coverage windows are compared without converting time zones.
    Gold's `extended` calendar is 08:00-20:00 Asia/Shanghai (UTC+8); an organisation in
    Europe/Berlin (UTC+1 in January) is 7 h behind. 21:00-07:00 Berlin is 04:00-14:00
    Shanghai: it meets 08:00-20:00 (ignoring the zones it would not). 14:00-20:00 Berlin is
    21:00-03:00 Shanghai: it never does (ignoring the zones it would)."""
    text = BASE_FOR_WHATIF.replace("timezone: Asia/Shanghai", "timezone: Europe/Berlin")
    text = text.replace('{days: Mon-Sun, hours: "08:00-20:00", agents: 3}',
                        f'{{days: Mon-Sun, hours: "{hours}", agents: 3}}')
    found = [d for d in validate_file(write(tmp_path, "tz.yaml", text))
             if "never meet" in d.message]
    assert bool(found) is error
    if error:
        assert found[0].path == "organisation.tiers.L1.shifts.0.hours"


@pytest.mark.parametrize("old, new", [
    ("catalog: ", "catalog: " + "x" * 300),
    ("timezone: Asia/Shanghai", "timezone: " + "x" * 300),
    ("scenario: mini", "scenario: mini\nextends: " + "x" * 300),
])
def test_names_the_system_refuses_are_diagnostics_not_os_errors(tmp_path, old, new):
    """Fails if a path or time-zone name longer than the file system allows escapes as an
    OSError (File name too long) instead of a diagnostic with the key."""
    text = BASE_FOR_WHATIF.replace(old, new, 1)
    found = validate_file(write(tmp_path, "long.yaml", text))
    assert found and all(d.line > 0 for d in found), found
    assert any(key in found[0].path for key in ("catalog", "timezone", "extends"))
