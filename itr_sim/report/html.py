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
    ola: dict[str, Any] | None = None   # an OLA design (`itr-sim ola --report`), to show


def from_run(result: RunResult, analysis: Analysis) -> ReportInputs:
    first = result.replications[0]
    return ReportInputs(analysis.summary, analysis.tables["clocks"], analysis.tables["backlog"],
                        sessions(result.events(), first.horizon_min), first.staffing,
                        first.origin)


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
    body += _ola_view(inputs.ola)
    body += _entitlement_table(k)
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


def _ola_view(design: dict[str, Any] | None) -> list[str]:
    """Today's and the proposed OLA budgets per clock, severity and tier, and the vendors'
    underpinning contracts (docs/ola.md)."""
    if not design or not design["groups"]:
        return []
    rows = ["<h2>OLA budgets: today and proposed</h2><p>Per-tier budgets that protect each "
            "SLA clock (rule: " + html.escape(design["rule"]) + "). <em>met</em>: share of "
            "visits within today's budget; <em>escalate</em>: the budget to hand over (path "
            "rule), <em>proposed</em>: to restore or resolve at this line; <em>checked</em>: "
            f"within the proposal, simulated on seed {design['check_seed']}; <em>joint</em>: "
            "tickets within every budget of their path.</p><table><tr><th>clock</th>"
            "<th>severity</th><th>calendar</th><th>SLA</th><th>line</th><th>today</th>"
            "<th>met</th><th>escalate</th><th>proposed</th><th>target</th><th>checked</th>"
            "<th>joint</th><th>verdict</th></tr>"]
    for g in design["groups"]:
        for t in g["tiers"]:
            verdict = g["verdict"] if t["realistic"] else "staffing: see itr-sim staff"
            cls = "" if g["verdict"] == "ok" else " class='bad'"
            rows.append(
                f"<tr><td>{g['clock']}</td><td>{html.escape(g['severity'])}</td>"
                f"<td>{html.escape(g['calendar'])}</td><td>{html.escape(g['sla_budget'])} "
                f"at {g['sla_attainment_target']:.0%}</td><td>{html.escape(t['tier'])}</td>"
                f"<td>{html.escape(t['today'] or '-')}</td><td>{_pct(t['today_attainment'])}"
                f"</td><td>{html.escape(t.get('escalate') or '-')}</td>"
                f"<td>{html.escape(t['proposed'])}</td>"
                f"<td>{t['attainment_target']:.1%}</td><td>{_pct(t['checked_attainment'])}"
                f"</td><td>{_pct(g.get('joint_attainment'))}</td>"
                f"<td{cls}>{html.escape(verdict)}</td></tr>")
    rows.append("</table>")
    vendors = design.get("vendors") or []
    if vendors:
        rows.append("<h3>Underpinning contracts (vendors)</h3><table><tr><th>vendor of</th>"
                    "<th>target</th><th>calendar</th><th>attainment target</th><th>waits</th>"
                    "<th>met</th><th>SLA breaches attributed</th></tr>")
        for v in vendors:
            cls = "" if v["attainment"] is None or v["attainment"] >= v["attainment_target"] \
                else " class='bad'"
            rows.append(f"<tr><td>{html.escape(v['tier'])}</td>"
                        f"<td>{html.escape(v['target'])}</td>"
                        f"<td>{html.escape(v['calendar'])}</td>"
                        f"<td>{v['attainment_target']:.0%}</td><td>{v['waits']}</td>"
                        f"<td{cls}>{_pct(v['attainment'])}</td>"
                        f"<td>{v['sla_breaches_attributed']}</td></tr>")
        rows.append("</table>")
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


def _pooled_mean(cells: list[dict[str, Any]]) -> str:
    n = sum(c["n"] for c in cells)
    if not n:
        return "-"
    return f"{sum(c['mean'] * c['n'] for c in cells) / n:.1f} h"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


GENERATOR = "itr-sim"
"""The generator of every report page; `itr-sim report` replaces an existing file without
--force only when it carries this mark (a report it wrote before)."""


def _page(title: str, body: str, figures_expected: int) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="generator" content="{GENERATOR}">
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
