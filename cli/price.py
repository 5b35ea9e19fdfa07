"""``itr-sim price``: the price floor of a level or a new product per contract-year."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.choices import Staffing, confidence_option
from rich.console import Console

from itr_sim.analysis.economics import NoPlan, PriceResult, check_margin, price
from itr_sim.analysis.summary import strict_json
from itr_sim.model.load import load_scenario
from itr_sim.report.baseline import inputs_hash
from itr_sim.report.sales import price_findings
from itr_sim.units import UnitError, parse_fraction

EXIT_NO_ANSWER = 1
EXIT_BAD_INPUT = 2


def percent(text: str, option: str, low: float, high: float) -> float:
    """An option given as a percentage, checked; bad values exit 2."""
    try:
        return parse_fraction(text, low=low, high=None)
    except UnitError as exc:
        Console(stderr=True).print(f"{option}: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def price_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    level: Annotated[str | None, typer.Option(
        help="Service level to price (not needed with --product).")] = None,
    margin: Annotated[str, typer.Option(
        help="Margin to price at: (price - cost) / price, below 100%.")] = "20%",
    product: Annotated[Path | None, typer.Option(
        help="A product YAML: a new level extending the catalogue, sold to N contracts.")
    ] = None,
    customer: Annotated[str | None, typer.Option(
        help="Customer group whose contracts are added (default: the level's largest).")
    ] = None,
    added: Annotated[int | None, typer.Option(
        min=1, max=10_000, help="Contracts added to measure the marginal cost (default: a "
        "quarter of the group's, at least 1).")] = None,
    seeds: Annotated[int, typer.Option(
        min=1, max=100, help="Independent seeds: one paired difference each; the interval "
        "is Student-t over them.")] = 3,
    staffing: Annotated[Staffing, typer.Option(
        help="reoptimised (least-cost staffing for both volumes) or fixed (today's).")
    ] = Staffing.REOPTIMISED,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, max=1000,
        help="Replications per evaluation (default: the scenario's).")] = None,
    confidence: Annotated[str, typer.Option(
        help="Confidence of the staffing rule and of the interval.")] = "95%",
    max_evaluations: Annotated[int, typer.Option(
        min=3, max=100_000, help="Evaluation budget of each staffing search.")] = 200,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=256,
                                      help="Evaluate rosters on this many processes.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Price floor per contract-year: marginal cost to serve (re-optimised staffing,
    parts, fixed costs) plus expected service credits, with an interval, next to the list
    price and the margin it gives. Exit 0; 1 when staffing cannot carry the volume; 2 for
    bad input. Method: docs/economics.md."""
    err = Console(stderr=True)
    wanted = percent(margin, "--margin", -1.0, 1.0)
    try:
        check_margin(wanted)
    except ValueError as exc:
        err.print(f"--margin: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    level_conf = confidence_option(confidence)
    if (level is None) == (product is None):
        err.print("give --level LEVEL or --product PRODUCT.yaml (one of them)", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    loaded = load_scenario(scenario)
    for warning in loaded.warnings:
        err.print(str(warning), markup=False)
    try:
        result = price(loaded, level, margin=wanted, product=product, customer=customer,
                       added=added, seeds=seeds, replications=replications,
                       confidence=level_conf, staffing=staffing.value,
                       max_evaluations=max_evaluations, jobs=jobs,
                       progress=lambda text: err.print(f"  {text}", markup=False)
                       if err.is_terminal else None)
    except NoPlan as exc:
        err.print(f"no price floor: {exc}", markup=False)
        raise typer.Exit(EXIT_NO_ANSWER) from None
    if as_json:
        # the hash of the inputs lets a stored answer be checked against today's scenario
        body = {**result.to_json(), "inputs_hash": inputs_hash(loaded),
                "settings": {"seed": loaded.scenario.seed, "seeds": seeds,
                             "replications": replications or loaded.scenario.replications,
                             "max_evaluations": max_evaluations}}
        typer.echo(json.dumps(strict_json(body), indent=2, allow_nan=False))
    else:
        _print(result)


def _print(r: PriceResult) -> None:
    out = Console()
    m = r.marginal
    cur = m.currency
    what = "product" if r.product else "level"
    out.print(f"{what} {r.level}: +{m.added} contract(s) of {m.customer} on {m.contracts}; "
              f"{m.staffing} staffing, {len(m.seeds)} seeds, {m.confidence:.0%} intervals",
              markup=False)
    for name, label in (("staff", "staff (least-cost roster)"), ("parts", "parts consumed"),
                        ("fixed", "fixed cost per contract"), ("credits", "expected credits"),
                        ("total", "price floor (marginal cost)")):
        mean, lo, hi = m.component(name)
        out.print(f"  {label:<30} {mean:>12,.0f} {cur}/contract-year  "
                  f"({lo:,.0f} to {hi:,.0f})", markup=False)
    g = r.margin_at_list
    out.print(f"  list price {r.list_price:,.0f} {cur}: margin on the floor {g[0]:.0%} "
              f"({g[1]:.0%} to {g[2]:.0%})", markup=False)
    p = r.price_at_margin
    out.print(f"  price for a {r.margin:.0%} margin: {p[0]:,.0f} {cur} "
              f"({p[1]:,.0f} to {p[2]:,.0f})", markup=False)
    out.print(f"  {price_findings(r)[1]}", markup=False)
    for caution in m.cautions():
        out.print(f"  caution: {caution}", markup=False)
