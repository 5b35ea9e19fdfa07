"""Zone-aware time columns as text, the way pandas writes them to CSV, on whole arrays.

pandas formats a time-zone-aware column value by value (a ``Timestamp`` and a zone lookup
each), which was most of the cost of writing a large event log as CSV. :func:`iso_local`
gives the same text on whole arrays (NumPy and Arrow): the local wall time, a fraction of a
second at the column's resolution (none, milliseconds, microseconds or nanoseconds: the
finest one any value needs, as pandas chooses it) and the UTC offset at each moment
(``+01:00``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["iso_local", "text_columns"]


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def iso_local(stamps: pd.Series) -> pd.Series:
    """``stamps`` (a time-zone-aware column) as the text ``DataFrame.to_csv`` writes for it,
    e.g. ``2025-03-30 03:00:00.500+02:00``; missing values stay missing (written empty)."""
    local = stamps.dt.tz_localize(None).astype("datetime64[ns]")
    utc = stamps.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    missing = local.isna().to_numpy()
    wall = np.where(missing, 0, local.to_numpy().view(np.int64))
    sub = wall[~missing] % 1_000_000_000
    unit = "ns" if np.any(sub % 1000) else "us" if np.any(sub % 1_000_000) else \
        "ms" if np.any(sub) else "s"
    text = pc.cast(pa.array(wall.astype("datetime64[ns]").astype(f"datetime64[{unit}]")),
                   pa.string())
    shift = (wall - utc.to_numpy().view(np.int64)) // 1_000_000_000
    where, offsets = pd.factorize(np.where(missing, 0, shift))
    zone = pa.array([_offset_text(int(s)) for s in offsets]).take(pa.array(where))
    joined = pc.binary_join_element_wise(text, zone, "")
    if missing.any():
        joined = pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), joined)
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=stamps.index)


def text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its time-zone-aware columns replaced by :func:`iso_local` text (the
    rest untouched), ready for a fast ``to_csv`` with the same output."""
    zoned = [c for c, dtype in frame.dtypes.items()
             if isinstance(dtype, pd.DatetimeTZDtype)]
    if not zoned:
        return frame
    return frame.assign(**{str(c): iso_local(frame[c]) for c in zoned})
