"""Findings for sales, in sentences: a price floor against the list price and the headroom of
a level, with the figures and intervals they rest on. The sales notebook prints them under
its results, so that its conclusion is the run's and never a figure copied from an earlier
run."""

from __future__ import annotations

import json
from pathlib import Path

from itr_sim.analysis.economics import PriceResult
from itr_sim.analysis.headroom import HeadroomResult
from itr_sim.model.load import LoadedScenario
from itr_sim.report.baseline import inputs_hash

__all__ = ["StaleAnswer", "headroom_findings", "price_findings", "stored_price"]


class StaleAnswer(ValueError):
    """A stored answer computed for other inputs than today's."""


def stored_price(path: str | Path, loaded: LoadedScenario) -> tuple[PriceResult, str]:
    """A stored ``itr-sim price --json`` answer (with the ``command`` that made it) and that
    command, refused with :class:`StaleAnswer` when its inputs hash is not ``loaded``'s:
    a stored figure is only quoted for the scenario and catalogue it was computed for."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    command = data.get("command", "itr-sim price ... --json")
    if data.get("inputs_hash") != inputs_hash(loaded):
        raise StaleAnswer(f"{Path(path).name} was computed for other inputs than "
                          f"{loaded.path.name} and its catalogue today; rerun: {command}")
    return PriceResult.from_json(data), command

PARTS = (("staff", "staff"), ("parts", "parts"), ("fixed", "fixed cost"),
         ("credits", "expected credits"))


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _span(lo: float, hi: float) -> str:
    return _money(lo) if lo == hi else f"{_money(lo)} to {_money(hi)}"


def price_findings(result: PriceResult) -> list[str]:
    """What the floor says about the list price, decided by the interval: the list price
    covers the floor only when it lies above the whole interval; it is below the floor only
    when it lies below the whole interval; otherwise the run does not settle it."""
    m = result.marginal
    cur = m.currency
    mean, lo, hi = result.floor
    what = f"product {result.level}" if result.product else f"a {result.level} contract"
    parts = ", ".join(f"{label} {_money(m.component(name)[0])}" for name, label in PARTS)
    out = [f"Marginal cost of {what} (+{m.added} on {m.contracts}, {len(m.seeds)} seeds): "
           f"{_money(mean)} {cur} a contract-year ({m.confidence:.0%} interval "
           f"{_span(lo, hi)}); of which {parts}."]
    price = result.list_price
    if price > hi:
        g = result.margin_at_list
        out.append(f"The list price {_money(price)} covers the floor: margin at least "
                   f"{g[1]:.0%} (mean {g[0]:.0%}).")
    elif price < lo:
        out.append(f"The list price {_money(price)} is below the floor: each contract sold "
                   f"at list loses {_span(lo - price, hi - price)} {cur} a year at the margin.")
    else:
        out.append(f"The list price {_money(price)} lies inside the floor's interval: this "
                   "run does not say whether it covers the marginal cost.")
    p = result.price_at_margin
    out.append(f"A {result.margin:.0%} margin needs {_money(p[0])} {cur} "
               f"({_span(p[1], p[2])}).")
    out.extend(f"Caution: {c}." for c in m.cautions())
    return out


def headroom_findings(result: HeadroomResult) -> list[str]:
    """How many more contracts fit, and what breaks first."""
    roster = "today's roster" if result.staffing == "fixed" else "re-optimised staffing"
    if result.at_bound:
        out = [f"With {roster}, +{result.headroom} {result.level} contracts (the search's "
               f"bound) still keep every target met today: more may fit."]
    else:
        broken = ", ".join(result.breaks_with()) or "a target"
        out = [f"With {roster}, +{result.headroom} {result.level} contracts fit on today's "
               f"{result.contracts}; the next volume breaks {broken}."]
    if result.already_missed:
        out.append("Already missed today (left out of the rule): "
                   + ", ".join(result.already_missed) + ".")
    return out
