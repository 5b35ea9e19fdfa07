"""The outcome of ``itr-sim check`` as text, JUnit XML, Markdown and CI annotations."""

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from itr_sim.analysis.regression import KpiChange

__all__ = ["ScenarioCheck", "annotations", "describe", "format_value", "junit_xml", "markdown",
           "text_lines"]


@dataclass
class ScenarioCheck:
    """One scenario checked against its baseline. ``status``: pass, regression or error
    (bad input: no baseline, another scenario's, a changed scenario); ``message`` says what
    went wrong and what to do; ``notes`` are remarks (versions that differ, a changed
    scenario allowed)."""

    scenario: str
    file: str
    status: str
    identical: bool = False
    changes: list[KpiChange] = field(default_factory=list)
    message: str = ""
    notes: list[str] = field(default_factory=list)
    seed: int | None = None
    replications: int | None = None

    @property
    def regressions(self) -> list[KpiChange]:
        return [c for c in self.changes if c.verdict == "regression"]


def _share(kpi: str) -> bool:
    return kpi.startswith(("sla.", "service.", "ola.", "utilisation.", "quality.first_time_fix",
                           "quality.reopen_rate")) or kpi.endswith("resolved_share")


def format_value(kpi: str, value: float | None, delta: bool = False) -> str:
    """Shares as % (differences in points), money with separators, others with 2 decimals."""
    if value is None or math.isnan(value):
        return "-"
    plus = "+" if delta and value > 0 else ""
    if _share(kpi):
        return f"{plus}{value * 100:.1f} pt" if delta else f"{value * 100:.1f}%"
    if kpi.startswith(("cost.", "margin.")):
        return f"{plus}{value:,.0f}"
    return f"{plus}{value:.2f}"


def _tolerance(c: KpiChange) -> str:
    tol = c.tolerance
    if tol.relative:
        return str(tol)
    return f"{tol.value * 100:g} pt" if _share(c.kpi) else f"{tol.value:g}"


def _q(x: float) -> str:
    return "-" if math.isnan(x) else (f"{x:.2g}" if x >= 1e-4 else "<0.0001")


def describe(c: KpiChange) -> str:
    """One line: the KPI, baseline -> now, the change, p and q, the tolerance."""
    if c.verdict in ("new", "gone"):
        side = f"now {format_value(c.kpi, c.b)}" if c.verdict == "new" else \
            f"baseline {format_value(c.kpi, c.a)}"
        why = "not in the baseline" if c.verdict == "new" else "not measured any more"
        return f"{c.kpi}: {c.verdict} ({side}; {why})"
    return (f"{c.kpi}: baseline {format_value(c.kpi, c.a)}, now {format_value(c.kpi, c.b)} "
            f"({format_value(c.kpi, c.delta, delta=True)}; p {_q(c.p)}, q {_q(c.q)}; "
            f"tolerance {_tolerance(c)})")


def text_lines(check: ScenarioCheck) -> list[str]:
    """What ``check`` prints for one scenario."""
    head = f"{check.scenario} ({check.file})"
    if check.status == "error":
        return [f"{head}: ERROR: {check.message}"]
    lines = []
    if check.identical:
        lines.append(f"{head}: pass, identical to the baseline ({check.replications} "
                     f"replications, seed {check.seed})")
    else:
        n = len(check.regressions)
        test = "paired t" if check.changes and check.changes[0].paired else "Welch t"
        verdict = f"FAIL, {n} regression(s)" if n else "pass"
        lines.append(f"{head}: {verdict} ({check.replications} replications, seed "
                     f"{check.seed}; {test}, Benjamini-Hochberg over {len(check.changes)} "
                     f"KPIs)")
        for kind in ("regression", "improvement", "changed"):
            for c in check.changes:
                if c.verdict == kind:
                    lines.append(f"  {kind:<11} {describe(c)}")
    for c in check.changes:
        if c.verdict in ("new", "gone"):
            lines.append(f"  {c.verdict:<11} {describe(c)}")
    lines.extend(f"  note: {note}" for note in check.notes)
    return lines


def junit_xml(checks: list[ScenarioCheck]) -> str:
    """One test suite per scenario, one test case per KPI (a regression is a failure, new
    and gone KPIs are skipped); a scenario that could not be checked is one errored case."""
    root = ET.Element("testsuites", name="itr-sim check")
    for check in checks:
        suite = ET.SubElement(root, "testsuite", name=check.scenario)
        failures = errors = skipped = 0
        if check.status == "error":
            case = ET.SubElement(suite, "testcase", classname=check.scenario, name="baseline")
            ET.SubElement(case, "error", message=check.message).text = check.message
            errors += 1
        for c in check.changes:
            case = ET.SubElement(suite, "testcase", classname=check.scenario, name=c.kpi)
            if c.verdict == "regression":
                failures += 1
                ET.SubElement(case, "failure", message=f"regression: {describe(c)}",
                              type="regression").text = describe(c)
            elif c.verdict in ("new", "gone"):
                skipped += 1
                ET.SubElement(case, "skipped", message=describe(c))
            else:
                ET.SubElement(case, "system-out").text = f"{c.verdict}: {describe(c)}"
        total = len(check.changes) + (check.status == "error")
        suite.set("tests", str(total))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"


def markdown(checks: list[ScenarioCheck]) -> str:
    """A summary for a pull request or a CI job page: one line per scenario, then a table of
    the KPIs that moved (regressions first)."""
    lines = ["# itr-sim check", "", "| scenario | result |", "|---|---|"]
    for check in checks:
        if check.status == "error":
            result = f"error: {check.message}"
        elif check.identical:
            result = "pass (identical to the baseline)"
        elif check.regressions:
            result = f"**FAIL**: {len(check.regressions)} regression(s)"
        else:
            result = "pass"
        lines.append(f"| {check.scenario} | {result.replace('|', '/')} |")
    for check in checks:
        moved = [c for c in check.changes if c.verdict != "same"]
        if not moved:
            continue
        order = {"regression": 0, "improvement": 1, "changed": 2, "new": 3, "gone": 4}
        lines += ["", f"## {check.scenario}", "",
                  "| KPI | verdict | baseline | now | change | p | q | tolerance |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for c in sorted(moved, key=lambda c: (order[c.verdict], c.kpi)):
            verdict = f"**{c.verdict}**" if c.verdict == "regression" else c.verdict
            lines.append(f"| `{c.kpi}` | {verdict} | {format_value(c.kpi, c.a)} | "
                         f"{format_value(c.kpi, c.b)} | "
                         f"{format_value(c.kpi, c.delta, delta=True)} | {_q(c.p)} | "
                         f"{_q(c.q)} | {_tolerance(c)} |")
        lines.extend(f"\n{note}" for note in check.notes)
    return "\n".join(lines) + "\n"


def annotations(checks: list[ScenarioCheck]) -> list[tuple[str, str, str, str]]:
    """(kind, file, title, message) of the CI annotations: an error per regression and per
    scenario that could not be checked, a notice per new or gone KPI."""
    out = []
    for check in checks:
        if check.status == "error":
            out.append(("error", check.file, f"itr-sim check {check.scenario}", check.message))
        for c in check.changes:
            if c.verdict == "regression":
                out.append(("error", check.file, f"regression in {check.scenario}",
                            describe(c)))
            elif c.verdict in ("new", "gone"):
                out.append(("notice", check.file, f"{c.verdict} KPI in {check.scenario}",
                            describe(c)))
    return out
