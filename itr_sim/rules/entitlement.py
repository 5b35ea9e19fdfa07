"""KCP1: is the requester entitled, and to which service level.

Outcomes (documented in docs/engine.md):

* ``active`` contract: served under the contract's level, with its SLA clocks.
* ``expired`` contract (not entitled): a critical fault gets emergency recovery only (served
  until service is restored, then closed, without SLA clocks); anything else is rejected at
  acceptance and closed at once.
* ``no_data`` (the contract cannot be found, or the customer is unknown): served best effort,
  without an SLA commitment, and flagged so the service data can be fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from itr_sim.model.demand import Customer

__all__ = ["Entitlement", "Outcome", "entitle"]


class Outcome(StrEnum):
    ENTITLED = "entitled"
    EMERGENCY_ONLY = "emergency_only"
    REJECTED = "rejected"
    BEST_EFFORT = "best_effort"


@dataclass(frozen=True)
class Entitlement:
    outcome: Outcome
    level: str | None  # the level whose clocks apply; None = no SLA commitment

    @property
    def served(self) -> bool:
        return self.outcome is not Outcome.REJECTED


def entitle(customer: Customer | None, severity: str | None, most_severe: str) -> Entitlement:
    """Apply KCP1 to a request of ``severity`` from ``customer`` (None = unknown)."""
    if customer is None or customer.contract == "no_data":
        return Entitlement(Outcome.BEST_EFFORT, None)
    if customer.contract == "expired":
        if severity == most_severe:
            return Entitlement(Outcome.EMERGENCY_ONLY, None)
        return Entitlement(Outcome.REJECTED, None)
    return Entitlement(Outcome.ENTITLED, customer.level)
