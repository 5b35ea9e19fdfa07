"""Speed-up of parallel runs: 8 replications of the baseline over 52 weeks, serial, with
``jobs=2`` (this process beside a pool of one) and on a dask.distributed LocalCluster of 1 and
2 workers; and a sweep of 4 points (13 weeks, 10 replications each) serial, on a process pool
of 2 and on a LocalCluster of 2. Every mode must give the serial result.

Wall time is what a speed-up means, but it is only meaningful on an otherwise idle machine;
the CPU seconds of this process and of its finished children are recorded beside it, with the
load average, so that a run on a busy machine still says where the time went (the critical
path on two idle cores is about the larger of the two CPU figures).

    .venv/bin/python bench/parallel.py [--rounds 3] [--out bench/parallel.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Worker processes start by running this file again (spawn), as they run the `itr-sim`
# script for the command: so it imports nothing heavy at its top, like the script.

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
GRID = {"horizon": ["13w"], "organisation.tiers.L1.shifts.0.agents": [3, 4, 5, 6]}


def timed(fn: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """``fn()`` with its wall seconds, this process's CPU seconds and its finished
    children's CPU seconds (worker processes, once the pool or cluster is closed)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, {"wall": time.perf_counter() - wall, "cpu_self": time.process_time() - cpu,
                 "cpu_children": (after.ru_utime - kids.ru_utime)
                 + (after.ru_stime - kids.ru_stime), "load": os.getloadavg()[0]}


def replications(rounds: int) -> dict[str, list[dict[str, float]]]:
    import pandas as pd

    from itr_sim.engine.replicate import run_scenario
    from itr_sim.model.load import load_scenario

    loaded = load_scenario(BASELINE, sets={"horizon": "52w"})
    modes: dict[str, dict[str, Any]] = {
        "serial": {}, "jobs 2": {"jobs": 2}, "dask 1": {"jobs": 1, "executor": "dask"},
        "dask 2": {"jobs": 2, "executor": "dask"}}
    out: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    reference = None
    for r in range(rounds):
        names = list(modes)[r % len(modes):] + list(modes)[:r % len(modes)]
        for name in names:
            result, t = timed(lambda kw=modes[name]: run_scenario(loaded, replications=8, **kw))
            events = result.events()
            if reference is None:
                reference = events
            pd.testing.assert_frame_equal(reference, events)  # the serial run's log
            out[name].append(t)
            print(f"replications, {name}: {t}", flush=True)
    return out


def sweeps(rounds: int) -> dict[str, list[dict[str, float]]]:
    import pandas as pd

    from itr_sim.analysis.sweep import sweep

    modes: dict[str, dict[str, Any]] = {"serial": {}, "process 2": {"jobs": 2},
                                        "dask 2": {"jobs": 2, "executor": "dask"}}
    out: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    reference = None
    for r in range(rounds):
        names = list(modes)[r % len(modes):] + list(modes)[:r % len(modes)]
        for name in names:
            table, t = timed(lambda kw=modes[name]: sweep(BASELINE, GRID, **kw))
            if reference is None:
                reference = table
            pd.testing.assert_frame_equal(reference, table)  # the serial sweep's rows
            out[name].append(t)
            print(f"sweep, {name}: {t}", flush=True)
    return out


def speedups(times: dict[str, list[dict[str, float]]], serial: str = "serial"
             ) -> dict[str, list[float]]:
    """Wall-time speed-up of each mode against the serial run of the same round."""
    return {name: [s["wall"] / t["wall"] for s, t in zip(times[serial], ts, strict=True)]
            for name, ts in times.items() if name != serial}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "parallel.json")
    args = parser.parse_args()
    reps, grid = replications(args.rounds), sweeps(args.rounds)
    body = {"cpus": os.cpu_count(), "rounds": args.rounds,
            "replications": {"workload": "baseline, 52 weeks x 8 replications", "modes": reps,
                             "speedup": speedups(reps)},
            "sweep": {"workload": "baseline, 13 weeks x 10 replications, 4 points",
                      "modes": grid, "speedup": speedups(grid)}}
    args.out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: body[k]["speedup"] for k in ("replications", "sweep")}, indent=2))


if __name__ == "__main__":
    main()
