"""itr-sim: design a technical-support service and simulate it before selling it.

The public API; everything else is reachable through the sub-modules.
"""

from itr_sim.analysis.compare import compare
from itr_sim.analysis.queueing import erlang_a, erlang_c, required_agents
from itr_sim.analysis.summary import Analysis, analyse
from itr_sim.calendar import BusinessClock, Calendar
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.catalog import Catalog
from itr_sim.model.load import LoadedScenario, load_catalog, load_scenario, validate_file
from itr_sim.model.scenario import Scenario
from itr_sim.model.source import Diagnostic, ScenarioError
from itr_sim.units import Duration, parse_duration, parse_fraction

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "BusinessClock",
    "Calendar",
    "Catalog",
    "Diagnostic",
    "Duration",
    "LoadedScenario",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "analyse",
    "compare",
    "erlang_a",
    "erlang_c",
    "load_catalog",
    "load_scenario",
    "parse_duration",
    "parse_fraction",
    "required_agents",
    "run_scenario",
    "validate_file",
]
