"""Fuzzing `itr-sim validate` with random mutations of the bundled YAML files.

Whatever the mutation (a key deleted, a line duplicated, a value retyped, replaced by an odd
scalar or swapped with another), validation must end with exit status 0 or 2 and never
with a traceback: this fails on any exception that escapes the loader or the checks (a
KeyError, TypeError, ZeroDivisionError, RecursionError, ...), which the CLI would report as
an internal error (exit 3). Bounded to about 20 s (max_examples, no deadline).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.model.load import validate_file

ROOT = Path(__file__).parent.parent
SOURCES = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("sla_catalog/*.yaml")])
ODD = [None, True, False, 0, -1, 1, 2.5, -0.5, 1e308, 10**30, "", " ", "0m", "-5%", "150%",
       "24:00", "25:99", "NBD", "0bd", "1.5bd", "Mon-Mon", "x" * 300, "naïve ✓", "nan",
       "inf", "2027-02-30", [], {}, [1, [2, [3]]], {"a": {"b": None}}, ["critical"]]
runner = CliRunner()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(node, path[:-1])[path[-1]] = value


def _delete(node: Any, path: tuple[Any, ...]) -> None:
    parent = _get(node, path[:-1])
    del parent[path[-1]]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, str]:
    """A bundled file and a mutated text of it (one to three mutations)."""
    source = draw(st.sampled_from(SOURCES))
    text = source.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "retype", "swap", "line_dup", "line_drop",
                                     "line_swap"]))
        if kind.startswith("line_"):
            lines = text.splitlines()
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "line_dup":
                lines.insert(j, lines[i])  # often a duplicated key
            elif kind == "line_drop":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines) + "\n"
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # a line mutation broke the syntax: the file is fuzzed as it is
        paths = _paths(data)
        if not paths:
            continue
        path = draw(st.sampled_from(paths))
        if kind == "delete":
            _delete(data, path)
        elif kind == "retype":
            _set(data, path, draw(st.sampled_from(ODD)))
        else:
            other = draw(st.sampled_from(paths))
            try:
                a, b = _get(data, path), _get(data, other)
                _set(data, path, b)
                _set(data, other, a)
            except (KeyError, IndexError, TypeError):
                continue  # one path inside the other
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return source, text


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of scenarios/ and sla_catalog/, so mutated files find their catalogue and the
    scenario they extend by the same relative paths."""
    root = tmp_path_factory.mktemp("fuzz")
    for folder in ("scenarios", "sla_catalog"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mutated())
def test_validate_never_crashes_on_mutated_bundled_files(tree: Path, case: tuple[Path, str]
                                                         ) -> None:
    source, text = case
    target = tree / source.parent.name / f"fuzz_{source.name}"
    target.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(target)])
    assert result.exit_code in (0, 2), (
        f"exit {result.exit_code} for a mutation of {source.name}:\n{result.output}\n---\n"
        f"{text}")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # the library itself returns diagnostics and raises nothing (an OSError for a too-long
    # name would pass the CLI as exit 2, but without file, line and key)
    validate_file(target)
