"""``itr-sim backtest``: fit on the first part of an ingested log, predict the second."""

from __future__ import annotations

import json
import math
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from itr_sim.cli.fit import parse_moment
from itr_sim.cli.ingest import load_ingested
from rich.console import Console
from rich.table import Table

from itr_sim.analysis.backtest import run_backtest
from itr_sim.model.load import load_catalog
from itr_sim.model.source import Diagnostic, ScenarioError

EXIT_BAD_INPUT = 2


def split_minutes(text: str, events: pd.DataFrame, origin: datetime) -> float:
    """A date (log's time zone) or a share of cases such as 50% -> minutes since origin."""
    if text.strip().endswith("%"):
        try:
            share = float(text.strip()[:-1]) / 100
        except ValueError:
            share = math.nan
        if not 0 < share < 1:
            raise ScenarioError([Diagnostic("--split", 0, "", f"{text!r}: give a share of "
                                            "cases between 0% and 100%, e.g. 50%")])
        arrived = events.loc[events["event"] == "arrived", "time_min"].sort_values()
        return float(arrived.iloc[int(share * len(arrived))])
    return parse_moment(text, origin)


def backtest(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `itr-sim ingest`.")],
    split: Annotated[str, typer.Option(
        help="Where the test part starts: a date (log's time zone) or a share of the cases "
        "in arrival order, e.g. 50%.")],
    catalog: Annotated[Path, typer.Option(help="SLA catalogue YAML.")] = Path(
        "sla_catalog/it_service_desk.yaml"),
    replications: Annotated[int, typer.Option("--replications", "-n", min=2, max=100)] = 5,
    seed: Annotated[int, typer.Option(min=0)] = 1,
    train_weeks: Annotated[float | None, typer.Option(
        min=1, help="Fit only on the cases of the last N weeks before the split (a log "
        "whose process changed: fit on the recent regime).")] = None,
    keep: Annotated[Path | None, typer.Option(
        help="Keep the fitted scenarios and the trace in this folder.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fit on cases arriving before the split; replay the rest's arrivals (and generate
    demand); compare with what really happened, beside the naive forecast."""
    events, origin, meta = load_ingested(run_dir)
    for w in meta["checks"]["warnings"] + meta["checks"]["refusals"]:
        typer.echo(f"warning: data check: {w}", err=True)
    at = split_minutes(split, events, origin)
    cat, _ = load_catalog(catalog)
    with tempfile.TemporaryDirectory(prefix="itr-backtest-") as tmp:
        work = keep or Path(tmp)
        try:
            result = run_backtest(events, origin, float(meta["end_min"]), cat, catalog, at,
                                  work, replications=replications, seed=seed,
                                  train_weeks=train_weeks)
        except ValueError as exc:
            raise ScenarioError([Diagnostic(str(run_dir), 0, "", str(exc))]) from None
    if json_out:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    m = result.meta
    table = Table(title=f"Backtest: split {m['split']}, {m['fitted_cases']} fitted / "
                  f"{m['test_cases']} test cases, {m['replications']} replications")
    for col in ("metric", "actual", "trace replay (95% CI)", "error", "generated",
                "naive", "naive error"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for r in result.table.to_dict("records"):
        pct = r["metric"].startswith(("line share", "escalation", "tickets handed",
                                      "reopened"))
        table.add_row(r["metric"], _v(r["actual"], pct),
                      f"{_v(r['trace'], pct)} ({_v(r['trace_lo'], pct)}-"
                      f"{_v(r['trace_hi'], pct)})", _e(r["metric"], r["trace_error"], pct),
                      _v(r["generated"], pct), _v(r["naive"], pct),
                      _e(r["metric"], r["naive_error"], pct))
    Console(width=130).print(table)
    for name, verdict in m["acceptance"].items():
        if name != "all_met":
            typer.echo(f"{'met ' if verdict['met'] else 'MISSED'} {name}: "
                       f"{verdict.get('error_points', verdict.get('error'))}")


def _v(x: float, pct: bool) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.1%}" if pct else f"{x:.2f}"


def _e(metric: str, x: float, pct: bool) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{100 * x:+.1f} pt" if pct else f"{x:+.0%}"
