"""``itr-sim run``: simulate a scenario and write its event log."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from itr_sim.cli.choices import CheckFailOn, Executor, TableFormat
from itr_sim.cli.output import bars_off, detail, info, step
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from itr_sim.analysis.aftercare import aftercare_verdicts
from itr_sim.analysis.compare import run_kpis
from itr_sim.analysis.evaluate import Verdict, evaluation_of, judge, run_options
from itr_sim.analysis.kpis import with_attainment
from itr_sim.analysis.streaming import replication_sums, run_streaming
from itr_sim.analysis.summary import Analysis, analyse
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.load import LoadedScenario, load_scenario, parse_assignments
from itr_sim.model.source import ScenarioError
from itr_sim.report.runfolder import RunFolderError
from itr_sim.report.runwrite import RunFolderLock, lock_run_folder, write_run_folder
from itr_sim.units import MINUTES_PER_WEEK

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def write_run(result: RunResult, out: Path, fmt: str, analysis: Analysis | None = None, *,
              force: bool = False, lock: RunFolderLock | None = None) -> list[Path]:
    """Write the event log (with the ladders' ``notified`` events), tickets, staffing, the
    per-ticket clocks, the KPI tables of a run and the tidy long table of every KPI per
    replication (``kpi_values``: replication, kpi, value) into the run folder ``out``, plus
    metadata.json with the manifest and, given an analysis, kpis.json (see
    :mod:`itr_sim.report.runwrite`)."""
    events = result.events()
    tables = {"events": events, "tickets": result.tickets(), "staffing": _staffing(result)}
    documents = {}
    if analysis is not None:
        tables["events"] = _with_notices(events, analysis.tables["notifications"])
        tables.update(analysis.tables)
        tables["kpi_values"] = run_kpis(result, analysis)
        documents["kpis"] = analysis.summary
    return write_run_folder(out, tables, documents, result.metadata, fmt, force=force,
                            lock=lock)


def write_streamed(result: RunResult, out: Path, analysis: Analysis, *, force: bool = False,
                   lock: RunFolderLock | None = None) -> list[Path]:
    """Streaming mode keeps no log: write metadata.json and kpis.json."""
    return write_run_folder(out, {}, {"kpis": analysis.summary}, result.metadata, force=force,
                            lock=lock)


def streamed_header(kpis: dict[str, Any]) -> str:
    lines = [f"{kpis['scenario']}: {kpis['replications']} replication(s), "
             f"{kpis['measured_weeks']:g} weeks measured, seed {kpis['seed']}, streamed "
             f"(at most {kpis['peak_log_rows']:,} log rows held)",
             "tickets per replication after warm-up (mean): arrived / closed / still open"]
    for kind, cell in kpis["tickets"]["by_kind"].items():
        arrived, closed = cell["arrived"], cell["closed"]
        lines.append(f"  {kind:<14} {arrived:9.1f} {closed:9.1f} {arrived - closed:9.1f}")
    return "\n".join(lines)


def _with_notices(events: pd.DataFrame, notes: pd.DataFrame) -> pd.DataFrame:
    """The event log with one ``notified`` row per notice (unit = role, detail = clock)."""
    if notes.empty:
        return events
    attrs = events.drop_duplicates(["replication", "ticket"]).set_index(
        ["replication", "ticket"])[["kind", "customer", "level", "severity", "type"]]
    rows = notes.rename(columns={"role": "unit", "clock": "detail"})[
        ["replication", "ticket", "time_min", "unit", "detail"]].assign(event="notified")
    rows = rows.join(attrs, on=["replication", "ticket"])
    if "time" in events.columns:
        origin = events["time"].iloc[0] - pd.to_timedelta(events["time_min"].iloc[0], unit="min")
        rows["time"] = origin + pd.to_timedelta(rows["time_min"], unit="min")
    events = events.copy(deep=False)
    for column in ("event", "unit", "detail", "kind", "customer", "level", "severity", "type"):
        # one set of categories for both parts (a concat of two would fall back to text)
        names = pd.Index(events[column].astype("category").cat.categories).union(
            pd.Index(rows[column].dropna().unique()), sort=False)
        events[column] = events[column].astype("category").cat.set_categories(names)
        rows[column] = pd.Categorical(rows[column], categories=names)
    merged = pd.concat([events, rows], ignore_index=True)
    return merged.sort_values(["replication", "time_min", "ticket"], kind="stable",
                              ignore_index=True)


def _staffing(result: RunResult) -> pd.DataFrame:
    rows = []
    rep = result.replications[0]
    for unit, steps in rep.staffing.items():
        for t, capacity in zip(steps.times, steps.capacity, strict=True):
            rows.append({"unit": unit, "from_min": t, "agents": capacity})
    return pd.DataFrame(rows)


def show_tables(kpis: dict[str, Any]) -> None:
    """Attainment against target (red where missed), line shares against 991, cost."""
    console = Console()
    sla = Table(title="SLA attainment (missed: the whole 95% interval below target)",
                show_edge=False, pad_edge=False)
    for column in ("level severity clock", "mean", "95% interval", "target", "due", "verdict"):
        sla.add_column(column, justify="left" if column in ("level severity clock", "verdict")
                       else "right")
    style = {"missed": "red", "at risk": "yellow"}
    for level, sevs in kpis["sla"].items():
        for sev, clocks in sevs.items():
            for clock, cell in clocks.items():
                lo, hi = cell["ci95"]
                value = cell["attainment"]
                target = cell["target"]
                said = cell.get("verdict") or "-"
                colour = style.get(said)
                sla.add_row(f"{level} {sev} {clock}",
                            "-" if value is None else f"{value:.1%}",
                            "-" if lo is None else f"{lo:.1%}-{hi:.1%}",
                            "-" if target is None else f"{target:.0%}", f"{cell['n']:,}",
                            f"[{colour}]{said}[/]" if colour else said)
    console.print(sla)
    tiers = Table(title="Lines: resolved share against 991, utilisation, waits")
    for column in ("tier", "resolved", "991", "utilisation", "mean wait", "escalated/week"):
        tiers.add_column(column, justify="left" if column == "tier" else "right")
    weeks = kpis["measured_weeks"]
    for name, t in kpis["tiers"].items():
        target = t["target_share_991"]
        tiers.add_row(name, _pct(t["resolved_share"]), "-" if target is None else f"{target:.0%}",
                      _pct(t["utilisation"]),
                      "-" if t["mean_wait_min"] is None else f"{t['mean_wait_min'] / 60:.1f} h",
                      f"{t['escalated_out'] / weeks:.1f}")
    console.print(tiers)
    outcomes = kpis.get("entitlement", {})
    if any(cell["arrived"] for name, cell in outcomes.items() if name != "entitled"):
        table = Table(title="Entitlement (KCP1): customer tickets per replication")
        for column in ("outcome", "arrived", "closed"):
            table.add_column(column, justify="left" if column == "outcome" else "right")
        for name, cell in outcomes.items():
            table.add_row(name, f"{cell['arrived']:.1f}", f"{cell['closed']:.1f}")
        console.print(table)
    if "cost" not in kpis:  # streaming mode
        return
    cost = Table(title=f"Cost to serve over {weeks:g} weeks ({kpis['currency']})")
    for column in ("level", "contracts", "cost", "revenue", "margin", "cost/contract-year"):
        cost.add_column(column, justify="left" if column == "level" else "right")
    for level, c in kpis["cost"]["per_level"].items():
        if not c["contracts"] and not c["cost"]:
            continue
        per = c["cost_per_contract_year"]
        cost.add_row(level, str(c["contracts"]), f"{c['cost']:,.0f}", f"{c['revenue']:,.0f}",
                     f"[red]{c['margin']:,.0f}[/]" if c["margin"] < 0 else f"{c['margin']:,.0f}",
                     "-" if per is None else f"{per:,.0f}")
    console.print(cost)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def summary(result: RunResult) -> str:
    tickets = result.tickets()
    kept = tickets[~tickets["warmup"]]
    n = len(result.replications)
    lines = [f"{result.metadata['scenario']}: {n} replication(s) of "
             f"{result.metadata['horizon_min'] / MINUTES_PER_WEEK:g} weeks, seed {result.seed}",
             "tickets per replication after warm-up (mean): arrived / closed / still open"]
    for kind, group in kept.groupby("kind", observed=True):
        arrived = len(group) / n
        closed = group["closed"].sum() / n
        lines.append(f"  {kind:<14} {arrived:9.1f} {closed:9.1f} {arrived - closed:9.1f}")
    events = result.events()
    final = events[events["event"].isin(["resolved", "handed_over"])].merge(
        kept[["replication", "ticket"]], on=["replication", "ticket"])
    lines.append("per unit, same tickets (mean per replication): resolved / handed over")
    for unit, group in final.groupby("unit", observed=True):
        resolved = (group["event"] == "resolved").sum() / n
        handed = (group["event"] == "handed_over").sum() / n
        lines.append(f"  {unit:<14} {resolved:9.1f} {handed:9.1f}")
    return "\n".join(lines)


def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=1, help="Override the scenario's replications.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Override the scenario's seed.")
                    ] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override KEY=VALUE by dotted path (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Run folder for the event log, KPI tables, kpis.json and metadata.json "
        "[default: out/SCENARIO-NAME; none with --json]")] = None,
    fmt: Annotated[TableFormat, typer.Option(
        "--format", help="File format of the run folder's tables: auto writes the event "
        "log, tickets, clocks and OLA clocks as Parquet and the other tables as CSV; csv or "
        "parquet write every table so.")] = TableFormat.AUTO,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the KPI object (docs/kpis.md) instead of the summary.")] = False,
    check: Annotated[bool, typer.Option(
        help="Exit 1 when a target of the catalogue (SLA, complaints, non-technical "
        "requests, OLA) is missed: its whole 95% interval below the target.")] = False,
    fail_on: Annotated[CheckFailOn, typer.Option(
        "--fail-on", help="With --check: fail on missed targets only, or also on targets at "
        "risk (interval straddling the target).")] = CheckFailOn.MISSED,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=1, help="Replications in parallel (local processes).")] = 1,
    executor: Annotated[Executor, typer.Option(
        help="Where replications run with --jobs > 1 or --scheduler.")] = Executor.PROCESS,
    scheduler: Annotated[str | None, typer.Option(
        help="dask.distributed scheduler address, e.g. tcp://10.0.0.5:8786.")] = None,
    stream: Annotated[bool, typer.Option(
        help="Streaming mode for long horizons: KPIs computed week by week without "
        "keeping the event log; writes only kpis.json and metadata.json.")] = False,
    force: Annotated[bool, typer.Option(
        help="Replace an --out folder that is not an itr-sim run folder, deleting its "
        "files.")] = False,
) -> None:
    """Simulate a scenario for N replications; print KPIs; write the event log and tables.

    Exit 0 ok, 1 a target missed with --check (or at risk, with --fail-on at-risk), 2 bad
    input, 130 interrupted (the --out folder is left as it was)."""
    try:
        loaded = load_scenario(scenario, sets=parse_assignments(set_ or []))
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for warning in loaded.warnings:
        typer.echo(str(warning), err=True)
    folder = out
    if folder is None and not as_json:
        folder = Path("out") / _slug(loaded.scenario.scenario)
    lock, previous = None, False
    if folder is not None:  # before simulating: an unusable folder is bad input
        try:
            lock = lock_run_folder(folder, force=force)
        except RunFolderError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        previous = folder.is_dir() and any(folder.iterdir())
    try:
        options: dict[str, Any] = {"replications": replications, "seed": seed, "jobs": jobs,
                                   "executor": executor.value, "scheduler": scheduler}
        result, analysis = _simulate(loaded, options, stream, quiet=as_json)
        verdicts = _show(result, analysis, stream, as_json, check)
        if folder is not None:
            with step(f"writing {folder}"):
                written = write_streamed(result, folder, analysis, lock=lock) if stream else \
                    write_run(result, folder, fmt.value, analysis, lock=lock)
            info(f"wrote {len(written)} files to {folder}/")
            detail("  " + ", ".join(p.name for p in written))
    except KeyboardInterrupt:
        state = "nothing was written"
        if folder is not None and previous:
            kept = "run" if (folder / "metadata.json").is_file() else "files"
            state = f"{folder} keeps the previous {kept}, unchanged"
        elif folder is not None:
            state = f"nothing was written to {folder}"
        typer.echo(f"interrupted: {state}", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        if lock is not None:
            lock.release()
    if check and any(v.verdict in FAIL_ON[fail_on.value] for v in verdicts):
        raise typer.Exit(1)


def _simulate(loaded: LoadedScenario, options: dict[str, Any], stream: bool, quiet: bool
              ) -> tuple[RunResult, Analysis]:
    """Run (or stream) the replications and analyse them, with a progress bar on a
    terminal."""
    started = time.perf_counter()
    total = options["replications"] or loaded.scenario.replications
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True),
                  disable=quiet or bars_off()) as bar:
        task = bar.add_task(f"simulating {loaded.scenario.scenario}", total=total)
        options = {**options, "progress": lambda done, _n: bar.update(task, completed=done)}
        if stream:
            result, kpis = run_streaming(loaded, **options)
            analysis = Analysis({}, kpis)
        else:
            result = run_scenario(loaded, **options)
            bar.update(task, description="analysing")
            analysis = analyse(result)
    info(f"simulated and analysed in {time.perf_counter() - started:.1f} s")
    return result, analysis


def _show(result: RunResult, analysis: Analysis, stream: bool, as_json: bool, check: bool
          ) -> list[Verdict]:
    """Print the KPI object (--json) or the summary, the tables and the targets judged;
    return the verdicts (judged only when shown or checked)."""
    if as_json:
        typer.echo(json.dumps(analysis.summary, indent=2, allow_nan=False))
        return target_verdicts(result, analysis, stream) if check else []
    typer.echo(streamed_header(analysis.summary) if stream else summary(result))
    show_tables(analysis.summary)
    verdicts = target_verdicts(result, analysis, stream)
    for line in target_lines(verdicts):
        typer.echo(line)
    return verdicts


CONFIDENCE = 0.95
FAIL_ON = {"missed": ("missed",), "at-risk": ("missed", "at risk")}
"""``--fail-on``: the verdicts of :meth:`~itr_sim.analysis.evaluate.Verdict.verdict` that
make ``--check`` exit 1."""


def target_verdicts(result: RunResult, analysis: Analysis, stream: bool) -> list[Verdict]:
    """Every target of the run judged by its 95% interval (the rule of ``staff``): SLA cells
    and services from the catalogue, and the OLA attainment of the scenario's ``staffing:``
    section when set (not in streaming mode, which keeps no events)."""
    if stream:
        counts = (with_attainment(replication_sums(result, "sla")),
                  replication_sums(result, "services"))
        evaluation = evaluation_of(result, counts=counts)
    else:
        evaluation = evaluation_of(result, run_options(result.loaded),
                                   clocks=analysis.tables["clocks"])
        return [*judge(evaluation, CONFIDENCE).values(),
                *aftercare_verdicts(result, analysis.tables, CONFIDENCE)]
    return list(judge(evaluation, CONFIDENCE).values())


def target_lines(verdicts: list[Verdict]) -> list[str]:
    """A count of met, at-risk and missed targets; a line for each missed or at risk."""
    counted = {v: sum(x.verdict == v for x in verdicts) for v in ("met", "at risk", "missed")}
    lines = [f"targets: {counted['met']} met, {counted['at risk']} at risk, "
             f"{counted['missed']} missed (by the 95% interval; missed: all of it below)"]
    for kind in ("missed", "at risk"):
        for v in verdicts:
            if v.verdict == kind:
                lo, hi = v.ci
                lines.append(f"  {kind:<8} {v.info.key}: {v.value:.1%} "
                             f"({lo:.1%} - {hi:.1%}), target {v.info.target:.0%}")
    return lines


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "run"
