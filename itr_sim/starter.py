"""The example scenarios and SLA catalogues shipped inside the package, and copying them into
a folder to start from (``itr-sim init``).

In the source tree ``itr_sim/examples/scenarios`` and ``itr_sim/examples/sla_catalog`` are
links to the repository's ``scenarios/`` and ``sla_catalog/``, so there is one copy of each
file; a built wheel holds the files themselves. The copy keeps the two folders side by side,
so the scenarios' relative ``catalog: ../sla_catalog/...`` paths still hold, and writes the
JSON Schema that their first line points editors to (``../docs/schema``).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from itr_sim.files import write_atomic

__all__ = ["EXAMPLE_FOLDERS", "StarterError", "copy_examples", "example_files"]

EXAMPLE_FOLDERS = ("scenarios", "sla_catalog")


class StarterError(ValueError):
    """The starter files cannot be copied as asked; ``str`` says why and what to do."""


def example_files() -> dict[str, Traversable]:
    """Relative path in the copy -> packaged file, for every example YAML file."""
    root = files("itr_sim") / "examples"
    out: dict[str, Traversable] = {}
    for folder in EXAMPLE_FOLDERS:
        for entry in sorted((root / folder).iterdir(), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith(".yaml"):
                out[f"{folder}/{entry.name}"] = entry
    if not out:
        raise StarterError("this installation of itr-sim has no example files; reinstall it "
                           "with `pip install --force-reinstall itr-sim`")
    return out


def copy_examples(dest: Path, *, force: bool = False) -> list[Path]:
    """Copy the example scenarios, catalogues and the scenario schema into ``dest``
    (created if missing); returns the files written. Nothing is written when any of them
    exists already, unless ``force``."""
    from itr_sim.model.schema import FORMATS, schema_text

    if dest.exists() and not dest.is_dir():
        raise StarterError(f"{dest} is a file; give a folder to copy the examples into")
    plan: dict[Path, str] = {dest / rel: f.read_text(encoding="utf-8")
                             for rel, f in example_files().items()}
    for kind in FORMATS:
        plan[dest / "docs" / "schema" / f"{kind}.schema.json"] = schema_text(kind)
    existing = sorted(str(p) for p in plan if p.exists())
    if existing and not force:
        shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more"
                                           if len(existing) > 3 else "")
        raise StarterError(f"{shown} exist(s) already; nothing was copied. Choose an empty "
                           "folder, or add --force to replace the example files (other files "
                           "in the folder are never touched)")
    for path, text in plan.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return list(plan)
