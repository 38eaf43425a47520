"""Random generators keyed by (seed, day, purpose): a day's draws never depend on how
many draws earlier days made, so runs are reproducible piece by piece."""

from __future__ import annotations

import numpy as np

INIT, LIFECYCLE, SUPPLY, CONTENT, SETTLE, FILL = range(6)
POLICY = 100
"""The timeline's hooks (sim.model.steps.policy): apart from the day's steps, so that a
new step's purpose can take the next number without sharing draws with them."""


def day_rng(seed: int, day: int, purpose: int) -> np.random.Generator:
    """A counter-based (Philox) generator for one purpose on one day."""
    return np.random.Generator(np.random.Philox(np.random.SeedSequence([seed, day, purpose])))
