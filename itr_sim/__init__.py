"""itr-sim: design a technical-support service and simulate it before selling it.

The public API; everything else is reachable through the sub-modules. Names are imported on
first use, so that ``import itr_sim.engine...`` (process-pool workers, the CLI) does not load
the analysis stack (SciPy) it does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__: str  # set on first use by __getattr__ (from the installed metadata)

_WHERE = {
    "Analysis": "itr_sim.analysis.summary",
    "BusinessClock": "itr_sim.calendar",
    "Calendar": "itr_sim.calendar",
    "Catalog": "itr_sim.model.catalog",
    "Diagnostic": "itr_sim.model.source",
    "Duration": "itr_sim.units",
    "LoadedScenario": "itr_sim.model.load",
    "RunResult": "itr_sim.engine.replicate",
    "Scenario": "itr_sim.model.scenario",
    "ScenarioError": "itr_sim.model.source",
    "analyse": "itr_sim.analysis.summary",
    "compare": "itr_sim.analysis.compare",
    "erlang_a": "itr_sim.analysis.queueing",
    "erlang_c": "itr_sim.analysis.queueing",
    "load_catalog": "itr_sim.model.load",
    "load_scenario": "itr_sim.model.load",
    "ola": "itr_sim.analysis.ola_design",
    "parse_duration": "itr_sim.units",
    "parse_fraction": "itr_sim.units",
    "required_agents": "itr_sim.analysis.queueing",
    "run_scenario": "itr_sim.engine.replicate",
    "run_streaming": "itr_sim.analysis.streaming",
    "staff": "itr_sim.analysis.staff",
    "StaffingResult": "itr_sim.analysis.staff",
    "validate_file": "itr_sim.model.load",
    "simulate": "itr_sim.report.run",
    "load_run": "itr_sim.report.run",
    "Run": "itr_sim.report.run",
    "price": "itr_sim.analysis.economics",
    "marginal_cost": "itr_sim.analysis.economics",
    "headroom": "itr_sim.analysis.headroom",
}

__all__ = [
    "Analysis",
    "BusinessClock",
    "Calendar",
    "Catalog",
    "Diagnostic",
    "Duration",
    "LoadedScenario",
    "Run",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "StaffingResult",
    "__version__",
    "analyse",
    "compare",
    "erlang_a",
    "erlang_c",
    "headroom",
    "load_catalog",
    "load_run",
    "load_scenario",
    "marginal_cost",
    "ola",
    "parse_duration",
    "parse_fraction",
    "price",
    "required_agents",
    "run_scenario",
    "run_streaming",
    "simulate",
    "staff",
    "validate_file",
]

if TYPE_CHECKING:
    from itr_sim.analysis.compare import compare
    from itr_sim.analysis.economics import marginal_cost, price
    from itr_sim.analysis.headroom import headroom
    from itr_sim.analysis.ola_design import ola
    from itr_sim.analysis.queueing import erlang_a, erlang_c, required_agents
    from itr_sim.analysis.staff import StaffingResult, staff
    from itr_sim.analysis.streaming import run_streaming
    from itr_sim.analysis.summary import Analysis, analyse
    from itr_sim.calendar import BusinessClock, Calendar
    from itr_sim.engine.replicate import RunResult, run_scenario
    from itr_sim.model.catalog import Catalog
    from itr_sim.model.load import LoadedScenario, load_catalog, load_scenario, validate_file
    from itr_sim.model.scenario import Scenario
    from itr_sim.model.source import Diagnostic, ScenarioError
    from itr_sim.report.run import Run, load_run, simulate
    from itr_sim.units import Duration, parse_duration, parse_fraction


def _version() -> str:
    """The installed distribution's version: pyproject.toml is its one source. Read on first
    use (``itr_sim.__version__``): importlib.metadata costs a tenth of the CLI's start-up."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("itr-sim")
    except PackageNotFoundError:  # pragma: no cover - a source tree never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = globals()["__version__"] = _version()
        return value
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'itr_sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
