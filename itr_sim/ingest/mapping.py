"""Ingest mappings: how the columns and statuses of a ticket export become itr-sim events.

A mapping is a strict YAML file (unknown keys are errors, reported as ``file:line: key.path:
message`` like scenario files). Bundled mappings live in ``itr_sim/ingest/mappings/`` and are
named without their suffix (``servicenow``, ``helpdesk``, ``generic``); any other argument is
a path. docs/calibration.md documents the format.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from itr_sim.model.fields import Name, Strict
from itr_sim.model.load import _validate
from itr_sim.model.source import Diagnostic, ScenarioError, read_yaml

__all__ = ["BUNDLED", "Columns", "Lines", "LogEvent", "Mapping", "Timestamp", "load_mapping"]

BUNDLED = Path(__file__).parent / "mappings"


class LogEvent(StrEnum):
    """What a status or activity of the log means."""

    QUEUED = "queued"
    ENGAGED = "engaged"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_VENDOR = "waiting_vendor"
    WAITING_PARTS = "waiting_parts"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    IGNORE = "ignore"


Column = Annotated[str, Field(min_length=1, max_length=200)]


class Columns(Strict):
    """Column names of the export (for XES: attribute keys; trace attributes as
    ``case:KEY``)."""

    case: Column = Field(description="case (ticket) identifier")
    status: Column = Field(description="status or activity of the row")
    timestamp: Column = Field(description="when the row happened")
    order: Column | None = Field(None, description="tie-break of rows at the same time "
                                 "(e.g. a modification counter)")
    opened: Column | None = Field(None, description="arrival time of the case; default: its "
                                  "first row")
    resource: Column | None = Field(None, description="who worked on the row")
    group: Column | None = Field(None, description="assignment group (mapped to a line)")
    priority: Column | None = Field(None, description="priority or impact (mapped to a "
                                    "severity)")
    customer: Column | None = Field(None, description="customer or caller")
    product: Column | None = Field(None, description="product, category or service")


class Timestamp(Strict):
    format: str | None = Field(None, description="strftime format, e.g. '%d/%m/%Y %H:%M'; "
                               "none: ISO 8601. Values with a UTC offset (+01:00, Z) keep it")
    timezone: str = Field("UTC", description="IANA zone of times without an offset, and of "
                          "the organisation (hour-of-day profiles)")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; give an IANA name such as "
                             "Europe/Rome or UTC") from None
        return value


class Lines(Strict):
    """Support lines from assignment groups: a fixed map, or inferred from the order in which
    groups are visited (a group's line is the visit position it most often has)."""

    map: dict[str, Name] = Field(default_factory=dict, description="group -> line")
    infer: Annotated[list[Name], Field(min_length=1, max_length=10)] | None = Field(
        None, description="lines in order, e.g. [L1, L2, L3]: groups not in `map` get the line "
        "of their most frequent visit position (first visit L1, second L2, later L3)")
    default: Name = Field("L1", description="line of cases with no group, and of groups "
                          "neither mapped nor inferred")
    handover_on: list[LogEvent] = Field(
        default_factory=list, description="statuses at which a change of group is a hand-over"
        " (default: any row)")


class Mapping(Strict):
    mapping: Annotated[str, Field(min_length=1, max_length=120)]
    description: str = ""
    format: Literal["csv", "xes"] = Field("csv", description="csv (gzip by suffix) or xes")
    columns: Columns
    timestamp: Timestamp = Field(default_factory=Timestamp)
    missing: list[str] = Field(default_factory=lambda: [""], description="values meaning "
                               "'no value'")
    statuses: dict[str, LogEvent] = Field(
        min_length=1, description="status or activity -> event; statuses not listed are "
        "counted as unmapped and ignored")
    severities: dict[str, Name] = Field(default_factory=dict,
                                        description="priority value -> severity")
    default_severity: Name = Field("minor", description="severity of unmapped priorities")
    lines: Lines = Field(default_factory=Lines)
    level: Name = Field("standard", description="service level of every case")
    type: Name = Field("fault", description="request type of every case")

    @model_validator(mode="after")
    def _some_work(self) -> Mapping:
        ends = {LogEvent.RESOLVED, LogEvent.CLOSED}
        if not ends & set(self.statuses.values()):
            raise ValueError("no status maps to resolved or closed: no case could ever end; "
                             "map the log's resolution status to `resolved`")
        return self


def bundled_names() -> list[str]:
    return sorted(p.stem for p in BUNDLED.glob("*.yaml"))


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A bundled mapping by name, or a mapping file; raises :class:`ScenarioError` with the
    file and line of every problem."""
    text = str(name_or_path)
    path = Path(text)
    if not path.exists() and (BUNDLED / f"{text}.yaml").exists():
        path = BUNDLED / f"{text}.yaml"
    if not path.exists():
        raise ScenarioError([Diagnostic(text, 0, "", "mapping file not found; give a path or "
                                        f"a bundled mapping: {', '.join(bundled_names())}")])
    doc = read_yaml(path, text if path.parent != BUNDLED else f"(bundled) {path.name}")
    if not isinstance(doc.data, dict) or "mapping" not in doc.data:
        raise ScenarioError([Diagnostic(doc.file, 1, "", "not an ingest mapping: it starts "
                                        "with `mapping: NAME` (see docs/calibration.md)")])
    return _validate(doc, Mapping)
