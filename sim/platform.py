"""The traffic-allocation kernel under its historical name: `sim.platform` re-exports
:mod:`sim.allocation` (`FairnessPolicy`, `allocate_exposure`, `Allocation`)."""

from sim.allocation import Allocation, FairnessPolicy, Method, allocate_exposure

__all__ = ["Allocation", "FairnessPolicy", "Method", "allocate_exposure"]
