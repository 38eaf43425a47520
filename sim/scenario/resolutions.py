"""The baseline's platform at coarser resolutions, as ``--set`` overrides: fewer agents,
each standing for more users. Here, not in the tests, because the documentation tools
(``tools/``) must measure the very platform the tests check."""

from __future__ import annotations

__all__ = ["TENTH"]

TENTH: tuple[str, ...] = (
    "population.fans=20000",
    "population.creators=2000",
    "population.merchants=200",
    "population.suppliers=50",
    "population.scale=10000",
    "population.creator_scale=10",
)
"""The baseline's platform (200M DAU, 20k creators) at a tenth of its resolution: the
paired-seed direction tests, the resolution test and the docs of the directions and of the
sensitivity analysis run on it."""
