"""Start-up cost of the commands a user runs first: CPU time (user + system) of the whole
process, as a shell would start it.

    .venv/bin/python bench/startup.py [--runs 9] [--out bench/startup.json] [--modes ...]

Each round runs every command once (interleaved, so a busy machine weighs on all of them
alike); the CPU time of a run is the rise of ``getrusage(RUSAGE_CHILDREN)`` around it. The
figures are the median and the min-max over the rounds; every raw value is stored. The
target (issue 18, docs/performance.md "Start-up") is under 0.3 s for ``--help`` and
``validate``.

Two modes, both by default: ``bytecode``, as after ``pip install``, with Python's bytecode
caches (``__pycache__``, written by a first unmeasured run even where
``PYTHONDONTWRITEBYTECODE`` is set); ``no-bytecode``, with this checkout's caches removed
and not written (every module of itr-sim compiled from source on each start, as in a
checkout with ``PYTHONDONTWRITEBYTECODE``; libraries keep their caches).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent

COMMANDS: dict[str, list[str]] = {
    "help": ["--help"],
    "validate": ["validate", "scenarios/baseline.yaml"],
    "run-help": ["run", "--help"],
    "schema": ["schema"],
    "version": ["--version"],
}
"""What is measured: a name and the arguments after ``itr-sim``."""

TARGET_S = 0.3
TARGETED = ("help", "validate")


def itr_sim() -> list[str]:
    """The installed ``itr-sim`` script next to this interpreter (what a user runs), else the
    module through this interpreter."""
    script = Path(sys.executable).parent / "itr-sim"
    if script.exists():
        return [str(script)]
    found = shutil.which("itr-sim")
    return [found] if found else [sys.executable, "-m", "itr_sim.cli.main"]


def cpu_of(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one run of ``argv`` from the project
    root; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def child_env(bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def drop_bytecode() -> None:
    """Remove the bytecode caches of this checkout's own modules (``itr_sim/``, ``cli/``);
    libraries keep theirs, as they do after ``pip install``."""
    for folder in ("itr_sim", "cli"):
        for cache in (ROOT / folder).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


def measure(runs: int, names: list[str], bytecode: bool) -> dict[str, dict[str, object]]:
    base, env = itr_sim(), child_env(bytecode)
    if not bytecode:
        drop_bytecode()
    for name in names:  # warm the file cache (and write the bytecode), not measured
        cpu_of([*base, *COMMANDS[name]], env)
    raw: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for _ in range(runs):
        for name in names:
            raw[name].append(cpu_of([*base, *COMMANDS[name]], env))
    out: dict[str, dict[str, object]] = {}
    for name, pairs in raw.items():
        cpu = [c for c, _ in pairs]
        wall = [w for _, w in pairs]
        out[name] = {
            "argv": ["itr-sim", *COMMANDS[name]],
            "cpu_median_s": round(statistics.median(cpu), 4),
            "cpu_min_s": round(min(cpu), 4), "cpu_max_s": round(max(cpu), 4),
            "wall_median_s": round(statistics.median(wall), 4),
            "cpu_s": [round(c, 4) for c in cpu], "wall_s": [round(w, 4) for w in wall],
        }
        if name in TARGETED:
            out[name]["target_s"] = TARGET_S
            out[name]["met"] = statistics.median(cpu) < TARGET_S
    return out


MODES = {"bytecode": True, "no-bytecode": False}
"""With this checkout's bytecode caches (as after ``pip install``) and without them."""


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU time of itr-sim's start-up, per command.")
    parser.add_argument("--runs", type=int, default=9, help="rounds (default 9)")
    parser.add_argument("--out", type=Path, default=HERE / "startup.json",
                        help="where the figures go (default bench/startup.json)")
    parser.add_argument("--only", nargs="+", choices=list(COMMANDS), default=list(COMMANDS),
                        help="measure only these commands")
    parser.add_argument("--modes", nargs="+", choices=list(MODES),
                        default=["no-bytecode", "bytecode"],
                        help="with and/or without bytecode caches (default both)")
    args = parser.parse_args()
    modes = {mode: measure(args.runs, args.only, bytecode=MODES[mode]) for mode in args.modes}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    doc = {
        "what": "CPU time (user + sys) of the whole itr-sim process, per command",
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_1min_at_end": round(load, 2) if load is not None else None,
        "modes": modes,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    for mode, results in modes.items():
        width = max(len(n) for n in results)
        print(mode)
        for name, r in results.items():
            verdict = ""
            if "met" in r:
                verdict = f"  target < {TARGET_S} s: {'met' if r['met'] else 'MISSED'}"
            print(f"  {name:<{width}}  CPU {r['cpu_median_s']:.3f} s "
                  f"({r['cpu_min_s']:.3f}-{r['cpu_max_s']:.3f}), wall "
                  f"{r['wall_median_s']:.3f} s{verdict}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
