"""The sections of the report, in page order: each a function of the
:class:`~itr_sim.report.page.Page` returning an HTML fragment ("" to leave it out)."""

from __future__ import annotations

import base64
import html
import math
from typing import Any

from itr_sim import __version__
from itr_sim.analysis.stats import MIN_USEFUL_REPLICATIONS, VERDICTS
from itr_sim.report import figures
from itr_sim.report.loadgrid import overloaded_hours
from itr_sim.report.page import Page, Section
from itr_sim.report.tables import cost_table, measured_period
from itr_sim.report.words import GLOSSARY, label

__all__ = ["SECTIONS"]

OVERLOADED = 0.85
"""Utilisation from which an hour of the week counts as overloaded in "what to change"."""
QUIET = 0.25
"""Utilisation below which an hour of the week counts as quiet."""
WORST_ROWS = 8
"""Rows of "where it hurts" (the rest are in the attainment chart)."""

_e = html.escape


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 100:.{digits}f}%"


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _badge(verdict: str) -> str:
    return f"<span class='v-{verdict.replace(' ', '-')}'>{verdict}</span>"


def _interval(row: Any) -> str:
    if math.isnan(row.ci_low):
        return "no interval"
    return f"{row.ci_low * 100:.1f}-{row.ci_high * 100:.1f}%"


def _figure(title: str, fig: Any, caption: str, anchor: str) -> str:
    data = base64.b64encode(figures.svg(fig)).decode("ascii")
    return (f"<figure id='{anchor}'><h2>{_e(title)}</h2><img alt='{_e(title)}' "
            f"src='data:image/svg+xml;base64,{data}'><figcaption>{_e(caption)}</figcaption>"
            "</figure>")


def header(page: Page) -> str:
    k, meta = page.kpis, page.meta
    first, last = measured_period(page.inputs.origin, page.start_min, page.end_min)
    desc = f"<p>{_e(page.description)}</p>" if page.description else ""
    if page.real:
        return _real_header(page)
    out = [f"<header id='header'><h1>Service report: {_e(label(k['scenario']))}</h1>{desc}",
           f"<p class='meta'>Measured {first} to {last} ({k['measured_weeks']:g} weeks after "
           f"a warm-up, {_e(meta['timezone'])}); {k['replications']} replications, seed "
           f"{k['seed']}; scenario hash {_e(meta['scenario_hash'][:12])}.</p>"]
    if page.replications < MIN_USEFUL_REPLICATIONS:
        out.append(f"<p class='warn' id='few-replications'><b>Only {page.replications} "
                   f"replication{'s' if page.replications != 1 else ''}:</b> the 95% intervals"
                   " are too wide to tell a met target from a missed one, so most verdicts "
                   f"below read \"at risk\". Run at least {MIN_USEFUL_REPLICATIONS} (the "
                   "scenario's default is usually 10): <code>itr-sim run "
                   f"{_e(page.scenario_file)} -n 10 --out DIR</code>.</p>")
    if page.empty:
        out.append("<p class='warn'>No ticket arrived after the warm-up, so there is nothing "
                   "to chart: check the demand of the scenario.</p>")
    out.append("</header>")
    return "".join(out)


def _real_header(page: Page) -> str:
    k, src = page.kpis, page.kpis.get("source", {})
    return (f"<header id='header'><h1>Service report: {_e(label(k['scenario']))}</h1>"
            f"<p class='meta'>Measured on the {_e(page.source)} ({k['measured_weeks']:.1f} "
            f"weeks, {_e(page.meta['timezone'])}; mapping {_e(str(src.get('mapping', '?')))}, "
            f"catalogue {_e(str(src.get('catalog', '?')))}). One set of measured figures: no "
            "replications, no intervals; an attainment below its target is missed.</p>"
            "</header>")


def _not_in_log(anchor: str, title: str, what: str) -> str:
    """The one line a real log's report shows for a section the log cannot fill."""
    return (f"<section id='{anchor}'><h2>{_e(title)}</h2><p class='meta'>Not in the log: "
            f"{_e(what)}.</p></section>")


def status(page: Page) -> str:
    sla = page.sla
    out = ["<section id='status'><h2>Are we keeping our SLAs?</h2>"]
    if sla.empty:
        out.append("<p>No SLA clock was due in the measured period.</p></section>")
        return "".join(out)
    counts = sla["verdict"].value_counts()
    rule = ("<i>Missed</i> means the measured attainment is below the target." if page.real
            else "<i>Missed</i> means the whole 95% interval lies below the target; "
            "<i>at risk</i> that it straddles the target.")
    out.append(f"<p>Of {len(sla)} targets (level x severity x clock): "
               + ", ".join(f"{_badge(v)} {int(counts.get(v, 0))}" for v in VERDICTS)
               + f". {rule}</p><div class='tiles'>")
    for level, g in sla.groupby("level", sort=False):
        worst = next(v for v in reversed(VERDICTS) if (g["verdict"] == v).any())
        low = g.sort_values("gap_points").iloc[0]
        weekly = page.weekly[page.weekly["level"] == level]
        trend = ""
        if len(weekly) >= 2:
            trend = (f"; weekly {_pct(weekly['attainment'].iloc[0])} in the first week, "
                     f"{_pct(weekly['attainment'].iloc[-1])} in the last")
        due = g["due_per_replication"].sum() / page.kpis["measured_weeks"]
        tally = ", ".join(f"{int((g['verdict'] == v).sum())} {v}" for v in VERDICTS)
        out.append(f"<div class='tile v-{worst.replace(' ', '-')}'><h3>{_e(label(level))}: "
                   f"{worst} <span class='meta'>({tally})</span></h3><div>worst: "
                   f"{_e(low.severity)} {_e(low.clock)} <span class='big'>"
                   f"{_pct(low.attainment)}</span> against {_pct(low.target, 0)}</div>"
                   f"<div class='meta'>{_num(due)} due clocks a week{trend}</div></div>")
    out.append("</div></section>")
    return "".join(out)


def _blamed(page: Page, level: str, severity: str, clock: str) -> str:
    b = page.blame
    mine = b[(b["level"] == level) & (b["severity"] == severity) & (b["clock"] == clock)]
    if mine.empty:
        return "-"
    total = page.blame_totals.get((level, severity, clock), 0.0)
    mine = mine.sort_values("breaches", ascending=False)
    parts = [f"{'no OLA overran' if r.tier == 'none' else r.tier} {r.breaches / total:.0%}"
             for r in mine.itertuples(index=False) if total]
    return ", ".join(parts[:2])


def _share_unblamed(page: Page, level: str, severity: str, clock: str) -> float:
    """Share of a cell's breaches for which no OLA overran (0 without attribution)."""
    b = page.blame
    mine = b[(b["level"] == level) & (b["severity"] == severity) & (b["clock"] == clock)
             & (b["tier"] == "none")]
    total = page.blame_totals.get((level, severity, clock), 0.0)
    return float(mine["breaches"].sum()) / total if total else 0.0


def where_it_hurts(page: Page) -> str:
    sla = page.sla
    bad = sla[sla["verdict"] != "met"].copy()
    out = ["<section id='where-it-hurts'><h2>Where it hurts</h2>"]
    if bad.empty:
        out.append("<p>Every target is met with its whole interval above it.</p></section>")
        return "".join(out)
    bad["rank"] = bad["verdict"].map({"missed": 0, "at risk": 1})
    bad = bad.sort_values(["rank", "gap_points"])
    rest = len(bad) - WORST_ROWS
    bad = bad.head(WORST_ROWS)
    month = page.monthly
    months = [c for c in month.columns if c not in ("level", "severity", "clock")]
    per_cell = {(r[0], r[1], r[2]): sum(r[3:]) for r in
                month[["level", "severity", "clock", *months]].itertuples(index=False)}
    weeks = page.kpis["measured_weeks"]
    out.append("<table><tr><th class='l'>level</th><th class='l'>severity</th>"
               f"<th class='l'>budget</th><th>attainment{'' if page.real else ' (95% interval)'}"
               "</th><th>target</th>"
               "<th>gap, points</th><th>breaches a week</th><th class='l'>blamed on "
               "(share of breaches)</th><th class='l'>verdict</th></tr>")
    for r in bad.itertuples(index=False):
        per_week = per_cell.get((r.level, r.severity, r.clock), 0.0) / weeks
        out.append(f"<tr><td>{_e(label(r.level))}</td><td class='l'>{_e(r.severity)}</td>"
                   f"<td class='l'>{_e(r.words)}</td><td class='n'>{_pct(r.attainment)} "
                   + ("" if page.real else f"<span class='meta'>({_interval(r)})</span>")
                   + f"</td><td>{_pct(r.target, 0)}</td>"
                   f"<td>{r.gap_points:+.1f}</td><td>{per_week:,.1f}</td>"
                   f"<td class='l'>{_e(_blamed(page, r.level, r.severity, r.clock))}</td>"
                   f"<td class='l'>{_badge(r.verdict)}</td></tr>")
    more = f" {rest} more at risk in the chart below." if rest > 0 else ""
    blame = ("Breaches a week: in the log. Blamed on: not in the log (no OLAs)." if page.real
             else "Breaches a week: mean per replication. Blamed on: the lines whose OLA "
             "overran before the SLA clock stopped (response, restore and resolve only; a "
             "breach can be blamed on two lines).")
    out.append(f"</table><p class='meta'>Targets missed or at risk, missed first, then by "
               f"gap.{more} {blame}</p></section>")
    return "".join(out)


def what_to_change(page: Page) -> str:
    if page.empty or page.real:  # staffing advice needs agents on duty
        return ""
    hot = overloaded_hours(page.grid, OVERLOADED)
    out = ["<section id='what-to-change'><h2>What to change</h2><ul>"]
    for tier, words in hot.items():
        g = page.grid[page.grid["tier"] == tier]
        staffed = g[g["on_duty"] > 0]
        quiet = int((staffed["utilisation"] < QUIET).sum())
        mean = page.kpis["tiers"].get(tier, {}).get("utilisation")
        if not words:
            continue
        busy = (f"<li><b>{_e(tier)}</b> is {OVERLOADED:.0%} or more busy on "
                f"{_e('; '.join(words[:4]))}{' and more' if len(words) > 4 else ''}")
        if quiet:
            out.append(f"{busy}, and below {QUIET:.0%} busy in {quiet} of its {len(staffed)} "
                       f"staffed hours of the week: its average of {_pct(mean)} hides both. "
                       "Move agent hours from the quiet hours into the busy ones before "
                       "adding people.</li>")
        else:
            out.append(f"{busy} (average {_pct(mean)}, no quiet hour to take agents "
                       "from).</li>")
    ola = page.kpis.get("ola", {})
    blamed = sorted(((v.get("sla_breaches_attributed") or 0.0, t) for t, v in ola.items()),
                    reverse=True)
    if blamed and blamed[0][0] > 0:
        out.append("<li>SLA breaches per replication blamed on each line (its OLA overran "
                   "first): " + ", ".join(f"{_e(t)} {n:,.1f}" for n, t in blamed) + ".</li>")
    unprotected = [r for r in page.sla[page.sla["verdict"] == "missed"].itertuples()
                   if _share_unblamed(page, r.level, r.severity, r.clock) > 0.5]
    if unprotected:
        names = "; ".join(f"{label(r.level)} {r.severity} ({r.words})" for r in unprotected)
        out.append(f"<li>Most breaches of {_e(names)} happen with every OLA kept: the lines' "
                   "budgets are looser than this SLA clock, so tighten the OLAs (or the "
                   "queue order) for these tickets.</li>")
    if len(out) == 1:
        out.append(f"<li>No line is {OVERLOADED:.0%} busy in any hour of the week.</li>")
    scenario = _e(page.scenario_file)
    out.append(f"</ul><p>Let the simulator propose the least-cost staffing that keeps every "
               f"target, then compare it with today's on the same random numbers:</p>"
               f"<pre>itr-sim staff {scenario} --write staffed.yaml\n"
               f"itr-sim compare {scenario} staffed.yaml -n {max(page.replications, 10)}"
               "</pre></section>")
    return "".join(out)


def attainment_chart(page: Page) -> str:
    if page.sla.empty:
        return ""
    return _figure("Every clock against its target",
                   figures.attainment(page.sla).figure,
                   "Dot: mean attainment over replications, coloured and shaped by verdict; "
                   "line: 95% interval; black bar: target. The scale is zoomed to the data.",
                   "fig-attainment")


def weekly_chart(page: Page) -> str:
    if page.weekly.empty:
        return ""
    names = sorted({name for _, name in page.holidays})
    shade = (f" Grey days are holidays ({', '.join(names)} calendar)." if names else "")
    return _figure("Weekly attainment", figures.weekly_attainment(page.weekly, page.holidays)
                   .figure, "Share of the level's SLA clocks due in each week that were met "
                   "(mean over replications); dashed: the share if every clock just kept its "
                   "own target." + shade, "fig-weekly")


def monthly_report(page: Page) -> str:
    m = page.monthly
    months = [c for c in m.columns if c not in ("level", "severity", "clock")]
    out = ["<section id='monthly'><h2>Monthly SLA-failure report</h2>"]
    if m.empty:
        out.append("<p>No SLA clock breached in the measured period.</p></section>")
        return "".join(out)
    out.append("<table><tr><th class='l'>level</th><th class='l'>severity</th>"
               "<th class='l'>clock</th>" + "".join(f"<th>{_e(x)}</th>" for x in months)
               + "<th>total</th></tr>")
    for r in m.itertuples(index=False):
        values = list(r[3:])
        out.append(f"<tr><td>{_e(label(r[0]))}</td><td class='l'>{_e(r[1])}</td>"
                   f"<td class='l'>{_e(r[2])}</td>"
                   + "".join(f"<td>{v:,.1f}</td>" for v in values)
                   + f"<td><b>{sum(values):,.1f}</b></td></tr>")
    totals = m[months].sum()
    out.append("<tr><th class='l' colspan='3'>all clocks</th>"
               + "".join(f"<th>{v:,.1f}</th>" for v in totals)
               + f"<th>{totals.sum():,.1f}</th></tr></table><p class='meta'>Breached SLA "
               "clocks per replication by the month of their deadline; the first and last "
               "month hold only their measured days.</p></section>")
    return "".join(out)


def lines(page: Page) -> str:
    k = page.kpis
    rows = ["<section id='lines'><h2>Lines</h2><table><tr><th class='l'>line</th>"
            "<th>resolved share</th><th>991 target</th><th>utilisation</th><th>mean wait</th>"
            "<th>OLA attainment</th><th>SLA breaches blamed</th></tr>"]
    for name, t in k["tiers"].items():
        ola = k["ola"].get(name, {})
        target = "-" if t["target_share_991"] is None else f"{t['target_share_991']:.0%}"
        wait = "-" if t["mean_wait_min"] is None else f"{t['mean_wait_min'] / 60:,.1f} h"
        rows.append(f"<tr><td>{_e(name)}</td><td>{_pct(t['resolved_share'])}</td>"
                    f"<td>{target}</td><td>{_pct(t.get('utilisation'))}</td><td>{wait}</td>"
                    f"<td>{_pct(ola.get('attainment'))}</td>"
                    f"<td>{_num(ola.get('sla_breaches_attributed'), 1)}</td></tr>")
    note = (" <p class='meta'>Not in the log: utilisation (agents on duty), OLA attainment "
            "and breaches blamed on a line.</p>" if page.real else "")
    rows.append(f"</table>{note}</section>")
    if not page.empty:
        rows.append(_figure("Escalation flow", figures.flow(k).figure,
                            "Tickets per week reaching each line, resolved there, and handed "
                            "to the next.", "fig-flow"))
    return "".join(rows)


def ola_budgets(page: Page) -> str:
    """Today's and the proposed OLA budgets, when the page shows an OLA design."""
    return ola_view(page.inputs.ola)


def ola_view(design: dict[str, Any] | None) -> str:
    """Today's and the proposed OLA budgets per clock, severity and tier, and the vendors'
    underpinning contracts (docs/ola.md)."""
    if not design or not design["groups"]:
        return ""
    rows = ["<section id='ola-budgets'><h2>OLA budgets: today and proposed</h2><p>Per-tier "
            "budgets that protect each SLA clock (rule: " + html.escape(design["rule"])
            + "). <em>met</em>: share of visits within today's budget; <em>escalate</em>: "
            "the budget to hand over (path rule), <em>proposed</em>: to restore or resolve "
            "at this line; <em>checked</em>: within the proposal, simulated "
            f"on seed {design['check_seed']}; <em>joint</em>: tickets within every budget of "
            "their path.</p><table><tr><th>clock</th><th>severity</th>"
            "<th>calendar</th><th>SLA</th><th>line</th><th>today</th><th>met</th>"
            "<th>escalate</th><th>proposed</th><th>target</th><th>checked</th>"
            "<th>joint</th><th>verdict</th></tr>"]
    for g in design["groups"]:
        for t in g["tiers"]:
            verdict = g["verdict"] if t["realistic"] else "staffing: see itr-sim staff"
            cls = "" if g["verdict"] == "ok" else " class='v-missed'"
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
            low = v["attainment"] is not None and v["attainment"] < v["attainment_target"]
            cls = " class='v-missed'" if low else ""
            rows.append(f"<tr><td>{html.escape(v['tier'])}</td>"
                        f"<td>{html.escape(v['target'])}</td>"
                        f"<td>{html.escape(v['calendar'])}</td>"
                        f"<td>{v['attainment_target']:.0%}</td><td>{v['waits']}</td>"
                        f"<td{cls}>{_pct(v['attainment'])}</td>"
                        f"<td>{v['sla_breaches_attributed']}</td></tr>")
        rows.append("</table>")
    rows.append("</section>")
    return "".join(rows)


def load_chart(page: Page) -> str:
    if page.real:
        return _not_in_log("fig-load", "Load by hour of week",
                           "agents on duty, so no utilisation by hour")
    if page.empty:
        return ""
    return _figure("Load by hour of week", figures.load_heatmap(page.grid),
                   "Busy agents over agents on duty per line, by weekday and local hour "
                   "(mean over the measured weeks and replications); bright cells are where "
                   "staffing is tight, dark ones where agents wait for work.", "fig-load")


def backlog_chart(page: Page) -> str:
    if page.empty:
        return ""
    caption = ("Open cases of the log over the measured period (cases opened before the "
               "extract are not in it)." if page.real else "Open customer tickets over the "
               "measured period: mean and the range over replications.")
    return _figure("Backlog", figures.backlog(page.inputs.backlog, page.inputs.origin).figure,
                   caption, "fig-backlog")


def resolve_chart(page: Page) -> str:
    if page.empty:
        return ""
    return _figure("Time to resolve", figures.resolve_times(page.inputs.clocks, page.levels)
                   .figure, "Wall-clock hours from arrival to resolution, per level.",
                   "fig-resolve")


OUTCOME_NAMES = {"entitled": "entitled (SLA clocks of their level)",
                 "emergency_only": "expired contract, critical: emergency recovery only",
                 "rejected": "expired contract: rejected",
                 "best_effort": "no contract data: best effort"}


def entitlement(page: Page) -> str:
    """Customer tickets per KCP1 outcome, and the times of those served without an SLA
    (they have no SLA clocks, so they are not in the attainment above)."""
    outcomes = page.kpis.get("entitlement")
    if not outcomes:  # a run folder written before the section existed
        return ""
    rows = ["<section id='entitlement'><h2>Entitlement</h2><table><tr><th class='l'>outcome"
            "</th><th>tickets</th><th>closed</th><th>mean time to restore</th>"
            "<th>mean time to resolve</th></tr>"]
    for name, cell in outcomes.items():
        times = cell.get("times_h", {})
        mean = {clock: _pooled_mean([c[clock] for c in times.values() if clock in c])
                for clock in ("restore", "resolve")}
        rows.append(f"<tr><td>{_e(OUTCOME_NAMES.get(name, name))}</td>"
                    f"<td>{cell['arrived']:,.1f}</td><td>{cell['closed']:,.1f}</td>"
                    f"<td>{mean['restore']}</td><td>{mean['resolve']}</td></tr>")
    rows.append("</table><p class='meta'>Tickets per replication after the warm-up "
                "(complaints do not go through entitlement). Emergency-only and best-effort "
                "tickets have no SLA clocks and are left out of the attainment above; their "
                "times are wall-clock hours from arrival.</p></section>")
    return "".join(rows)


def complaints_and_satisfaction(page: Page) -> str:
    """Complaints per stage (reached, hours in the stage, share within its limit) and the
    survey (response, score and share satisfied per level), when the scenario has them."""
    k = page.kpis
    parts = []
    stages = k.get("complaints", {}).get("stages")
    if stages:
        parts.append("<h3>Complaint stages</h3><table><tr><th class='l'>stage</th>"
                     "<th>complaints reaching it</th><th>mean hours there</th>"
                     "<th>within its limit</th><th>target</th><th>verdict</th></tr>")
        for name, cell in stages.items():
            w = cell["within_limit"]
            target = "-" if w["target"] is None else f"{w['target']:.0%}"
            parts.append(f"<tr><td>{_e(name)}</td><td>{_num(cell['reached']['mean'], 1)}</td>"
                         f"<td>{_num(cell['hours']['mean'], 1)}</td><td>{_pct(w['share'])}</td>"
                         f"<td>{target}</td><td>{_badge(w['verdict']) if w['verdict'] else '-'}"
                         "</td></tr>")
        major = k["complaints"].get("major", {})
        parts.append("</table><p class='meta'>Complaints per replication after the warm-up; "
                     f"major ones: {_num(major.get('vip', {}).get('mean'), 1)} from VIP "
                     f"customers, {_num(major.get('repeated', {}).get('mean'), 1)} after "
                     "repeated outages. A stage is within its limit when it resolved the "
                     "complaint before the limit passed.</p>")
    sat = k.get("satisfaction")
    if sat:
        parts.append(f"<h3>Satisfaction survey</h3><p>Response {_pct(sat['response']['mean'])}"
                     f" of callbacks ({sat['response']['answered']:,} answers).</p><table><tr>"
                     "<th class='l'>level</th><th>mean score (1-5)</th><th>satisfied</th>"
                     "<th>interval</th><th>target</th><th>verdict</th></tr>")
        for level, cell in sat["levels"].items():
            s = cell["satisfied"]
            lo, hi = s["ci95"]
            target = "-" if s["target"] is None else f"{s['target']:.0%}"
            parts.append(f"<tr><td>{_e(level)}</td><td>{_num(cell['score']['mean'], 2)}</td>"
                         f"<td>{_pct(s['share'])}</td><td>{_pct(lo)}-{_pct(hi)}</td>"
                         f"<td>{target}</td><td>{_badge(s['verdict']) if s['verdict'] else '-'}"
                         "</td></tr>")
        parts.append("</table><p class='meta'>Scores come from the model of each ticket's "
                     "outcomes (breached clocks, queue waits, reopenings, complaint) in "
                     "docs/engine.md; satisfied: a score of 4 or more by default.</p>")
    if not parts:
        return ""
    return ("<section id='complaints'><h2>Complaints and satisfaction</h2>" + "".join(parts)
            + "</section>")


def _pooled_mean(cells: list[dict[str, Any]]) -> str:
    n = sum(c["n"] for c in cells)
    if not n:
        return "-"
    return f"{sum(c['mean'] * c['n'] for c in cells) / n:,.1f} h"


def escalations_chart(page: Page) -> str:
    if page.empty or (page.real and not page.kpis["escalations_per_week"]):
        return ""
    sent = ("Notices the catalogue's escalation ladders would have sent on these cases"
            if page.real else "Notices sent by the escalation ladders")
    return _figure("Management escalations", figures.escalations(page.kpis).figure,
                   f"{sent}, per role and week.", "fig-escalations")


def cost(page: Page) -> str:
    if "cost" not in page.kpis:
        return _not_in_log("cost", "Cost to serve", "agents' hours, cost and revenue")
    k = page.kpis
    table = cost_table(k, page.levels)
    c = k["cost"]
    per = "no ticket" if c["per_ticket"] is None else f"{c['per_ticket']:,.0f} per ticket"
    out = [f"<section id='cost'><h2>Cost to serve</h2><p>{c['total']:,.0f} {_e(k['currency'])}"
           f" over {k['measured_weeks']:g} weeks, {per}.</p>"]
    if not table.empty:
        out.append("<table><tr><th class='l'>level</th><th>contracts</th><th>cost</th>"
                   "<th>revenue</th><th>margin</th><th>cost per ticket</th></tr>")
        for r in table.itertuples(index=False):
            out.append(f"<tr><td>{_e(label(r.level))}</td><td>{r.contracts:,}</td>"
                       f"<td>{_num(r.cost)}</td><td>{_num(r.revenue)}</td>"
                       f"<td>{_num(r.margin)}</td><td>{_num(r.cost_per_ticket)}</td></tr>")
        out.append("</table><p class='meta'>Staffed cost is shared among levels by the work "
                   "their tickets cause, so a level's margin moves when another level's "
                   "work grows even if nothing else changes.</p>")
    out.append("</section>")
    if not page.empty and not table.empty:
        out.append(_figure("Cost and revenue", figures.cost(table, k["currency"],
                                                             k["measured_weeks"]).figure,
                           f"Cost to serve against revenue per level, {k['currency']}.",
                           "fig-cost"))
    return "".join(out)


def economics(page: Page) -> str:
    """Per level and contract-year: the fully allocated staff cost, parts, fixed cost and
    expected service credits, against the list price (docs/economics.md); shown for a run
    simulated with the report (a run folder keeps no per-contract economics)."""
    return economics_table(page.kpis, page.inputs.economics)


def economics_table(k: dict[str, Any], econ: dict[str, dict[str, Any]] | None) -> str:
    """Per level and contract-year: the fully allocated staff cost, parts, fixed cost and
    expected service credits, against the list price (docs/economics.md)."""
    per_level = k.get("cost", {}).get("per_level", {})
    if econ is None or not per_level:
        return ""
    cur = _e(str(k.get("currency", "")))
    rows = ["<section id='economics'><h2>Economics per contract-year</h2><table><tr>"
            "<th>level</th><th>contracts</th>"
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
        rows.append(f"<tr><td>{_e(level)}</td><td>{n}</td><td>{revenue:,.0f}</td>"
                    f"{shown}</tr>")
    rows.append(f"</table><p class='meta'>In {cur}. Staff cost is fully allocated: today's "
                "staff shared out by busy minutes, which moves when other levels' volumes "
                "move; the cost of one more contract (marginal cost) and the price floor "
                "come from <code>itr-sim price</code> (docs/economics.md).</p></section>")
    return "".join(rows)


def glossary(page: Page) -> str:
    items = "".join(f"<dt>{_e(term)}</dt><dd>{_e(text)}</dd>" for term, text in GLOSSARY.items())
    return f"<section id='glossary'><h2>Glossary</h2><dl>{items}</dl></section>"


def footer(page: Page) -> str:
    when = page.generated.strftime("%Y-%m-%d %H:%M UTC")
    return (f"<footer class='meta' id='footer'><hr>Generated by itr-sim {_e(__version__)} on "
            f"{when} from {_e(page.source)}; method and verdict rule: docs/reports.md."
            "</footer>")


SECTIONS: list[Section] = [
    header, status, what_to_change, where_it_hurts, attainment_chart, weekly_chart,
    monthly_report, lines, ola_budgets, load_chart, backlog_chart, resolve_chart, entitlement,
    complaints_and_satisfaction, escalations_chart, cost, economics, glossary, footer,
]
"""The report's sections in page order."""
