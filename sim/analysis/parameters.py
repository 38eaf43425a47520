"""Free parameters of a calibration or a sensitivity analysis: a scalar scenario setting
with the range it may take, and how to put a set of values into a scenario.

A parameter is named by its dotted scenario path (``commerce.buy_rate``), as in ``--set``.
A value is drawn uniformly on ``[low, high]``, or on its logarithm when ``log`` is set (a
rate known only to an order of magnitude); integer settings are rounded. Every value goes
through the scenario's own validation, so a range that leaves a setting's bounds is
reported with the setting's name when the parameter is read (``check``), not mid-run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.files import override_scenario
from sim.scenario.schema import Scenario

__all__ = ["Parameter", "apply_values", "check_parameters"]


@dataclass(frozen=True)
class Parameter:
    """A scalar setting and its range: uniform on ``[low, high]`` or on its log."""

    path: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def value(self, unit: float) -> float | int:
        """The value at ``unit`` in [0, 1] along the range (on the log scale if ``log``):
        how a sampler's unit-cube draw becomes a setting."""
        if self.log:
            low, high = math.log(self.low), math.log(self.high)
            number = math.exp(low + unit * (high - low))
        else:
            number = self.low + unit * (self.high - self.low)
        return round(number) if self.integer else number

    def unit(self, value: float) -> float:
        """Where ``value`` lies along the range, in [0, 1] (the inverse of :meth:`value`)."""
        if self.log:
            span = math.log(self.high) - math.log(self.low)
            return (math.log(value) - math.log(self.low)) / span if span else 0.0
        span = self.high - self.low
        return (value - self.low) / span if span else 0.0


def apply_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario`` with each parameter path set to its value (validated like ``--set``)."""
    return override_scenario(scenario, dict(values))


def check_parameters(scenario: Scenario, parameters: Sequence[Parameter], field: str) -> None:
    """Raise :class:`ScenarioError` naming ``field[i]`` when a parameter's path is not a
    scalar number setting of ``scenario`` or either end of its range is not a valid value."""
    seen: set[str] = set()
    for index, parameter in enumerate(parameters):
        where = f"{field}[{index}]"
        if parameter.path in seen:
            raise ScenarioError(where, f"{parameter.path} is listed twice")
        seen.add(parameter.path)
        current = _current(scenario, parameter.path, where)
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError(where, f"{parameter.path} is not a number setting")
        if not parameter.low < parameter.high:
            raise ScenarioError(where, f"low {parameter.low} must be below high {parameter.high}")
        if parameter.log and parameter.low <= 0:
            raise ScenarioError(where, f"a log range needs low > 0, got {parameter.low}")
        for end in (parameter.low, parameter.high):
            try:
                apply_values(scenario, {parameter.path: parameter.value(parameter.unit(end))})
            except ScenarioError as error:
                raise ScenarioError(where, f"{end} is not a valid value: {error}") from None


def _current(scenario: Scenario, path: str, where: str) -> object:
    node: Any = scenario
    for part in path.split("."):
        if not hasattr(node, part):
            raise ScenarioError(where, f"{path} is not a setting of the scenario")
        node = getattr(node, part)
    return node
