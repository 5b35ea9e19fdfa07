"""Speed-up of parallel replications: serial, a local process pool and a dask.distributed
LocalCluster, with 1 and 2 workers, on the baseline (one year, 8 replications).

    .venv/bin/python bench/parallel.py    # prints JSON; docs/performance.md quotes it
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    loaded = load_scenario(ROOT / "scenarios" / "baseline.yaml", sets={"horizon": "52w"})
    timings = {}
    reference = None
    for label, kwargs in (("serial", {}), ("process x1", {"jobs": 1}),
                          ("process x2", {"jobs": 2}),
                          ("dask x1", {"jobs": 1, "executor": "dask"}),
                          ("dask x2", {"jobs": 2, "executor": "dask"})):
        started = time.perf_counter()
        result = run_scenario(loaded, replications=8, **kwargs)
        timings[label] = time.perf_counter() - started
        events = result.events()
        if reference is None:
            reference = events
        else:
            pd.testing.assert_frame_equal(reference, events)  # identical to the serial run
    print(json.dumps({"seconds": timings,
                      "speedup_process_2": timings["serial"] / timings["process x2"],
                      "speedup_dask_2_vs_1": timings["dask x1"] / timings["dask x2"]},
                     indent=2))


if __name__ == "__main__":
    main()
