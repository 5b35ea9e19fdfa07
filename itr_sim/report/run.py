"""The notebook API: :func:`simulate` a scenario or :func:`load_run` a run folder, and read
the result as tidy DataFrames and matplotlib figures (the same ones the HTML report shows).

    >>> import itr_sim
    >>> run = itr_sim.load_run("out/baseline")        # or itr_sim.simulate("baseline.yaml")
    >>> run.sla[run.sla["verdict"] != "met"]          # targets missed or at risk
    >>> run.plot.attainment()                         # matplotlib Axes
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from itr_sim.analysis.compare import compare as paired
from itr_sim.analysis.logsummary import KIND
from itr_sim.analysis.stats import MIN_USEFUL_REPLICATIONS, VERDICTS
from itr_sim.analysis.summary import Analysis, analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.files import write_atomic
from itr_sim.model.load import load_scenario
from itr_sim.model.source import Diagnostic, ScenarioError
from itr_sim.report import figures, tables
from itr_sim.report.html import render
from itr_sim.report.page import Page, ReportInputs, from_run, from_run_dir
from itr_sim.report.runfolder import RunFolderError, open_run_folder
from itr_sim.report.tables import measured_period
from itr_sim.report.timetext import text_columns

__all__ = ["Plots", "Run", "load_ingested", "load_run", "simulate"]

_COMPARED = ("attainment", "backlog_summary", "cost", "entitlement", "quality", "tiers",
             "utilisation", "notifications")


class Run:
    """One run's results. Build it with :func:`simulate` or :func:`load_run`.

    Tidy tables (pandas DataFrames, one row per observation, columns named for people):
    :attr:`sla`, :attr:`tiers`, :attr:`cost`, :attr:`weekly`, :attr:`monthly`,
    :attr:`load`, :attr:`events`; the summary object of ``itr-sim run --json`` as
    :attr:`kpis`; figures under :attr:`plot`."""

    def __init__(self, inputs: ReportInputs, *, analysis: Analysis | None = None,
                 events: Callable[[], pd.DataFrame], source: str,
                 tables_of: Callable[[str], pd.DataFrame] | None = None,
                 present: frozenset[str] = frozenset(_COMPARED)) -> None:
        self._page = Page(inputs)
        self._analysis = analysis
        self._events = events
        self._tables_of = tables_of
        self._present = present
        self.source = source
        """The scenario file simulated or the run folder loaded."""
        self.plot = Plots(self)
        """The report's figures: ``run.plot.attainment(ax=...)`` and so on."""

    @property
    def kpis(self) -> dict[str, Any]:
        """The summary object (the JSON of ``itr-sim run --json``; keys in docs/kpis.md)."""
        return self._page.kpis

    @property
    def scenario(self) -> str:
        return str(self.kpis["scenario"])

    @property
    def replications(self) -> int:
        return self._page.replications

    @property
    def period(self) -> tuple[str, str]:
        """First and last measured day (local ISO dates)."""
        return measured_period(self._page.inputs.origin, self._page.start_min,
                               self._page.end_min)

    @property
    def real(self) -> bool:
        """Whether this is a real ticket log (``itr-sim ingest --catalog``): one set of
        measured figures, without staffing, cost or intervals."""
        return self._page.real

    @property
    def levels(self) -> list[str]:
        """Service levels in catalogue order."""
        return self._page.levels

    @property
    def sla(self) -> pd.DataFrame:
        """One row per level, severity and clock with a target: ``budget`` (as in the
        catalogue) and ``words`` ("restore within 4 h"), ``target``, mean ``attainment``,
        ``ci_low``/``ci_high`` (95% interval over replications), ``gap_points``
        (attainment minus target, percentage points), ``verdict`` (met, at risk, missed:
        :func:`itr_sim.analysis.stats.verdict`) and ``due_per_replication``."""
        return self._page.sla.copy()

    @property
    def tiers(self) -> pd.DataFrame:
        """One row per tier: resolved share against 991, utilisation, mean wait (hours),
        tickets reaching it a week, OLA attainment, SLA breaches blamed per replication."""
        return tables.tier_table(self.kpis)

    @property
    def cost(self) -> pd.DataFrame:
        """Cost to serve, revenue and margin per level over the measured weeks (mean over
        replications), in the catalogue's currency (:attr:`currency`); no rows for a real
        log (not in it)."""
        if "cost" not in self.kpis:
            return tables.cost_table({"cost": {"per_level": {}}}, self.levels)
        return tables.cost_table(self.kpis, self.levels)

    @property
    def currency(self) -> str:
        return str(self.kpis["currency"])

    @property
    def weekly(self) -> pd.DataFrame:
        """Weekly attainment per level against its target (``week`` = first local day)."""
        return self._page.weekly.copy()

    @property
    def monthly(self) -> pd.DataFrame:
        """The monthly SLA-failure report: breaches per replication by month (columns
        ``YYYY-MM``), level, severity and clock."""
        return self._page.monthly.copy()

    @property
    def load(self) -> pd.DataFrame:
        """Busy agents, agents on duty and utilisation per tier, weekday (0 = Monday) and
        local hour, averaged over the measured weeks and replications; no rows for a real
        log (agents on duty are not in it)."""
        return self._page.grid.copy()

    @property
    def events(self) -> pd.DataFrame:
        """The event log of every replication (one row per state change of a ticket)."""
        return self._events()

    @property
    def analysis(self) -> Analysis:
        """The per-replication KPI tables and the summary, as :func:`itr_sim.analyse` gives
        them (read from the folder for a loaded run)."""
        if self._analysis is None:
            assert self._tables_of is not None
            self._analysis = Analysis({name: self._tables_of(name) for name in _COMPARED
                                       if name in self._present}, self.kpis)
        return self._analysis

    def compare(self, other: Run) -> pd.DataFrame:
        """Paired differences ``other`` minus this run per KPI, with their 95% interval and
        whether it excludes zero. Meaningful when both ran with the same seed and
        replications (common random numbers), e.g. two :func:`simulate` calls with the
        same ``seed``."""
        result = paired(self.analysis, other.analysis)
        rows = pd.DataFrame(result["kpis"])
        lo_hi = pd.DataFrame(rows.pop("ci95").tolist(), columns=["ci_low", "ci_high"])
        return pd.concat([rows, lo_hi], axis=1)[["kpi", "a", "b", "delta", "ci_low", "ci_high",
                                                 "significant"]]

    def report(self, path: str | Path = "report.html") -> Path:
        """Write the HTML report of this run to ``path`` (replaced if it exists, in one
        rename, so a reader never sees half a page)."""
        out = Path(path)
        write_atomic(out, render(self._page.inputs))
        return out

    def _counts(self) -> dict[str, int]:
        sla = self._page.sla
        return {v: int((sla["verdict"] == v).sum()) for v in VERDICTS}

    def __repr__(self) -> str:
        first, last = self.period
        counts = ", ".join(f"{n} {v}" for v, n in self._counts().items())
        if self.real:
            return f"<Run {self._page.source}; {len(self._page.sla)} SLA targets: {counts}>"
        return (f"<Run {self.scenario}: {self.replications} replications, {first} to {last}; "
                f"{len(self._page.sla)} SLA targets: {counts}>")

    def _repr_html_(self) -> str:
        first, last = self.period
        counts = self._counts()
        warn = ""
        runs = f"{self.replications} replications"
        if self.real:
            runs = "real log"
        elif self.replications < MIN_USEFUL_REPLICATIONS:
            warn = (f"<p><b>Only {self.replications} replications:</b> intervals too wide "
                    "for useful verdicts.</p>")
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(level)}</td>"
            + "".join(f"<td>{int((g['verdict'] == v).sum())}</td>" for v in VERDICTS)
            + "</tr>"
            for level, g in self._page.sla.groupby("level", sort=False))
        return (f"<div><b>Run {html.escape(self.scenario)}</b>: {runs}, "
                f"measured {first} to {last}; {counts['missed']} missed, "
                f"{counts['at risk']} at risk, {counts['met']} met of "
                f"{sum(counts.values())} SLA targets.{warn}<table><tr><th>level</th>"
                + "".join(f"<th>{v}</th>" for v in VERDICTS) + f"</tr>{rows}</table></div>")


class Plots:
    """The report's figures for one run; each method takes an optional matplotlib ``ax``
    and returns what it drew on (the Figure for :meth:`load` without a tier)."""

    def __init__(self, run: Run) -> None:
        self._run = run

    def attainment(self, ax: Any = None) -> Any:
        """Every clock against its target (dot: mean, line: 95% interval, bar: target)."""
        return figures.attainment(self._run._page.sla, ax=ax)

    def weekly(self, ax: Any = None) -> Any:
        """Weekly attainment per level against target, holidays shaded."""
        page = self._run._page
        return figures.weekly_attainment(page.weekly, page.holidays, ax=ax)

    def backlog(self, ax: Any = None) -> Any:
        """Open tickets over the measured period."""
        page = self._run._page
        return figures.backlog(page.inputs.backlog, page.inputs.origin, ax=ax)

    def load(self, tier: str | None = None, ax: Any = None) -> Any:
        """Utilisation by hour of the week: every tier (a Figure), or one ``tier`` on ``ax``;
        for a real log, an empty Axes saying that agents on duty are not in the log."""
        if self._run.real:
            import matplotlib.pyplot as plt

            ax = ax if ax is not None else plt.subplots(figsize=(9, 1.5))[1]
            ax.set_axis_off()
            ax.text(0.5, 0.5, "Not in the log: agents on duty, so no utilisation by hour",
                    ha="center", va="center", transform=ax.transAxes)
            return ax
        return figures.load_heatmap(self._run._page.grid, tier, ax=ax)

    def flow(self, ax: Any = None) -> Any:
        """Escalation flow L1 -> L2 -> L3 against 991."""
        return figures.flow(self._run.kpis, ax=ax)

    def resolve_times(self, ax: Any = None) -> Any:
        """Time to resolve per level."""
        page = self._run._page
        return figures.resolve_times(page.inputs.clocks, page.levels, ax=ax)

    def escalations(self, ax: Any = None) -> Any:
        """Management escalation notices per role and week."""
        return figures.escalations(self._run.kpis, ax=ax)

    def cost(self, ax: Any = None) -> Any:
        """Cost to serve against revenue per level."""
        run = self._run
        return figures.cost(run.cost, run.currency, run.kpis["measured_weeks"], ax=ax)


def _bar(done: int, total: int) -> None:
    sys.stderr.write(f"\rreplication {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def simulate(path: str | Path, replications: int | None = None, *, seed: int | None = None,
             sets: dict[str, Any] | None = None, progress: bool = True, jobs: int = 1) -> Run:
    """Simulate the scenario at ``path`` and analyse it, as ``itr-sim run`` does.

    ``replications`` and ``seed`` default to the scenario's (the report's numbers for the
    same scenario); ``sets`` overrides keys by their dotted path
    (``{"organisation.tiers.L2.shifts.0.agents": 4}``); ``progress`` writes
    "replication k/n" to stderr; ``jobs`` > 1 runs replications in parallel processes.
    Raises :class:`itr_sim.ScenarioError` for a bad scenario (its ``diagnostics`` name file,
    line and key)."""
    loaded = load_scenario(path, sets=sets)
    result = run_scenario(loaded, replications=replications, seed=seed, jobs=jobs,
                          progress=_bar if progress else None)
    analysis = analyse(result)
    return Run(from_run(result, analysis), analysis=analysis, events=result.events,
               source=str(path))


def load_run(folder: str | Path) -> Run:
    """The run in a folder written by ``itr-sim run SCENARIO --out FOLDER``, checked against
    its manifest (raises :class:`itr_sim.report.runfolder.RunFolderError` when a file is
    missing, extra or changed), or by ``itr-sim ingest LOG --catalog CAT --out FOLDER`` (a
    real log: :attr:`Run.real`). The same numbers as ``itr-sim report FOLDER``."""
    path = Path(folder)
    inputs = from_run_dir(path)
    run = open_run_folder(path)
    present = frozenset(n for n in _COMPARED if run.has_table(n))
    return Run(inputs, events=lambda: run.table("events"), source=str(path),
               tables_of=run.table, present=present)


TEXT_COLUMNS = ["event", "unit", "detail", "kind", "customer", "level", "severity", "type",
                "number", "group", "resource", "product", "time"]
"""Columns of an ingested event log read as text ("" for empty)."""


def load_ingested(folder: str | Path) -> tuple[pd.DataFrame, datetime, dict[str, Any]]:
    """Events, origin and metadata (with the data ``checks``) of a folder written by
    ``itr-sim ingest``; raises :class:`~itr_sim.model.source.ScenarioError` (bad input,
    exit 2) for anything else."""
    path = Path(folder)
    try:
        run = open_run_folder(path)
    except RunFolderError as exc:
        raise ScenarioError([Diagnostic(str(path), 0, "", f"{exc.message}; give a folder "
                                        "written by `itr-sim ingest LOG --mapping M --out "
                                        "DIR`")]) from None
    if run.metadata.get("kind") != KIND:
        raise ScenarioError([Diagnostic(str(path), 0, "", "not an ingested log (a simulated "
                                        "run?); write one with `itr-sim ingest`")])
    if run.table_file("events") == "events.csv":
        events = pd.read_csv(run.path / "events.csv", dtype=dict.fromkeys(TEXT_COLUMNS, str),
                             keep_default_na=False)
    else:  # written as Parquet: the same text columns, "" for empty
        events = text_columns(run.table("events"))
        for name in set(TEXT_COLUMNS) & set(events.columns):
            events[name] = events[name].astype(object).where(events[name].notna(), "") \
                .astype(str)
    origin = datetime.fromisoformat(run.metadata["origin"]).astimezone(
        ZoneInfo(run.metadata["timezone"]))
    meta = {**run.metadata, "checks": run.document("checks")}
    return events, origin, meta
