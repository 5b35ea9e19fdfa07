"""``itr-sim ingest``: a real ticket export -> an itr-sim run folder (docs/calibration.md)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import pandas as pd
import typer

from itr_sim import __version__
from itr_sim.analysis.clock_table import evaluate_clocks
from itr_sim.analysis.datachecks import data_checks
from itr_sim.analysis.visits import ticket_outcomes
from itr_sim.ingest import ingest_log
from itr_sim.ingest.mapping import load_mapping
from itr_sim.model.load import load_catalog
from itr_sim.model.source import Diagnostic, ScenarioError
from itr_sim.report.runfolder import RunFolderError, open_run_folder
from itr_sim.report.runwrite import write_run_folder

EXIT_BAD_INPUT = 2
KIND = "ingested"


def ingest(
    log: Annotated[Path, typer.Argument(help="The export: CSV (.csv, .csv.gz) or XES.")],
    mapping: Annotated[str, typer.Option(
        help="A bundled mapping (servicenow, helpdesk, generic) or a mapping YAML file.")],
    out: Annotated[Path, typer.Option(help="Run folder to write.")],
    force: Annotated[bool, typer.Option(
        help="Replace a folder that is not an itr-sim run folder.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the data checks as JSON.")
                        ] = False,
    catalog: Annotated[Path | None, typer.Option(
        help="Also write the SLA clocks of every case against this catalogue (clocks table)."
    )] = None,
) -> None:
    """Read a ticket log with a mapping; write its event log, tickets and data checks as a
    run folder (for `fit`, `backtest` and the KPI code)."""
    m = load_mapping(mapping)
    done = ingest_log(log, m)
    stats = {"rows": done.rows, "duplicates": done.duplicates,
             "out_of_order": done.out_of_order, "late_start": done.late_start,
             "unmapped": dict(done.unmapped)}
    checks = data_checks(done.events, stats)
    tickets = ticket_outcomes(done.events).drop(columns=["replication"])
    meta = {"kind": KIND, "itr_sim": __version__, "source": log.name, "mapping": m.mapping,
            "origin": done.origin.isoformat(), "timezone": m.timestamp.timezone,
            "end_min": done.end_min, "replications": 1, "seed": None,
            "lines": done.lines}
    tables = {"events": done.events, "tickets": tickets}
    if catalog is not None:
        cat, _ = load_catalog(catalog)
        tables["clocks"] = evaluate_clocks(done.events, cat, done.origin.to_pydatetime(),
                                           done.end_min)
    write_run_folder(out, tables,
                     {"ingest": {**stats, "lines": done.lines}, "checks": checks}, meta,
                     force=force)
    if json_out:
        typer.echo(json.dumps(checks, indent=2))
    else:
        typer.echo(checks_text(checks))
    typer.echo(f"wrote {out} ({checks['cases']} cases, {len(done.events)} events)", err=True)


def checks_text(checks: dict[str, Any]) -> str:
    s = checks["shares"]
    lines = [f"{checks['cases']} cases from {checks['rows']} rows",
             f"  censored at the start {s['censored_start']:.1%}, at the end "
             f"{s['censored_end']:.1%} of cases",
             f"  sparse head {s['sparse_head']:.1%}, sparse tail {s['sparse_tail']:.1%} of "
             f"cases ({checks.get('sparse_weeks', {})})",
             f"  duplicates {s['duplicates']:.2%}, out of order {s['out_of_order']:.2%}, "
             f"unmapped {s['unmapped']:.2%} of rows"]
    if checks.get("unmapped_statuses"):
        lines.append(f"  unmapped statuses: {checks['unmapped_statuses']}")
    lines += [f"warning: {w}" for w in checks["warnings"]]
    lines += [f"refused: {r}" for r in checks["refusals"]]
    return "\n".join(lines)


def load_ingested(folder: Path) -> tuple[pd.DataFrame, datetime, dict[str, Any]]:
    """Events, origin and metadata of a folder written by ``itr-sim ingest``; bad input
    (exit 2) otherwise."""
    try:
        run = open_run_folder(folder)
    except RunFolderError as exc:
        raise ScenarioError([Diagnostic(str(folder), 0, "", f"{exc.message}; give a folder "
                                        "written by `itr-sim ingest LOG --mapping M --out "
                                        "DIR`")]) from None
    if run.metadata.get("kind") != KIND:
        raise ScenarioError([Diagnostic(str(folder), 0, "", "not an ingested log (a simulated "
                                        "run?); write one with `itr-sim ingest`")])
    text = ["event", "unit", "detail", "kind", "customer", "level", "severity", "type",
            "number", "group", "resource", "product", "time"]
    events = pd.read_csv(run.path / "events.csv", dtype=dict.fromkeys(text, str),
                         keep_default_na=False)
    origin = datetime.fromisoformat(run.metadata["origin"]).astimezone(
        ZoneInfo(run.metadata["timezone"]))
    meta = {**run.metadata, "checks": run.document("checks")}
    return events, origin, meta
