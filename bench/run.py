"""Benchmarks: itr-sim against Ciw and a minimal hand-written SimPy model, in one run.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/run.py [--runs 5] [--quick] [--out bench/results.json]

Workloads (docs/performance.md): A, M/M/11 with 1M customers; B', the three-tier network
with 500k arrivals; C, the baseline over one year with clocks and KPIs; D, a large vendor with
about 1M tickets a year. A and B' run on all three tools; C and D only on itr-sim (the others
cannot express calendars, SLA clocks or spare parts). Each figure is the median of ``--runs``
runs with min and max; ratios compare itr-sim with the others measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ciw
import simpy

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.streaming import run_streaming
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

HERE = Path(__file__).parent
ROOT = HERE.parent


# -- minimal SimPy models -----------------------------------------------------------------

def simpy_mmc(customers: int, rate: float, mean: float, servers: int, seed: int) -> float:
    rng = random.Random(seed)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        arrived = env.now
        with desk.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / mean))

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(customers):
            yield env.timeout(rng.expovariate(rate))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return sum(waits) / len(waits)


def simpy_network(customers: int, seed: int) -> float:
    rng = random.Random(seed)
    env = simpy.Environment()
    tiers = [(simpy.Resource(env, capacity=c), mean) for c, mean in
             ((12, 15.0), (5, 60.0), (2, 240.0))]
    waits: list[float] = []

    def ticket(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for level, (res, mean) in enumerate(tiers):
            queued = env.now
            with res.request() as req:
                yield req
                waits.append(env.now - queued)
                yield env.timeout(rng.expovariate(1 / mean))
            if level == 2 or rng.random() >= 0.1:
                return

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(customers):
            yield env.timeout(rng.expovariate(40 / 60))
            env.process(ticket(env))

    env.process(source(env))
    env.run()
    return sum(waits) / len(waits)


# -- Ciw models ------------------------------------------------------------------------------

def ciw_mmc(customers: int, rate: float, mean: float, servers: int, seed: int) -> float:
    ciw.seed(seed)
    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate)],
                             service_distributions=[ciw.dists.Exponential(1 / mean)],
                             number_of_servers=[servers])
    sim = ciw.Simulation(net)
    sim.simulate_until_max_customers(customers, method="Arrive")
    recs = sim.get_all_records()
    return sum(r.waiting_time for r in recs) / len(recs)


def ciw_network(customers: int, seed: int) -> float:
    ciw.seed(seed)
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(40 / 60), None, None],
        service_distributions=[ciw.dists.Exponential(1 / 15), ciw.dists.Exponential(1 / 60),
                               ciw.dists.Exponential(1 / 240)],
        routing=[[0.0, 0.1, 0.0], [0.0, 0.0, 0.1], [0.0, 0.0, 0.0]],
        number_of_servers=[12, 5, 2])
    sim = ciw.Simulation(net)
    sim.simulate_until_max_customers(customers, method="Arrive")
    recs = sim.get_all_records()
    return sum(r.waiting_time for r in recs) / len(recs)


# -- itr-sim -------------------------------------------------------------------------------

def itr(path: Path, sets: dict[str, Any], *, clocks: bool, kpis: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    loaded = load_scenario(path, sets=sets)
    result = run_scenario(loaded, replications=1)
    engine = time.perf_counter() - started
    rep = result.replications[0]
    tickets = len(rep.tickets)
    if kpis:
        analyse(result)
    elif clocks:
        run_clocks(result)
    return {"seconds": time.perf_counter() - started, "engine_seconds": engine,
            "tickets": tickets, "events": len(rep.log)}


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "rounds": list(values)}


def memory_per_ticket(path: Path, horizons: list[str], *, stream: bool
                      ) -> list[dict[str, float]]:
    """Peak Python memory of one replication at growing horizons (tracemalloc), with the
    full event log or in streaming mode."""
    rows = []
    for horizon in horizons:
        tracemalloc.start()
        loaded = load_scenario(path, sets={"horizon": horizon, "warmup": "0m"})
        if stream:
            result, _ = run_streaming(loaded, replications=1)
        else:
            result = run_scenario(loaded, replications=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rep = result.replications[0]
        tickets = len(rep.tickets)
        rows.append({"horizon": horizon, "tickets": tickets, "peak_mb": peak / 2**20,
                     "kb_per_ticket": peak / 1024 / tickets,
                     "peak_log_rows": rep.peak_log_rows})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10x smaller workloads")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_a, n_b = 1_000_000 // scale, 500_000 // scale
    hours_a = n_a / 9.5
    hours_b = n_b / 40
    results: dict[str, Any] = {"machine": platform.machine(), "python": platform.python_version(),
                               "runs": args.runs, "quick": args.quick, "workloads": {}}
    w = results["workloads"]

    a: dict[str, list[float]] = {"itr_sim": [], "itr_sim_engine": [], "ciw": [], "simpy": []}
    for run in range(args.runs):
        r = itr(HERE / "workloads" / "mm11.yaml", {"horizon": f"{hours_a:.0f}h"}, clocks=True)
        a["itr_sim"].append(r["seconds"])
        a["itr_sim_engine"].append(r["engine_seconds"])
        a["ciw"].append(timed(lambda run=run: ciw_mmc(n_a, 9.5 / 60, 60.0, 11, run)))
        a["simpy"].append(timed(lambda run=run: simpy_mmc(n_a, 9.5 / 60, 60.0, 11, run)))
    w["A"] = {"customers": n_a, "itr_sim_tickets": r["tickets"],
              **{k: stats(v) for k, v in a.items()}}

    b: dict[str, list[float]] = {"itr_sim": [], "itr_sim_engine": [], "ciw": [], "simpy": []}
    for run in range(args.runs):
        r = itr(HERE / "workloads" / "network.yaml", {"horizon": f"{hours_b:.0f}h"},
                clocks=True)
        b["itr_sim"].append(r["seconds"])
        b["itr_sim_engine"].append(r["engine_seconds"])
        b["ciw"].append(timed(lambda run=run: ciw_network(n_b, run)))
        b["simpy"].append(timed(lambda run=run: simpy_network(n_b, run)))
    w["B'"] = {"arrivals": n_b, "itr_sim_tickets": r["tickets"],
               **{k: stats(v) for k, v in b.items()}}

    c: dict[str, list[float]] = {"itr_sim": [], "itr_sim_engine": []}
    for _ in range(args.runs):
        r = itr(ROOT / "scenarios" / "baseline.yaml", {"horizon": "52w"}, clocks=False,
                kpis=True)
        c["itr_sim"].append(r["seconds"])
        c["itr_sim_engine"].append(r["engine_seconds"])
    w["C"] = {"tickets": r["tickets"], **{k: stats(v) for k, v in c.items()}}

    d: dict[str, list[float]] = {"itr_sim": [], "itr_sim_engine": []}
    sets = {"horizon": "52w"} if not args.quick else {"horizon": "5w"}
    for _ in range(args.runs):
        r = itr(HERE / "workloads" / "large_vendor.yaml", sets, clocks=True)
        d["itr_sim"].append(r["seconds"])
        d["itr_sim_engine"].append(r["engine_seconds"])
    w["D"] = {"tickets": r["tickets"], **{k: stats(v) for k, v in d.items()}}

    horizons = ["13w", "26w", "52w", "104w"]
    results["memory"] = memory_per_ticket(ROOT / "scenarios" / "baseline.yaml", horizons,
                                          stream=False)
    results["memory_streaming"] = memory_per_ticket(ROOT / "scenarios" / "baseline.yaml",
                                                    horizons, stream=True)
    for name in ("A", "B'"):
        x = w[name]
        x["ratio_vs_ciw"] = x["ciw"]["median"] / x["itr_sim"]["median"]
        x["ratio_vs_simpy"] = x["simpy"]["median"] / x["itr_sim"]["median"]
        x["engine_ratio_vs_ciw"] = x["ciw"]["median"] / x["itr_sim_engine"]["median"]
        x["engine_ratio_vs_simpy"] = x["simpy"]["median"] / x["itr_sim_engine"]["median"]
        for other in ("ciw", "simpy"):  # the ratio of each round (tools interleaved)
            per = [o / i for o, i in zip(x[other]["rounds"], x["itr_sim"]["rounds"],
                                         strict=True)]
            x[f"ratio_vs_{other}_rounds"] = per
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
