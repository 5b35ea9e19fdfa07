"""The inputs of a report and the page being rendered: :class:`ReportInputs` (from a run in
memory or a run folder) and :class:`Page`, the tables every section shares, each computed
once on first use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from itr_sim.analysis.kpis import sessions
from itr_sim.analysis.logsummary import KIND
from itr_sim.analysis.summary import Analysis
from itr_sim.engine.replicate import RunResult, scenario_hash
from itr_sim.engine.staffing import Staffing
from itr_sim.model.load import LoadedScenario, load_scenario
from itr_sim.model.source import ScenarioError
from itr_sim.report import tables
from itr_sim.report.loadgrid import load_grid
from itr_sim.report.runfolder import RunFolder, RunFolderError, open_run_folder

__all__ = ["Page", "ReportInputs", "Section", "from_run", "from_run_dir"]


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
    ola: dict[str, Any] | None = None   # an OLA design (`itr-sim ola --report`), to show
    economics: dict[str, dict[str, Any]] | None = None  # economics_summary of a run


def from_run(result: RunResult, analysis: Analysis) -> ReportInputs:
    from itr_sim.analysis.economics import economics_summary

    first = result.replications[0]
    return ReportInputs(analysis.summary, analysis.tables["clocks"], analysis.tables["backlog"],
                        sessions(result.events(), first.horizon_min), first.staffing,
                        first.origin, result.tickets(), analysis.tables["attribution"],
                        result.loaded, str(result.loaded.path),
                        economics=economics_summary(result))


def from_run_dir(folder: Path) -> ReportInputs:
    """Inputs from a folder written by ``itr-sim run --out``, after checking every file
    against the folder's manifest (:func:`itr_sim.report.runfolder.open_run_folder` raises
    :class:`~itr_sim.report.runfolder.RunFolderError` otherwise). The scenario file named in
    the metadata is read again for its description, catalogue order and holidays when it
    still has the run's scenario hash. A folder written by ``itr-sim ingest --catalog`` (a
    real log) gives its measured KPIs, without staffing."""
    run = open_run_folder(folder)
    if run.metadata.get("kind") == KIND:
        return _from_ingested(run)
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


def _from_ingested(run: RunFolder) -> ReportInputs:
    """Inputs of a real log ingested with a catalogue: no staffing, sessions or breach
    attribution (a log has none of them)."""
    if "kpis.json" not in run.metadata["files"]:
        raise RunFolderError(run.path, "an ingested log without a catalogue has no SLA "
                             "figures to report", "ingest it again with `itr-sim ingest LOG "
                             "--mapping M --out DIR --catalog CATALOG.yaml`")
    kpis = run.document("kpis")
    meta = kpis["metadata"]
    origin = datetime.fromisoformat(meta["start"]).replace(tzinfo=ZoneInfo(meta["timezone"]))
    no_sessions = pd.DataFrame(columns=["replication", "ticket", "unit", "start", "end"])
    return ReportInputs(kpis, run.table("clocks"), run.table("backlog"), no_sessions, {},
                        origin, None, None, None, None)


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
    def real(self) -> bool:
        """A real ticket log (``itr-sim ingest``), not a simulation: one set of figures, no
        staffing, cost or intervals."""
        return self.meta.get("kind") == KIND

    @property
    def source(self) -> str:
        """What the figures come from, in words: "real log: FILE, FIRST to LAST" or the
        scenario file."""
        if not self.real:
            return self.scenario_file
        first, last = tables.measured_period(self.inputs.origin, self.start_min, self.end_min)
        return f"real log: {self.kpis['source'].get('file', '?')}, {first} to {last}"

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
        staffed = [t for t in self.kpis["tiers"] if t in self.inputs.staffing]
        return load_grid(self.inputs.sessions, self.inputs.staffing, staffed, offset,
                         self.start_min, self.end_min, self.replications)

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
"""A section of the report: the page in, an HTML fragment out ("" to leave it out)."""
