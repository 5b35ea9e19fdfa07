"""Replications: independent random streams, warm-up, run metadata.

Replications run serially, in a local process pool (``jobs``) or on a dask.distributed
cluster; each has its own seed, so the results do not depend on where it ran.

Replication ``r`` uses the ``r``-th child of ``SeedSequence(seed).spawn(R)``; inside it, each
random source (arrivals per customer, handling, routing and waiting per unit, parts,
complaints, closure) has its own child keyed by source and name, so scenarios that share
customers and units share their random numbers (common random numbers).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import platform
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.engine.arrivals import Arrivals, read_trace
from itr_sim.engine.log import Event
from itr_sim.engine.simulation import Replication, ReplicationResult, Sink, scenario_origin
from itr_sim.model.load import LoadedScenario

__all__ = ["ExecutorUnavailable", "RunResult", "dask_client", "process_pool", "require_dask",
           "run_scenario", "scenario_hash"]


def scenario_hash(loaded: LoadedScenario) -> str:
    """SHA-256 of the validated scenario and catalogue (canonical JSON): two runs with the
    same hash and seed give the same results."""
    body = json.dumps({"scenario": loaded.scenario.model_dump(mode="json"),
                       "catalog": loaded.catalog.model_dump(mode="json")},
                      sort_keys=True, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("itr-sim", "simpy", "numpy", "pandas", "pydantic", "scipy", "holidays",
                    "pyarrow"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            out[package] = "unknown"
    return out


@dataclass
class RunResult:
    """All replications of one run."""

    loaded: LoadedScenario
    seed: int
    replications: list[ReplicationResult]
    metadata: dict[str, Any] = field(default_factory=dict)
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False,
                                             compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_frames": {}}  # the frames are rebuilt, never shipped

    def _frame(self, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """``build()`` once per run (the analysis, the summary and the run folder all ask
        for the log); a shallow copy each time, which copy-on-write keeps independent."""
        if name not in self._frames:
            self._frames[name] = build()
        return self._frames[name].copy(deep=False)

    def events(self) -> pd.DataFrame:
        """The event log of every replication, with a ``replication`` column."""
        return self._frame("events", self._events)

    def _events(self) -> pd.DataFrame:
        frames = []
        for rep in self.replications:
            frame = rep.log.to_frame(rep.origin)
            frame.insert(0, "replication", rep.replication)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def tickets(self) -> pd.DataFrame:
        """One row per ticket and replication, with ``warmup`` marking tickets that arrived
        during the warm-up (left out of KPIs) and ``closed`` whether it was closed."""
        return self._frame("tickets", self._tickets)

    def _tickets(self) -> pd.DataFrame:
        frames = []
        for rep in self.replications:
            frame = rep.tickets.to_frame()
            closed = np.zeros(len(frame), dtype=bool)
            log = rep.log
            closed[log.ticket_ids[log.event == Event.CLOSED]] = True
            frame["closed"] = closed
            frame["warmup"] = frame["arrived_min"] < rep.warmup_min
            frame.insert(0, "replication", rep.replication)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


SinkFactory = Callable[[int], Sink]
"""Makes the sink of replication r (streaming mode); pickled to process pools and Dask."""


def _replicate(loaded: LoadedScenario, seeds: np.random.SeedSequence, r: int,
               arrivals: Arrivals | None, sink: SinkFactory | None = None) -> ReplicationResult:
    """One replication; a module-level function so that process pools and Dask can ship it."""
    return Replication(loaded, seeds, r, arrivals, None if sink is None else sink(r)).run()


def run_scenario(loaded: LoadedScenario, *, replications: int | None = None,
                 seed: int | None = None, arrivals: Arrivals | None = None,
                 progress: Callable[[int, int], None] | None = None, jobs: int = 1,
                 executor: str = "process", scheduler: str | None = None,
                 sink: SinkFactory | None = None) -> RunResult:
    """Run the scenario's replications. ``jobs`` > 1 runs them in a local process pool;
    ``executor="dask"`` sends them to a dask.distributed scheduler (``scheduler`` address, or
    a local cluster of ``jobs`` workers when None). Every replication has its own seed, so
    the results are identical to a serial run. ``arrivals`` replays a trace. With ``sink``
    (streaming mode) each replication hands its finished tickets' rows to ``sink(r)`` as it
    goes and keeps no log (see :mod:`itr_sim.analysis.streaming`)."""
    sc = loaded.scenario
    if arrivals is None and sc.demand.trace is not None:
        horizon = sc.horizon.minutes
        arrivals = read_trace(loaded.path.parent / sc.demand.trace.file, sc, loaded.catalog,
                              scenario_origin(loaded), horizon)
    n = replications or sc.replications
    root_seed = sc.seed if seed is None else seed
    children = np.random.SeedSequence(root_seed).spawn(n)
    if executor not in ("process", "dask"):
        raise ValueError(f"executor must be process or dask, got {executor!r}")
    if executor == "dask":
        results = _on_dask(loaded, children, arrivals, jobs, scheduler, progress, sink)
    elif jobs > 1 and n > 1:
        results = _on_pool(loaded, children, arrivals, jobs, progress, sink)
    else:
        results = []
        for r, child in enumerate(children):
            results.append(_replicate(loaded, child, r, arrivals, sink))
            if progress is not None:
                progress(r + 1, n)
    metadata = {
        "scenario": sc.scenario,
        "scenario_file": str(loaded.path),
        "catalog_file": str(loaded.catalog_path),
        "scenario_hash": scenario_hash(loaded),
        "seed": root_seed,
        "replications": n,
        "horizon_min": sc.horizon.minutes,
        "warmup_min": sc.warmup.minutes,
        "start": sc.start.isoformat(),
        "timezone": sc.organisation.timezone,
        "executor": "dask" if executor == "dask" else ("process" if jobs > 1 else "serial"),
        "streamed": sink is not None,
        "jobs": jobs,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    return RunResult(loaded, root_seed, results, metadata)


def _on_pool(loaded: LoadedScenario, children: list[np.random.SeedSequence],
             arrivals: Arrivals | None, jobs: int,
             progress: Callable[[int, int], None] | None,
             sink: SinkFactory | None) -> list[ReplicationResult]:
    """``jobs`` processes at work: a pool of ``jobs - 1`` fresh ones, and this one, which has
    everything imported already and so starts at once. The pool is given the replications
    in order; this process takes them from the end, each one the pool has not started yet,
    until the two meet."""
    n = len(children)
    results: list[ReplicationResult | None] = [None] * n
    done = 0

    def finished(r: int, result: ReplicationResult) -> None:
        nonlocal done
        results[r] = result
        done += 1
        if progress is not None:
            progress(done, n)

    with process_pool(jobs - 1) as pool:
        futures = {pool.submit(_replicate, loaded, child, r, arrivals, sink): r
                   for r, child in enumerate(children)}
        by_index = {r: f for f, r in futures.items()}
        for r in range(n - 1, -1, -1):
            if not by_index[r].cancel():
                break  # the pool has it (and every one before it)
            del futures[by_index[r]]
            finished(r, _replicate(loaded, children[r], r, arrivals, sink))
        for future in as_completed(futures):
            finished(futures[future], future.result())
    return [r for r in results if r is not None]


class ExecutorUnavailable(RuntimeError):
    """An executor was asked for whose optional dependency is not installed."""


def require_dask() -> None:
    """Raise :class:`ExecutorUnavailable` unless dask.distributed can be imported."""
    if importlib.util.find_spec("distributed") is None:
        raise ExecutorUnavailable("the dask executor needs dask.distributed, which is not "
                                  "installed: pip install 'itr-sim[dask]'")


@contextmanager
def dask_client(jobs: int, scheduler: str | None) -> Iterator[Any]:
    """A dask.distributed client: of the scheduler at ``scheduler``, or of a local cluster of
    ``jobs`` single-threaded worker processes, closed on exit."""
    require_dask()
    from distributed import Client, LocalCluster

    cluster = None if scheduler is not None else LocalCluster(
        n_workers=max(jobs, 1), threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of ``jobs`` processes started fresh (spawn), as replications and searches use."""
    return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"))


def _on_dask(loaded: LoadedScenario, children: list[np.random.SeedSequence],
             arrivals: Arrivals | None, jobs: int, scheduler: str | None,
             progress: Callable[[int, int], None] | None,
             sink: SinkFactory | None) -> list[ReplicationResult]:
    require_dask()
    from distributed import as_completed as dask_completed

    with dask_client(jobs, scheduler) as client:
        futures = [client.submit(_replicate, loaded, child, r, arrivals, sink, pure=False)
                   for r, child in enumerate(children)]
        order = {f.key: i for i, f in enumerate(futures)}
        results: list[ReplicationResult | None] = [None] * len(children)
        for done, future in enumerate(dask_completed(futures), 1):
            results[order[future.key]] = future.result()
            if progress is not None:
                progress(done, len(children))
    return [r for r in results if r is not None]
