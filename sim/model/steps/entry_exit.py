"""Entry and exit of creators: new ones keep arriving; commerce creators that earn nothing
for longer than their patience may leave."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.state import make_creators

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel

EXIT_HAZARD = 0.05
"""Daily probability that a commerce creator past its patience leaves."""
CONTENT_TURNOVER = 0.0005
"""Daily exit (and entry) rate of content-only creators: their number stays level."""


def update(model: EcosystemModel, rng: np.random.Generator) -> tuple[int, int]:
    """Remove leavers and add entrants; returns (entering, leaving)."""
    creators, day = model.creators, model.day
    patience = model.config.population.churn_patience
    alive = creators.alive
    broke = alive & creators.commerce & (creators.zero_income_days >= patience)
    leaving = (broke & (rng.random(len(creators)) < EXIT_HAZARD)) | (
        alive & ~creators.commerce & (rng.random(len(creators)) < CONTENT_TURNOVER)
    )
    creators.alive = alive & ~leaving
    creators.exit_day[leaving] = day
    active_commerce = int((creators.alive & creators.commerce).sum())
    active_content = int((creators.alive & ~creators.commerce).sum())
    p = model.config.population
    ceiling = p.commerce_creator_ceiling * max(model.initial_commerce_creators, 1)
    room = max(0.0, 1.0 - active_commerce / ceiling)  # the market saturates
    new_commerce = int(rng.poisson(p.creator_entry_rate * active_commerce * room))
    new_content = int(rng.poisson(CONTENT_TURNOVER * active_content))
    for count, share in ((new_commerce, 1.0), (new_content, 0.0)):
        if count:
            creators.extend(make_creators(rng, model.config, count, day, share))
    return new_commerce + new_content, int(leaving.sum())
