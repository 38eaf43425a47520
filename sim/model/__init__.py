"""The model stage: the columnar state of the world, its Mesa agents, and the day's steps.

`state` holds the tables (one row per agent), `population` builds them at day 0,
`agents` gives Mesa handles over their rows, `steps/` has one module per step of the day,
and `ecosystem` is the `mesa.Model` that runs the steps in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.agents import Creator, Fan, Merchant, Supplier
    from sim.model.ecosystem import EcosystemModel

__all__ = ["Creator", "EcosystemModel", "Fan", "Merchant", "Supplier"]


def __getattr__(name: str) -> Any:
    # Lazy, so that a step importing `sim.model.state` does not pull in the whole model.
    if name == "EcosystemModel":
        from sim.model.ecosystem import EcosystemModel

        return EcosystemModel
    if name in ("Creator", "Fan", "Merchant", "Supplier"):
        from sim.model import agents

        return getattr(agents, name)
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
