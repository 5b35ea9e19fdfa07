"""``itr-sim run``: simulate a scenario and write its event log."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.load import load_scenario, parse_assignments
from itr_sim.model.source import ScenarioError

EXIT_BAD_INPUT = 2


def write_run(result: RunResult, out: Path, fmt: str) -> list[Path]:
    """Write events, tickets, staffing and metadata of a run into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {"events": result.events(), "tickets": result.tickets(),
              "staffing": _staffing(result)}
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        written.append(path)
    meta = out / "metadata.json"
    meta.write_text(json.dumps(result.metadata, indent=2) + "\n", encoding="utf-8")
    return [*written, meta]


def _staffing(result: RunResult) -> pd.DataFrame:
    rows = []
    rep = result.replications[0]
    for unit, steps in rep.staffing.items():
        for t, capacity in zip(steps.times, steps.capacity, strict=True):
            rows.append({"unit": unit, "from_min": t, "agents": capacity})
    return pd.DataFrame(rows)


def summary(result: RunResult) -> str:
    tickets = result.tickets()
    kept = tickets[~tickets["warmup"]]
    n = len(result.replications)
    lines = [f"{result.metadata['scenario']}: {n} replication(s) of "
             f"{result.metadata['horizon_min'] / 10080:g} weeks, seed {result.seed}",
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
        help="Folder for events, tickets, staffing and metadata.json "
        "[default: out/SCENARIO-NAME]")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Simulate a scenario for N replications; print a summary, write the event log."""
    if fmt not in ("csv", "parquet"):
        typer.echo(f"--format must be csv or parquet, got {fmt!r}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        loaded = load_scenario(scenario, sets=parse_assignments(set_ or []))
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for warning in loaded.warnings:
        typer.echo(str(warning), err=True)
    started = time.perf_counter()
    result = run_scenario(loaded, replications=replications, seed=seed)
    elapsed = time.perf_counter() - started
    typer.echo(summary(result))
    typer.echo(f"simulated in {elapsed:.1f} s", err=True)
    folder = out if out is not None else Path("out") / _slug(loaded.scenario.scenario)
    for path in write_run(result, folder, fmt):
        typer.echo(f"wrote {path}", err=True)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "run"
