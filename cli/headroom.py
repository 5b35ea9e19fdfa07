"""``itr-sim headroom``: how many more contracts of a level can be sold before a target
breaks."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.choices import Staffing, confidence_option
from rich.console import Console

from itr_sim.analysis.headroom import HeadroomResult, figure, headroom
from itr_sim.analysis.summary import strict_json
from itr_sim.files import check_target, write_atomic
from itr_sim.model.load import load_scenario

EXIT_BAD_INPUT = 2


def headroom_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    level: Annotated[str, typer.Option(help="Service level whose contracts are added.")],
    customer: Annotated[str | None, typer.Option(
        help="Customer group whose contracts are added (default: the level's largest).")
    ] = None,
    staffing: Annotated[Staffing, typer.Option(
        help="fixed (today's roster) or reoptimised (least-cost staffing per volume).")
    ] = Staffing.FIXED,
    bound: Annotated[int | None, typer.Option(
        min=1, max=100_000, help="Most contracts to add (default: the level's contracts "
        "today, at least 8).")] = None,
    points: Annotated[int, typer.Option(
        min=2, max=50, help="Points of the cost curve (reoptimised).")] = 5,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, max=1000,
        help="Replications per evaluation (default: the scenario's).")] = None,
    confidence: Annotated[str, typer.Option(
        help="A target holds when the lower bound of its interval at this confidence "
             "reaches it; 0% uses the mean.")] = "95%",
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (default: scenario's).")
                    ] = None,
    max_evaluations: Annotated[int, typer.Option(
        min=3, max=100_000, help="Evaluation budget of each staffing search.")] = 200,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=256,
                                      help="Evaluate rosters on this many processes.")] = 1,
    figure_path: Annotated[Path | None, typer.Option(
        "--figure", help="Save the contracts -> least-cost curve as an image "
        "(reoptimised).")] = None,
    force: Annotated[bool, typer.Option(help="Let --figure replace an existing file.")
                     ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Largest number of additional contracts of LEVEL at which every target still holds,
    by the confidence rule of `staff`. Exit 0; 2 for bad input. Method: docs/economics.md."""
    err = Console(stderr=True)
    conf = confidence_option(confidence)
    if figure_path is not None and (problem := check_target(figure_path, force,
                                                            example="headroom.png")):
        err.print(f"--figure: {problem}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if figure_path is not None and staffing is not Staffing.REOPTIMISED:
        err.print("--figure: the cost curve needs --staffing reoptimised", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    loaded = load_scenario(scenario)
    for warning in loaded.warnings:
        err.print(str(warning), markup=False)
    result = headroom(loaded, level, customer=customer, staffing=staffing.value, bound=bound,
                      curve_points=points, replications=replications, confidence=conf,
                      seed=seed, max_evaluations=max_evaluations, jobs=jobs,
                      progress=lambda text: err.print(f"  {text}", markup=False)
                      if err.is_terminal else None)
    if figure_path is not None:
        fig = figure(result)
        image = io.BytesIO()
        fig.savefig(image, dpi=110, format=figure_path.suffix.lstrip(".").lower() or "png")
        write_atomic(figure_path, image.getvalue())
        err.print(f"wrote {figure_path}", markup=False)
    if as_json:
        typer.echo(json.dumps(strict_json(result.to_json()), indent=2, allow_nan=False))
    else:
        _print(result)


def _print(r: HeadroomResult) -> None:
    out = Console()
    bound = " (every volume up to the bound held)" if r.at_bound else ""
    out.print(f"{r.level}: {r.contracts} contracts today ({r.group_contracts} in "
              f"{r.customer}); {r.staffing} staffing, {r.replications} replications, seed "
              f"{r.seed}, targets judged at {r.confidence:.0%}", markup=False)
    out.print(f"headroom: +{r.headroom} contracts{bound}", markup=False)
    broken = r.breaks_with()
    if broken:
        first = min(s.added for s in r.steps if not s.holds)
        out.print(f"  at +{first}: {', '.join(broken)} no longer held", markup=False)
    if r.already_missed:
        out.print(f"  not held even today (left out): {', '.join(r.already_missed)}",
                  markup=False)
    for s in r.curve:
        cost = "no plan" if s.cost_per_year is None else \
            f"{s.cost_per_year:,.0f} {r.currency}/year"
        out.print(f"  {r.contracts + s.added:>6} contracts: {cost}"
                  f"{'' if s.holds else ' (a target breaks)'}", markup=False)
