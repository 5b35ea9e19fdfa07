"""Customer satisfaction from the callback survey (docs/engine.md, "Satisfaction survey").

The engine writes ``survey_answered`` on the tickets whose callback answered the survey; the
score of each answer is a documented function of the ticket's outcomes in the log:

    score = clip(base - per_missed_clock * missed - per_wait_day * wait_days
                 - per_reopen * reopens - complaint * complained + noise * z, 1, 5)

``missed``: the ticket's breached clocks in the clock table (SLA clocks of a technical
ticket, service clocks of a non-technical request); ``wait_days``: its queue waits (queued to
engaged, :func:`~itr_sim.analysis.kpis.waits`) before its last closure, in days;
``reopens``: its ``reopened`` rows; ``complained``: 1 when it raised a complaint; ``z``: a
standard normal value of the ticket, from the replication's own stream (same seed, same
scores). Satisfied: a score at or above ``survey.satisfied`` (4 by default).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.kpis import only_kept, waits
from itr_sim.analysis.stats import mean_ci, share_interval, verdict
from itr_sim.engine.draws import Source, stream
from itr_sim.model.complaints import Score, Survey
from itr_sim.units import MINUTES_PER_DAY

__all__ = ["outcomes", "response_counts", "satisfaction_summary", "satisfaction_table", "score",
           "score_noise"]

NO_LEVEL = "none"
"""The level key of answers about tickets without an SLA level."""


def outcomes(events: pd.DataFrame, clocks: pd.DataFrame) -> pd.DataFrame:
    """One row per answered survey: replication, ticket, level, missed, wait_days, reopens,
    complained."""
    name = events["event"].astype(str)
    answered = events.loc[name == "survey_answered", ["replication", "ticket"]]
    columns = ["replication", "ticket", "level", "missed", "wait_days", "reopens", "complained"]
    if answered.empty:
        return pd.DataFrame(columns=columns)
    keys = ["replication", "ticket"]
    mine = events.merge(answered.drop_duplicates(), on=keys)
    mine_name = mine["event"].astype(str)
    out = answered.drop_duplicates().reset_index(drop=True)
    level = mine.groupby(keys, observed=True)["level"].first().astype(object)
    out["level"] = [NO_LEVEL if pd.isna(v) else str(v)
                    for v in level.reindex(pd.MultiIndex.from_frame(out[keys])).to_numpy()]
    last_closed = mine[mine_name == "closed"].groupby(keys)["time_min"].max()
    closed_at = mine[keys].merge(last_closed.rename("closed_at").reset_index(), on=keys,
                                 how="left")["closed_at"].fillna(np.inf).to_numpy()
    w = waits(mine[mine["time_min"].to_numpy() < closed_at])  # not the callback's queue
    c = clocks.merge(out[keys], on=keys)
    missed = c[c["breached"].astype(bool)].groupby(keys).size()

    def per(series: pd.Series) -> np.ndarray:
        return series.reindex(pd.MultiIndex.from_frame(out[keys])).fillna(0).to_numpy(float)

    out["missed"] = per(missed).astype(int)
    out["wait_days"] = per(w.groupby(keys)["wait_min"].sum()) / MINUTES_PER_DAY
    out["reopens"] = per(mine[mine_name == "reopened"].groupby(keys).size()).astype(int)
    out["complained"] = (per(mine[mine_name == "complaint_raised"].groupby(keys).size())
                         > 0).astype(int)
    return out[columns]


def score(out: pd.DataFrame, spec: Score, z: np.ndarray) -> np.ndarray:
    """The score of each row of :func:`outcomes` with standard normal values ``z``."""
    raw = (spec.base - spec.per_missed_clock * out["missed"].to_numpy(float)
           - spec.per_wait_day * out["wait_days"].to_numpy(float)
           - spec.per_reopen * out["reopens"].to_numpy(float)
           - spec.complaint * out["complained"].to_numpy(float)
           + spec.noise * np.asarray(z, float))
    return np.clip(raw, 1.0, 5.0)


def score_noise(seed: int, replication: int, tickets: np.ndarray) -> np.ndarray:
    """Standard normal values of the given tickets of a replication: the ``k``-th value of
    the replication's score stream belongs to ticket ``k``."""
    tickets = np.asarray(tickets, dtype=np.int64)
    if len(tickets) == 0:
        return np.zeros(0)
    rng = stream(np.random.SeedSequence(seed, spawn_key=(replication,)), Source.SCORE, "score")
    return rng.standard_normal(int(tickets.max()) + 1)[tickets]


def satisfaction_table(events: pd.DataFrame, tickets: pd.DataFrame, clocks: pd.DataFrame,
                       survey: Survey, seed: int) -> pd.DataFrame:
    """Per answered survey of a ticket after the warm-up: its outcomes, ``score`` and
    ``satisfied``."""
    kept = only_kept(events, tickets)
    out = outcomes(kept, clocks)
    z = np.zeros(len(out))
    for rep, idx in out.groupby("replication").groups.items():
        z[np.asarray([out.index.get_loc(i) for i in idx])] = score_noise(
            seed, int(rep), out.loc[idx, "ticket"].to_numpy())
    out["score"] = score(out, survey.score, z)
    out["satisfied"] = out["score"] >= survey.satisfied
    return out


def response_counts(events: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Per replication: callbacks of customer tickets (not complaints) and answered surveys."""
    kept = only_kept(events, tickets)
    kept = kept[kept["kind"].astype(str) != "complaint"]
    name = kept["event"].astype(str)
    calls = kept[name == "callback"].groupby("replication").size()
    answers = kept[name == "survey_answered"].groupby("replication").size()
    frame = pd.DataFrame({"callbacks": calls, "answered": answers}).fillna(0)
    return frame.rename_axis("replication").reset_index()


def satisfaction_summary(table: pd.DataFrame, responses: pd.DataFrame, survey: Survey,
                         replications: int, levels: list[str]) -> dict[str, Any]:
    """The ``satisfaction`` object of ``--json``: the response share, and per level the mean
    score and the share satisfied with their 95% intervals (over replications), answers and,
    with ``survey.target``, the verdict of the satisfied share."""
    reps = range(replications)
    r = responses.set_index("replication").reindex(reps)
    share = r["answered"] / r["callbacks"].where(r["callbacks"] > 0)
    mean, lo, hi = share_interval(share, r["callbacks"])
    out: dict[str, Any] = {"response": {"mean": _num(mean), "ci95": [_num(lo), _num(hi)],
                                        "target": survey.response,
                                        "answered": int(r["answered"].fillna(0).sum())},
                           "levels": {}}
    order = [lv for lv in levels if lv in set(table["level"])] + sorted(
        set(table["level"]) - set(levels))
    for level in order:
        g = table[table["level"] == level]
        per = g.groupby("replication").agg(score=("score", "mean"),
                                           satisfied=("satisfied", "mean"),
                                           n=("score", "size")).reindex(reps)
        smean, slo, shi = share_interval(per["satisfied"], per["n"])
        target = survey.target
        out["levels"][level] = {
            "score": _ci95(per["score"]),
            "satisfied": {"share": _num(smean), "ci95": [_num(slo), _num(shi)],
                          "target": target, "n": int(per["n"].fillna(0).sum()),
                          "verdict": None if target is None else verdict(smean, slo, shi,
                                                                         target)},
        }
    return out


def _ci95(values: pd.Series) -> dict[str, Any]:
    mean, lo, hi = mean_ci(values)
    return {"mean": _num(mean), "ci95": [_num(lo), _num(hi)]}


def _num(x: float) -> float | None:
    return None if x is None or np.isnan(x) else float(x)
