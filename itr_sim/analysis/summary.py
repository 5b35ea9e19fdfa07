"""All KPIs of a run: tables for files and the JSON object of ``itr-sim run --json``.

The JSON keys are a public contract (docs/kpis.md); change them only with a CHANGELOG note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from itr_sim.analysis.aftercare import aftercare
from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.cost import cost_by_level
from itr_sim.analysis.kcp import kcp_section
from itr_sim.analysis.kpis import (
    OUTCOMES,
    attainment,
    backlog,
    clock_times,
    entitlement_counts,
    hour_stats,
    no_sla_hours,
    quality,
    service_counts,
    sessions,
    shift_utilisation,
    ticket_counts,
    tier_figures,
    utilisation,
    with_attainment,
)
from itr_sim.analysis.ladders import notifications, weekly_load
from itr_sim.analysis.ola import attribute_breaches, ola_clocks, vendor_clocks
from itr_sim.analysis.stats import mean_ci, share_interval, verdict
from itr_sim.engine.replicate import RunResult
from itr_sim.engine.staffing import staffing_of
from itr_sim.model.catalog import ClockName
from itr_sim.units import MINUTES_PER_WEEK, WEEKS_PER_YEAR

__all__ = ["Analysis", "analyse", "summary_sections"]

TARGET_991 = (0.90, 0.09, 0.01)


@dataclass
class Analysis:
    """KPI tables (per replication where it applies) and the summary object."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def ci95(values: Any, *, share: bool = False) -> dict[str, Any]:
    """Mean and 95% interval; a share's interval is clipped to [0, 1]."""
    mean, lo, hi = mean_ci(values)
    if share and not math.isnan(lo):
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return {"mean": _num(mean), "ci95": [_num(lo), _num(hi)]}


def _in_order(sla: dict[str, Any], levels: list[str],
              severities: list[str]) -> dict[str, Any]:
    """The SLA cells with levels and severities in the catalogue's order (platinum, gold,
    silver as the catalogue lists them), clocks in :class:`ClockName`'s order (response,
    restore, resolve, then the others); names the catalogue does not list (tickets of a
    level since removed) last."""
    def ordered(keys: list[str], order: list[str]) -> list[str]:
        return [k for k in order if k in keys] + [k for k in keys if k not in order]

    clock_order = [c.value for c in ClockName]
    return {level: {sev: {clock: sla[level][sev][clock]
                          for clock in ordered(list(sla[level][sev]), clock_order)}
                    for sev in ordered(list(sla[level]), severities)}
            for level in ordered(list(sla), levels)}


def attainment_cell(per: pd.DataFrame, target: float | None) -> dict[str, Any]:
    """An attainment of the summary from its per-replication rows (columns ``attainment``
    and ``n``, NaN where a replication had no due clock): the mean, the interval a verdict
    is judged on (:func:`~itr_sim.analysis.stats.share_interval`: the t-interval widened by
    the pooled Wilson interval), the target, the due clocks and the verdict (met, at risk,
    missed; None without a target)."""
    mean, lo, hi = share_interval(per["attainment"], per["n"])
    return {"attainment": _num(mean), "ci95": [_num(lo), _num(hi)], "target": target,
            "n": int(per["n"].sum()),
            "verdict": None if target is None else verdict(mean, lo, hi, target)}


def analyse(result: RunResult) -> Analysis:
    loaded = result.loaded
    sc, cat = loaded.scenario, loaded.catalog
    first = result.replications[0]
    origin, end, start = first.origin, first.horizon_min, first.warmup_min
    n = len(result.replications)
    weeks = (end - start) / MINUTES_PER_WEEK
    events, tickets = result.events(), result.tickets()
    clocks = run_clocks(result)
    notes = notifications(clocks, cat, origin, end)
    olas = ola_clocks(events, cat, sc.organisation, origin, end)
    blame = attribute_breaches(clocks, olas)
    sess = sessions(events, end)
    staffing = {rep.replication: rep.staffing for rep in result.replications}
    util = utilisation(sess, staffing, start, end)
    shift_util = shift_utilisation(sess, _shift_staffing(result), start, end)
    path = sc.organisation.path()
    tiers = tier_figures(events, tickets, path)
    att = attainment(clocks, tickets)
    times = clock_times(clocks, tickets)
    backlog_series, backlog_summary = backlog(events, tickets, start, end)
    qual = quality(events, tickets, clocks, path[0], weeks, end)
    cost = cost_by_level(sess, tickets, staffing, sc, cat, start, end)

    out: dict[str, Any] = {"scenario": sc.scenario, "seed": result.seed, "replications": n,
                           "measured_weeks": weeks, "currency": cat.currency,
                           "metadata": result.metadata}
    kept = tickets[~tickets["warmup"]]
    outcomes = entitlement_counts(events, tickets)
    no_sla = hour_stats(no_sla_hours(events, tickets), ["outcome", "severity", "clock"])
    out.update(summary_sections(result, ticket_counts(tickets), tiers, util, att,
                                service_counts(clocks, tickets), times, shift_util,
                                outcomes=outcomes, no_sla=no_sla))
    kept_olas = olas.merge(kept[["replication", "ticket"]], on=["replication", "ticket"])
    out["ola"] = {}
    for tier, g in kept_olas.groupby("tier"):
        per = 1.0 - g.groupby("replication")["breached"].mean()
        ci = ci95(per.reindex(range(n)), share=True)
        attributed = blame[blame["tiers"].str.contains(str(tier), regex=False)]
        out["ola"][str(tier)] = {"attainment": ci["mean"], "ci95": ci["ci95"],
                                 "sla_breaches_attributed": len(attributed) / n}
    out["vendors"] = vendor_figures(result, clocks, olas, kept, n)
    out["escalations_per_week"] = weekly_load(notes, start, end, n)
    b = backlog_summary
    out["backlog"] = {k: ci95(b[k]) for k in ("mean_open", "open_at_end", "mean_age_h_at_end")}
    out["quality"] = {k: ci95(qual[k]) for k in ("first_time_fix", "reopen_rate",
                                                 "complaints_per_week", "frt", "ofr",
                                                 "long_standing")}
    if sc.organisation.kcp is not None:
        out["kcp"] = kcp_section(events, tickets, sc.organisation.kcp, cat.severities)
    extra, extra_tables = aftercare(result, events, tickets, clocks)  # complaints, surveys
    out.update(extra)
    total = cost.groupby("replication")["cost"].sum()
    kept_customer = kept[kept["kind"].astype(str) != "complaint"].groupby("replication").size()
    out["cost"] = {
        "total": ci95(total)["mean"], "total_ci95": ci95(total)["ci95"],
        "per_ticket": ci95(total / kept_customer)["mean"],
        "per_level": {str(level): {
            "cost": float(g["cost"].mean()), "revenue": float(g["revenue"].mean()),
            "margin": float(g["margin"].mean()), "contracts": int(g["contracts"].iloc[0]),
            "cost_per_ticket": _num(float(g["cost_per_ticket"].mean())),
            "cost_per_contract_year": _num(float(g["cost"].mean()) / int(g["contracts"].iloc[0])
                                           * WEEKS_PER_YEAR / weeks) if int(g["contracts"].iloc[0])
            else None,
        } for level, g in cost.groupby("level")},
    }
    tables = {"clocks": clocks, "notifications": notes, "ola": olas, "attribution": blame,
              "attainment": att, "times": times, "entitlement": outcomes,
              "no_sla_times": no_sla, "tiers": tiers, "utilisation": util,
              "shift_utilisation": shift_util,
              "backlog": backlog_series, "backlog_summary": b, "quality": qual, "cost": cost,
              **extra_tables}
    return Analysis(tables, strict_json(out))


def vendor_figures(result: RunResult, clocks: pd.DataFrame, olas: pd.DataFrame,
                   kept: pd.DataFrame, n: int) -> dict[str, Any]:
    """Per tier with an underpinning contract (``waiting.vendor.contract``): the contract,
    waits per replication, attainment (mean and 95% interval of the per-replication shares)
    and the SLA breaches per replication attributed to the vendor (docs/ola.md)."""
    loaded = result.loaded
    org = loaded.scenario.organisation
    first = result.replications[0]
    vendors = vendor_clocks(result.events(), loaded.catalog, org, first.origin,
                            first.horizon_min)
    if len(vendors) == 0:
        vendors = vendors.assign(breached=vendors["breached"].astype(bool))
    kept_v = vendors.merge(kept[["replication", "ticket"]], on=["replication", "ticket"])
    blame = attribute_breaches(clocks, olas, vendors)
    out: dict[str, Any] = {}
    for name, tier in org.tiers.items():
        w = tier.waiting.vendor
        if w is None or w.contract is None:
            continue
        rows = kept_v[kept_v["tier"] == name]
        per = 1.0 - rows.groupby("replication")["breached"].mean()
        ci = ci95(per.reindex(range(n)), share=True)
        hit = blame["tiers"].str.split(",").apply(lambda xs, t=name: f"vendor@{t}" in xs)
        out[str(name)] = {"target": w.contract.target.text,
                          "calendar": w.contract.calendar or "24x7",
                          "attainment_target": float(w.contract.attainment),
                          "waits": len(rows) / n, "attainment": ci["mean"], "ci95": ci["ci95"],
                          "sla_breaches_attributed": int(hit.sum()) / n}
    return out


def summary_sections(result: RunResult, by_kind: pd.DataFrame, tiers: pd.DataFrame,
                     util: pd.DataFrame, att: pd.DataFrame, services: pd.DataFrame,
                     times: pd.DataFrame, shift_util: pd.DataFrame | None = None, *,
                     outcomes: pd.DataFrame, no_sla: pd.DataFrame) -> dict[str, Any]:
    """The keys ``tickets``, ``entitlement``, ``tiers``, ``teams``, ``sla``, ``services`` and
    ``times_h`` of the summary, from per-replication tables; the full analysis and streaming
    mode both
    build them here. ``by_kind``: replication, kind, arrived, closed (tickets after the
    warm-up); ``tiers``: :func:`~itr_sim.analysis.kpis.tier_rates`; ``util``:
    :func:`~itr_sim.analysis.kpis.utilisation_of`; ``att``: replication, level, severity,
    clock, n, breached, attainment; ``services``: replication, kind, clock, n, breached (due
    clocks of non-technical requests and complaints); ``times``: level, severity, clock,
    mean, n and, where known, p50 and p90 (pooled); ``shift_util``: per-shift utilisation
    (left out when None); ``outcomes``: :func:`~itr_sim.analysis.kpis.entitlement_counts`;
    ``no_sla``: outcome, severity, clock, mean, n and, where known, p50 and p90 (pooled) of
    :func:`~itr_sim.analysis.kpis.no_sla_hours`."""
    sc, cat = result.loaded.scenario, result.loaded.catalog
    n = len(result.replications)
    first = result.replications[0]
    weeks = (first.horizon_min - first.warmup_min) / MINUTES_PER_WEEK
    out: dict[str, Any] = {}
    per_rep = by_kind.groupby("replication")[["arrived", "closed"]].sum().reindex(
        range(n), fill_value=0)  # a replication without tickets counts as 0, not as missing
    out["tickets"] = {
        "arrived": float(per_rep["arrived"].mean()),
        "closed": float(per_rep["closed"].mean()),
        "open": float((per_rep["arrived"] - per_rep["closed"]).mean()),
        "by_kind": {str(k): {"arrived": float(g["arrived"].sum()) / n,
                             "closed": float(g["closed"].sum()) / n}
                    for k, g in by_kind.groupby(by_kind["kind"].astype(str))},
    }
    out["entitlement"] = _entitlement(outcomes, no_sla, n)
    path = sc.organisation.path()
    out["tiers"] = {}
    for i, tier in enumerate(path):
        t = tiers[tiers["tier"] == tier]
        u = util[util["unit"] == tier]
        share, wait = ci95(t["resolved_share"], share=True), ci95(t["mean_wait_min"])
        utilisation_ci = ci95(u["utilisation"], share=True)
        esc = ci95(t["escalation_rate"], share=True)
        out["tiers"][tier] = {
            "resolved_share": share["mean"], "resolved_share_ci95": share["ci95"],
            "target_share_991": TARGET_991[i] if i < len(TARGET_991) and len(path) == 3 else None,
            "utilisation": utilisation_ci["mean"], "utilisation_ci95": utilisation_ci["ci95"],
            "mean_wait_min": wait["mean"], "mean_wait_min_ci95": wait["ci95"],
            "escalated_out": float(t["escalated_out"].mean()),
            "escalation_rate": esc["mean"],
            "reached_per_week": float(t["reached"].mean()) / weeks,
        }
        if shift_util is not None:
            out["tiers"][tier]["shifts"] = _shifts(sc.organisation.tiers[tier],
                                                   shift_util[shift_util["unit"] == tier])
    out["teams"] = {}
    for team in sc.organisation.teams:
        ci = ci95(util[util["unit"] == team]["utilisation"], share=True)
        out["teams"][team] = {"utilisation": ci["mean"], "utilisation_ci95": ci["ci95"]}
        if shift_util is not None:
            out["teams"][team]["shifts"] = _shifts(sc.organisation.teams[team],
                                                   shift_util[shift_util["unit"] == team])
    out["sla"] = {}
    for (level, sev, clock), g in att.groupby(["level", "severity", "clock"], observed=True):
        spec = cat.levels.get(str(level))
        target = spec.attainment_for(ClockName(clock)) if spec is not None else None
        cell = attainment_cell(g.set_index("replication").reindex(range(n)), target)
        out["sla"].setdefault(str(level), {}).setdefault(str(sev), {})[str(clock)] = cell
    out["sla"] = _in_order(out["sla"], list(cat.levels), list(cat.severities))
    out["services"] = {}
    for (kind, clock), g in services.groupby(["kind", "clock"], observed=True):
        service = cat.non_technical if kind == "non_technical" else cat.complaints
        per = with_attainment(g).set_index("replication").reindex(range(n))
        name = "complaints" if kind == "complaint" else "non_technical"
        out["services"].setdefault(name, {})[str(clock)] = attainment_cell(
            per, service.attainment if service else None)
    out["times_h"] = {}
    for row in times.to_dict("records"):
        cell = {k: row[k] for k in ("mean", "p50", "p90") if k in row}
        out["times_h"].setdefault(str(row["level"]), {}).setdefault(
            str(row["severity"]), {})[str(row["clock"])] = {**cell, "n": int(row["n"])}
    return out


def _entitlement(outcomes: pd.DataFrame, no_sla: pd.DataFrame, n: int) -> dict[str, Any]:
    """KCP1 outcome -> ``arrived``, ``closed`` (per replication) and, for the tickets served
    without an SLA, ``times_h``: severity -> ``restore``/``resolve`` -> mean, p50, p90, n."""
    out: dict[str, Any] = {}
    for outcome in OUTCOMES:
        g = outcomes[outcomes["outcome"] == outcome]
        out[outcome] = {"arrived": float(g["arrived"].sum()) / n,
                        "closed": float(g["closed"].sum()) / n}
        if outcome in ("emergency_only", "best_effort"):
            times: dict[str, Any] = {}
            for row in no_sla[no_sla["outcome"] == outcome].to_dict("records"):
                cell = {k: row[k] for k in ("mean", "p50", "p90") if k in row}
                times.setdefault(str(row["severity"]), {})[str(row["clock"])] = {
                    **cell, "n": int(row["n"])}
            out[outcome]["times_h"] = times
    return out


def strict_json(value: Any) -> Any:
    """Strict JSON: NaN and infinities become null, NumPy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _shift_staffing(result: RunResult) -> dict[str, list[Any]]:
    """Each shift of each unit expanded on its own (same for every replication)."""
    loaded = result.loaded
    sc, cat = loaded.scenario, loaded.catalog
    first = result.replications[0]
    calendars = {name: cat.calendar(name) for name in cat.calendars}
    units = {**sc.organisation.tiers, **sc.organisation.teams}
    return {name: [staffing_of(unit.model_copy(update={"shifts": [shift]}),
                               sc.organisation.timezone, first.origin, first.horizon_min,
                               calendars)
                   for shift in unit.shifts]
            for name, unit in units.items()}


def _shifts(unit: Any, table: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for index, shift in enumerate(unit.shifts):
        ci = ci95(table[table["shift"] == index]["utilisation"], share=True)
        out.append({"days": shift.model_dump(mode="json")["days"],
                    "hours": shift.model_dump(mode="json")["hours"], "agents": shift.agents,
                    "utilisation": ci["mean"], "utilisation_ci95": ci["ci95"]})
    return out
