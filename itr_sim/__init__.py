"""itr-sim: design a technical-support service and simulate it before selling it.

The public API; everything else is reachable through the sub-modules.
"""

from itr_sim.calendar import BusinessClock, Calendar
from itr_sim.model.catalog import Catalog
from itr_sim.model.load import LoadedScenario, load_catalog, load_scenario, validate_file
from itr_sim.model.scenario import Scenario
from itr_sim.model.source import Diagnostic, ScenarioError
from itr_sim.units import Duration, parse_duration, parse_fraction

__version__ = "0.1.0"

__all__ = [
    "BusinessClock",
    "Calendar",
    "Catalog",
    "Diagnostic",
    "Duration",
    "LoadedScenario",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_catalog",
    "load_scenario",
    "parse_duration",
    "parse_fraction",
    "validate_file",
]
