"""ecosim: an agent-based simulator of a short-video and live-stream commerce platform.

The public API is imported lazily so that `python -m sim --help` and scenario checks stay
fast and do not need the model's heavier dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel
    from sim.scenario.schema import Scenario

__all__ = ["EcosystemModel", "Scenario", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "EcosystemModel":
        from sim.model.ecosystem import EcosystemModel

        return EcosystemModel
    if name == "Scenario":
        from sim.scenario.schema import Scenario

        return Scenario
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
