"""Where the time goes: pyinstrument over one replication with its clock table, on B' (100k
arrivals) and D (5 weeks), self time summed by part of the code (built-in calls such as
``list.append`` or ``heapq.heappush`` count for the code that made them).

    .venv/bin/python bench/profile.py    # prints a Markdown table; docs/performance.md quotes it
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pyinstrument import Profiler

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

HERE = Path(__file__).parent
WORKLOADS = {"B' (100k arrivals)": ("network.yaml", "2500h"),
             "D (5 weeks)": ("large_vendor.yaml", "5w")}
PARTS = (  # (part, substrings of the file path), first match wins
    ("SimPy event loop", ("simpy",)),
    ("event-log writes", ("engine/log.py",)),
    ("calendar arithmetic", ("calendar.py", "rules/coverage.py")),
    ("clock table", ("analysis/",)),
    ("engine logic", ("itr_sim/engine", "itr_sim/rules")),
    ("NumPy and pandas", ("numpy", "pandas")),
)


def part(path: str) -> str:
    for name, needles in PARTS:
        if any(n in path for n in needles):
            return name
    return "other (loading, start-up)"


def shares(yaml: str, horizon: str) -> dict[str, float]:
    loaded = load_scenario(HERE / "workloads" / yaml, sets={"horizon": horizon})
    profiler = Profiler(interval=0.0005)
    profiler.start()
    run_clocks(run_scenario(loaded, replications=1))
    profiler.stop()
    totals: dict[str, float] = defaultdict(float)
    stack = [(profiler.last_session.root_frame(), "")]
    while stack:
        frame, parent = stack.pop()
        if frame is None:
            continue
        path = frame.file_path or ""
        if not path or path.startswith("<"):
            path = parent  # "[self]" and built-in frames count for the code that called them
        stack.extend((child, path) for child in frame.children)
        totals[part(path)] += frame.time - sum(c.time for c in frame.children)
    whole = sum(totals.values())
    return {k: v / whole for k, v in totals.items()}


def main() -> None:
    results = {name: shares(*spec) for name, spec in WORKLOADS.items()}
    names = [n for n, _ in PARTS] + ["other (loading, start-up)"]
    print("| | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{r.get(name, 0.0):.0%}" for r in results.values())
              + " |")


if __name__ == "__main__":
    main()
