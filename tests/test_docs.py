"""Every shell and Python example in README.md and docs/*.md runs.

Found automatically in every Markdown file there (new docs are covered without editing this
file), fenced blocks are examples when:

* a block (any info string but ``python``/``yaml``/``json``) has lines starting with ``$ ``:
  each ``$ itr-sim ...`` command runs through the CLI (Typer's CliRunner, in-process), and
  the lines after it up to the next ``$`` are its documented output. Outputs are compared
  by shape, not figures: every number is masked, runs of spaces and box-drawing characters
  collapse; the output (stdout and stderr together, or stdout alone: docs may leave out
  what goes to stderr, such as run times) must start with the documented lines (an
  excerpt). Tables whose rows depend on the figures (:data:`FIRST_LINE_ONLY`:
  ``compare``'s significant changes, ``staff``'s plan) are compared on their first line
  only (which may be wrapped in the doc); :data:`SLOW` commands are marked slow. Other
  ``$`` commands (``$ python ...``) are not run.
* a ```` ```sh ```` block without prompts: its ``itr-sim`` commands run (a ``.venv/bin/``
  prefix is dropped; in ``a && b`` chains the setup steps, such as ``python3 -m venv``,
  ``pip install`` and ``pytest``, are not run: this very test run is their proof).
* a ```` ```json ```` block whose preceding prose names a command in backticks
  (`` `itr-sim run ... --json` ``): the command runs and every key path of the documented
  JSON (an excerpt) must be in its output, holding the same kind of value.
* a ```` ```python ```` block: it is executed statement by statement; a bare expression
  followed by a comment that is a literal (``x.minutes   # 240.0``) must equal it.

A Python example that reads a file of ``shared/data`` is skipped when that folder is
missing, except in CI (``CI`` set), where it fails. Untagged blocks without ``$`` prompts
are synopses (``[-n N]``) and are not run.

Everything runs in a temporary folder that links the repository's ``scenarios``,
``sla_catalog``, ``tests``, ``docs`` and the real ticket logs of ``shared/data`` (so what an
example writes, such as ``out/``, goes there). To keep this file fast, expensive examples run
with fewer replications than documented: commands get :data:`REPLICATIONS` (``-n``) unless
they give their own, and ``replications=N`` in Python becomes ``replications=1``; their
outputs are compared by shape only, which the replication count does not change.

Opt-out: put ``<!-- no-test -->`` on the line just before a block's opening fence (say
why in the prose); use it only for what cannot run here, never for an example that fails.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
OPT_OUT = "<!-- no-test -->"
REPLICATIONS = {"run": "1", "compare": "2", "report": "1", "sweep": "1", "staff": "2"}
"""Replications given to commands that do not set -n (their outputs are compared by shape)."""
FIRST_LINE_ONLY = {"compare", "staff"}
"""Commands whose rows depend on the figures (significant changes, the plan found)."""
SLOW = {"staff"}
"""Commands that take more than a few seconds even with few replications (marked slow)."""
FENCE = re.compile(r"^(\s*)(```+)\s*([\w+-]*)")


@dataclass
class Block:
    path: Path
    line: int       # line of the opening fence, 1-based
    lang: str
    text: str
    before: str = ""  # the prose just before the block (up to 6 lines)

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Fenced blocks of a Markdown file (indented fences, as in lists, included), without
    those opted out."""
    out: list[Block] = []
    lines = path.read_text("utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        body, j = [], i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        opted_out = i > 0 and lines[i - 1].strip() == OPT_OUT
        if not opted_out:
            out.append(Block(path, i + 1, lang, "\n".join(body),
                             "\n".join(lines[max(0, i - 6):i])))
        i = j + 1
    return out


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def shell_examples() -> list[tuple[Block, str, list[str]]]:
    """(block, command, documented output lines) of every itr-sim command to run."""
    out = []
    for doc in documents():
        for b in blocks(doc):
            if b.lang in ("python", "py", "yaml", "yml", "json"):
                continue
            lines = b.text.splitlines()
            if any(x.startswith("$ ") for x in lines):
                command, output = None, []
                for x in [*lines, "$ "]:
                    if x.startswith("$ "):
                        if command and command.startswith("itr-sim"):
                            out.append((b, command, output))
                        command, output = x[2:].strip(), []
                    else:
                        output.append(x)
            elif b.lang in ("sh", "shell", "bash", "console"):
                for x in lines:
                    for step in x.split("&&"):
                        step = step.strip().removeprefix(".venv/bin/")
                        if step.startswith("itr-sim"):
                            out.append((b, step, []))
    return out


JSON_COMMAND = re.compile(r"`(itr-sim [^`]*--json[^`]*)`")


def json_examples() -> list[tuple[Block, str]]:
    out = []
    for doc in documents():
        for b in blocks(doc):
            found = JSON_COMMAND.findall(b.before)
            if b.lang == "json" and found:
                out.append((b, found[-1]))
    return out


def python_examples() -> list[Block]:
    return [b for doc in documents() for b in blocks(doc) if b.lang in ("python", "py")]


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A working folder that looks like the repository root, with the real ticket logs."""
    for name in ("scenarios", "sla_catalog", "tests", "docs", "notebooks", "bench"):
        if (ROOT / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    if SHARED_DATA.exists():
        for f in SHARED_DATA.iterdir():
            (tmp_path / f.name).symlink_to(f)
    monkeypatch.chdir(tmp_path)
    return tmp_path


NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d[\d,]*(\.\d+)?")
BOX = re.compile(r"[\u2500-\u257f]+")


def shape(line: str) -> str:
    """A line with its numbers masked, table borders and runs of blanks collapsed."""
    line = NUMBER.sub("#", line)
    line = BOX.sub(" ", line)
    return " ".join(line.split())


def with_replications(args: list[str]) -> list[str]:
    n = REPLICATIONS.get(args[0]) if args else None
    if n is None or any(a in ("-n", "--replications") or a.startswith("--replications=")
                        for a in args):
        return args
    return [*args, "-n", n]


SHELL = shell_examples()


def test_examples_are_found():
    """Fails if the extractor stops finding the README's examples (a test that silently
    covers nothing)."""
    assert len(SHELL) >= 4
    assert {c.split()[1] for _, c, _ in SHELL} >= {"validate", "run", "erlang", "compare"}
    assert len(python_examples()) >= 3
    assert JSON, "the README's --json excerpt is no longer found"


@pytest.mark.parametrize(("block", "command", "documented"), [
    pytest.param(b, c, d, id=f"{b.id}:{c.split()[1]}",
                 marks=[pytest.mark.slow] if c.split()[1] in SLOW else [])
    for b, c, d in SHELL])
def test_shell_example(block, command, documented, sandbox):
    """Fails if a documented command no longer runs, exits with another status class than
    its output implies, or prints output of another shape than documented."""
    from itr_sim.cli.main import app

    args = with_replications(shlex.split(command)[1:])
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"},
                                catch_exceptions=False)
    expected = [x for x in documented if x.strip()]
    reports_errors = any((": " in x and x.split(":")[0].endswith(".yaml"))
                         or x.startswith("error: ") for x in expected)
    assert result.exit_code in ((2,) if reports_errors else (0, 1)), result.output
    assert result.output.strip(), f"{command} printed nothing"
    if not expected:
        return
    # what a terminal shows: stdout and stderr together, or stdout alone (docs may leave out
    # what goes to stderr, such as the run time)
    streams = [[x for x in text.splitlines() if x.strip()]
               for text in (result.output, result.stdout)]
    # a documented output may be an excerpt: the output starts with it; FIRST_LINE_ONLY
    # commands print rows that depend on -n: their first line only
    if args[0] in FIRST_LINE_ONLY:
        # the doc's terminal may have been narrower: its first line may be wrapped
        want = shape(expected[0])
        assert any(printed and shape(printed[0]).startswith(want) for printed in streams), \
            (want, result.output)
        return
    want = [shape(x) for x in expected]
    assert any([shape(x) for x in printed[:len(want)]] == want for printed in streams), \
        (want, result.output)


def _paths(value, prefix=()):
    """(key path, kind of value) of every leaf and inner node of a JSON value; list items
    are not followed (their number depends on the run)."""
    kind = "number" if isinstance(value, int | float) and not isinstance(value, bool) \
        else type(value).__name__
    yield prefix, kind
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))


JSON = json_examples()


@pytest.mark.parametrize(("block", "command"), JSON, ids=[b.id for b, _ in JSON])
def test_json_example(block, command, sandbox):
    """Fails if a documented JSON excerpt names a key the command no longer prints, or a
    value of another kind (a number become a list)."""
    import json

    from itr_sim.cli.main import app

    args = with_replications(shlex.split(command)[1:])
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    printed = dict(_paths(json.loads(result.stdout)))
    for path, kind in _paths(json.loads(block.text)):
        assert printed.get(path) == kind, (path, kind, printed.get(path))


def _literal(comment: str):
    try:
        return ast.literal_eval(comment.strip())
    except (ValueError, SyntaxError):
        return None


@pytest.mark.parametrize("block", python_examples(), ids=lambda b: b.id)
def test_python_example(block, sandbox):
    """Fails if a documented snippet raises (a moved import, a renamed argument), or if a
    value it documents in a comment has changed."""
    needs = {name for name in re.findall(r"[\w.-]+\.csv\.gz", block.text)
             if not (sandbox / name).exists()}
    if needs and not os.environ.get("CI"):
        pytest.skip(f"{', '.join(sorted(needs))} not in shared/data beside the repository")
    source = re.sub(r"\breplications=\d+", "replications=1", block.text)
    tree = ast.parse(source, filename=block.id)
    lines = source.splitlines()
    namespace: dict = {"__name__": "__doc_example__"}
    for stmt in tree.body:
        code = compile(ast.Module([stmt], type_ignores=[]), block.id, "exec")
        if isinstance(stmt, ast.Expr):
            value = eval(compile(ast.Expression(stmt.value), block.id, "eval"), namespace)
            comment = lines[stmt.end_lineno - 1].partition("#")[2]
            expected = _literal(comment)
            if isinstance(expected, int | float | str) and not isinstance(expected, bool):
                assert value == pytest.approx(expected) if isinstance(expected, float) \
                    else value == expected, (ast.get_source_segment(source, stmt), value)
        else:
            exec(code, namespace)


def test_opt_out_marker_skips_a_block(tmp_path):
    """Fails if the documented opt-out marker stops working (or starts hiding other
    blocks)."""
    doc = tmp_path / "x.md"
    doc.write_text("a\n\n<!-- no-test -->\n```python\nraise SystemExit\n```\n\n```python\n"
                   "x = 1\n```\n", "utf-8")
    found = blocks(doc)
    assert [b.text for b in found] == ["x = 1"]


def test_shape_masks_numbers_not_words():
    assert shape("  11 agents: P(wait) 0.547934, mean 21.92 min") == \
        shape("12 agents: P(wait) 0.5, mean 2 min")
    assert shape("L1  3843.9") != shape("L2  3843.9")
