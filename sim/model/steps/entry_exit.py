"""Entry and exit of creators: new ones keep arriving; commerce creators that earn nothing
for longer than their patience may leave."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.population import make_creators
from sim.model.state import I64, World
from sim.scenario.schema import Scenario

EXIT_HAZARD = 0.05
"""Daily probability that a commerce creator past its patience leaves."""
CONTENT_TURNOVER = 0.0005
"""Daily exit (and entry) rate of content-only creators: their number stays level."""


@dataclass(frozen=True)
class Turnover:
    """Who left and who joined today: rows of the creator table."""

    left: I64
    joined: I64

    @property
    def entering(self) -> int:
        return int(self.joined.size)

    @property
    def leaving(self) -> int:
        return int(self.left.size)


def update(world: World, scenario: Scenario, day: int, rng: np.random.Generator) -> Turnover:
    """Remove leavers and add entrants to the creator table (and to the follow graph)."""
    creators = world.creators
    p = scenario.population
    alive = creators.alive
    broke = alive & creators.commerce & (creators.zero_income_days >= p.churn_patience)
    leaving = (broke & (rng.random(len(creators)) < EXIT_HAZARD)) | (
        alive & ~creators.commerce & (rng.random(len(creators)) < CONTENT_TURNOVER)
    )
    creators.alive = alive & ~leaving
    creators.exit_day[leaving] = day
    active_commerce = int((creators.alive & creators.commerce).sum())
    active_content = int((creators.alive & ~creators.commerce).sum())
    ceiling = p.commerce_creator_ceiling * max(world.catalogue.initial_commerce_creators, 1)
    room = max(0.0, 1.0 - active_commerce / ceiling)  # the market saturates
    new_commerce = int(rng.poisson(p.creator_entry_rate * active_commerce * room))
    new_content = int(rng.poisson(CONTENT_TURNOVER * active_content))
    before = len(creators)
    for count, share in ((new_commerce, 1.0), (new_content, 0.0)):
        if count:
            creators.extend(make_creators(rng, scenario, count, day, share))
    world.audience.add_creators(len(creators) - before)
    return Turnover(
        left=np.flatnonzero(leaving).astype(np.int64),
        joined=np.arange(before, len(creators), dtype=np.int64),
    )
