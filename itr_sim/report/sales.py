"""Findings for sales, in sentences: a price floor against the list price and the headroom of
a level, with the figures and intervals they rest on. The sales notebook prints them under
its results, so that its conclusion is the run's and never a figure copied from an earlier
run."""

from __future__ import annotations

from itr_sim.analysis.economics import PriceResult
from itr_sim.analysis.headroom import HeadroomResult

__all__ = ["headroom_findings", "price_findings"]

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
