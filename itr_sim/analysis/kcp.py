"""KPIs of the KCP gates (``organisation.kcp``, docs/engine.md): per gate the checks made and
those passed (the conformity rate), and the severity changes, per replication, from the log.

* KCP2 dispatch: checked = technical tickets dispatched to a tier (a ``queued`` or
  ``misdispatched`` row); failed = those with a ``misdispatched`` row.
* KCP3/KCP4 reviews: checked = ``reviewed`` rows of the review; passed = detail
  ``<review> passed``.
* KCP5 confirmation: checked = ``closed`` rows with detail ``confirmed`` plus ``reopened``
  rows with detail ``not confirmed``; passed = the former.
* Severity changes: ``severity_changed`` rows, an upgrade when the new severity is more
  severe than the ticket's severity at arrival.

Tickets that arrived during the warm-up are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.kpis import only_kept
from itr_sim.analysis.stats import mean_ci
from itr_sim.model.kcp import Kcp

__all__ = ["GATES", "kcp_counts", "kcp_section"]

GATES = ("dispatch", "solution_review", "implementation_review", "confirmation")
"""The gates in the order of the summary (KCP2 to KCP5)."""

COLUMNS = ["replication", *(f"{g}_{k}" for g in GATES for k in ("checked", "passed")),
           "technical", "upgrades", "downgrades"]


def kcp_counts(events: pd.DataFrame, tickets: pd.DataFrame, severities: list[str]
               ) -> pd.DataFrame:
    """One row per replication: ``<gate>_checked`` and ``<gate>_passed`` for each of
    :data:`GATES`, ``technical`` tickets, severity ``upgrades`` and ``downgrades``."""
    ev = only_kept(events, tickets)
    reps = sorted(tickets["replication"].unique())
    name = ev["event"].astype(str).to_numpy()
    detail = ev["detail"].astype(str).to_numpy()
    tech = ev["kind"].astype(str).to_numpy() == "technical"
    rep = ev["replication"].to_numpy()
    ticket = ev["ticket"].to_numpy()
    out = pd.DataFrame({"replication": reps}).set_index("replication")

    def per_rep(mask: np.ndarray, distinct: bool = False) -> pd.Series:
        frame = pd.DataFrame({"replication": rep[mask], "ticket": ticket[mask]})
        if distinct:
            frame = frame.drop_duplicates()
        return frame.groupby("replication").size().reindex(reps, fill_value=0)

    dispatched = per_rep(tech & np.isin(name, ("queued", "misdispatched")), distinct=True)
    missed = per_rep(tech & (name == "misdispatched"), distinct=True)
    out["dispatch_checked"], out["dispatch_passed"] = dispatched, dispatched - missed
    for gate, review in (("solution_review", "solution"),
                         ("implementation_review", "implementation")):
        reviewed = name == "reviewed"
        out[f"{gate}_checked"] = per_rep(reviewed & np.char.startswith(
            detail.astype(str), f"{review} "))
        out[f"{gate}_passed"] = per_rep(reviewed & (detail == f"{review} passed"))
    confirmed = per_rep((name == "closed") & (detail == "confirmed"))
    refused = per_rep((name == "reopened") & (detail == "not confirmed"))
    out["confirmation_checked"], out["confirmation_passed"] = confirmed + refused, confirmed
    out["technical"] = per_rep(tech, distinct=True)
    rank = {s: i for i, s in enumerate(severities)}
    changed = name == "severity_changed"
    before = ev["severity"].astype(object).to_numpy()[changed]
    new_rank = np.array([rank.get(d, -1) for d in detail[changed]], dtype=float)
    old_rank = np.array([rank.get(s, -1) for s in before], dtype=float)
    up = np.zeros(len(ev), dtype=bool)
    up[np.flatnonzero(changed)] = new_rank < old_rank
    out["upgrades"] = per_rep(up)
    out["downgrades"] = per_rep(changed & ~up)
    return out.reset_index()[COLUMNS]


def kcp_section(events: pd.DataFrame, tickets: pd.DataFrame, kcp: Kcp, severities: list[str],
                ) -> dict[str, Any]:
    """The ``kcp`` key of the summary: for each gate the scenario uses, checks per
    replication and the conformity rate (passed / checked) with its 95% interval over the
    replications; with severity changes, upgrades and downgrades per replication."""
    per = kcp_counts(events, tickets, severities)
    out: dict[str, Any] = {}
    for gate in GATES:
        if getattr(kcp, gate) is None:
            continue
        checked, passed = per[f"{gate}_checked"], per[f"{gate}_passed"]
        rate = (passed / checked.where(checked > 0)).astype(float)
        mean, lo, hi = mean_ci(rate)
        out[gate] = {"checked": float(checked.mean()), "conformity": _num(mean),
                     "ci95": [_num(max(lo, 0.0)), _num(min(hi, 1.0))]}
    if kcp.severity_changes:
        out["severity_changes"] = {
            key: {"mean": float(per[key].mean()),
                  "per_technical_ticket": _num(float(per[key].sum() / per["technical"].sum()))
                  if per["technical"].sum() else None}
            for key in ("upgrades", "downgrades")}
    return out


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
