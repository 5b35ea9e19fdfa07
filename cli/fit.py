"""``itr-sim fit``: a runnable scenario from an ingested log (docs/calibration.md)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from itr_sim.cli.ingest import checks_text, load_ingested
from itr_sim.cli.output import info

from itr_sim.analysis.fit import fit_scenario, relative_ref
from itr_sim.files import check_target, write_atomic
from itr_sim.model.load import load_catalog, load_scenario
from itr_sim.model.source import Diagnostic, ScenarioError

EXIT_BAD_INPUT = 2


def parse_moment(text: str, origin: datetime) -> float:
    """Minutes since ``origin`` of a date or date-time in the log's zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ScenarioError([Diagnostic("--train-until", 0, "", f"{text!r} is not a date; "
                                        "give e.g. 2016-04-15 or 2016-04-15T12:00")]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=origin.tzinfo)
    return (moment - origin).total_seconds() / 60.0


def fit(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `itr-sim ingest`.")],
    catalog: Annotated[Path, typer.Option(help="SLA catalogue YAML the scenario uses.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Scenario YAML to write.")],
    train_until: Annotated[str | None, typer.Option(
        help="Fit on cases that arrived before this date (log's time zone).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file; fit even "
                                        "when the data checks refuse.")] = False,
    gof: Annotated[Path | None, typer.Option(
        help="Also write the goodness-of-fit table (CSV).")] = None,
    train_weeks: Annotated[float | None, typer.Option(
        min=1, help="Fit only on the cases of the last N weeks (before --train-until).")
    ] = None,
    waits: Annotated[str, typer.Option(
        help="in-handling: a visit's waits stay in its handling time (default, keeps times "
        "to resolution); separate: write them as waiting states.")] = "in-handling",
) -> None:
    """Fit demand, handling times, routing, waits, reopens and work slots; write a runnable
    scenario whose every value says where it came from."""
    for path, example in ((output, "fitted.yaml"), (gof, "gof.csv")):
        if path is not None and (problem := check_target(path, force, example=example)):
            raise ScenarioError([Diagnostic(str(path), 0, "", problem)])
    events, origin, meta = load_ingested(run_dir)
    checks = meta["checks"]
    for w in checks["warnings"]:
        typer.echo(f"warning: {w}", err=True)
    if checks["refusals"] and not force:
        typer.echo(checks_text(checks), err=True)
        raise ScenarioError([Diagnostic(str(run_dir), 0, "checks", f"refused: {r}")
                             for r in checks["refusals"]] + [Diagnostic(
                                 str(run_dir), 0, "checks", "fix the mapping or the extract; "
                                 "--force fits anyway")])
    if waits not in ("in-handling", "separate"):
        raise ScenarioError([Diagnostic("--waits", 0, "", f"{waits!r}: use in-handling or "
                                        "separate")])
    cat, _ = load_catalog(catalog)
    until = None if train_until is None else parse_moment(train_until, origin)
    if train_weeks is not None:
        arrived = events.loc[events["event"] == "arrived"].set_index("ticket")["time_min"]
        last = float(arrived.max()) if until is None else until
        events = events[events["ticket"].isin(arrived.index[arrived >= last - train_weeks
                                                            * 7 * 1440])]
    try:
        result = fit_scenario(events, origin, cat,
                              relative_ref(catalog, output.parent), train_until=until,
                              name=output.stem, waits=waits.replace("-", "_"))
    except ValueError as exc:
        raise ScenarioError([Diagnostic(str(run_dir), 0, "", str(exc))]) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, result.text)
    load_scenario(output)  # what was written must load; a failure here is a bug
    table = pd.DataFrame(result.gof_table())
    if gof is not None:
        write_atomic(gof, table.assign(params=table["params"].map(
            json.dumps, na_action="ignore")).to_csv(index=False, lineterminator="\n"))
    for what, f in result.fits.items():
        typer.echo(f"{what:<24} {f.chosen:<44} n={f.n}")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    info(f"wrote {output}")
