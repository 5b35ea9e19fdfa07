"""The KPIs of staged complaints and of the satisfaction survey, when the scenario has them
(``organisation.complaints``, ``organisation.callback.survey``): the ``complaints`` and
``satisfaction`` objects of ``--json`` and their per-replication tables."""

from __future__ import annotations

from typing import Any

import pandas as pd

from itr_sim.analysis.complaint_stages import stage_summary, stage_table, stage_visits
from itr_sim.analysis.evaluate import Evaluation, TargetInfo, Verdict, judge
from itr_sim.analysis.satisfaction import (
    response_counts,
    satisfaction_summary,
    satisfaction_table,
)
from itr_sim.engine.replicate import RunResult

__all__ = ["aftercare", "aftercare_verdicts"]


def aftercare(result: RunResult, events: pd.DataFrame, tickets: pd.DataFrame,
              clocks: pd.DataFrame) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The summary objects and tables of the mechanisms in use (nothing when none is)."""
    sc, cat = result.loaded.scenario, result.loaded.catalog
    org, n = sc.organisation, len(result.replications)
    out: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    if org.complaints is not None:
        table = stage_table(stage_visits(events, tickets, org.complaints), org.complaints, n)
        out["complaints"] = stage_summary(table, events, tickets, org.complaints, n)
        tables["complaint_stages"] = table
    survey = None if org.callback is None else org.callback.survey
    if survey is not None:
        answers = satisfaction_table(events, tickets, clocks, survey, result.seed)
        out["satisfaction"] = satisfaction_summary(
            answers, response_counts(events, tickets), survey, n, list(cat.levels))
        tables["satisfaction"] = answers
    return out, tables


def aftercare_verdicts(result: RunResult, tables: dict[str, pd.DataFrame],
                       confidence: float) -> list[Verdict]:
    """The targets of the mechanisms in use judged by the one interval rule (``run
    --check``): ``complaints.<stage>.within_limit`` against ``complaints.attainment`` and
    ``satisfaction.<level>.satisfied`` against ``callback.survey.target``."""
    org = result.loaded.scenario.organisation
    rows: list[dict[str, Any]] = []
    targets: dict[str, TargetInfo] = {}
    spec = org.complaints
    if spec is not None and spec.attainment is not None and "complaint_stages" in tables:
        for r in tables["complaint_stages"].itertuples():
            key = f"complaints.{r.stage}.within_limit"
            targets[key] = TargetInfo(key, "complaint", spec.attainment, unit=str(r.stage))
            rows.append({"replication": r.replication, "key": key, "value": r.attainment,
                         "n": float(r.due)})
    survey = None if org.callback is None else org.callback.survey
    if survey is not None and survey.target is not None and "satisfaction" in tables:
        answers = tables["satisfaction"]
        for (rep, level), g in answers.groupby(["replication", "level"]):
            key = f"satisfaction.{level}.satisfied"
            targets[key] = TargetInfo(key, "satisfaction", survey.target, level=str(level))
            rows.append({"replication": rep, "key": key, "value": float(g["satisfied"].mean()),
                         "n": float(len(g))})
    if not rows:
        return []
    values = pd.DataFrame(rows)
    evaluation = Evaluation((), result.seed, len(result.replications), values, targets, None,
                            0.0)
    return list(judge(evaluation, confidence).values())
