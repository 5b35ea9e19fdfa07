"""Start-up: what `itr-sim --help` and `itr-sim validate` load, and the shortcuts that keep
them under 0.3 s of CPU (docs/performance.md, "Start-up"), each held to the slow way it
replaces. Deterministic: modules are inspected, nothing is timed."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itr_sim.calendar import (
    _imported_countries,
    _registry_countries,
    holiday_countries,
    holiday_subdivisions,
)
from itr_sim.model import source
from itr_sim.model.linsolve import SingularMatrix, solve
from itr_sim.model.source import ScenarioError

ROOT = Path(__file__).parent.parent
HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "simpy", "pyarrow")

# A fresh interpreter (the test process has everything loaded already) runs one command
# through the CLI as a user would and reports what each step loaded.
_PROBE = r"""
import contextlib, io, json, sys
def loaded(names):
    return sorted({m.split(".")[0] for m in sys.modules} & set(names))
names, command = sys.argv[1].split(","), sys.argv[2:]
out = {}
from itr_sim.cli.main import app
out["cli"] = loaded(names)
if command[0] == "validate":
    import itr_sim.model.load
    out["model.load"] = loaded(names)
sys.argv = ["itr-sim", *command]
status = None
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        app()
    except SystemExit as exc:
        status = exc.code
out["command"] = loaded(names)
out["status"] = status
print(json.dumps(out))
"""


def _probe(*command: str) -> dict[str, object]:
    names = [*HEAVY, "holidays", "rich", "pydantic"]
    done = subprocess.run([sys.executable, "-c", _PROBE, ",".join(names), *command],
                          cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def probe() -> dict[str, object]:
    """What `itr-sim validate scenarios/baseline.yaml` loads."""
    return _probe("validate", "scenarios/baseline.yaml")


def test_validate_loads_no_array_or_plotting_library(probe: dict[str, object]) -> None:
    """Fails if a module that `itr-sim validate` imports (the CLI, the model, the calendar)
    imports NumPy, pandas, SciPy, matplotlib, SimPy or pyarrow at module level, or if the
    checks of `validate` call code that does (0.1 to 1 s of start-up each)."""
    assert probe["status"] in (0, None)
    for step in ("cli", "model.load", "command"):
        assert not set(probe[step]) & set(HEAVY), step  # type: ignore[arg-type]


def test_validate_loads_neither_holidays_nor_rich(probe: dict[str, object]) -> None:
    """Fails if checking a holiday country imports the `holidays` package again (its import
    and country listing cost more than the rest of the check), or if the CLI imports rich for
    commands that draw nothing."""
    assert "holidays" not in probe["command"]  # type: ignore[operator]
    assert "rich" not in probe["command"]  # type: ignore[operator]


def test_help_loads_no_model() -> None:
    """Fails if `itr-sim --help` imports a command's module (and with it pydantic or the
    simulation stack) instead of listing the commands from their help lines."""
    found = _probe("--help")
    assert found["status"] in (0, None)
    assert "pydantic" not in found["command"]  # type: ignore[operator]
    assert not set(found["command"]) & set(HEAVY)  # type: ignore[arg-type]


# -- holiday countries from the registry, without importing the package ---------------------

def test_registry_countries_are_the_packages_own_listing() -> None:
    """Fails if reading the registry as data drifts from `holidays.list_supported_countries()`
    (a code accepted or refused wrongly, a different order for did-you-mean), or silently
    falls back to the import (empty: the layout of holidays/registry.py changed)."""
    read = _registry_countries()
    assert read, "holidays/registry.py no longer read: validate imports holidays again"
    assert read == _imported_countries()
    assert holiday_countries() == read
    assert {"CN", "DE", "US", "GB", "UK"} <= set(read)


@pytest.mark.parametrize("country", ["CN", "DE", "US", "UK"])
def test_subdivisions_are_the_packages_own_listing(country: str) -> None:
    """Fails if the subdivisions of one country differ from the package's full listing."""
    import holidays

    assert holiday_subdivisions(country) == holidays.list_supported_countries()[country]


# -- the plain-Python solve of the visit rates ------------------------------------------------

def test_solve_hand_worked() -> None:
    """Fails if elimination, row exchange or back substitution is wrong. By hand:
    x + y = 3, x - y = 1 -> x = 2, y = 1; and a system that needs a row exchange (zero
    first pivot): [[0, 1], [1, 0]] x = [5, 7] -> x = [7, 5]."""
    assert solve([[1.0, 1.0], [1.0, -1.0]], [3.0, 1.0]) == [2.0, 1.0]
    assert solve([[0.0, 1.0], [1.0, 0.0]], [5.0, 7.0]) == [7.0, 5.0]
    # an L1 -> L2 -> L3 chain, 30% of L1's tickets go up, 20% of L2's (visits 1, 0.3, 0.06)
    x = solve([[1.0, 0.0, 0.0], [-0.3, 1.0, 0.0], [0.0, -0.2, 1.0]], [1.0, 0.0, 0.0])
    assert x == pytest.approx([1.0, 0.3, 0.06], rel=1e-15)


def test_solve_singular() -> None:
    """Fails if a singular routing (a loop that never ends) is not reported as such (the
    caller turns it into infinite visits)."""
    with pytest.raises(SingularMatrix):
        solve([[1.0, -1.0], [-1.0, 1.0]], [1.0, 0.0])


def test_solve_agrees_with_numpy() -> None:
    """Fails if the plain-Python solve is off from `numpy.linalg.solve` by more than rounding
    on random routing matrices (I - P^T with reopens on the diagonal), up to 8 tiers."""
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 8)
        a = [[0.0] * n for _ in range(n)]
        for i in range(n):
            a[i][i] += 1.0
            shares = [rng.random() for _ in range(rng.randint(1, 3))]
            for share in shares:
                target = rng.randint(-1, n - 1)
                if target < 0:
                    a[i][i] -= 0.1 * share / sum(shares)  # a reopen at the resolving tier
                else:
                    a[target][i] -= 0.9 * share / sum(shares)
        e = [rng.random() for _ in range(n)]
        expected = np.linalg.solve(np.array(a), np.array(e))
        assert solve(a, e) == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-12)


# -- YAML read with libyaml's parser, the same as with the reference loader -----------------

def _reference(text: str) -> object:
    """What `_parse` gives with the pure-Python loader only: (data, lines) or the error."""
    fast, source._FastLoader = source._FastLoader, None
    try:
        return _outcome(text)
    finally:
        source._FastLoader = fast


def _outcome(text: str) -> object:
    try:
        data, lines = source._parse(text, "f.yaml")
    except ScenarioError as exc:
        return ("error", [str(d) for d in exc.diagnostics])
    except Exception as exc:  # compared, not hidden
        return ("raised", type(exc).__name__, str(exc))
    return repr(data), sorted(lines.lines.items(), key=repr)


TRICKY = [
    "a: 1\nb: [1, 2, {c: d}]\n",
    "a: NO\nb: 0755\nc: 15:00\nd: 1e3\ne: .5\nf: +1\ng: 2027-01-04\nh: 2027-01-04T10:00:00Z\n",
    "a: |\n  one\n   two\n\n  three\nb: >-\n  folded\n  text\n\n  para\n",
    "a: 'it''s'\nb: \"tab\\there\\u00e9\"\nc: naïve ✓\n",
    "- &x {a: 1}\n- *x\n- *x\n",
    "a: 1\na: 2\n",
    "a:\n\t- b\n",
    "a: [1, 2\nb: 3\n",
    "a: b: c\n",
    "? [a, b]\n: 1\n",
    "<<: {a: 1}\nb: 2\n",
    "%YAML 1.2\n---\na: 1\n",
    "--- a\n--- b\n",
    "a: .inf\nb: .nan\nc: 1e999\n",
    "a: # comment\n  - 1 # more\n  -  # empty\n",
    "\ufeffa: 1\n",
    "a: \"unterminated\n",
    "a: !!binary aGVsbG8=\nb: !custom x\n",
    "{a: 1, b: [x, y], c: {d: e}}",
    "a:\n  b:\n    c:\n      - d: 1\n        e: 2\n",
    "a: 1\n...\n",
    "a: \x07\n",
    "null: ~\ntrue: false\n1: one\n",
    "[" * 50 + "]" * 50,
    # found by fuzzing: libyaml takes these, PyYAML refuses them or reads them otherwise
    "a: 1 \t\n",
    "a: |#c\n",
    "a: >-#c\n  x\n",
    "a: 1\n\n\ufeff",
    "a: 1\u2028b: 2\n",
    "a: 1\x85b: 2\n",
    "{a: why?}\n",
    "b: [x, y?z]\n",
    "---\n",
    "- a\n- b\n",
    "just text\n",
    "? !  \n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_yaml_reads_tricky_text_as_the_reference(text: str) -> None:
    """Fails if libyaml's parser gives other values, lines or messages than PyYAML's own on
    text that differs between readers: YAML 1.1 scalars, block scalars, quoting, anchors,
    duplicate keys, tabs, syntax errors, directives, several documents, non-finite
    numbers, merge keys, tags, a BOM, control characters, nesting beyond the bound."""
    assert _outcome(text) == _reference(text)


def test_fast_yaml_reads_every_bundled_file_as_the_reference() -> None:
    """Fails if any YAML file of the project (scenarios, catalogues, mappings, test inputs
    good and bad) reads differently with libyaml's parser."""
    files = sorted(p for pattern in ("scenarios/*.yaml", "sla_catalog/*.yaml",
                                     "itr_sim/**/*.yaml", "tests/data/**/*.yaml",
                                     "bench/workloads/*.yaml")
                   for p in ROOT.glob(pattern))
    assert len(files) > 50
    for path in files:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        assert _outcome(text) == _reference(text), path


def test_fast_yaml_is_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails if the libyaml path is not taken on a well-formed file (PyYAML built without
    libyaml, or an exception swallowed on every file): the saving would silently vanish."""
    if source._FastLoader is None:
        pytest.skip("PyYAML without libyaml")

    class Refused(source._Loader):
        def __init__(self, stream: str) -> None:
            raise AssertionError("read by the reference loader")

    monkeypatch.setattr(source, "_Loader", Refused)
    text = (ROOT / "scenarios/baseline.yaml").read_text(encoding="utf-8")
    assert source._parse(text, "baseline.yaml")[0]["scenario"]


_PIECES = ["a", "b", "1", "-1", "0x1f", "1.5", "~", "true", "NO", "'q'", '"d"', "&x", "*x",
           "!!str", "[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "#c", "|", ">", "\n",
           "\n  ", "\n    ", "\t", " ", "---", "...", "%YAML 1.1", "<<", "é", "\\", "@"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_fast_yaml_fuzzed_against_the_reference(pieces: list[str]) -> None:
    """Fails if, on random YAML-like text, libyaml's parser accepts a text PyYAML refuses,
    or reads a value, key order or line differently (a refused text is read again by the
    reference loader, so its messages cannot differ)."""
    text = "".join(pieces)
    assert _outcome(text) == _reference(text)


@pytest.mark.parametrize(("text", "line", "says"), [
    ("!!foo a: 1\n", 1, "cannot read key 'a': could not determine a constructor for the tag "
     "'tag:yaml.org,2002:foo'; itr-sim files need no YAML tags: remove it"),
    ("b:\n  2027-02-30: x\n", 2, "cannot read key '2027-02-30': day is out of range for "
     "month; quote it"),
])
def test_unreadable_key_is_a_diagnostic(text: str, line: int, says: str) -> None:
    """Fails if a key YAML cannot construct (an unknown tag, a date that does not exist)
    escapes as an exception (the CLI's internal error, exit 3) instead of a file:line
    diagnostic (exit 2); found while fuzzing the two YAML readers."""
    with pytest.raises(ScenarioError) as caught:
        source._parse(text, "f.yaml")
    (found,) = caught.value.diagnostics
    assert (found.line, found.message) == (line, says)
