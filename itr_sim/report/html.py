"""A self-contained HTML report (figures embedded as PNG data) a leader can mail around."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from itr_sim.analysis.kpis import sessions
from itr_sim.analysis.summary import Analysis
from itr_sim.engine.replicate import RunResult
from itr_sim.engine.staffing import Staffing
from itr_sim.report import figures
from itr_sim.report.runfolder import open_run_folder

__all__ = ["ReportInputs", "from_run", "from_run_dir", "render"]


@dataclass
class ReportInputs:
    kpis: dict[str, Any]
    clocks: pd.DataFrame
    backlog: pd.DataFrame
    sessions: pd.DataFrame
    staffing: dict[str, Staffing]
    origin: datetime
    economics: dict[str, dict[str, Any]] | None = None  # economics_summary of a run


def from_run(result: RunResult, analysis: Analysis) -> ReportInputs:
    from itr_sim.analysis.economics import economics_summary

    first = result.replications[0]
    return ReportInputs(analysis.summary, analysis.tables["clocks"], analysis.tables["backlog"],
                        sessions(result.events(), first.horizon_min), first.staffing,
                        first.origin, economics_summary(result))


def from_run_dir(folder: Path) -> ReportInputs:
    """Inputs from a folder written by ``itr-sim run --out``, after checking every file
    against the folder's manifest (:func:`itr_sim.report.runfolder.open_run_folder` raises
    :class:`~itr_sim.report.runfolder.RunFolderError` otherwise)."""
    run = open_run_folder(folder)
    kpis = run.document("kpis")
    meta = kpis["metadata"]
    origin = datetime.fromisoformat(meta["start"]).replace(tzinfo=ZoneInfo(meta["timezone"]))
    events = run.table("events")
    events = events[events["event"] != "notified"]
    staffing_rows = run.table("staffing")
    staffing = {str(unit): Staffing(tuple(g["from_min"].astype(float)),
                                    tuple(g["agents"].astype(int)))
                for unit, g in staffing_rows.groupby("unit")}
    return ReportInputs(kpis, run.table("clocks"), run.table("backlog"),
                        sessions(events, float(meta["horizon_min"])), staffing, origin)


def render(inputs: ReportInputs) -> str:
    k = inputs.kpis
    meta = k["metadata"]
    start, end = float(meta["warmup_min"]), float(meta["horizon_min"])
    local = inputs.origin
    offset = local.weekday() * 1440 + local.hour * 60 + local.minute
    tiers = list(k["tiers"])
    empty = not k["tickets"]["arrived"]  # no demand after the warm-up: nothing to chart
    charts = [] if empty else [
        ("SLA attainment", figures.attainment(k),
         "Share of due clocks met, per level and severity, with 95% intervals over "
         "replications; a red edge marks a level/severity/clock below its target."),
        ("Backlog", figures.backlog(inputs.backlog),
         "Open customer tickets over the measured period (mean and range over replications)."),
        ("Load by hour of week", figures.load_heatmap(
            inputs.sessions, inputs.staffing, tiers, offset, start, end, k["replications"]),
         "Busy agents over agents on duty per tier, by weekday and hour; red cells are where "
         "staffing is tight."),
        ("Escalation flow", figures.flow(k),
         "Tickets per week reaching each line, resolved there, and handed to the next."),
        ("Time to resolve", figures.resolve_times(inputs.clocks),
         "Wall-clock hours from arrival to resolution, per level."),
        ("Management escalations", figures.escalations(k),
         "Notices sent by the escalation ladders, per role and week."),
        ("Cost to serve", figures.cost(k),
         "Staffed cost allocated to levels by the work their tickets caused, against revenue."),
    ]
    body = [f"<h1>Service report: {html.escape(k['scenario'])}</h1>",
            f"<p class='meta'>{k['replications']} replications, seed {k['seed']}, "
            f"{k['measured_weeks']:g} measured weeks from {html.escape(meta['start'])} "
            f"({html.escape(meta['timezone'])}); scenario hash "
            f"{html.escape(meta['scenario_hash'][:12])}</p>"]
    body += _headline(k)
    body += _tier_table(k)
    body += _entitlement_table(k)
    body += _economics_table(k, inputs.economics)
    if empty:
        body.append("<p>No ticket arrived after the warm-up, so there is nothing to chart: "
                    "check the demand of the scenario.</p>")
    for title, png, caption in charts:
        data = base64.b64encode(png).decode("ascii")
        body.append(f"<figure><h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' "
                    f"src='data:image/png;base64,{data}'><figcaption>{html.escape(caption)}"
                    "</figcaption></figure>")
    return _page(k["scenario"], "\n".join(body), len(charts))


def _headline(k: dict[str, Any]) -> list[str]:
    cells = []
    for level, sevs in k["sla"].items():
        for sev, clocks in sevs.items():
            for clock, cell in clocks.items():
                if cell["target"] is not None and cell["attainment"] is not None:
                    cells.append((cell["attainment"] - cell["target"], level, sev, clock, cell))
    missed = sorted(c for c in cells if c[0] < 0)
    out = ["<h2>Are we keeping our SLAs?</h2>"]
    if not missed:
        out.append(f"<p class='ok'>Yes: all {len(cells)} level/severity/clock targets are met "
                   "on average.</p>")
        return out
    out.append(f"<p class='bad'>{len(missed)} of {len(cells)} level/severity/clock targets "
               "are missed on average. Where it hurts most:</p><table><tr><th>level</th>"
               "<th>severity</th><th>clock</th><th>attainment</th><th>95% CI</th>"
               "<th>target</th></tr>")
    for _, level, sev, clock, cell in missed[:8]:
        lo, hi = cell["ci95"]
        ci = "-" if lo is None else f"{lo:.1%} - {hi:.1%}"
        out.append(f"<tr><td>{level}</td><td>{sev}</td><td>{clock}</td>"
                   f"<td class='bad'>{cell['attainment']:.1%}</td><td>{ci}</td>"
                   f"<td>{cell['target']:.0%}</td></tr>")
    out.append("</table>")
    return out


def _tier_table(k: dict[str, Any]) -> list[str]:
    rows = ["<h2>Lines</h2><table><tr><th>line</th><th>resolved share</th><th>991 target</th>"
            "<th>utilisation</th><th>mean wait</th><th>OLA attainment</th></tr>"]
    for name, t in k["tiers"].items():
        ola = k["ola"].get(name, {}).get("attainment")
        target = "-" if t["target_share_991"] is None else f"{t['target_share_991']:.0%}"
        wait = "-" if t["mean_wait_min"] is None else f"{t['mean_wait_min'] / 60:.1f} h"
        rows.append(f"<tr><td>{name}</td><td>{_pct(t['resolved_share'])}</td><td>{target}</td>"
                    f"<td>{_pct(t['utilisation'])}</td><td>{wait}</td><td>{_pct(ola)}</td></tr>")
    cost = k["cost"]
    per = "no ticket" if cost["per_ticket"] is None else f"{cost['per_ticket']:,.0f} per ticket"
    rows.append(f"</table><p>Cost to serve: {cost['total']:,.0f} {k['currency']} over "
                f"{k['measured_weeks']:g} weeks, {per}.</p>")
    return rows


OUTCOME_NAMES = {"entitled": "entitled (SLA clocks of their level)",
                 "emergency_only": "expired contract, critical: emergency recovery only",
                 "rejected": "expired contract: rejected",
                 "best_effort": "no contract data: best effort"}


def _entitlement_table(k: dict[str, Any]) -> list[str]:
    """Customer tickets per KCP1 outcome, and the times of those served without an SLA
    (they have no SLA clocks, so they are not in the attainment above)."""
    outcomes = k.get("entitlement")
    if not outcomes:  # a run folder written before the section existed
        return []
    rows = ["<h2>Entitlement</h2><table><tr><th>outcome</th><th>tickets</th><th>closed</th>"
            "<th>mean time to restore</th><th>mean time to resolve</th></tr>"]
    for name, cell in outcomes.items():
        times = cell.get("times_h", {})
        mean = {clock: _pooled_mean([c[clock] for c in times.values() if clock in c])
                for clock in ("restore", "resolve")}
        rows.append(f"<tr><td>{html.escape(OUTCOME_NAMES.get(name, name))}</td>"
                    f"<td>{cell['arrived']:,.1f}</td><td>{cell['closed']:,.1f}</td>"
                    f"<td>{mean['restore']}</td><td>{mean['resolve']}</td></tr>")
    rows.append("</table><p>Tickets per replication after the warm-up (complaints do not go "
                "through entitlement). Emergency-only and best-effort tickets have no SLA "
                "clocks and are left out of the attainment above; their times are wall-clock "
                "hours from arrival.</p>")
    return rows


def _economics_table(k: dict[str, Any], econ: dict[str, dict[str, Any]] | None) -> list[str]:
    """Per level and contract-year: the fully allocated staff cost, parts, fixed cost and
    expected service credits, against the list price (docs/economics.md)."""
    per_level = k.get("cost", {}).get("per_level", {})
    if econ is None or not per_level:
        return []
    cur = html.escape(str(k.get("currency", "")))
    rows = ["<h2>Economics per contract-year</h2><table><tr><th>level</th><th>contracts</th>"
            "<th>revenue</th><th>staff, fully allocated</th><th>parts</th><th>fixed</th>"
            "<th>expected credits</th></tr>"]
    for level, e in econ.items():
        c = per_level.get(level, {})
        n = e["contracts"]
        if not n:
            continue
        years = k["measured_weeks"] / (365 / 7)
        revenue = c.get("revenue", 0.0) / n / years
        cells = [c.get("cost_per_contract_year")] + [e[x]["mean"] for x in
                                                     ("parts", "fixed", "credits")]
        shown = "".join(f"<td>{v:,.0f}</td>" if v is not None else "<td>-</td>"
                        for v in cells)
        rows.append(f"<tr><td>{html.escape(level)}</td><td>{n}</td><td>{revenue:,.0f}</td>"
                    f"{shown}</tr>")
    rows.append(f"</table><p class='meta'>In {cur}. Staff cost is fully allocated: today's "
                "staff shared out by busy minutes, which moves when other levels' volumes "
                "move; the cost of one more contract (marginal cost) and the price floor "
                "come from <code>itr-sim price</code> (docs/economics.md).</p>")
    return rows


def _pooled_mean(cells: list[dict[str, Any]]) -> str:
    n = sum(c["n"] for c in cells)
    if not n:
        return "-"
    return f"{sum(c['mean'] * c['n'] for c in cells) / n:.1f} h"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _page(title: str, body: str, figures_expected: int) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>itr-sim report: {html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th {{ background: #f2f2f2; }}
td:first-child {{ text-align: left; }}
.bad {{ color: #b00020; font-weight: bold; }}
.ok {{ color: #1b5e20; font-weight: bold; }}
.meta {{ color: #666; font-size: 90%; }}
figure {{ margin: 1.5em 0; }}
figure img {{ max-width: 100%; }}
figcaption {{ color: #555; font-size: 90%; }}
</style></head>
<body data-figures="{figures_expected}" data-loaded="0">
{body}
<script>
window.addEventListener("load", function () {{
  var ok = Array.prototype.filter.call(document.images, function (img) {{
    return img.complete && img.naturalWidth > 0;
  }});
  document.body.setAttribute("data-loaded", String(ok.length));
}});
</script>
</body></html>
"""
