"""Speed-up of parallel replications: serial, a local process pool of 2 and a
dask.distributed LocalCluster with 1 and 2 workers, on two workloads: the baseline over one
year (8 short replications, about 0.5 s each) and the large vendor over 8 weeks (4 long ones,
about 3 s each). Every mode must give the serial run's event log.

    .venv/bin/python bench/parallel.py    # prints JSON; docs/performance.md quotes it
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = {
    "baseline, 52 weeks x 8": (ROOT / "scenarios" / "baseline.yaml", {"horizon": "52w"}, 8),
    "large vendor, 8 weeks x 4": (ROOT / "bench" / "workloads" / "large_vendor.yaml",
                                  {"horizon": "8w"}, 4),
}


def measure(path: Path, sets: dict[str, str], replications: int) -> dict[str, Any]:
    loaded = load_scenario(path, sets=sets)
    timings = {}
    reference = None
    for label, kwargs in (("serial", {}), ("process x2", {"jobs": 2}),
                          ("dask x1", {"jobs": 1, "executor": "dask"}),
                          ("dask x2", {"jobs": 2, "executor": "dask"})):
        started = time.perf_counter()
        result = run_scenario(loaded, replications=replications, **kwargs)
        timings[label] = time.perf_counter() - started
        events = result.events()
        if reference is None:
            reference = events
        else:
            pd.testing.assert_frame_equal(reference, events)  # identical to the serial run
    return {"seconds": timings,
            "speedup_process_2": timings["serial"] / timings["process x2"],
            "speedup_dask_2_vs_1": timings["dask x1"] / timings["dask x2"]}


def main() -> None:
    print(json.dumps({name: measure(*spec) for name, spec in WORKLOADS.items()}, indent=2))


if __name__ == "__main__":
    main()
