"""Render bench/results.json (from bench/run.py) into docs/performance.md.

    .venv/bin/python bench/report.py [bench/results.json [docs/performance.md]]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


TOOLS = {"itr_sim": "itr-sim", "itr_sim_engine": "itr-sim, engine", "ciw": "Ciw",
         "simpy": "minimal SimPy"}
WITH_CLOCKS = {"A", "B'"}  # workloads whose itr-sim figure is "engine + clock table"


def _cell(s: dict[str, float]) -> str:
    return f"{s['median']:.2f} | {s['min']:.2f} - {s['max']:.2f}"


def workload_section(name: str, w: dict) -> list[str]:
    """A workload: CPU and wall seconds of each tool (median, min - max over the rounds)
    and the CPU ratios other / itr-sim, of the medians and round by round."""
    lines = [f"## {name}: {w['description']}", "",
             "| tool | CPU s (median) | min - max | wall s (median) | min - max |",
             "|---|---|---|---|---|"]
    for tool, t in w["tools"].items():
        label = TOOLS.get(tool, tool)
        if tool == "itr_sim" and name in WITH_CLOCKS:
            label = "itr-sim, with clocks"
        lines.append(f"| {label} | {_cell(t['cpu'])} | {_cell(t['wall'])} |")
    lines.append("")
    ratios = w.get("cpu_ratios", {})
    if ratios:
        said = []
        for key, r in ratios.items():
            other, ref = key.split("/")
            said.append(f"{TOOLS.get(other, other)} / {TOOLS.get(ref, ref)} "
                        f"{r['of_medians']:.2f}x (rounds {r['min']:.2f}-{r['max']:.2f})")
        lines += ["CPU-time ratios, higher is faster for itr-sim: " + "; ".join(said) + ".", ""]
    return lines


def staffing_section(path: Path) -> list[str]:
    """`itr-sim staff` on the baseline, from bench/staff.py, when it has been run."""
    if not path.exists():
        return []
    r = json.loads(path.read_text(encoding="utf-8"))
    runs, parts = r["runs"], r["one_evaluation"]
    walls = [x["wall_s"] for x in runs]
    evals = sorted({x["evaluations"] for x in runs})
    engine, clocks = parts["engine_s"], parts["clocks_s"]
    rest = parts["attainment_s"] + parts["judge_s"]
    total = engine + clocks + rest
    return [
        "## Staffing search",
        "",
        f"`bench/staff.py`: `itr-sim staff` on {r['scenario']} (13 weeks, "
        f"{r['replications_per_evaluation']} replications per evaluation) with "
        f"{r['jobs']} processes, {len(runs)} run(s): "
        f"{', '.join(f'{w:.0f} s' for w in walls)} wall time (min {min(walls):.0f}, max "
        f"{max(walls):.0f}); {', '.join(map(str, evals))} evaluations; target under 5 "
        "minutes. Reproduce with `.venv/bin/python bench/staff.py --runs 2 && "
        ".venv/bin/python bench/report.py`.",
        "",
        f"Where the time goes, one evaluation of today's roster timed part by part in one "
        f"process: the engine's {r['replications_per_evaluation']} replications "
        f"{engine:.1f} s ({engine / total:.0%}), the clock table {clocks:.2f} s "
        f"({clocks / total:.0%}), attainment and the verdicts {rest:.2f} s ({rest / total:.0%})"
        f"; `evaluate_plan` as a whole {parts['evaluate_plan_s']:.1f} s. The "
        "search spends its time in evaluations (one for today's roster, one at the bound, one "
        "start, then one per shift per add or remove round); rosters of one round run in "
        "parallel, so two processes roughly halve the wall time.",
        "",
        *([r["note"], ""] if r.get("note") else []),
    ]

def startup_section(path: Path) -> list[str]:
    """Start-up of `itr-sim --help`, `validate` and others, from bench/startup.py."""
    if not path.exists():
        return []
    r = json.loads(path.read_text(encoding="utf-8"))
    modes = r["modes"]
    names = list(next(iter(modes.values())))

    def cell(mode: str, name: str) -> str:
        c = modes.get(mode, {}).get(name)
        if c is None:
            return "-"
        met = "" if "met" not in c else ", met" if c["met"] else ", **not met**"
        return (f"{c['cpu_median_s']:.3f} ({c['cpu_min_s']:.3f} - {c['cpu_max_s']:.3f})"
                f"{met}")

    return [
        "## Start-up",
        "",
        f"`bench/startup.py`: CPU time (user + system) of the whole `itr-sim` process, "
        f"median of {r['runs']} interleaved rounds with min - max, in seconds ({r['machine']},"
        f" Python {r['python']}; load average {r['load_average_1min_at_end']} at the end: "
        "the machine was shared). *Bytecode*: with Python's `__pycache__`, as after `pip "
        "install`; *none*: every module of itr-sim compiled on each start (a checkout with "
        "`PYTHONDONTWRITEBYTECODE`). Target: under 0.3 s for `--help` and `validate`. "
        "Reproduce with `.venv/bin/python bench/startup.py && .venv/bin/python "
        "bench/report.py`.",
        "",
        "| command | bytecode | none |",
        "|---|---|---|",
        *[f"| `{' '.join(modes[next(iter(modes))][n]['argv'])}` | {cell('bytecode', n)} | "
          f"{cell('no-bytecode', n)} |" for n in names],
        "",
        "Measured the same way before the start-up work (main at 2402d8a, interleaved with "
        "it, no bytecode): `--help` 0.21 s, `validate` 0.62 s, `run --help` 1.68 s, `schema` "
        "0.46 s. What changed, by its gain for `validate` (each measured alone, about): "
        "holiday countries are checked from the `holidays` registry, without importing every "
        "country's module or the package itself, -0.10 s; NumPy is imported only where arrays "
        "are made (calendar array methods, distributions, traces; the visit rates are solved "
        "in plain Python), -0.10 s; pydantic validators are built on first use "
        "(`defer_build`), -0.07 s; the garbage collector's last pass at exit is skipped "
        "(`gc.freeze` at exit), -0.05 s; YAML is read with libyaml's parser where it agrees "
        "with PyYAML's (anything else is read by PyYAML, so values, lines and messages are "
        "unchanged), -0.03 s; rich is imported only for spinners, -0.02 s. "
        "`tests/test_startup.py` fails if `validate` loads NumPy, pandas, SciPy, matplotlib, "
        "SimPy, pyarrow, holidays or rich, or `--help` pydantic.",
        "",
        "What is left in `validate` (about 0.25 s): the interpreter 0.02, Typer 0.04, "
        "pydantic 0.06, the models 0.03, building the catalogue's and the scenario's "
        "validators 0.05, reading and checking the four files 0.02, the rest Typer's option "
        "parsing and exit. `run --help` imports the command's module, and with it pandas "
        "(0.27 s) and `scipy.special` (the t quantile and the Wilson interval; "
        "`scipy.stats`, 0.4 s more, is no longer on the run path): to be made lazy in "
        "`cli/run.py`.",
        "",
    ]



def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "results.json"
    r = json.loads(source.read_text(encoding="utf-8"))
    notes = (ROOT / "bench" / "notes.md").read_text(encoding="utf-8")
    lines = [
        "# Performance",
        "",
        "Measured by `bench/run.py` in one run on this project's machine type "
        f"({r.get('cpus', 2)} cores; {r['machine']}, Python {r['python']}), {r['runs']} rounds"
        " per figure, every round kept in bench/results.json: median, with min - max, in "
        "seconds of CPU time (the figure compared) and of wall-clock time. In each round the "
        "tools of a workload run one after another, starting with a different one each round, "
        "so that load from elsewhere falls on all of them alike (load average "
        f"{r['load_before'][0]:.1f} before, {r['load_after'][0]:.1f} after). Reproduce with",
        "",
        "```",
        '.venv/bin/pip install -e ".[bench,dask]"',
        f".venv/bin/python bench/run.py --runs {r['runs']}    # writes bench/results.json",
        ".venv/bin/python bench/report.py                 # writes this page",
        "```",
        "",
        "In workloads A and B' itr-sim is timed in one process from reading the YAML to the "
        "end of the simulation with its event log (*engine*), and to the end of the SLA clock "
        "evaluation of every ticket (*with clocks*); Ciw and the minimal SimPy model "
        "(bench/models.py: a process per customer and a `simpy.Resource` per tier) simulate "
        "the identical queueing workload and keep only waiting times. The user's path and the "
        "`*-run` and `staff` workloads time whole commands in fresh processes, start-up "
        "included.",
        "",
    ]
    for name, w in r["workloads"].items():
        lines += workload_section(name, w)
    if "memory" in r:
        lines += [
            "## Memory",
            "",
            "Peak Python memory of one baseline replication (tracemalloc), by horizon, keeping"
            " the event log and in streaming mode (`itr-sim run --stream`); *log rows* is the"
            " most rows the event log held at once:",
            "",
            "| horizon | tickets | full log: peak MB | KB/ticket | log rows | streaming: peak MB"
            " | KB/ticket | log rows |",
            "|---|---|---|---|---|---|---|---|",
            *[f"| {m['horizon']} | {m['tickets']:,} | {m['peak_mb']:.1f} | "
              f"{m['kb_per_ticket']:.2f} | {m['peak_log_rows']:,} | {s['peak_mb']:.1f} | "
              f"{s['kb_per_ticket']:.2f} | {s['peak_log_rows']:,} |"
              for m, s in zip(r["memory"], r["memory_streaming"], strict=True)],
            "",
        ]
    lines += [notes.rstrip(), "", *staffing_section(ROOT / "bench" / "staff_results.json"),
              *startup_section(ROOT / "bench" / "startup.json")]
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "performance.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
