"""The command line: exit codes, output format, and no tracebacks on bad input."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

ROOT = Path(__file__).parent.parent
BAD = Path(__file__).parent / "data" / "bad"
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<path>[\w.\- ]+): \S")
runner = CliRunner()


def test_validate_bundled_files_exits_0():
    result = runner.invoke(app, ["validate", str(ROOT / "sla_catalog" / "standard.yaml"),
                                 str(ROOT / "scenarios" / "baseline.yaml")])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_validate_bad_files_exits_2_with_file_line_path_lines():
    files = sorted(BAD.glob("*.yaml"))
    result = runner.invoke(app, ["validate", *map(str, files)])
    assert result.exit_code == 2
    problems = [line for line in result.stdout.splitlines() if line]
    assert len(problems) >= len(files)
    for line in problems:
        if "YAML syntax error" in line:
            assert re.match(r"^[^:]+:\d+: YAML syntax error", line)
        else:
            assert LINE.match(line), line


def test_strict_turns_warnings_into_exit_2(tmp_path):
    text = (Path(__file__).parent / "data" / "good" / "mini_scenario.yaml").read_text("utf-8")
    text = text.replace("../../../sla_catalog", str(ROOT / "sla_catalog"))
    path = tmp_path / "busy.yaml"
    path.write_text(text.replace("tickets_per_week: 20", "tickets_per_week: 600"), "utf-8")
    relaxed = runner.invoke(app, ["validate", str(path)])
    assert relaxed.exit_code == 0
    assert "warning: L1: offered load" in relaxed.stdout
    assert runner.invoke(app, ["validate", "--strict", str(path)]).exit_code == 2


@pytest.mark.parametrize("content", [None, b"\xff\xfe\x00binary", b"", b"- a\n- b\n"])
def test_unreadable_or_foreign_files_give_a_message_not_a_traceback(tmp_path, content):
    path = tmp_path / "x.yaml"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(path) in result.stdout


def test_directory_argument(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.stdout


def test_schema_prints_both_formats_and_writes_files(tmp_path):
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schemas = json.loads(result.stdout)
    assert set(schemas) == {"catalog", "scenario"}
    assert schemas["catalog"]["additionalProperties"] is False
    result = runner.invoke(app, ["schema", "--out", str(tmp_path), "--reference",
                                 str(tmp_path / "ref.md")])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "scenario.schema.json").read_text())["title"] == "Scenario"
    assert (tmp_path / "ref.md").read_text().startswith("# YAML reference")
    assert runner.invoke(app, ["schema", "--kind", "nope"]).exit_code == 2


def test_installed_console_module_runs():
    out = subprocess.run([sys.executable, "-m", "itr_sim.cli.main", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("itr-sim ")


def test_erlang_answers_the_published_example():
    result = runner.invoke(app, ["erlang", "--rate", "9.5/h", "--aht", "1h", "--agents", "11",
                                 "--target", "80%", "--within", "15m", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["given"]["p_wait"] == pytest.approx(0.547934, abs=1e-6)
    assert data["required"]["on_queue"] == 12
    shrunk = runner.invoke(app, ["erlang", "--rate", "9.5/h", "--aht", "1h",
                                 "--shrinkage", "30%", "--json"])
    assert json.loads(shrunk.stdout)["required"]["rostered"] == 18


def test_erlang_warns_about_an_unstable_queue_and_rejects_bad_units(tmp_path):
    result = runner.invoke(app, ["erlang", "--rate", "12/h", "--aht", "1h", "--agents", "11"])
    assert result.exit_code == 0 and "grows without bound" in result.stdout
    bad = runner.invoke(app, ["erlang", "--rate", "12", "--aht", "1h"])
    assert bad.exit_code == 2 and "9.5/h" in bad.output


def test_erlang_per_tier_of_a_scenario():
    result = runner.invoke(app, ["erlang", str(ROOT / "scenarios" / "baseline.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    units = json.loads(result.stdout)["units"]
    assert set(units) >= {"L1", "L2", "L3"}
    assert units["L1"]["stable"] and 0.3 < units["L1"]["utilisation"] < 0.6
    table = runner.invoke(app, ["erlang", str(ROOT / "scenarios" / "baseline.yaml")]).stdout
    assert "first estimate" in table and "L2" in table


def test_the_command_does_not_need_click():
    """Fails if the CLI imports click itself: newer Typer releases no longer install it, so
    `pip install .` on a fresh machine would give an itr-sim that cannot start. (Older Typer
    releases run on click, and then importing Typer imports it.)"""
    import subprocess
    import sys

    import typer

    code = "import sys, itr_sim.cli.main; print('click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    typer_runs_on_click = typer.BadParameter.__module__.startswith("click")
    assert out.stdout.strip() == str(typer_runs_on_click)


@pytest.mark.parametrize("command", ["run", "staff"])
def test_dask_executor_without_dask_is_bad_input(monkeypatch, command):
    """Fails if asking for the dask executor on an installation without dask.distributed is
    reported as an internal error (exit 3) instead of saying what to install (exit 2)."""
    import importlib.util

    from itr_sim.cli.main import app

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    scenario = Path(__file__).parent / "data" / "staffing" / "mmc.yaml"
    result = CliRunner().invoke(app, [command, str(scenario), "-n", "2", "--executor", "dask"])
    assert result.exit_code == 2, result.output
    assert "pip install 'itr-sim[dask]'" in result.output


def test_help_lines_are_the_commands_docstrings_and_help_loads_no_engine():
    """Fails if a command's line in `itr-sim --help` drifts from its docstring (the group
    shows it without importing the command), or if `--help`/`validate` import the simulation
    and analysis stack (2 s of start-up for every command before)."""
    import importlib
    import inspect
    import subprocess
    import sys

    from itr_sim.cli.main import COMMANDS

    for name, (module, attribute, text) in COMMANDS.items():
        doc = inspect.getdoc(getattr(importlib.import_module(module), attribute)) or ""
        assert " ".join(doc.split("\n\n")[0].split()) == text, name
    code = ("import sys; from itr_sim.cli.main import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'scipy', 'matplotlib', 'simpy', 'itr_sim.engine',"
            " 'itr_sim.analysis') if m in sys.modules]\nprint(heavy, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "Commands" in done.stdout and "staff" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_quiet_and_verbose_set_what_goes_to_stderr(tmp_path):
    """Fails if --quiet still prints progress or 'wrote' lines (a CI log full of noise), or
    if --verbose does not name the steps with their times; the results on stdout are the
    same either way."""
    trace = ROOT / "tests" / "data" / "engine" / "trace.yaml"
    quiet = CliRunner().invoke(app, ["-q", "run", str(trace), "--out", str(tmp_path / "q"),
                                     "--json"])
    loud = CliRunner().invoke(app, ["-v", "run", str(trace), "--out", str(tmp_path / "v"),
                                    "--json"])
    assert quiet.exit_code == loud.exit_code == 0
    assert "wrote" not in quiet.stderr and "simulated" not in quiet.stderr
    assert "warning" in quiet.stderr  # input warnings still show
    assert "wrote 21 files" in loud.stderr and f"writing {tmp_path / 'v'}:" in loud.stderr
    assert json.loads(quiet.stdout)["tickets"] == json.loads(loud.stdout)["tickets"]


@pytest.mark.parametrize("command", [["staff"], ["headroom", "--level", "platinum"],
                                     ["price", "--level", "platinum"]])
@pytest.mark.parametrize("value", ["100%", "-5%", "high", "nan%"])
def test_confidence_is_checked_the_same_way_by_every_search(command, value):
    """Fails if one of the commands that judge targets by a confidence accepts a level
    outside 0% to 99.9% (a 100% interval is infinite) or words, or says it differently."""
    trace = ROOT / "tests" / "data" / "engine" / "trace.yaml"
    result = CliRunner().invoke(app, [command[0], str(trace), *command[1:],
                                      "--confidence", value])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("--confidence: "), result.output
