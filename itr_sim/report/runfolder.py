"""Run folders: the contract and its reader.

A run folder holds one run's tables (``NAME.csv`` or ``NAME.parquet``), ``kpis.json`` and
``metadata.json``, whose manifest lists run id, seed, replications, scenario hash, versions,
format and every other file with its size and SHA-256. :func:`open_run_folder` refuses a
folder that disagrees with its manifest; :mod:`itr_sim.report.runwrite` writes folders so that
they never lose or mix data. The contract is documented in docs/engine.md ("Run folders").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["BIG_TABLES", "FOLDER_FORMAT", "FORMATS", "RunFolder", "RunFolderError",
           "file_sha256", "foreign_entries", "open_run_folder", "table_suffix"]

FOLDER_FORMAT = 1
"""Version of the folder contract, recorded as ``metadata.json``'s ``run_folder``."""

FORMATS = ("auto", "parquet", "csv")
"""Formats of a run folder's tables: ``auto`` writes :data:`BIG_TABLES` as Parquet and the
KPI tables as CSV; ``parquet`` and ``csv`` write every table so."""

BIG_TABLES = frozenset({"events", "tickets", "clocks", "ola"})
"""The tables with a row per event, ticket or tier visit (most of a run folder's bytes)."""


def table_suffix(name: str, fmt: str) -> str:
    """The file suffix of table ``name`` in a folder of format ``fmt`` (see :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "auto":
        return "parquet" if name in BIG_TABLES else "csv"
    return fmt


# Table names written by releases before the manifest existed: such a folder is still
# recognised as an itr-sim run and replaced, never mixed.
_LEGACY_TABLES = {"events", "tickets", "staffing", "clocks", "notifications", "ola",
                  "attribution", "attainment", "times", "tiers", "utilisation",
                  "shift_utilisation", "backlog", "backlog_summary", "quality", "cost"}


class RunFolderError(ValueError):
    """A run folder that cannot be written or read as asked; ``str`` names the path, the
    problem and the fix."""

    def __init__(self, path: Path, message: str, hint: str) -> None:
        self.path, self.message, self.hint = path, message, hint
        super().__init__(f"{path}: {message}; {hint}")


def foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that a run would not have written (empty when it is missing,
    empty or an itr-sim run folder)."""
    if not folder.is_dir():
        return []
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return []
    meta = read_metadata(folder)
    if meta is None:
        return names
    if isinstance(meta.get("files"), dict) and meta.get("run_folder") is not None:
        ours = set(meta["files"])
    elif "scenario_hash" in meta:  # written before the manifest existed
        ours = {f"{t}.{s}" for t in _LEGACY_TABLES for s in ("csv", "parquet")} | {"kpis.json"}
    else:
        return names
    ours.add("metadata.json")
    return [n for n in names if n not in ours or not (folder / n).is_file()]


def read_metadata(folder: Path) -> dict[str, Any] | None:
    """``metadata.json`` of ``folder`` as a dict; None when missing or not a JSON object."""
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class RunFolder:
    """A run folder whose files were checked against its manifest."""

    path: Path
    metadata: dict[str, Any]

    @property
    def format(self) -> str:
        """``auto``, ``parquet`` or ``csv`` (:data:`FORMATS`); each table's own file is
        found by :meth:`table_file`."""
        return str(self.metadata["format"])

    def table_file(self, name: str) -> str | None:
        """The file of table ``name`` in the manifest (``NAME.parquet`` or ``NAME.csv``),
        None when the folder has no such table."""
        files = self.metadata["files"]
        return next((f"{name}.{s}" for s in ("parquet", "csv") if f"{name}.{s}" in files),
                    None)

    def has_table(self, name: str) -> bool:
        return self.table_file(name) is not None

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name``, read from Parquet or CSV, whichever the run wrote."""
        file = self.table_file(name)
        if file is None:
            streamed = " (a --stream run keeps no tables)" if self.metadata.get("streamed") \
                else ""
            raise RunFolderError(self.path, f"has no {name} table{streamed}",
                                 "write a full run with `itr-sim run SCENARIO --out DIR`")
        path = self.path / file
        return pd.read_parquet(path) if file.endswith(".parquet") else pd.read_csv(path)

    def document(self, name: str) -> Any:
        file = f"{name}.json"
        if file not in self.metadata["files"]:
            raise RunFolderError(self.path, f"has no {file}",
                                 "write the run with `itr-sim run SCENARIO --out DIR`")
        return json.loads((self.path / file).read_text(encoding="utf-8"))


def open_run_folder(folder: Path) -> RunFolder:
    """The run in ``folder``, after checking that its files are exactly those of the
    manifest, with their sizes and SHA-256; raises :class:`RunFolderError` otherwise."""
    rerun = "write the run again with `itr-sim run SCENARIO --out DIR`"
    written_by = "give a folder written by `itr-sim run SCENARIO --out DIR`"
    if not folder.is_dir():
        raise RunFolderError(folder, "is not a folder", written_by)
    meta = read_metadata(folder)
    if meta is None:
        raise RunFolderError(folder, "not a run folder: no readable metadata.json", written_by)
    files = meta.get("files")
    if meta.get("run_folder") != FOLDER_FORMAT or not isinstance(files, dict):
        raise RunFolderError(folder, "metadata.json has no manifest of the run's files "
                             "(written by an older itr-sim, or not a run folder)", rerun)
    present = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    present.discard("metadata.json")
    missing, extra = sorted(set(files) - present), sorted(present - set(files))
    if missing:
        raise RunFolderError(folder, f"files of the manifest are missing: {', '.join(missing)}",
                             rerun)
    if extra:
        raise RunFolderError(folder, f"files not in the manifest (from another run, or added "
                             f"later): {', '.join(extra)}", "move them out of the folder, "
                             f"or {rerun}")
    for name, entry in files.items():
        path = folder / name
        size = path.stat().st_size
        if size != entry.get("bytes"):
            raise RunFolderError(path, f"{size} bytes where the manifest says "
                                 f"{entry.get('bytes')}: changed or truncated after the run",
                                 rerun)
        if file_sha256(path) != entry.get("sha256"):
            raise RunFolderError(path, "content differs from the manifest's SHA-256: changed "
                                 "after the run", rerun)
    return RunFolder(folder, meta)
