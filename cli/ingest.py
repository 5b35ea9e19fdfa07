"""``itr-sim ingest``: a real ticket export -> an itr-sim run folder (docs/calibration.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from itr_sim.cli.output import info

from itr_sim import __version__
from itr_sim.analysis.datachecks import data_checks
from itr_sim.analysis.logsummary import KIND, analyse_log
from itr_sim.analysis.visits import ticket_outcomes
from itr_sim.ingest import ingest_log
from itr_sim.ingest.mapping import load_mapping
from itr_sim.model.load import load_catalog
from itr_sim.report.run import load_ingested
from itr_sim.report.runwrite import write_run_folder

__all__ = ["checks_text", "ingest", "load_ingested"]  # load_ingested: for `fit`, `backtest`

EXIT_BAD_INPUT = 2


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
        help="Also measure the log against this SLA catalogue: clocks, attainment, lines, "
        "backlog and kpis.json, so that `itr-sim report DIR` works.")] = None,
) -> None:
    """Read a ticket log with a mapping; write its event log, tickets and data checks as a
    run folder (for `fit`, `backtest` and the KPI code).

    With --catalog also its KPIs, for `itr-sim report DIR` and `itr_sim.load_run(DIR)`."""
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
    documents: dict[str, Any] = {"ingest": {**stats, "lines": done.lines}, "checks": checks}
    if catalog is not None:
        cat, _ = load_catalog(catalog)
        source = {"file": log.name, "mapping": m.mapping, "catalog": catalog.name}
        analysis = analyse_log(done.events, cat, done.origin.to_pydatetime(), done.end_min,
                               source)
        tables.update(analysis.tables)
        documents["kpis"] = analysis.summary
        meta["catalog_file"] = str(catalog)
    write_run_folder(out, tables, documents, meta, force=force)
    if json_out:
        typer.echo(json.dumps(checks, indent=2))
    else:
        typer.echo(checks_text(checks))
    info(f"wrote {out} ({checks['cases']} cases, {len(done.events)} events)")


def checks_text(checks: dict[str, Any]) -> str:
    s = checks["shares"]
    lines = [f"{checks['cases']} cases from {checks['rows']} rows",
             f"  censored at the start {s['censored_start']:.1%}, at the end "
             f"{s['censored_end']:.1%} of cases",
             f"  sparse head {s['sparse_head']:.1%}, sparse tail {s['sparse_tail']:.1%} of "
             f"cases ({_weeks(checks.get('sparse_weeks', {}))})",
             f"  duplicates {s['duplicates']:.2%}, out of order {s['out_of_order']:.2%}, "
             f"unmapped {s['unmapped']:.2%} of rows"]
    if checks.get("unmapped_statuses"):
        lines.append(f"  unmapped statuses: {checks['unmapped_statuses']}")
    lines += [f"warning: {w}" for w in checks["warnings"]]
    lines += [f"refused: {r}" for r in checks["refusals"]]
    return "\n".join(lines)


def _weeks(sparse: dict[str, int]) -> str:
    """The sparse weeks at each end of the log, in words."""
    return f"weeks: {sparse.get('head', 0)} at the start, {sparse.get('tail', 0)} at the end"
