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
    assert "cannot read the file" in result.stdout


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
