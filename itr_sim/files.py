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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["atomic_writer", "check_target", "marked", "write_atomic"]


def marked(path: Path, mark: bytes, within: int = 4096) -> bool:
    """Whether ``path`` starts (in its first ``within`` bytes) with ``mark``: an output an
    earlier itr-sim run wrote, which the same command may replace without --force."""
    try:
        with path.open("rb") as handle:
            return mark in handle.read(within)
    except OSError:
        return False


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


@contextmanager
def atomic_writer(path: Path) -> Iterator[IO[bytes]]:
    """A binary handle on a temporary file beside ``path``; when the block ends normally the
    file is flushed to disk and renamed into place, otherwise it is removed and ``path`` is
    left as it was. For outputs too large to hold in memory at once."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk and rename it into
    place; on any failure the temporary file is removed and ``path`` is left as it was."""
    with atomic_writer(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def _mode_for(path: Path) -> int:
    """The permissions the file would have had if opened the usual way: those of the file it
    replaces, else 0o666 less the umask (mkstemp's own 0o600 would hide it from the group)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
