"""A ServiceNow-style audit export (the UCI incident event log) -> event log, with the
bundled ``servicenow`` mapping (itr_sim/ingest/mappings/servicenow.yaml)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from itr_sim.ingest import ingest_log

__all__ = ["read_audit_log"]


def read_audit_log(path: str | Path, mapping: str | Path = "servicenow"
                   ) -> tuple[pd.DataFrame, datetime, float]:
    """The event log, its origin (local midnight of the first opening) and its end (minutes
    to the last update)."""
    done = ingest_log(path, mapping)
    return done.events, done.origin.to_pydatetime(), done.end_min
