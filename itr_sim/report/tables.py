"""Tidy tables of a run for the report and the notebook API: SLA cells with their verdicts,
tiers, cost per level, weekly attainment, monthly breaches and the tiers blamed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from itr_sim.analysis.kpis import only_kept
from itr_sim.analysis.stats import verdict
from itr_sim.report.words import CLOCK_ORDER, budget_words

__all__ = ["blame", "cost_table", "level_order", "monthly_breaches", "sla_table",
           "tier_table", "weekly_attainment"]

SLA_COLUMNS = ["level", "severity", "clock", "budget", "target", "attainment", "ci_low",
               "ci_high", "gap_points", "verdict", "due_per_replication"]


def level_order(kpis: dict[str, Any], catalog_levels: list[str] | None = None) -> list[str]:
    """Levels as the catalogue lists them; without the catalogue, by price per contract
    (highest first), then by name."""
    present = list(kpis.get("sla", {}))
    if catalog_levels:
        return [lv for lv in catalog_levels if lv in present] + \
            [lv for lv in present if lv not in catalog_levels]
    per = kpis.get("cost", {}).get("per_level", {})

    def price(lv: str) -> float:
        cell = per.get(lv, {})
        return -(cell.get("revenue", 0.0) / cell["contracts"]) if cell.get("contracts") else 0.0
    return sorted(present, key=lambda lv: (price(lv), lv))


def sla_table(kpis: dict[str, Any], levels: list[str], severities: list[str] | None = None,
              budgets: dict[tuple[str, str, str], str] | None = None) -> pd.DataFrame:
    """One row per level, severity and clock with a target: budget (as written in the
    catalogue), target, mean attainment, its 95% interval, the gap to target in percentage
    points, the verdict by the interval rule (:func:`itr_sim.analysis.stats.verdict`) and
    the due clocks per replication; in catalogue order."""
    rows = []
    for level in levels:
        sevs = kpis["sla"].get(level, {})
        order = [s for s in (severities or []) if s in sevs] + \
            [s for s in sevs if s not in (severities or [])]
        for sev in order:
            clocks = sevs[sev]
            names = [c for c in CLOCK_ORDER if c in clocks] + \
                [c for c in clocks if c not in CLOCK_ORDER]
            for clock in names:
                cell = clocks[clock]
                if cell.get("target") is None or cell.get("attainment") is None:
                    continue
                lo, hi = cell.get("ci95") or (None, None)
                rows.append({
                    "level": level, "severity": sev, "clock": clock,
                    "budget": (budgets or {}).get((level, sev, clock)),
                    "target": cell["target"], "attainment": cell["attainment"],
                    "ci_low": np.nan if lo is None else lo,
                    "ci_high": np.nan if hi is None else hi,
                    "gap_points": (cell["attainment"] - cell["target"]) * 100,
                    "verdict": cell.get("verdict") or verdict(  # older run folders
                        cell["attainment"], lo, hi, cell["target"]),
                    "due_per_replication": cell.get("n", np.nan) / max(kpis["replications"], 1),
                })
    return pd.DataFrame(rows, columns=SLA_COLUMNS)


def budgets_of(clocks: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """Budget text (``4h``, ``NBD``) per level, severity and clock, from the clocks table."""
    c = clocks.dropna(subset=["level", "severity", "budget"])
    first = c.drop_duplicates(["level", "severity", "clock"])
    return {(str(r.level), str(r.severity), str(r.clock)): str(r.budget)
            for r in first.itertuples(index=False)}


def with_words(sla: pd.DataFrame) -> pd.Series:
    """The budget of each row of :func:`sla_table` in words."""
    return pd.Series([budget_words(c, b) for c, b in zip(sla["clock"], sla["budget"],
                                                          strict=True)], index=sla.index)


def tier_table(kpis: dict[str, Any]) -> pd.DataFrame:
    """One row per tier: resolved share against its 991 share, utilisation, mean wait in
    hours, OLA attainment and SLA breaches attributed per replication."""
    rows = []
    for name, t in kpis["tiers"].items():
        ola = kpis.get("ola", {}).get(name, {})
        wait = t.get("mean_wait_min")
        rows.append({"tier": name, "resolved_share": t["resolved_share"],
                     "target_share_991": t["target_share_991"],
                     "utilisation": t["utilisation"],
                     "mean_wait_h": None if wait is None else wait / 60,
                     "reached_per_week": t["reached_per_week"],
                     "ola_attainment": ola.get("attainment"),
                     "sla_breaches_blamed": ola.get("sla_breaches_attributed")})
    return pd.DataFrame(rows)


def cost_table(kpis: dict[str, Any], levels: list[str]) -> pd.DataFrame:
    """Cost to serve, revenue and margin per level over the measured weeks (mean over
    replications), in catalogue order; levels without contracts or cost left out."""
    per = kpis["cost"]["per_level"]
    rows = [{"level": lv, **{k: per[lv][k] for k in ("contracts", "cost", "revenue", "margin",
                                                       "cost_per_ticket")}}
            for lv in [*levels, *[x for x in per if x not in levels]]
            if lv in per and (per[lv]["contracts"] or per[lv]["cost"])]
    return pd.DataFrame(rows, columns=["level", "contracts", "cost", "revenue", "margin",
                                       "cost_per_ticket"])


def _due(clocks: pd.DataFrame, tickets: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """SLA clocks of kept tickets that are due, with the moment they were decided (the
    stop when met, the deadline when breached) and their target."""
    c = only_kept(clocks, tickets)
    c = c[(c["status"] != "open") & c["severity"].notna() & c["level"].notna()]
    c = c.assign(level=c["level"].astype(str), severity=c["severity"].astype(str),
                 clock=c["clock"].astype(str))
    c = c.merge(targets, on=["level", "severity", "clock"])
    decided = np.where(c["breached"].astype(bool), c["deadline_min"],
                       np.fmin(c["stop_min"].to_numpy(float), c["deadline_min"].to_numpy(float)))
    return c.assign(decided_min=decided, breached=c["breached"].astype(bool))


def _local(origin: datetime, minutes: np.ndarray) -> pd.DatetimeIndex:
    base = pd.Timestamp(origin.replace(tzinfo=None))
    return base + pd.to_timedelta(np.asarray(minutes, float), unit="min")


def weekly_attainment(clocks: pd.DataFrame, tickets: pd.DataFrame, sla: pd.DataFrame,
                      origin: datetime, start_min: float, end_min: float,
                      replications: int) -> pd.DataFrame:
    """Per level and measured week (``week`` = its first local day): the share of due SLA
    clocks met (mean over replications) and ``target``, the share that would be met if every
    clock just kept its own target (targets weighted by due clocks)."""
    due = _due(clocks, tickets, sla[["level", "severity", "clock", "target"]])
    due = due[(due["decided_min"] >= start_min) & (due["decided_min"] < end_min)]
    week = ((due["decided_min"] - start_min) // (7 * 1440)).astype(int)
    due = due.assign(week=week, met=~due["breached"])
    per = due.groupby(["level", "week", "replication"]).agg(met=("met", "mean"),
                                                             target=("target", "mean"))
    out = per.groupby(["level", "week"]).mean().reset_index()
    out["week"] = _local(origin, start_min + out["week"].to_numpy() * 7 * 1440)
    order = {lv: i for i, lv in enumerate(dict.fromkeys(sla["level"]))}
    out = out.sort_values(["level", "week"], key=lambda s: s.map(order) if s.name == "level"
                          else s)
    return out.rename(columns={"met": "attainment"}).reset_index(drop=True)


def monthly_breaches(clocks: pd.DataFrame, tickets: pd.DataFrame, sla: pd.DataFrame,
                     origin: datetime, start_min: float, end_min: float,
                     replications: int) -> pd.DataFrame:
    """The monthly SLA-failure report: breaches per replication by month (of the deadline),
    level, severity and clock; rows in catalogue order, one column per month (``YYYY-MM``);
    only clocks with a breach. A month cut by the start or end of the measured period holds
    only its measured days."""
    due = _due(clocks, tickets, sla[["level", "severity", "clock", "target"]])
    due = due[due["breached"] & (due["decided_min"] >= start_min) &
              (due["decided_min"] < end_min)]
    months = _local(origin, np.arange(start_min, end_min, 1440.0)).strftime("%Y-%m").unique()
    if due.empty:
        return pd.DataFrame(columns=["level", "severity", "clock", *months])
    due = due.assign(month=_local(origin, due["decided_min"].to_numpy()).strftime("%Y-%m"))
    table = due.pivot_table(index=["level", "severity", "clock"], columns="month",
                            values="ticket", aggfunc="size", fill_value=0)
    table = table.reindex(columns=list(months), fill_value=0) / max(replications, 1)
    keys = list(zip(sla["level"], sla["severity"], sla["clock"], strict=True))
    table = table.reindex([k for k in keys if k in table.index])
    table.columns.name = None
    return table.reset_index()


def blame(attribution: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Per level, severity and clock: SLA breaches per replication blamed on each tier
    (a breach counts for every tier whose OLA overran first) and those no OLA explains
    (``none``)."""
    if attribution.empty:
        return pd.DataFrame(columns=["level", "severity", "clock", "tier", "breaches"])
    tiers = attribution["tiers"].fillna("").astype(str).str.split(",")
    long = attribution.assign(tier=tiers).explode("tier")
    long["tier"] = long["tier"].replace("", "none")
    out = long.groupby(["level", "severity", "clock", "tier"]).size() / max(replications, 1)
    return out.rename("breaches").reset_index()


def measured_period(origin: datetime, start_min: float, end_min: float) -> tuple[str, str]:
    """First and last measured local day as ISO dates."""
    first = origin + timedelta(minutes=start_min)
    last = origin + timedelta(minutes=end_min) - timedelta(microseconds=1)
    return first.date().isoformat(), last.date().isoformat()
