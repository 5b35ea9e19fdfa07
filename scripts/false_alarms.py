"""Measure the regression gate's false-alarm rate and write it into docs/ci.md.

Noise alone: the unchanged scenario is run with other seeds (1, 2, ... added to the
scenario's seed) and each run is compared with the scenario's run at its own seed, as
``itr-sim check --seed`` does (unpaired, Welch), at the default tolerances. A trial with at
least one regression is a false alarm. For comparison the script also counts the trials that
would have failed without the Benjamini-Hochberg control (raw p <= 5%).

    python scripts/false_alarms.py [--scenario scenarios/baseline.yaml] [--trials 20]
                                   [--jobs 2] [--write docs/ci.md]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

import pandas as pd
from scipy.stats import binomtest

from itr_sim.analysis.compare import run_kpis
from itr_sim.analysis.regression import ALPHA, compare_tables
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- false-alarms:start -->", "<!-- false-alarms:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--write", type=Path, default=None,
                        help="Markdown file whose marked block receives the figures.")
    args = parser.parse_args()
    began = time.perf_counter()
    loaded = load_scenario(args.scenario)
    seed, n = loaded.scenario.seed, loaded.scenario.replications
    reference = _kpis(run_scenario(loaded, jobs=args.jobs))
    alarms, raw_alarms, flagged = 0, 0, Counter[str]()
    kpis = 0
    for trial in range(1, args.trials + 1):
        other = _kpis(run_scenario(loaded, seed=seed + trial, jobs=args.jobs))
        changes = compare_tables(reference, other, paired=False)
        kpis = len(changes)
        regressions = [c.kpi for c in changes if c.verdict == "regression"]
        raw = [c for c in changes if c.direction and c.p <= ALPHA
               and c.delta * c.direction < 0 and c.tolerance.exceeded_by(c.delta, c.a)]
        alarms += bool(regressions)
        raw_alarms += bool(raw)
        flagged.update(regressions)
        print(f"trial {trial:2d} (seed {seed + trial}): "
              f"{', '.join(regressions) or 'no regression'}; without BH {len(raw)} KPI(s)")
    ci = binomtest(alarms, args.trials).proportion_ci(0.95, method="exact")
    minutes = (time.perf_counter() - began) / 60
    lines = [
        f"Measured by `python scripts/false_alarms.py --trials {args.trials}` on "
        f"`{args.scenario.relative_to(ROOT) if args.scenario.is_absolute() else args.scenario}`"
        f" ({n} replications, seed {seed} against seeds {seed + 1} to {seed + args.trials}, "
        f"{kpis} KPIs, default tolerances, {minutes:.1f} min):",
        "",
        f"* **false alarms: {alarms} of {args.trials} trials** ({alarms / args.trials:.0%}; "
        f"exact 95% interval {ci.low:.0%} - {ci.high:.0%})"
        + (f"; KPIs flagged: {', '.join(f'{k} ({v})' for k, v in flagged.most_common())}"
           if flagged else ""),
        f"* without the Benjamini-Hochberg control (raw p <= 5%, same directions and "
        f"tolerances): {raw_alarms} of {args.trials} trials would have failed",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write is not None:
        doc = args.write.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        if not pattern.search(doc):
            raise SystemExit(f"{args.write}: no {START} ... {END} block to fill")
        args.write.write_text(pattern.sub(lambda _: f"{START}\n{text}\n{END}", doc),
                              encoding="utf-8")
        print(f"wrote {args.write}")


def _kpis(result: RunResult) -> pd.DataFrame:
    return run_kpis(result, analyse(result))


if __name__ == "__main__":
    main()
