"""Every file in tests/data/bad is rejected with the expected message at the marked line.

Each bad file starts with ``# expect: <message fragment>`` and marks the line the error must
point at with ``# <-- error``. The files under tests/data/good are the templates the bad
ones were made from: they must be valid, so each bad file differs by its one defect.
"""

from pathlib import Path

import pytest

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
