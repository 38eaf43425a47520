"""How a run is stopped from outside (the app's Stop button, a caller's deadline): a light
module, so that the runs stage and its callers can catch it without importing the model."""

from __future__ import annotations


class RunStopped(Exception):
    """A run was asked to stop (`stop()` of :meth:`EcosystemModel.run
    <sim.model.ecosystem.EcosystemModel.run>` or :func:`sim.simulate` turned true) before
    its next day; `day` is how many days it had simulated."""

    def __init__(self, day: int) -> None:
        super().__init__(f"stopped after day {day}")
        self.day = day
