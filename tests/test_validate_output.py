"""`itr-sim validate --json` and `--github`: the same findings, for programs and for CI."""

import json
from pathlib import Path

from itr_sim.cli.main import app
from itr_sim.cli.output import github_annotation
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
BAD = "tests/data/bad/sc_unknown_level.yaml"  # relative: what a CI job passes, from the root
runner = CliRunner()


def test_json_lists_each_finding_with_file_line_and_path(monkeypatch):
    """Fails if --json drops the line or key path, changes the exit status, or prints the
    text lines into the JSON."""
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["validate", "--json", BAD])
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["errors"] == 1 and body["warnings"] == 0
    assert body["diagnostics"] == [{
        "file": BAD, "line": 29, "path": "demand.customers.acme.level", "level": "error",
        "message": "unknown level 'gld'; did you mean 'gold'? (known: gold, platinum, silver)"}]
    ok = runner.invoke(app, ["validate", "--json", str(ROOT / "scenarios" / "baseline.yaml")])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["diagnostics"] == []


def test_github_annotations_escape_what_the_runner_would_misread(monkeypatch):
    """Fails if a '%', newline, ':' or ',' is passed through unescaped: the runner would cut
    the message or the property there (GitHub's workflow-command escaping)."""
    assert github_annotation("warning", "load 121% of staff\nsecond line",
                             file="a,b.yaml", line=7, title="key: x") == (
        "::warning file=a%2Cb.yaml,line=7,title=key%3A x::load 121%25 of staff%0Asecond line")
    assert github_annotation("error", "no file") == "::error::no file"
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["validate", "--github", BAD])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"::error file={BAD},line=29,title=itr-sim validate%3A demand.customers.acme.level::"
        "unknown level 'gld'; did you mean 'gold'? (known: gold, platinum, silver)"]
