"""Staged complaint handling and the satisfaction survey after closure (docs/engine.md,
"Complaints in stages" and "Satisfaction survey").

``organisation.complaints`` lists the stages a complaint passes (complaint handler, business
relationship manager, department head, management representative: each a team with a time
limit counted from the complaint's arrival) and the rules that make a complaint major.
``organisation.callback.survey`` gives the share of callbacks that answer and the model of
their score. Without them, complaints take one pass through the team that handles them and
callbacks carry no score, as before.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from itr_sim.model.fields import (
    CustomerName,
    DurationField,
    ElapsedDuration,
    Fraction,
    Name,
    Strict,
)

__all__ = ["ComplaintStage", "Complaints", "MajorRules", "Repeated", "Score", "Survey"]

Penalty = Annotated[float, Field(ge=0, le=4)]
"""Points taken off a 1-5 score (at most the whole range)."""


class ComplaintStage(Strict):
    """One stage of the complaint procedure: the team that works on the complaint there and
    the time by which it must have replied, counted from the complaint's arrival."""

    team: Name = Field(description="team (organisation.teams) that works on the complaint here")
    limit: DurationField = Field(
        description="time from the complaint's arrival by which this stage must reply, e.g. 2bd; "
        "when it passes the complaint goes to the next stage; limits increase down the list")


class Repeated(Strict):
    """Repeated outages: a customer with many severe tickets in a short time."""

    tickets: Annotated[int, Field(ge=1, le=10_000)] = Field(
        description="a complaint is major when its contract raised at least this many tickets of "
        "`severities` within `within` before it (the ticket complained about included)")
    within: ElapsedDuration = Field(description="the window, e.g. 30d")
    severities: list[Name] | None = Field(
        None, description="severities that count; none: the catalogue's most severe")


class MajorRules(Strict):
    """When a complaint is major, and where a major complaint starts."""

    vip: list[CustomerName] = Field(
        default_factory=list, description="customer groups whose every complaint is major")
    repeated: Repeated | None = Field(None, description="repeated outages for one contract")
    stage: Name | None = Field(
        None, description="team of the stage major complaints start at; none: the second stage")


class Complaints(Strict):
    """The staged complaint procedure (``organisation.complaints``)."""

    stages: Annotated[list[ComplaintStage], Field(min_length=1, max_length=10)] = Field(
        description="stages in order, each a team with a limit, e.g. [{team: handlers, limit: "
        "2bd}, {team: brm, limit: 5bd}, {team: head, limit: 10bd}]")
    major: MajorRules | None = Field(None, description="what makes a complaint major")
    attainment: Fraction | None = Field(
        None, description="target share of stage visits that reply within the stage's limit "
        "(judged by run --check)")


class Score(Strict):
    """The survey score of a ticket: ``base`` less a penalty per outcome, plus normal noise,
    clipped to 1-5."""

    base: Annotated[float, Field(ge=1, le=5)] = Field(
        4.5, description="score of a ticket with no breached clock, no wait, reopen or complaint")
    per_missed_clock: Penalty = Field(0.8, description="per breached SLA or service clock")
    per_wait_day: Penalty = Field(0.3, description="per day the ticket waited in queues")
    per_reopen: Penalty = Field(0.6, description="per reopening")
    complaint: Penalty = Field(1.0, description="when the ticket raised a complaint")
    noise: Annotated[float, Field(ge=0, le=4)] = Field(
        0.5, description="standard deviation of the normal noise added to the score")


class Survey(Strict):
    """The satisfaction survey made by a callback."""

    response: Fraction = Field(description="share of callbacks that answer the survey")
    score: Score = Field(default_factory=Score, description="the model of the score")
    satisfied: Annotated[float, Field(ge=1, le=5)] = Field(
        4.0, description="lowest score that counts as satisfied")
    target: Fraction | None = Field(
        None, description="target share of satisfied answers per level (judged by run --check)")
