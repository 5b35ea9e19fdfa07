"""A self-contained HTML report (figures embedded as SVG) a leader can mail around.

The page is a list of sections (:data:`SECTIONS`, functions of :class:`Page` returning an
HTML fragment, in :mod:`itr_sim.report.sections`); a new section is one function and one
entry in that list."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from itr_sim.analysis.kpis import sessions
from itr_sim.analysis.summary import Analysis
from itr_sim.engine.replicate import RunResult, scenario_hash
from itr_sim.engine.staffing import Staffing
from itr_sim.model.load import LoadedScenario, load_scenario
from itr_sim.model.source import ScenarioError
from itr_sim.report import tables
from itr_sim.report.loadgrid import load_grid
from itr_sim.report.runfolder import open_run_folder

__all__ = ["GENERATOR", "Page", "ReportInputs", "from_run", "from_run_dir", "render"]


@dataclass
class ReportInputs:
    """What the report reads: the summary (``kpis``), the tables it draws from, and the
    scenario as loaded when it is known (None for a run folder whose scenario file moved or
    changed since the run)."""

    kpis: dict[str, Any]
    clocks: pd.DataFrame
    backlog: pd.DataFrame
    sessions: pd.DataFrame
    staffing: dict[str, Staffing]
    origin: datetime
    tickets: pd.DataFrame | None = None
    attribution: pd.DataFrame | None = None
    loaded: LoadedScenario | None = None
    scenario_file: str | None = None


def from_run(result: RunResult, analysis: Analysis) -> ReportInputs:
    first = result.replications[0]
    return ReportInputs(analysis.summary, analysis.tables["clocks"], analysis.tables["backlog"],
                        sessions(result.events(), first.horizon_min), first.staffing,
                        first.origin, result.tickets(), analysis.tables["attribution"],
                        result.loaded, str(result.loaded.path))


def from_run_dir(folder: Path) -> ReportInputs:
    """Inputs from a folder written by ``itr-sim run --out``, after checking every file
    against the folder's manifest (:func:`itr_sim.report.runfolder.open_run_folder` raises
    :class:`~itr_sim.report.runfolder.RunFolderError` otherwise). The scenario file named in
    the metadata is read again for its description, catalogue order and holidays when it
    still has the run's scenario hash."""
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
                        sessions(events, float(meta["horizon_min"])), staffing, origin,
                        run.table("tickets"), run.table("attribution"),
                        _same_scenario(meta, folder), meta.get("scenario_file"))


def _same_scenario(meta: dict[str, Any], folder: Path) -> LoadedScenario | None:
    """The run's scenario, read again from its file (as named at run time, relative to the
    working directory or to the folders above the run folder) when it still has the run's
    hash; None otherwise."""
    name = meta.get("scenario_file")
    if not name:
        return None
    for base in (Path.cwd(), *folder.resolve().parents[:3]):
        path = base / name
        if not path.is_file():
            continue
        try:
            loaded = load_scenario(path)
        except ScenarioError:
            continue
        if scenario_hash(loaded) == meta.get("scenario_hash"):
            return loaded
    return None


@dataclass
class Page:
    """One report being rendered: the inputs and the tables every section shares, each
    computed once on first use."""

    inputs: ReportInputs
    generated: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def kpis(self) -> dict[str, Any]:
        return self.inputs.kpis

    @property
    def meta(self) -> dict[str, Any]:
        return self.inputs.kpis["metadata"]

    @property
    def start_min(self) -> float:
        return float(self.meta["warmup_min"])

    @property
    def end_min(self) -> float:
        return float(self.meta["horizon_min"])

    @property
    def replications(self) -> int:
        return int(self.kpis["replications"])

    @property
    def empty(self) -> bool:
        """No demand after the warm-up: nothing to chart."""
        return not self.kpis["tickets"]["arrived"]

    @cached_property
    def levels(self) -> list[str]:
        cat = self.inputs.loaded.catalog if self.inputs.loaded else None
        return tables.level_order(self.kpis, list(cat.levels) if cat else None)

    @cached_property
    def sla(self) -> pd.DataFrame:
        cat = self.inputs.loaded.catalog if self.inputs.loaded else None
        table = tables.sla_table(self.kpis, self.levels, list(cat.severities) if cat else None,
                                 tables.budgets_of(self.inputs.clocks))
        return table.assign(words=tables.with_words(table))

    @cached_property
    def tickets(self) -> pd.DataFrame:
        if self.inputs.tickets is not None:
            return self.inputs.tickets
        ids = self.inputs.clocks[["replication", "ticket"]].drop_duplicates()
        return ids.assign(warmup=False)

    @cached_property
    def weekly(self) -> pd.DataFrame:
        return tables.weekly_attainment(self.inputs.clocks, self.tickets, self.sla,
                                        self.inputs.origin, self.start_min, self.end_min,
                                        self.replications)

    @cached_property
    def monthly(self) -> pd.DataFrame:
        return tables.monthly_breaches(self.inputs.clocks, self.tickets, self.sla,
                                       self.inputs.origin, self.start_min, self.end_min,
                                       self.replications)

    @cached_property
    def blame(self) -> pd.DataFrame:
        if self.inputs.attribution is None:
            return tables.blame(pd.DataFrame(columns=["level", "severity", "clock",
                                                      "tiers"]), self.replications)
        return tables.blame(self.inputs.attribution, self.replications)

    @cached_property
    def blame_totals(self) -> dict[tuple[str, str, str], float]:
        """Breaches with an attribution row per replication, per level, severity and clock."""
        a = self.inputs.attribution
        if a is None or a.empty:
            return {}
        counts = a.groupby(["level", "severity", "clock"]).size() / max(self.replications, 1)
        return {(str(k[0]), str(k[1]), str(k[2])): float(v) for k, v in counts.items()}

    @cached_property
    def grid(self) -> pd.DataFrame:
        local = self.inputs.origin
        offset = local.weekday() * 1440 + local.hour * 60 + local.minute
        return load_grid(self.inputs.sessions, self.inputs.staffing, list(self.kpis["tiers"]),
                         offset, self.start_min, self.end_min, self.replications)

    @cached_property
    def holidays(self) -> list[tuple[date, str]]:
        """Measured days that are holidays in a calendar of the catalogue (day, calendar)."""
        if self.inputs.loaded is None:
            return []
        cat = self.inputs.loaded.catalog
        first, last = tables.measured_period(self.inputs.origin, self.start_min, self.end_min)
        days = [date.fromisoformat(first) + timedelta(days=i) for i in
                range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)]
        out: dict[date, str] = {}
        for name, spec in cat.calendars.items():
            if spec.holidays is None and not spec.workdays:
                continue
            calendar = cat.calendar(name)
            for day in days:
                if calendar.is_holiday(day):
                    out.setdefault(day, name)
        return sorted(out.items())

    @property
    def description(self) -> str:
        return self.inputs.loaded.scenario.description if self.inputs.loaded else ""

    @property
    def scenario_file(self) -> str:
        return self.inputs.scenario_file or "SCENARIO.yaml"


Section = Callable[[Page], str]


def render(inputs: ReportInputs, *, generated: datetime | None = None) -> str:
    """The report page: every section of :data:`SECTIONS` in order."""
    from itr_sim.report.sections import SECTIONS

    page = Page(inputs) if generated is None else Page(inputs, generated)
    body = "\n".join(part for part in (section(page) for section in SECTIONS) if part)
    return _page(inputs.kpis["scenario"], body, body.count("<img "))


GENERATOR = "itr-sim"
"""The generator of every report page; `itr-sim report` replaces an existing file without
--force only when it carries this mark (a report it wrote before)."""

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1040px;
       margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 92%; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; vertical-align: top; }
th { background: #f2f2f2; }
td.l, th.l, td:first-child { text-align: left; }
.meta { color: #555; font-size: 90%; }
td.n { white-space: nowrap; }
.tile h3 .meta { font-weight: normal; }
.warn { background: #FFF4D6; border-left: 4px solid #E69F00; padding: 0.5em 0.8em; }
.tiles { display: flex; flex-wrap: wrap; gap: 0.8em; }
.tile { flex: 1 1 220px; border-radius: 6px; padding: 0.6em 0.9em; border: 2px solid; }
.tile h3 { margin: 0 0 0.3em; }
.tile .big { font-size: 140%; font-weight: bold; }
.v-met { border-color: #009E73; background: #E6F5F0; }
.v-at-risk { border-color: #E69F00; background: #FFF4D6; }
.v-missed { border-color: #D55E00; background: #FBE9DF; }
span.v-met, span.v-at-risk, span.v-missed { border: 1px solid; border-radius: 3px;
       padding: 0 4px; white-space: nowrap; }
code, pre { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; }
pre { padding: 0.6em; overflow-x: auto; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 90%; }
dt { font-weight: bold; } dd { margin: 0 0 0.4em 1.5em; }
"""


def _page(title: str, body: str, figures_expected: int) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="generator" content="{GENERATOR}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>itr-sim report: {html.escape(title)}</title>
<style>{_STYLE}</style></head>
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
