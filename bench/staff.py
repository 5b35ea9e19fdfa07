"""Benchmark of `itr-sim staff` on the baseline (13 weeks, 10 replications per evaluation):
evaluations and wall time of whole searches on a process pool, and where the time of one
evaluation goes. Writes bench/staff_results.json (every run's raw values kept);
bench/report.py renders it into docs/performance.md.

    .venv/bin/python bench/staff.py [--runs 2] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def one_evaluation(loaded) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Seconds of the parts of one evaluation of today's roster, in one process."""
    from itr_sim.analysis.clock_table import run_clocks
    from itr_sim.analysis.evaluate import Evaluation, judge
    from itr_sim.analysis.kpis import attainment, service_counts
    from itr_sim.engine.replicate import run_scenario

    t0 = time.perf_counter()
    result = run_scenario(loaded)
    t1 = time.perf_counter()
    tickets = result.tickets()
    clocks = run_clocks(result)
    t2 = time.perf_counter()
    attainment(clocks, tickets)
    service_counts(clocks, tickets)
    t3 = time.perf_counter()
    from itr_sim.analysis.evaluate import evaluate_plan, shift_keys
    agents = {k: 0 for k in shift_keys(loaded)}
    org = loaded.scenario.organisation
    for name, index in agents:
        agents[(name, index)] = {**org.tiers, **org.teams}[name].shifts[index].agents
    e: Evaluation = evaluate_plan(loaded, agents, loaded.scenario.seed,
                                  loaded.scenario.replications)
    t4 = time.perf_counter()
    judge(e, 0.95)
    t5 = time.perf_counter()
    return {"engine_s": t1 - t0, "clocks_s": t2 - t1, "attainment_s": t3 - t2,
            "evaluate_plan_s": t4 - t3, "judge_s": t5 - t4}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench" / "staff_results.json"))
    args = parser.parse_args()
    from itr_sim.analysis.staff import staff
    from itr_sim.model.load import load_scenario

    loaded = load_scenario(BASELINE)
    runs = []
    for _ in range(args.runs):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = staff(loaded, jobs=args.jobs)
        runs.append({"wall_s": time.perf_counter() - wall0,
                     "parent_cpu_s": time.process_time() - cpu0,
                     "evaluations": result.evaluations, "status": result.status,
                     "cost_now": result.cost_now, "cost": result.cost,
                     "unreachable": len(result.unreachable),
                     "missed_out_of_sample": len(result.missed_out_of_sample())})
        print(runs[-1], flush=True)
    parts = one_evaluation(loaded)
    print(parts)
    body = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "python": platform.python_version(), "jobs": args.jobs,
            "scenario": "scenarios/baseline.yaml", "replications_per_evaluation": 10,
            "runs": runs, "one_evaluation": parts}
    Path(args.out).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
