"""Writing a user's output files: never replace a file without being asked, never leave a
half-written one.

Every command that writes a single file (a what-if scenario, an HTML report, an export, a
baseline) goes through :func:`check_target` before its work and :func:`write_atomic` after it,
so the rules are the same everywhere: an existing file is replaced only with ``--force``, and the
new content appears in one rename, so a reader or a crash never sees part of it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["check_target", "write_atomic"]


def check_target(path: Path, force: bool, *, example: str = "out.txt") -> str | None:
    """Why ``path`` cannot be written (a sentence with the fix), or None when it can."""
    if path.is_dir():
        return f"{path} is a folder; give a file name such as {path / example}"
    if path.exists() and not force:
        return f"{path} exists; choose another name or add --force to replace it"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        return f"folder {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"cannot write into {parent}"
    return None


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk and rename it into
    place; on any failure the temporary file is removed and ``path`` is left as it was."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
