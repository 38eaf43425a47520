"""The scenario stage: a file (or mapping) becomes a validated, immutable `Scenario`.

`schema` defines the levers and their bounds, `files` reads YAML strictly and applies
``--set`` overrides, `errors` turns validation failures into one readable line naming the
field, `memory` refuses scenarios that would not fit this machine.
"""

from sim.scenario.errors import MemoryLimitError, ScenarioError
from sim.scenario.files import dump_scenario, load_scenario, parse_scenario
from sim.scenario.schema import CommercePolicy, Population, RunSettings, Scenario, TrafficPolicy

__all__ = [
    "CommercePolicy",
    "MemoryLimitError",
    "Population",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "TrafficPolicy",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
]
