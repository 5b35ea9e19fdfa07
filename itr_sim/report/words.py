"""Words a leader reads: display labels, clock budgets in words and the glossary."""

from __future__ import annotations

import re

__all__ = ["CLOCK_ORDER", "GLOSSARY", "budget_words", "label"]

CLOCK_ORDER = ("response", "restore", "resolve", "update", "onsite", "parts")
"""SLA clocks in the order of a ticket's life (the catalogue's clock names)."""

_SPECIAL = {"onsite": "On site", "none": "No level", "first_time_fix": "First-time fix"}


def label(name: object) -> str:
    """Display label of a level, clock, severity or role: ``"platinum"`` -> ``"Platinum"``,
    ``"waiting_customer"`` -> ``"Waiting customer"``; tier names such as ``L1`` stay."""
    text = str(name)
    if text in _SPECIAL:
        return _SPECIAL[text]
    if re.fullmatch(r"[A-Z0-9_]+", text):
        return text
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


_UNITS = {"w": ("week", "weeks"), "d": ("day", "days"), "h": ("h", "h"), "m": ("min", "min"),
          "bd": ("business day", "business days")}
_VERBS = {"response": "respond within", "restore": "restore within",
          "resolve": "resolve within", "update": "update at least every",
          "onsite": "on site within", "parts": "spare part delivered within",
          "acknowledge": "acknowledge within", "reply": "reply within", "close": "close within"}


def budget_words(clock: str, budget: str | None) -> str:
    """A clock's budget as a sentence: ``("restore", "4h")`` -> ``"restore within 4 h"``,
    ``("parts", "NBD")`` -> ``"spare part delivered by the next business day"``."""
    verb = _VERBS.get(clock, f"{label(clock).lower()} within")
    if budget is None or budget != budget:  # missing or NaN
        return verb.rsplit(" ", 1)[0]
    text = str(budget).strip()
    if text.upper() == "NBD":
        return f"{verb.rsplit(' ', 1)[0]} by the next business day"
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(bd|w|d|h|m)", text)
    if not parts:
        return f"{verb} {text}"
    words = []
    for number, unit in parts:
        one, many = _UNITS[unit]
        words.append(f"{number} {one if float(number) == 1 else many}")
    return f"{verb} {' '.join(words)}"


GLOSSARY = {
    "991": "the design share of tickets each line resolves: the first line (L1) 90%, the "
           "second (L2) 9%, the third (L3, R&D) 1%.",
    "OLA": "operational-level agreement: the time budget a line has for a ticket while it "
           "holds it. A breached SLA is blamed on every line whose OLA overran before the SLA "
           "clock stopped.",
    "KCP": "key control point of the support process: KCP1 checks the customer's "
           "entitlement, KCP2 routes the ticket to a line.",
    "Response": "time until an engineer engages with the ticket.",
    "Restore": "time until the service is back, by a workaround or a fix.",
    "Resolve": "time until the permanent fix.",
    "Update": "longest gap allowed between two progress notices to the customer.",
    "On site": "time until an engineer is at the customer's site.",
    "Parts": "time until a spare part is delivered.",
    "Attainment": "share of due clocks that met their budget (a clock is due once it stopped "
                  "or its deadline passed).",
    "95% interval": "the range that holds the long-run attainment with 95% confidence, from "
                    "the spread between replications (independent repeats of the period).",
    "Met / at risk / missed": "met: the whole interval reaches the target; missed: the whole "
                              "interval is below it; at risk: the interval straddles it, so "
                              "more replications or more margin are needed to tell.",
}
"""Terms the report uses, with their meaning for a reader outside support operations."""
