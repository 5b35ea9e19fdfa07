"""Progress updates to the customer and on-site visits of field engineers (YAML).

``organisation.updates`` says, per level and severity, how often the customer gets a progress
update while a ticket is open and which tier or team sends it (taking an agent for the time
it takes); ``organisation.onsite`` which tickets need a field engineer, the team that sends
one and the travel time. Both are off when omitted (docs/engine.md).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from itr_sim.model.distributions import Distribution
from itr_sim.model.fields import ElapsedDuration, Fraction, Name, Strict

__all__ = ["ONSITE", "Onsite", "UpdateRule", "Updates"]

ONSITE = "onsite"
"""What a field team lists in its ``handles``: it takes site visits, not requests."""


class UpdateRule(Strict):
    """Progress updates of the open tickets of one level and severity."""

    cadence: ElapsedDuration = Field(
        description="an update is due this long (on the ticket's coverage calendar) after the "
        "first engagement and after each update sent")
    sender: Name = Field(description="tier or team whose agents write the updates")
    time: Distribution = Field(description="agent time per update")

    @model_validator(mode="after")
    def _positive(self) -> UpdateRule:
        if self.cadence.minutes <= 0:
            raise ValueError(f"cadence must be above 0m, got {self.cadence}: an update due "
                             "at once after every update would never end; give e.g. 45m")
        return self


Updates = dict[Name, dict[Name, UpdateRule]]
"""level -> severity -> rule, e.g. ``{platinum: {critical: {cadence: 45m, sender: L1, time:
{fixed: {value: 5m}}}}}``."""


class Onsite(Strict):
    """Site visits: which tickets need a field engineer, who goes and how long travel takes."""

    team: Name = Field(description="team of field engineers (its `handles` lists `onsite`); "
                       "its shifts are when engineers set out, its handling the time on site")
    share: dict[Name, Fraction] = Field(
        min_length=1, description="share of the technical tickets of a request type or a "
        "severity that need a visit, e.g. {hardware: 30%, critical: 50%}; a ticket matching "
        "several keys takes the largest share")
    travel: Distribution = Field(description="travel time to the site; the engineer is busy "
                                 "from setting out to the end of the time on site")

    def need(self, severity: str | None, rtype: str) -> float:
        """The share of tickets of this severity and type that need a visit."""
        return max((self.share.get(k, 0.0) for k in (severity, rtype) if k is not None),
                   default=0.0)
