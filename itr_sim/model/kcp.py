"""Key control points as gates (``organisation.kcp``): mis-dispatch at KCP2, solution and
implementation reviews at KCP3 and KCP4, the customer's confirmation failing at KCP5, and
severity changes during a ticket's life. Every part is off unless written
(docs/engine.md, "Key control points as gates")."""

from __future__ import annotations

from pydantic import Field

from itr_sim.model.distributions import Distribution
from itr_sim.model.fields import Fraction, Name, Strict

__all__ = ["Confirmation", "Dispatch", "Kcp", "Review", "SeverityChange"]


class Dispatch(Strict):
    """KCP2: a new technical ticket is sent to a wrong tier with probability ``misdispatch``
    and reaches its right tier ``delay`` later."""

    misdispatch: Fraction = Field(description="share of new technical tickets dispatched to a "
                                  "wrong tier (drawn among the other tiers)")
    delay: Distribution = Field(description="time until a mis-dispatched ticket is sent back "
                                "and queued at its right tier")


class Review(Strict):
    """KCP3 or KCP4: when a tier has a solution, it waits ``delay``, then an agent of
    ``reviewer`` reviews it for ``handling``; the review fails with ``fails`` and the ticket
    goes back to the tier for rework."""

    reviewer: Name = Field(description="tier or team whose agents review")
    delay: Distribution | None = Field(
        None, description="time from the tier's solution to the review's queue; none: at once")
    handling: Distribution = Field(description="reviewer's time per review")
    fails: Fraction = Field(0.0, description="share of reviews that fail (rework at the tier "
                            "that resolved it); below 100%")
    severities: list[Name] | None = Field(
        None, description="severities reviewed; none: every technical ticket")


class Confirmation(Strict):
    """KCP5: the customer does not confirm the resolution with probability ``fails``; the
    ticket is reopened at the tier that resolved it."""

    fails: Fraction = Field(description="share of confirmations that fail (below 100%)")


class SeverityChange(Strict):
    """A ticket of this severity changes severity once, ``after`` its arrival, if still not
    resolved: one step up with ``upgrade``, one step down with ``downgrade``."""

    upgrade: Fraction = Field(0.0, description="share upgraded one step (more severe)")
    downgrade: Fraction = Field(0.0, description="share downgraded one step (less severe)")
    after: Distribution = Field(description="time from arrival to the change")


class Kcp(Strict):
    dispatch: Dispatch | None = Field(None, description="KCP2: mis-dispatch and its delay")
    solution_review: Review | None = Field(None, description="KCP3: solution review")
    implementation_review: Review | None = Field(
        None, description="KCP4: implementation review (after the solution review)")
    confirmation: Confirmation | None = Field(
        None, description="KCP5: the customer's confirmation fails; the delay stays "
        "`organisation.confirmation`")
    severity_changes: dict[Name, SeverityChange] = Field(
        default_factory=dict, description="severity upgrades and downgrades per severity")

    def reviews(self) -> list[tuple[str, Review]]:
        """The reviews in force, in the order a solution meets them."""
        return [(name, review) for name, review in (
            ("solution", self.solution_review),
            ("implementation", self.implementation_review)) if review is not None]
