"""Escalation beyond a fixed share: a tier's time-box, resolve shares per severity and type,
knowledge flowing back to a tier (shift-left), and the permanent fix after restoration
(docs/engine.md, "Functional escalation", "Knowledge shift-left", "Permanent fix")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from itr_sim.model.distributions import Distribution
from itr_sim.model.fields import ElapsedDuration, Fraction, Name, Strict

__all__ = ["Knowledge", "Timebox"]


class Timebox(Strict):
    """How long a tier keeps a ticket before it escalates it, whatever its resolve share:
    ``{work: 2h}`` (agent work time at the tier in one visit) or ``{ola: 80%}`` (share of the
    tier's resolve OLA budget for the ticket's severity, elapsed on the OLA's calendar from
    the moment the ticket is queued at the tier, waiting included)."""

    work: ElapsedDuration | None = Field(
        None, description="agent work time at the tier per visit; a ticket whose handling "
        "needs more is handed over when it is used up")
    ola: Fraction | None = Field(
        None, description="share of the tier's resolve OLA budget (its calendar, from queued "
        "at the tier); when it is used up the ticket is handed over, from the queue, from "
        "an agent or when it comes back from a wait")

    @model_validator(mode="after")
    def _one(self) -> Timebox:
        if (self.work is None) == (self.ola is None):
            raise ValueError("give one of work (agent time at the tier, e.g. {work: 2h}) and "
                             "ola (share of the tier's OLA budget, e.g. {ola: 80%})")
        if self.work is not None and self.work.minutes <= 0:
            raise ValueError(f"work {self.work}: a time-box must be above 0m")
        if self.ola is not None and self.ola <= 0:
            raise ValueError("ola 0%: a time-box must be above 0%")
        return self


class Knowledge(Strict):
    """Knowledge articles written by the higher tiers' resolutions that raise one tier's
    resolve probability for the ticket's problem class (shift-left)."""

    tier: Name = Field(description="the tier that uses the articles (usually the first line)")
    classes: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        description="problem classes; each technical ticket belongs to one")
    zipf: Annotated[float, Field(ge=0, le=10)] = Field(
        0.0, description="class k (1, 2, ...) has a share proportional to 1/k^zipf; 0: uniform")
    create: Fraction = Field(
        description="probability that a resolution at another tier writes an article for the "
        "ticket's class")
    max: Fraction = Field(
        description="the tier's resolve probability for a class with very many live articles")
    half: Annotated[float, Field(gt=0, le=1e6)] = Field(
        description="live articles of a class that give half the gain from the tier's own "
        "resolve probability to `max`")
    lifetime: Distribution | None = Field(
        None, description="how long an article stays live; none: articles never age out")

    def probability(self, p0: float, articles: int) -> float:
        """p0 + (max - p0) (1 - 2^(-articles / half)): ``p0`` without articles, half the gain
        at ``half`` articles, ``max`` in the limit."""
        return p0 + (self.max - p0) * (1.0 - 2.0 ** (-articles / self.half))


PermanentFix = Annotated[dict[Name, Distribution], Field(min_length=1)]
"""Per severity: the delay from the resolving tier's solution (restored then, if not
before) to the permanent fix (``resolved``), e.g. a patch release."""
