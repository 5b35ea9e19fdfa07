"""Run folders: one run's tables, kpis.json and metadata.json, written so that a folder never
loses or mixes data.

* A run is written into a temporary sibling folder (``.NAME.tmp-RUNID``) and renamed into
  place only when complete; a previous run in the folder is replaced as a whole (an atomic
  exchange of the two folders where the system has one, else two renames).
* ``metadata.json`` carries the manifest: run id, seed, replications, scenario hash, versions,
  format and every file with its size and SHA-256. Loaders refuse a folder that disagrees.
* A folder that is neither empty nor a run folder is refused unless ``force``.
* A lock file beside the folder (``.NAME.lock``) keeps a second writer out.

The folder contract is documented in docs/engine.md ("Run folders").
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["FOLDER_FORMAT", "RunFolder", "RunFolderError", "RunFolderLock", "lock_run_folder",
           "open_run_folder", "write_run_folder"]

FOLDER_FORMAT = 1
"""Version of the folder contract, recorded as ``metadata.json``'s ``run_folder``."""

# Table names written by releases before the manifest existed: such a folder is still
# recognised as an itr-sim run and replaced, never mixed.
_LEGACY_TABLES = {"events", "tickets", "staffing", "clocks", "notifications", "ola",
                  "attribution", "attainment", "times", "tiers", "utilisation",
                  "shift_utilisation", "backlog", "backlog_summary", "quality", "cost"}
_PAUSE_ENV = "ITR_SIM_TEST_PAUSE_WRITE"  # tests only: see _test_pause


class RunFolderError(ValueError):
    """A run folder that cannot be written or read as asked; ``str`` names the path, the
    problem and the fix."""

    def __init__(self, path: Path, message: str, hint: str) -> None:
        self.path, self.message, self.hint = path, message, hint
        super().__init__(f"{path}: {message}; {hint}")


# ---------------------------------------------------------------------------------- lock


class RunFolderLock:
    """An exclusive lock on writing one folder: ``.NAME.lock`` beside it, holding the
    writer's pid. Uses ``flock`` where available, so a killed writer leaves no stale lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        real = _absolute(folder)
        self.path = real.parent / f".{real.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            fcntl = None  # type: ignore[assignment]
        while True:
            flags = os.O_RDWR | os.O_CREAT | (0 if fcntl else os.O_EXCL)
            try:
                fd = os.open(self.path, flags, 0o644)
            except FileExistsError:  # pragma: no cover - Windows
                raise self._busy() from None
            if fcntl is None:  # pragma: no cover - Windows
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._busy() from None
            try:  # the file may have been unlinked by the previous holder meanwhile
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def _busy(self) -> RunFolderError:
        try:
            holder = self.path.read_text(encoding="ascii").strip() or "?"
        except OSError:
            holder = "?"
        return RunFolderError(self.folder, f"another itr-sim run (pid {holder}) is writing "
                              "this folder", "wait for it to finish (or stop it), or choose "
                              "another --out")

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunFolderLock:
        """``with`` releases the lock at the end; it does not take it (see ``acquire``)."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_run_folder(folder: Path, *, force: bool = False) -> RunFolderLock:
    """Check, before simulating, that a run can be written to ``folder``: its parent can be
    created and written, no other run is writing it, and it is missing, empty or an itr-sim
    run folder (anything else only with ``force``). Returns the held lock."""
    for path in (folder, *folder.parents):
        if path.exists() and not path.is_dir():
            raise RunFolderError(folder, f"{path} is a file, not a folder",
                                 "choose a folder for --out")
    if folder.is_symlink():
        raise RunFolderError(folder, "is a symbolic link", "give the folder it points to")
    here = _absolute(Path.cwd())
    if here == _absolute(folder) or _absolute(folder) in here.parents:
        raise RunFolderError(folder, "is the current folder or contains it, which a run "
                             "cannot replace", "give a folder below it, e.g. --out out/run")
    try:
        _absolute(folder).parent.mkdir(parents=True, exist_ok=True)
        lock = RunFolderLock(folder)
        lock.acquire()
    except RunFolderError:
        raise
    except OSError as exc:
        raise RunFolderError(folder, f"cannot write here ({exc.strerror or exc})",
                             "choose a writable --out folder") from None
    try:
        _recover(folder)
        foreign = _foreign_entries(folder)
        if foreign and not force:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise RunFolderError(folder, f"is not empty and not an itr-sim run folder "
                                 f"(holds {shown})", "choose another --out, or pass --force "
                                 "to replace the folder and everything in it")
    except BaseException:
        lock.release()
        raise
    return lock


def _absolute(folder: Path) -> Path:
    """``folder`` made absolute, with ``.`` and ``..`` resolved but symbolic links kept."""
    return Path(os.path.abspath(folder))


def _foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that a run would not have written (empty when it is missing,
    empty or an itr-sim run folder)."""
    if not folder.is_dir():
        return []
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return []
    meta = _read_metadata(folder)
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


def _read_metadata(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _siblings(folder: Path, kind: str) -> list[Path]:
    real = _absolute(folder)
    return sorted(real.parent.glob(f".{real.name}.{kind}-*"))


def _recover(folder: Path) -> None:
    """Under the lock: put back a previous run left aside by a writer that died between the
    two renames of the fallback swap, and remove temporary folders of dead writers."""
    old = _siblings(folder, "old")
    if old and not folder.exists():
        os.rename(old[-1], folder)
    for stale in _siblings(folder, "old") + _siblings(folder, "tmp"):
        shutil.rmtree(stale, ignore_errors=True)


# --------------------------------------------------------------------------------- write


def write_run_folder(folder: Path, tables: dict[str, pd.DataFrame],
                     documents: dict[str, Any], metadata: dict[str, Any], fmt: str = "csv", *,
                     force: bool = False, lock: RunFolderLock | None = None) -> list[Path]:
    """Write ``tables`` (as ``NAME.csv`` or ``NAME.parquet``), ``documents`` (as
    ``NAME.json``) and ``metadata.json`` with the manifest into ``folder``, replacing what
    was there as a whole. Takes the lock (see :func:`lock_run_folder`) unless ``lock`` is
    held already. Interrupted (``KeyboardInterrupt``), it leaves ``folder`` as it was."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    own = lock is None
    held = lock_run_folder(folder, force=force) if lock is None else lock
    created = datetime.now(UTC)
    run_id = f"{created:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
    real = _absolute(folder)
    tmp = real.parent / f".{real.name}.tmp-{run_id}"
    try:
        tmp.mkdir()
        files: dict[str, dict[str, Any]] = {}
        for name, frame in tables.items():
            path = tmp / f"{name}.{fmt}"
            if fmt == "parquet":
                frame.to_parquet(path, index=False)
            else:
                frame.to_csv(path, index=False)
            files[path.name] = _seal(path)
            _test_pause(tmp)
        for name, value in documents.items():
            path = tmp / f"{name}.json"
            path.write_text(json.dumps(value, indent=2, allow_nan=False) + "\n",
                            encoding="utf-8")
            files[path.name] = _seal(path)
        manifest = {**metadata, "run_folder": FOLDER_FORMAT, "run_id": run_id,
                    "written_utc": created.isoformat(timespec="seconds"), "format": fmt,
                    "files": files}
        meta = tmp / "metadata.json"
        meta.write_text(json.dumps(manifest, indent=2, allow_nan=False) + "\n",
                        encoding="utf-8")
        _seal(meta)
        _fsync_dir(tmp)
        with _sigint_deferred():
            _swap(tmp, real)
        _fsync_dir(real.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if own:
            held.release()
    return [folder / name for name in files] + [folder / "metadata.json"]


def _seal(path: Path) -> dict[str, Any]:
    """Flush ``path`` to disk; its manifest entry (size and SHA-256)."""
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every system syncs directories
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _swap(tmp: Path, folder: Path) -> None:
    """Put ``tmp`` at ``folder``; the previous folder ends up at ``tmp`` (to be removed)."""
    if not folder.exists():
        os.rename(tmp, folder)
        return
    if _exchange(tmp, folder):
        return
    old = folder.parent / f".{folder.name}.old-{tmp.name.rsplit('-', 1)[-1]}"
    os.rename(folder, old)
    os.rename(tmp, folder)
    os.rename(old, tmp)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or file system has no such call."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C during the final renames waits until they are done (the run is then complete
    and is kept)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _test_pause(tmp: Path) -> None:
    """Tests only: with ITR_SIM_TEST_PAUSE_WRITE=PATH, after the first table announce
    ``PATH.paused`` and wait (at most 120 s) until PATH exists, so that a test can interrupt
    or race a writer at a known point."""
    gate = os.environ.get(_PAUSE_ENV)
    if not gate or Path(f"{gate}.paused").exists():
        return
    Path(f"{gate}.paused").write_text(str(tmp), encoding="utf-8")
    deadline = time.monotonic() + 120
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


# ---------------------------------------------------------------------------------- read


@dataclass(frozen=True)
class RunFolder:
    """A run folder whose files were checked against its manifest."""

    path: Path
    metadata: dict[str, Any]

    @property
    def format(self) -> str:
        return str(self.metadata["format"])

    def table(self, name: str) -> pd.DataFrame:
        file = f"{name}.{self.format}"
        if file not in self.metadata["files"]:
            streamed = " (a --stream run keeps no tables)" if self.metadata.get("streamed") \
                else ""
            raise RunFolderError(self.path, f"has no {name} table{streamed}",
                                 "write a full run with `itr-sim run SCENARIO --out DIR`")
        path = self.path / file
        return pd.read_parquet(path) if self.format == "parquet" else pd.read_csv(path)

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
    meta = _read_metadata(folder)
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
        if _sha256(path) != entry.get("sha256"):
            raise RunFolderError(path, "content differs from the manifest's SHA-256: changed "
                                 "after the run", rerun)
    return RunFolder(folder, meta)
