"""The ``staffing:`` section of a scenario: what ``itr-sim staff`` may change and what it must
keep. Every key is optional; without the section the search may change the agents of every
shift of every tier and team between the default bounds (see docs/staffing.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from itr_sim.model.fields import Fraction, Name, Strict

__all__ = ["Bounds", "StaffingSpec", "UnitBounds"]

MAX_AGENTS = 10_000


class Bounds(Strict):
    """Bounds of one shift's agents. Unset bounds take the defaults of docs/staffing.md."""

    min: Annotated[int, Field(ge=0, le=MAX_AGENTS)] | None = Field(
        None, description="fewest agents on this shift; default 1 for a shift staffed today, "
        "0 for one that is not")
    max: Annotated[int, Field(ge=0, le=MAX_AGENTS)] | None = Field(
        None, description="most agents on this shift; default the larger of three times "
        "today's agents and today's agents + 3")
    step: Annotated[int, Field(ge=1, le=MAX_AGENTS)] = Field(
        1, description="agents are added and removed in multiples of this")

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}; swap them or widen "
                             "the range")
        return self


class UnitBounds(Bounds):
    """Bounds for every shift of a unit, or per shift in ``shifts`` (same order as the
    unit's shifts); ``fixed: true`` keeps today's agents."""

    fixed: bool = Field(False, description="keep today's agents on every shift of this unit")
    shifts: list[Bounds] | None = Field(
        None, description="per-shift bounds, one entry per shift of the unit in its order; "
        "an entry's unset keys fall back to the unit's")


class StaffingSpec(Strict):
    """Options of ``itr-sim staff`` kept with the scenario."""

    units: dict[Name, UnitBounds] = Field(
        default_factory=dict, description="bounds per tier or team by name")
    occupancy_cap: Fraction | None = Field(
        None, description="optional constraint: every unit's utilisation at most this share")
    ola_attainment: Fraction | None = Field(
        None, description="optional constraint: every tier with OLA budgets meets them in at "
        "least this share of its visits")
