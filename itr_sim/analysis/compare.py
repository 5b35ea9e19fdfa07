"""What-if comparison of two runs with common random numbers.

Both runs use the same seed and number of replications, so replication r of A and of B see
the same arrivals (and, where the organisations agree, the same handling draws). The effect
of the change is estimated from the paired differences B - A per replication, with a 95%
Student-t interval and the paired t-test's p-value; it is *significant* when that p-value,
adjusted by Benjamini-Hochberg across all KPIs compared, is at most 5%
(:mod:`itr_sim.analysis.regression`). Pairing removes the common noise, so intervals are much
narrower than comparing two independent means. A stored side with another seed is compared
with Welch's test instead.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from itr_sim.analysis.evaluate import measure
from itr_sim.analysis.regression import ALPHA, Tolerance, compare_tables
from itr_sim.analysis.summary import Analysis
from itr_sim.engine.replicate import RunResult

__all__ = ["compare", "compare_values", "per_replication", "run_kpis"]


def per_replication(analysis: Analysis) -> pd.DataFrame:
    """KPI values per replication: columns replication, kpi, value."""
    t = analysis.tables
    weeks = analysis.summary["measured_weeks"]
    frames = []
    att = t["attainment"]
    frames.append(pd.DataFrame({
        "replication": att["replication"],
        "kpi": "sla." + att["level"].astype(str) + "." + att["severity"].astype(str) + "."
               + att["clock"].astype(str),
        "value": att["attainment"]}))
    outcomes = t["entitlement"]
    frames.append(pd.DataFrame({"replication": outcomes["replication"],
                                "kpi": "entitlement." + outcomes["outcome"].astype(str),
                                "value": outcomes["arrived"].astype(float)}))
    for column in ("resolved_share", "mean_wait_min"):
        tiers = t["tiers"]
        frames.append(pd.DataFrame({"replication": tiers["replication"],
                                    "kpi": "tiers." + tiers["tier"] + "." + column,
                                    "value": tiers[column]}))
    util = t["utilisation"]
    frames.append(pd.DataFrame({"replication": util["replication"],
                                "kpi": "utilisation." + util["unit"],
                                "value": util["utilisation"]}))
    cost = t["cost"].groupby("replication")["cost"].sum().reset_index()
    frames.append(pd.DataFrame({"replication": cost["replication"], "kpi": "cost.total",
                                "value": cost["cost"]}))
    margin = t["cost"]
    frames.append(pd.DataFrame({"replication": margin["replication"],
                                "kpi": "margin." + margin["level"].astype(str),
                                "value": margin["margin"]}))
    b = t["backlog_summary"]
    frames.append(pd.DataFrame({"replication": b["replication"], "kpi": "backlog.mean_open",
                                "value": b["mean_open"]}))
    q = t["quality"]
    for column in ("first_time_fix", "complaints_per_week"):
        frames.append(pd.DataFrame({"replication": q["replication"],
                                    "kpi": "quality." + column, "value": q[column]}))
    notes = t["notifications"]
    reps = sorted(b["replication"].unique())
    per = notes.groupby("replication").size().reindex(reps, fill_value=0) / weeks
    frames.append(pd.DataFrame({"replication": reps, "kpi": "escalations.per_week",
                                "value": per.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def run_kpis(result: RunResult, analysis: Analysis) -> pd.DataFrame:
    """:func:`per_replication` plus what needs the run's tickets: the attainment of the
    complaint and non-technical service clocks (``service.<service>.<clock>``, the targets of
    :func:`~itr_sim.analysis.evaluate.measure`) and of every tier's OLA (``ola.<tier>``:
    share of its visits within budget, tickets after the warm-up)."""
    values, _, _ = measure(result, clocks=analysis.tables["clocks"])
    services = values[values["key"].str.startswith("service.")]
    frames = [per_replication(analysis),
              pd.DataFrame({"replication": services["replication"], "kpi": services["key"],
                            "value": services["value"]})]
    kept = result.tickets().loc[lambda t: ~t["warmup"], ["replication", "ticket"]]
    olas = analysis.tables["ola"].merge(kept, on=["replication", "ticket"])
    if not olas.empty:
        met = 1.0 - olas.groupby(["tier", "replication"])["breached"].mean()
        met = met.reset_index()
        frames.append(pd.DataFrame({"replication": met["replication"],
                                    "kpi": "ola." + met["tier"].astype(str),
                                    "value": met["breached"].astype(float)}))
    return pd.concat(frames, ignore_index=True)


def compare(a: Analysis, b: Analysis, *,
            tolerances: tuple[tuple[str, Tolerance], ...] = ()) -> dict[str, Any]:
    """Paired comparison of two analyses run with the same seed and replications."""
    return compare_values(per_replication(a), per_replication(b),
                          {"scenario": a.summary["scenario"], "seed": a.summary["seed"],
                           "replications": a.summary["replications"]},
                          {"scenario": b.summary["scenario"], "seed": b.summary["seed"],
                           "replications": b.summary["replications"]},
                          tolerances=tolerances)


class PeriodMismatch(ValueError):
    """A and B measure periods of different lengths; ``str`` says which and what to do."""


def compare_values(a: pd.DataFrame, b: pd.DataFrame, meta_a: dict[str, Any],
                   meta_b: dict[str, Any], *,
                   tolerances: tuple[tuple[str, Tolerance], ...] = ()) -> dict[str, Any]:
    """B against A from per-replication KPI tables and each side's scenario, seed and
    replications: paired when seeds and replications agree, Welch otherwise; significance
    after Benjamini-Hochberg control across the KPIs
    (:func:`itr_sim.analysis.regression.compare_tables`)."""
    weeks_a, weeks_b = meta_a.get("measured_weeks"), meta_b.get("measured_weeks")
    if weeks_a is not None and weeks_b is not None and abs(weeks_a - weeks_b) > 1e-9:
        raise PeriodMismatch(f"A ({meta_a['scenario']}) measures {weeks_a:g} weeks and B "
                             f"({meta_b['scenario']}) {weeks_b:g}: totals, counts and costs "
                             "of different periods are not comparable; give both the same "
                             "horizon and warm-up (--set overrides apply to B only)")
    paired = meta_a["seed"] == meta_b["seed"] and \
        meta_a["replications"] == meta_b["replications"]
    rows = []
    for c in compare_tables(a, b, paired=paired, tolerances=tolerances):
        if c.verdict in ("new", "gone"):
            continue
        rows.append({"kpi": c.kpi, "a": _num(c.a), "b": _num(c.b), "delta": _num(c.delta),
                     "ci95": [_num(c.ci95[0]), _num(c.ci95[1])], "p": _num(c.p),
                     "q": _num(c.q), "significant": c.significant,
                     "direction": c.direction, "verdict": c.verdict})
    return {"a": meta_a["scenario"], "b": meta_b["scenario"], "seed": meta_a["seed"],
            "seed_b": meta_b["seed"], "replications": meta_a["replications"],
            "replications_b": meta_b["replications"], "paired": paired,
            "fdr": ALPHA, "kpis": rows}


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)
