"""Baseline files: a scenario's per-replication KPI values, stored to be committed.

One JSON file per scenario (``DIR/<scenario file stem>.json``, docs/ci.md): the scenario's
name and file name, the hash of its resolved inputs (:func:`inputs_hash`), seed,
replications, the versions of itr-sim and of the libraries that change results, and the KPI
values as a tidy long table (``columns``: replication, kpi, value; one row per line so that a
change reads well in a diff). Files are written atomically (a temporary sibling renamed into
place) and never replace an existing baseline unless asked to.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from itr_sim.analysis.compare import run_kpis
from itr_sim.analysis.summary import Analysis
from itr_sim.engine.replicate import RunResult
from itr_sim.files import write_atomic
from itr_sim.model.load import LoadedScenario

__all__ = ["BASELINE_FORMAT", "RESULT_VERSIONS", "Baseline", "BaselineError", "baseline_of",
           "baseline_path", "describe_versions", "inputs_hash", "read_baseline",
           "write_baseline"]

BASELINE_FORMAT = 1
"""Version of the file layout, recorded as ``itr_sim_baseline``."""

RESULT_VERSIONS = ("itr-sim", "simpy", "numpy", "holidays")
"""Packages whose version can change a run's results (python, scipy and pandas are recorded
too, for the record)."""

_KEPT_VERSIONS = (*RESULT_VERSIONS, "python", "scipy", "pandas")


class BaselineError(ValueError):
    """A baseline file that cannot be read or written as asked; ``str`` names the path, the
    problem and the fix."""

    def __init__(self, path: Path, message: str, hint: str) -> None:
        self.path, self.message, self.hint = path, message, hint
        super().__init__(f"{path}: {message}; {hint}")


@dataclass(frozen=True)
class Baseline:
    """A stored run's KPI values (``values``: replication, kpi, value) and what they came
    from."""

    scenario: str
    scenario_file: str
    inputs_hash: str
    seed: int
    replications: int
    measured_weeks: float
    versions: dict[str, str]
    created_utc: str
    values: pd.DataFrame

    def to_text(self) -> str:
        head = {"itr_sim_baseline": BASELINE_FORMAT, "scenario": self.scenario,
                "scenario_file": self.scenario_file, "inputs_hash": self.inputs_hash,
                "seed": self.seed, "replications": self.replications,
                "measured_weeks": self.measured_weeks, "versions": self.versions,
                "created_utc": self.created_utc, "columns": ["replication", "kpi", "value"]}
        text = json.dumps(head, indent=2, allow_nan=False)[:-2]  # drop the closing "\n}"
        rows = [json.dumps([int(r), str(k), None if math.isnan(v) else float(v)])
                for r, k, v in zip(self.values["replication"], self.values["kpi"],
                                   self.values["value"].astype(float), strict=True)]
        return text + ',\n  "rows": [\n    ' + ",\n    ".join(rows) + "\n  ]\n}\n"


def inputs_hash(loaded: LoadedScenario) -> str:
    """SHA-256 of the resolved inputs: the validated scenario (with what it extends and its
    overrides) and catalogue, less the values left at their defaults, and the content of the
    trace file it replays, if any. A change to any input changes the hash; a comment, a
    reformatting or a release that adds an optional key (with a default) does not, so that a
    code change is judged by the statistical test instead of blocking the gate."""
    body = json.dumps({"scenario": loaded.scenario.model_dump(mode="json", exclude_defaults=True),
                       "catalog": loaded.catalog.model_dump(mode="json", exclude_defaults=True)},
                      sort_keys=True, default=str)
    digest = hashlib.sha256(body.encode("utf-8"))
    trace = loaded.scenario.demand.trace
    if trace is not None:
        digest.update((loaded.path.parent / trace.file).read_bytes())
    return digest.hexdigest()


def baseline_path(folder: Path, scenario: Path) -> Path:
    """Where the baseline of the scenario file ``scenario`` lives in ``folder``."""
    return folder / f"{scenario.stem}.json"


def baseline_of(result: RunResult, analysis: Analysis) -> Baseline:
    """The baseline of a run and its analysis."""
    values = run_kpis(result, analysis).sort_values(["kpi", "replication"], kind="stable",
                                                   ignore_index=True)
    versions = result.metadata.get("versions", {})
    return Baseline(result.loaded.scenario.scenario, result.loaded.path.name,
                    inputs_hash(result.loaded), int(result.seed), len(result.replications),
                    float(analysis.summary["measured_weeks"]),
                    {k: str(versions[k]) for k in _KEPT_VERSIONS if k in versions},
                    datetime.now(UTC).isoformat(timespec="seconds"), values)


def write_baseline(path: Path, baseline: Baseline, *, force: bool = False) -> None:
    """Write ``baseline`` to ``path`` atomically (:func:`itr_sim.files.write_atomic`); an
    existing file is replaced only with ``force``."""
    if path.exists() and not force:
        raise BaselineError(path, "a baseline exists already", "pass --force to replace it "
                            "(deliberately, in the same commit as the scenario change)")
    if path.exists() and not path.is_file():
        raise BaselineError(path, "exists and is not a file", "give another --to folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, baseline.to_text())


def read_baseline(path: Path) -> Baseline:
    """The baseline in ``path``; raises :class:`BaselineError` naming what is wrong."""
    store = "store one with `itr-sim baseline SCENARIO --to DIR`"
    if not path.is_file():
        raise BaselineError(path, "no baseline file", store)
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (OSError, ValueError) as exc:
        raise BaselineError(path, f"not readable as JSON ({exc})", f"restore it from version "
                            f"control, or {store} --force") from None
    if not isinstance(data, dict) or data.get("itr_sim_baseline") != BASELINE_FORMAT:
        raise BaselineError(path, f"not an itr-sim baseline of format {BASELINE_FORMAT}",
                            f"{store} --force")
    try:
        baseline = _parse(data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise BaselineError(path, f"incomplete or malformed baseline ({type(exc).__name__}: "
                            f"{exc})", f"restore it from version control, or {store} "
                            "--force") from None
    return baseline


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number (a KPI without a value is null)")


def _integer(data: dict[str, Any], key: str, low: int, high: int) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key} must be a whole number from {low} to {high}, got {value!r}")
    return value


def _parse(data: dict[str, Any]) -> Baseline:
    """The fields of a baseline file, each checked: an edited or damaged file is refused
    rather than re-run with a coerced seed or compared against missing values."""
    seed = _integer(data, "seed", 0, 2**63 - 1)
    n = _integer(data, "replications", 1, 100_000)
    weeks = data["measured_weeks"]
    if isinstance(weeks, bool) or not isinstance(weeks, int | float) or not (
            math.isfinite(weeks) and weeks > 0):
        raise ValueError(f"measured_weeks must be a positive number, got {weeks!r}")
    if data["columns"] != ["replication", "kpi", "value"]:
        raise ValueError(f"columns must be [replication, kpi, value], got {data['columns']!r}")
    rows = data["rows"]
    if not isinstance(rows, list) or not rows:
        raise ValueError("rows must be a non-empty list of [replication, kpi, value]")
    seen: dict[str, set[int]] = {}
    for i, row in enumerate(rows):
        ok = (isinstance(row, list) and len(row) == 3 and type(row[0]) is int
              and 0 <= row[0] < n and isinstance(row[1], str) and row[1]
              and (row[2] is None or (type(row[2]) in (int, float) and math.isfinite(row[2]))))
        if not ok:
            raise ValueError(f"rows[{i}] must be [replication 0..{n - 1}, kpi name, finite "
                             f"number or null], got {row!r}")
        if row[0] in seen.setdefault(row[1], set()):
            raise ValueError(f"rows[{i}]: replication {row[0]} of {row[1]} is given twice")
        seen[row[1]].add(row[0])
    # a KPI may lack a replication (nothing measured there), a replication never all KPIs
    absent = sorted(set(range(n)) - set().union(*seen.values()))
    if absent:
        raise ValueError(f"replications says {n} but replication {absent[0]} has no rows")
    values = pd.DataFrame({
        "replication": [r[0] for r in rows], "kpi": [r[1] for r in rows],
        "value": [math.nan if r[2] is None else float(r[2]) for r in rows]})
    return Baseline(str(data["scenario"]), str(data["scenario_file"]),
                    str(data["inputs_hash"]), seed, n, float(weeks),
                    {str(k): str(v) for k, v in dict(data["versions"]).items()},
                    str(data["created_utc"]), values)


def describe_versions(baseline: Baseline, now: dict[str, Any]) -> list[str]:
    """``package baseline -> now`` for each result-changing package whose version differs."""
    return [f"{k} {baseline.versions.get(k, '?')} -> {now.get(k, '?')}"
            for k in RESULT_VERSIONS if baseline.versions.get(k) != now.get(k)]
