"""Real ticket exports -> event logs in the engine's schema (``itr-sim ingest``)."""

from __future__ import annotations

from pathlib import Path

from itr_sim.ingest.events import Ingested, build_events
from itr_sim.ingest.mapping import Mapping, load_mapping
from itr_sim.ingest.read import read_rows

__all__ = ["Ingested", "ingest_log"]


def ingest_log(path: str | Path, mapping: Mapping | str | Path) -> Ingested:
    """The event log of the export at ``path`` read with ``mapping`` (a :class:`Mapping`, a
    bundled mapping's name or a mapping file)."""
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    return build_events(read_rows(Path(path), m), m)
