"""Writing run folders (:mod:`itr_sim.report.runfolder`) so that they never lose or mix data.

* A run is written into a temporary sibling folder (``.NAME.tmp-RUNID``) and renamed into
  place only when complete; a previous run in the folder is replaced as a whole (an atomic
  exchange of the two folders where the system has one, else two renames).
* ``metadata.json`` carries the manifest (see :mod:`itr_sim.report.runfolder`).
* A folder that is neither empty nor a run folder is refused unless ``force``.
* A lock file beside the folder (``.NAME.lock``) keeps a second writer out.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from itr_sim.report.runfolder import (
    FOLDER_FORMAT,
    RunFolderError,
    file_sha256,
    foreign_entries,
    read_metadata,
    table_suffix,
)
from itr_sim.report.timetext import text_columns

__all__ = ["RunFolderLock", "lock_run_folder", "write_run_folder"]

_PAUSE_ENV = "ITR_SIM_TEST_PAUSE_WRITE"  # tests only: see _test_pause


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


def lock_run_folder(folder: Path, *, force: bool = False, kind: str | None = None
                    ) -> RunFolderLock:
    """Check, before simulating, that a run can be written to ``folder``: its parent can be
    created and written, no other run is writing it, and it is missing, empty or an itr-sim
    run folder of the same ``kind`` (None: a simulated run; ``"ingested"``: a real log), so
    a simulation never replaces an ingested log or the other way round (anything else only
    with ``force``). Returns the held lock."""
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
        foreign = foreign_entries(folder)
        if foreign and not force:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise RunFolderError(folder, f"is not empty and not an itr-sim run folder "
                                 f"(holds {shown})", "choose another --out, or pass --force "
                                 "to replace the folder and everything in it")
        there = read_metadata(folder) if not foreign else None
        if there is not None and there.get("kind") != kind and not force:
            names = {None: "a simulated run", "ingested": "an ingested ticket log"}
            was = names.get(there.get("kind"), f"a {there.get('kind')} folder")
            raise RunFolderError(folder, f"holds {was}, which this would replace with "
                                 f"{names.get(kind, kind)}", "choose another --out (or "
                                 "-o), or pass --force to replace it")
    except BaseException:
        lock.release()
        raise
    return lock


def _absolute(folder: Path) -> Path:
    """``folder`` made absolute, with ``.`` and ``..`` resolved but symbolic links kept."""
    return Path(os.path.abspath(folder))


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
    """Write ``tables`` (as ``NAME.csv`` or ``NAME.parquet``: ``fmt`` is one of
    :data:`~itr_sim.report.runfolder.FORMATS`), ``documents`` (as ``NAME.json``) and
    ``metadata.json`` with the manifest into ``folder``, replacing what was there as a
    whole. Takes the lock (see :func:`lock_run_folder`) unless ``lock`` is held already.
    Interrupted (``KeyboardInterrupt``), it leaves ``folder`` as it was."""
    table_suffix("events", fmt)  # an unknown format fails before anything is written
    own = lock is None
    held = lock_run_folder(folder, force=force, kind=metadata.get("kind")) if lock is None \
        else lock
    created = datetime.now(UTC)
    run_id = f"{created:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
    real = _absolute(folder)
    tmp = real.parent / f".{real.name}.tmp-{run_id}"
    try:
        tmp.mkdir()
        files: dict[str, dict[str, Any]] = {}
        for name, frame in tables.items():
            path = tmp / f"{name}.{table_suffix(name, fmt)}"
            if path.suffix == ".parquet":
                frame.to_parquet(path, index=False)
            else:
                text_columns(frame).to_csv(path, index=False)
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
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


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
