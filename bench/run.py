"""Benchmarks: itr-sim against Ciw and a minimal hand-written SimPy model, in one run.

    .venv/bin/pip install -e ".[bench,dask]"
    .venv/bin/python bench/run.py [--runs 5] [--only "B',userpath"] [--quick] [--out FILE]

Workloads (docs/performance.md), picked by name with ``--only`` (default: all):

* ``A``: M/M/11 with 1M customers; ``B'``: the three-tier network with 500k arrivals. itr-sim
  (engine, and with SLA clocks), Ciw and the minimal SimPy model, in this process.
* ``userpath``: what a user runs, ``itr-sim run network.yaml --json`` with 200k arrivals (one
  replication, all KPIs), against the SimPy and Ciw models of the same 200k arrivals, each a
  fresh process: CPU time including start-up.
* ``C``: the baseline over one year, all KPIs; ``D``: a large vendor, about 1M tickets a
  year, with clocks (in this process).
* ``baseline-run``: ``itr-sim run scenarios/baseline.yaml --out DIR`` (10 replications of 13
  weeks, KPIs and run folder); ``vendor-run``: the large vendor, one replication of a year
  with its run folder; ``staff``: ``itr-sim staff scenarios/baseline.yaml`` (2 processes).
  Each a fresh process.
* ``memory``: peak Python memory of the baseline by horizon, full log and streaming.

Every round of every tool is kept (CPU and wall seconds); in each round the tools of a
workload run one after another, starting with a different one each round, so that load from
elsewhere falls on all of them alike. Ratios are other / itr-sim on CPU time, per round and of
the medians. ``bench/report.py`` renders the file into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ITR_SIM = Path(sys.executable).with_name("itr-sim")
MODELS = HERE / "models.py"

Measure = dict[str, Any]
"""One round of one tool: ``cpu`` and ``wall`` seconds, and anything else it reports."""


# -- how a tool is timed --------------------------------------------------------------------

def in_process(fn: Callable[[], dict[str, Any] | None]) -> Measure:
    """CPU (this process, all threads) and wall seconds of ``fn()``, with what it returns."""
    cpu, wall = time.process_time(), time.perf_counter()
    extra = fn() or {}
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall, **extra}


def in_subprocess(argv: list[str]) -> Measure:
    """CPU (the process and its children, start-up included) and wall seconds of a
    command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=ROOT)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu": cpu, "wall": wall}


def model(name: str, customers: int, seed: int) -> Measure:
    """A comparison model (bench/models.py) in a fresh process."""
    return in_subprocess([sys.executable, str(MODELS), name, str(customers), str(seed)])


def itr(path: Path, sets: dict[str, str], *, clocks: bool, kpis: bool = False) -> Measure:
    """itr-sim in this process, from reading the YAML: the engine's share as
    ``engine_cpu``/``engine_wall``, then the clock table (or all KPIs)."""
    from itr_sim.analysis.clock_table import run_clocks
    from itr_sim.analysis.summary import analyse
    from itr_sim.engine.replicate import run_scenario
    from itr_sim.model.load import load_scenario

    cpu, wall = time.process_time(), time.perf_counter()
    loaded = load_scenario(path, sets=sets)
    result = run_scenario(loaded, replications=1)
    engine_cpu, engine_wall = time.process_time() - cpu, time.perf_counter() - wall
    rep = result.replications[0]
    if kpis:
        analyse(result)
    elif clocks:
        run_clocks(result)
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
            "engine_cpu": engine_cpu, "engine_wall": engine_wall,
            "tickets": len(rep.tickets), "events": len(rep.log)}


def cli(*args: str) -> Measure:
    """``itr-sim ARGS`` in a fresh process, writing any run folder into a temporary one."""
    with tempfile.TemporaryDirectory() as tmp:
        return in_subprocess([str(ITR_SIM), *[a.replace("{tmp}", tmp) for a in args]])


# -- workloads ------------------------------------------------------------------------------

@dataclass
class Workload:
    description: str
    tools: dict[str, Callable[[int], Measure]]
    """Tool name -> one round (given the round number, used as seed)."""
    info: dict[str, Any] = field(default_factory=dict)
    reference: str = "itr_sim"
    """The tool the others are compared with."""


def workloads(quick: bool) -> dict[str, Workload]:
    scale = 10 if quick else 1
    n_a, n_b, n_user = 1_000_000 // scale, 500_000 // scale, 200_000 // scale
    mm11, network = HERE / "workloads" / "mm11.yaml", HERE / "workloads" / "network.yaml"
    vendor = HERE / "workloads" / "large_vendor.yaml"
    baseline = ROOT / "scenarios" / "baseline.yaml"
    year = "5w" if quick else "52w"

    def a_itr(_: int) -> Measure:
        return itr(mm11, {"horizon": f"{n_a / 9.5:.0f}h"}, clocks=True)

    def b_itr(_: int) -> Measure:
        return itr(network, {"horizon": f"{n_b / 40:.0f}h"}, clocks=True)

    def a_ciw(r: int) -> Measure:
        from models import ciw_mmc
        return in_process(lambda: {"mean_wait": ciw_mmc(n_a, 9.5 / 60, 60.0, 11, r)})

    def a_simpy(r: int) -> Measure:
        from models import simpy_mmc
        return in_process(lambda: {"mean_wait": simpy_mmc(n_a, 9.5 / 60, 60.0, 11, r)})

    def b_ciw(r: int) -> Measure:
        from models import ciw_network
        return in_process(lambda: {"mean_wait": ciw_network(n_b, r)})

    def b_simpy(r: int) -> Measure:
        from models import simpy_network
        return in_process(lambda: {"mean_wait": simpy_network(n_b, r)})

    return {
        "A": Workload(f"M/M/11, {n_a:,} customers (9.5/h, 1 h mean service)",
                      {"itr_sim": a_itr, "ciw": a_ciw, "simpy": a_simpy},
                      {"customers": n_a}),
        "B'": Workload(f"three-tier network, {n_b:,} arrivals (12/5/2 agents; 15 min / 60 min"
                       " / 4 h; 10% escalated at each step)",
                       {"itr_sim": b_itr, "ciw": b_ciw, "simpy": b_simpy}, {"arrivals": n_b}),
        "userpath": Workload(
            f"the user's path: `itr-sim run network.yaml --json`, {n_user:,} arrivals, one "
            "replication, all KPIs, CPU including start-up; the others in fresh processes too",
            {"itr_sim": lambda _: cli("run", str(network), "--json", "--set",
                                      f"horizon={n_user / 40:.0f}h"),
             "ciw": lambda r: model("ciw_network", n_user, r),
             "simpy": lambda r: model("simpy_network", n_user, r)},
            {"arrivals": n_user}),
        "C": Workload(f"the baseline over {year}, calendars, all KPIs",
                      {"itr_sim": lambda _: itr(baseline, {"horizon": year}, clocks=False,
                                                kpis=True)}),
        "D": Workload(f"a large vendor over {year}, with clocks",
                      {"itr_sim": lambda _: itr(vendor, {"horizon": year}, clocks=True)}),
        "baseline-run": Workload(
            "`itr-sim run scenarios/baseline.yaml --out DIR` (10 replications of 13 weeks, "
            "KPIs and run folder), a fresh process",
            {"itr_sim": lambda _: cli("run", str(baseline), "--out", "{tmp}/run",
                                      *(["-n", "2"] if quick else []))}),
        "vendor-run": Workload(
            f"`itr-sim run large_vendor.yaml -n 1 --out DIR` over {year} (all KPIs and run "
            "folder), a fresh process",
            {"itr_sim": lambda _: cli("run", str(vendor), "-n", "1", "--set",
                                      f"horizon={year}", "--out", "{tmp}/run")}),
        "staff": Workload(
            "`itr-sim staff scenarios/baseline.yaml --jobs 2` (13 weeks, 10 replications per "
            "evaluation), a fresh process",
            {"itr_sim": lambda _: cli("staff", str(baseline), "--jobs", "2",
                                      *(["-n", "2", "--max-evaluations", "6"] if quick
                                        else []))}),
    }


# -- rounds and figures ---------------------------------------------------------------------

def stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(w: Workload, runs: int) -> dict[str, Any]:
    """``runs`` rounds of every tool of ``w``, the tools in a rotated order each round."""
    names = list(w.tools)
    rounds: dict[str, list[Measure]] = {name: [] for name in names}
    for r in range(runs):
        for name in names[r % len(names):] + names[:r % len(names)]:
            rounds[name].append(w.tools[name](r))
            print(f"  round {r + 1}/{runs} {name}: {rounds[name][-1]['cpu']:.2f} s CPU, "
                  f"{rounds[name][-1]['wall']:.2f} s wall", flush=True)
    tools: dict[str, Any] = {}
    for name, ms in rounds.items():
        tools[name] = {"rounds": ms, "cpu": stats([m["cpu"] for m in ms]),
                       "wall": stats([m["wall"] for m in ms])}
        if "engine_cpu" in ms[0]:  # the engine's share of the same runs
            tools[f"{name}_engine"] = {
                "rounds": [{"cpu": m["engine_cpu"], "wall": m["engine_wall"]} for m in ms],
                "cpu": stats([m["engine_cpu"] for m in ms]),
                "wall": stats([m["engine_wall"] for m in ms])}
    out: dict[str, Any] = {"description": w.description, **w.info, "tools": tools}
    first = rounds[w.reference][0]
    for key in ("tickets", "events"):
        if key in first:
            out[key] = first[key]
    ratios = {}
    for ref in [t for t in tools if t.startswith(w.reference)]:
        for other in (t for t in names if t != w.reference):
            per = [o["cpu"] / i["cpu"] for o, i in zip(tools[other]["rounds"],
                                                        tools[ref]["rounds"], strict=True)]
            ratios[f"{other}/{ref}"] = {
                "of_medians": tools[other]["cpu"]["median"] / tools[ref]["cpu"]["median"],
                "rounds": per, **stats(per)}
    if ratios:
        out["cpu_ratios"] = ratios
    return out


def memory_per_ticket(path: Path, horizons: list[str], *, stream: bool
                      ) -> list[dict[str, float]]:
    """Peak Python memory of one replication at growing horizons (tracemalloc), with the
    full event log or in streaming mode."""
    from itr_sim.analysis.streaming import run_streaming
    from itr_sim.engine.replicate import run_scenario
    from itr_sim.model.load import load_scenario

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
    parser.add_argument("--only", default="",
                        help="comma-separated workload names (default: all, and memory)")
    parser.add_argument("--quick", action="store_true", help="10x smaller workloads")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))  # bench/models.py
    every = workloads(args.quick)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or [*every, "memory"]
    unknown = [n for n in names if n not in every and n != "memory"]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from "
                     f"{', '.join([*every, 'memory'])}")
    results: dict[str, Any] = {
        "machine": platform.machine(), "cpus": os.cpu_count(),
        "python": platform.python_version(), "runs": args.runs, "quick": args.quick,
        "load_before": os.getloadavg(), "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                     time.gmtime()),
        "workloads": {}}
    for name in names:
        if name == "memory":
            continue
        print(f"{name}: {every[name].description}", flush=True)
        results["workloads"][name] = measure(every[name], args.runs)
    if "memory" in names:
        horizons = ["13w", "26w", "52w", "104w"]
        baseline = ROOT / "scenarios" / "baseline.yaml"
        results["memory"] = memory_per_ticket(baseline, horizons, stream=False)
        results["memory_streaming"] = memory_per_ticket(baseline, horizons, stream=True)
    results["load_after"] = os.getloadavg()
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
