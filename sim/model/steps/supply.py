"""Supply: commerce creators choose which merchant's goods to carry.

A creator looks at a few listings of its category (more when flash listing makes listing
cheap) and carries the one with the best expected earnings per view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.steps.commerce import OWN_GOODS_INCOME, VALUE_ELASTICITY

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel

LISTINGS_SEEN = {True: 8, False: 3}
"""Listings a creator compares, with and without flash listing."""
REPICK_RATE = 0.02
"""Daily probability that a creator reconsiders the goods it carries."""


def choose_goods(model: EcosystemModel, rng: np.random.Generator) -> None:
    """Assign merchants to commerce creators that have none or reconsider today."""
    creators, merchants = model.creators, model.merchants
    n = len(creators)
    choosing = (
        creators.alive
        & creators.commerce
        & ((creators.merchant < 0) | (rng.random(n) < REPICK_RATE))
        & (creators.penalty_until < model.day)
    )
    who = np.flatnonzero(choosing)
    if who.size == 0:
        return
    k = LISTINGS_SEEN[model.config.commerce.flash_listing]
    offsets, members = model.merchant_index
    category = creators.category[who]
    counts = offsets[category + 1] - offsets[category]
    draws = offsets[category][:, None] + (rng.random((who.size, k)) * counts[:, None]).astype(
        np.int64
    )
    candidates = members[draws]
    reference = model.reference_price[merchants.category[candidates]]
    price = merchants.price[candidates]
    # Expected orders per view: value for money and quality (as in `commerce.buy`).
    appeal = (reference / price) ** VALUE_ELASTICITY * merchants.quality[candidates]
    earnings = price * np.where(
        creators.own_goods[who, None], OWN_GOODS_INCOME, merchants.commission[candidates]
    )
    best = np.argmax(earnings * appeal, axis=1)
    creators.merchant[who] = candidates[np.arange(who.size), best]
