"""A scenario: catalogue reference, organisation, demand and run settings."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from itr_sim.model.demand import Demand
from itr_sim.model.fields import ElapsedDuration, LocalMoment, Strict
from itr_sim.model.org import Organisation
from itr_sim.model.staffing import StaffingSpec
from itr_sim.units import parse_duration

__all__ = ["Scenario"]


class Scenario(Strict):
    """scenarios/*.yaml. ``start`` is local time of the organisation."""

    scenario: Annotated[str, Field(min_length=1, max_length=120)]
    description: str = ""
    extends: str | None = Field(
        None, description="a scenario file (relative path) this one starts from: its keys "
        "replace the base's at the top level, and its overrides apply after the base's")
    catalog: str = Field(description="path of the SLA catalogue, relative to this file")
    start: LocalMoment = Field(description="first instant simulated, local time of the "
                               "organisation")
    horizon: ElapsedDuration = Field(description="length of the simulated period, e.g. 13w")
    warmup: ElapsedDuration = Field(
        default_factory=lambda: parse_duration("0m"),
        description="initial period whose tickets are left out of the KPIs")
    replications: Annotated[int, Field(ge=1, le=100_000)] = Field(
        10, description="independent runs, for confidence intervals")
    seed: Annotated[int, Field(ge=0)] = Field(description="root seed; same seed, same results")
    organisation: Organisation = Field(description="tiers and teams")
    demand: Demand = Field(description="customers and what they raise")
    staffing: StaffingSpec | None = Field(
        None, description="bounds and optional constraints for `itr-sim staff` (docs/staffing.md)")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="what-if patches by dotted path, e.g. organisation.tiers.L1.shifts.0.agents;"
        " paths starting with catalog. patch the catalogue",
    )
