"""Run folders never lose or mix data: `itr-sim run --out`, `itr-sim report DIR`.

Most cases run the CLI in-process on the exact-trace scenario (a fraction of a second each);
the Ctrl-C and concurrency cases run it as real subprocesses and hold the writer at a known
point with the test-only ITR_SIM_TEST_PAUSE_WRITE gate (after the first table is written), so
they do not depend on timing on a loaded machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.report.runfolder import RunFolderError, open_run_folder
from itr_sim.report.runwrite import RunFolderLock

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "tests" / "data" / "engine" / "trace.yaml"
runner = CliRunner()
# Python ignores SIGINT when started with it ignored (as background jobs of a shell are);
# the launcher restores the usual Ctrl-C behaviour so that the test sends a real one.
LAUNCH = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
          "from itr_sim.cli.main import app; app()")


def run(*args: str):
    return runner.invoke(app, ["run", str(TRACE), *args])


def manifest(folder: Path) -> dict:
    return json.loads((folder / "metadata.json").read_text("utf-8"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("runs") / "trace"
    result = run("--out", str(folder), "--format", "csv")
    assert result.exit_code == 0, result.output
    return folder


def test_manifest_lists_every_file_with_its_size_and_hash(written):
    """Fails if a written file is left out of the manifest, or its size or hash is wrong, or
    the manifest lacks the run id, seed, replications, scenario hash, format or versions."""
    meta = manifest(written)
    on_disk = {p.name for p in written.iterdir()}
    assert on_disk == set(meta["files"]) | {"metadata.json"}
    assert {"events.csv", "tickets.csv", "staffing.csv", "clocks.csv", "kpis.json"} <= on_disk
    for name, entry in meta["files"].items():
        assert entry == {"bytes": (written / name).stat().st_size,
                         "sha256": sha256(written / name)}, name
    assert meta["seed"] == 7 and meta["replications"] == 1 and meta["format"] == "csv"
    assert len(meta["scenario_hash"]) == 64 and meta["run_folder"] == 1
    assert len(meta["run_id"]) > 16
    assert {"holidays", "scipy", "pandas", "numpy", "simpy", "itr-sim"} <= set(meta["versions"])
    assert not list(written.parent.glob(".trace.*")), "temporary folder or lock left behind"


def test_a_folder_of_user_files_is_refused_before_simulating_unless_forced(tmp_path):
    """Fails if --out silently overwrites (or mixes into) a folder of the user's own files,
    if the refusal comes only after the simulation, or if --force does not replace it."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    (mine / "events.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    refused = run("--out", str(mine))
    assert refused.exit_code == 2
    assert "not an itr-sim run folder" in refused.output and "--force" in refused.output
    assert "notes.txt" in refused.output and "simulated" not in refused.output
    assert (mine / "notes.txt").read_text("utf-8") == "my notes"
    assert (mine / "events.csv").read_text("utf-8") == "a,b\n1,2\n"
    forced = run("--out", str(mine), "--force")
    assert forced.exit_code == 0, forced.output
    assert not (mine / "notes.txt").exists()
    open_run_folder(mine)  # a consistent run


def test_a_run_folder_with_a_file_added_by_the_user_is_not_replaced(written, tmp_path):
    """Fails if a run folder holding a file the run did not write is replaced (deleting the
    user's file) without --force."""
    folder = tmp_path / "run"
    shutil.copytree(written, folder)
    (folder / "analysis.xlsx").write_bytes(b"user data")
    result = run("--out", str(folder))
    assert result.exit_code == 2 and "analysis.xlsx" in result.output
    assert (folder / "analysis.xlsx").read_bytes() == b"user data"


def test_a_csv_run_after_a_parquet_run_replaces_it_as_a_whole(tmp_path):
    """Fails if a later run leaves an earlier run's tables behind (the mix that made the
    report show every tier saturated)."""
    folder = tmp_path / "run"
    assert run("--out", str(folder), "--format", "parquet").exit_code == 0
    first = manifest(folder)["run_id"]
    assert (folder / "events.parquet").exists()
    assert run("--out", str(folder), "--seed", "8", "--format", "csv").exit_code == 0
    meta = manifest(folder)
    assert meta["run_id"] != first and meta["seed"] == 8
    assert not list(folder.glob("*.parquet"))
    assert {p.name for p in folder.iterdir()} == set(meta["files"]) | {"metadata.json"}


def test_a_run_folder_of_an_earlier_release_is_replaced(tmp_path):
    """Fails if a run folder written before manifests existed (metadata.json with a scenario
    hash, known tables) counts as user files, or a user's file in it does not."""
    old = tmp_path / "old"
    old.mkdir()
    (old / "metadata.json").write_text('{"scenario_hash": "ab", "seed": 1}', encoding="utf-8")
    (old / "events.csv").write_text("x\n", encoding="utf-8")
    (old / "kpis.json").write_text("{}", encoding="utf-8")
    (old / "mine.csv").write_text("x\n", encoding="utf-8")
    assert run("--out", str(old)).exit_code == 2
    (old / "mine.csv").unlink()
    assert run("--out", str(old)).exit_code == 0
    assert manifest(old)["seed"] == 7 and not (old / "mine.csv").exists()


@pytest.mark.parametrize("damage", ["truncated", "same_size_edit", "missing", "extra_table",
                                    "no_manifest"])
def test_report_refuses_a_folder_that_disagrees_with_its_manifest(written, tmp_path, damage):
    """Fails if `itr-sim report DIR` reads a truncated or edited table, a folder with a table
    missing, another run's table beside this one's, or a folder without a manifest."""
    folder = tmp_path / "run"
    shutil.copytree(written, folder)
    open_run_folder(folder)  # the undamaged copy is accepted
    events = folder / "events.csv"
    if damage == "truncated":
        events.write_bytes(events.read_bytes()[:100])
    elif damage == "same_size_edit":
        data = bytearray(events.read_bytes())
        data[-3] = ord("9") if data[-3] != ord("9") else ord("8")
        events.write_bytes(bytes(data))
    elif damage == "missing":
        (folder / "clocks.csv").unlink()
    elif damage == "extra_table":
        (folder / "events.parquet").write_bytes(b"PAR1 from another run")
    else:
        meta = manifest(folder)
        del meta["files"]
        (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    expected = {"truncated": "truncated", "same_size_edit": "SHA-256", "missing": "clocks.csv",
                "extra_table": "events.parquet", "no_manifest": "no manifest"}[damage]
    with pytest.raises(RunFolderError, match=expected.replace(".", r"\.")):
        open_run_folder(folder)
    result = runner.invoke(app, ["report", str(folder), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and expected in result.output
    assert not (tmp_path / "r.html").exists()


def test_report_reads_a_checked_parquet_run_folder(tmp_path):
    """Fails if the checks refuse a sound folder, or the loader reads tables in another
    format than the manifest's."""
    folder = tmp_path / "run"
    assert run("--out", str(folder), "--format", "parquet").exit_code == 0
    html = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(folder), "-o", str(html)])
    assert result.exit_code == 0, result.output
    assert html.read_text("utf-8").count("data:image/svg+xml;base64,") == 8


def test_report_names_a_streamed_run_as_having_no_tables(tmp_path):
    """Fails if a --stream folder (kpis.json only) is reported with a KeyError or traceback
    instead of saying that it keeps no tables."""
    folder = tmp_path / "streamed"
    assert run("--stream", "--out", str(folder)).exit_code == 0
    result = runner.invoke(app, ["report", str(folder), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "--stream run keeps no tables" in result.output


def test_unwritable_out_is_refused_before_simulating(tmp_path):
    """Fails if an --out that cannot be written (below a file; a read-only location) is
    found only after the whole simulation, or ends in a traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    if os.geteuid() == 0:  # root writes into read-only folders; sysfs refuses even root
        read_only = Path("/sys/itr-sim-run")
    else:
        locked = tmp_path / "ro"
        locked.mkdir(mode=0o555)
        read_only = locked / "run"
    for out, message in ((blocker / "run", "is a file, not a folder"),
                         (read_only, "cannot write here")):
        result = run("--out", str(out))
        assert result.exit_code == 2, result.output
        assert message in result.output and "simulated" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("where", [".", "..", "link"])
def test_the_current_folder_and_symbolic_links_are_refused(written, tmp_path, monkeypatch,
                                                           where):
    """Fails if a run replaces the folder the user is standing in (or one containing it),
    or swaps a symbolic link for a folder, instead of exiting 2 before simulating."""
    inside = tmp_path / "run"
    shutil.copytree(written, inside)
    monkeypatch.chdir(inside)
    if where == "link":
        (tmp_path / "link").symlink_to(inside, target_is_directory=True)
        where = str(tmp_path / "link")
    result = run("--out", where)
    assert result.exit_code == 2 and "simulated" not in result.output, result.output
    assert "current folder" in result.output or "symbolic link" in result.output
    open_run_folder(inside)


def test_a_second_writer_is_refused_while_the_lock_is_held(written, tmp_path):
    """Fails if two writers can hold one folder: the second must exit 2 naming the holder,
    and the lock must be free again afterwards."""
    folder = tmp_path / "run"
    with RunFolderLock(folder) as lock:
        lock.acquire()
        result = run("--out", str(folder))
        assert result.exit_code == 2
        assert f"pid {os.getpid()}" in result.output and "simulated" not in result.output
    assert run("--out", str(folder)).exit_code == 0


def test_json_without_out_writes_nothing_and_the_plain_run_writes_out_slug(tmp_path,
                                                                          monkeypatch):
    """Fails if `run --json` without --out writes tables to disk, or if the plain run
    (the README's command) stops writing out/<scenario>/."""
    monkeypatch.chdir(tmp_path)
    result = run("--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["scenario"] == "trace"
    assert list(tmp_path.iterdir()) == []
    assert run().exit_code == 0
    open_run_folder(tmp_path / "out" / "trace")


def _spawn(out: Path, gate: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ITR_SIM_TEST_PAUSE_WRITE": str(gate)}
    return subprocess.Popen([sys.executable, "-c", LAUNCH, "run", str(TRACE), "--out", str(out),
                             *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for(path: Path, procs: list[subprocess.Popen], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"exited early: {proc.returncode} {proc.communicate()}")
        time.sleep(0.05)


@pytest.mark.parametrize("previous", [True, False])
def test_ctrl_c_while_writing_leaves_the_previous_run_intact(written, tmp_path, previous):
    """Fails if Ctrl-C in the middle of writing leaves a truncated or half-written folder
    (new tables beside the previous run's kpis.json), a temporary folder or a lock behind,
    or exits without saying what happened."""
    folder = tmp_path / "run"
    if previous:
        shutil.copytree(written, folder)
    before = {p.name: sha256(p) for p in folder.iterdir()} if previous else None
    gate = tmp_path / "gate"
    proc = _spawn(folder, gate, "--format", "parquet")
    _wait_for(Path(f"{gate}.paused"), [proc])
    tmp = Path(Path(f"{gate}.paused").read_text("utf-8"))
    assert (tmp / "events.parquet").exists()  # interrupted with a table half the way out
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    if previous:
        assert "keeps the previous run, unchanged" in err
        assert {p.name: sha256(p) for p in folder.iterdir()} == before
        open_run_folder(folder)
    else:
        assert "nothing was written" in err and not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".run")) == []


def test_two_writers_at_once_one_wins_and_the_folder_is_one_consistent_run(written, tmp_path):
    """Fails if two runs into one folder at once both exit 0 (and interleave their files):
    one must exit 2 naming the other, the other must leave a complete, verified run."""
    folder = tmp_path / "run"
    shutil.copytree(written, folder)
    gate = tmp_path / "gate"
    procs = [_spawn(folder, gate, "--seed", str(seed)) for seed in (11, 12)]
    deadline = time.monotonic() + 120
    while all(p.poll() is None for p in procs):  # the winner waits at the gate
        assert time.monotonic() < deadline, "neither writer was refused"
        time.sleep(0.05)
    loser = next(p for p in procs if p.poll() is not None)
    winner = next(p for p in procs if p is not loser)
    _, err = loser.communicate()
    assert loser.returncode == 2 and "another itr-sim run" in err, err
    gate.write_text("go", encoding="utf-8")
    _, err = winner.communicate(timeout=120)
    assert winner.returncode == 0, err
    meta = open_run_folder(folder).metadata
    assert meta["seed"] == (11 if winner is procs[0] else 12)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".run")) == []


def test_report_replaces_its_own_earlier_report_but_not_a_users_file(written, tmp_path):
    """Fails if `itr-sim report` overwrites a file it did not write (a user's page of the
    same name) without --force, or refuses to refresh a report it wrote itself."""
    page = tmp_path / "report.html"
    page.write_text("<html>the user's own notes</html>", encoding="utf-8")
    refused = runner.invoke(app, ["report", str(written), "-o", str(page)])
    assert refused.exit_code == 2
    assert "exists" in refused.output and "--force" in refused.output
    assert page.read_text("utf-8") == "<html>the user's own notes</html>"
    forced = runner.invoke(app, ["report", str(written), "-o", str(page), "--force"])
    assert forced.exit_code == 0, forced.output
    first = page.read_text("utf-8")
    assert '<meta name="generator" content="itr-sim">' in first
    again = runner.invoke(app, ["report", str(written), "-o", str(page)])
    assert again.exit_code == 0, again.output
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path,
                                                                          monkeypatch):
    """Fails if a failed write truncates the file it was replacing or leaves its temporary
    file behind."""
    from itr_sim import files

    target = tmp_path / "staffed.yaml"
    target.write_text("old: content\n", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(target, "new: content\n")
    assert target.read_text("utf-8") == "old: content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["staffed.yaml"]
    assert files.check_target(target, force=False) is not None
    assert files.check_target(target, force=True) is None
    assert "is a folder" in files.check_target(tmp_path, force=True)


@pytest.mark.parametrize("args", [
    ["report", "{scenario}", "-o", "{file}"],
    ["ola", "{scenario}", "--write", "{file}"],
    ["ola", "{scenario}", "--report", "{file}"],
    ["staff", "{scenario}", "--write", "{file}"],
    ["sweep", "{scenario}", "--grid", "seed=1", "--out", "{file}"],
    ["headroom", "{scenario}", "--level", "platinum", "--staffing", "reoptimised",
     "--figure", "{file}"],
    ["check", "{scenario}", "--baseline", ".", "--junit", "{file}"],
    ["check", "{scenario}", "--baseline", ".", "--markdown", "{file}"],
], ids=lambda a: f"{a[0]} {a[-2]}")
def test_no_command_overwrites_a_users_file_without_force(args, tmp_path):
    """Fails if any command that writes one output file replaces a file the user has (one it
    did not write) without --force, or truncates it on the way to refusing."""
    mine = tmp_path / "mine.txt"
    mine.write_text("the user's own file\n", encoding="utf-8")
    line = [a.format(scenario=TRACE, file=mine) for a in args]
    result = runner.invoke(app, line)
    assert result.exit_code == 2, result.output
    assert "exists" in result.output and "--force" in result.output
    assert mine.read_text("utf-8") == "the user's own file\n"


def test_a_run_never_replaces_an_ingested_log_without_force(tmp_path):
    """Fails if `itr-sim run --out DIR` silently replaces a folder that holds an ingested
    ticket log (a newcomer named the fitted scenario like the log's folder, and the run
    wrote over it), or if --force does not let it."""
    import pandas as pd

    from itr_sim.report.runwrite import write_run_folder

    folder = tmp_path / "uci"
    write_run_folder(folder, {"events": pd.DataFrame({"ticket": [0], "time_min": [0.0]})},
                     {"checks": {"cases": 1}}, {"kind": "ingested", "source": "log.csv"})
    before = sorted(p.name for p in folder.iterdir())
    refused = run("--out", str(folder))
    assert refused.exit_code == 2
    assert "holds an ingested ticket log" in refused.output and "--force" in refused.output
    assert sorted(p.name for p in folder.iterdir()) == before
    assert json.loads((folder / "metadata.json").read_text("utf-8"))["kind"] == "ingested"
    assert run("--out", str(folder), "--force").exit_code == 0
    assert "kind" not in json.loads((folder / "metadata.json").read_text("utf-8"))
