"""Supply: commerce creators choose which merchant's goods to carry.

A creator looks at a few listings of its category (more when flash listing makes listing
cheap) and carries the one with the best expected earnings per view; a creator with goods
of its own weighs them (its margin) against merchants' (the commission they offer). It judges a
product's quality from a sample, so bad goods (cheaper, and paying more commission) can
pass for good ones; goods a quality check has exposed are seen for what they are.
"""

from __future__ import annotations

import numpy as np

from sim.model.state import World
from sim.model.steps.buying import OWN_GOODS_INCOME, VALUE_ELASTICITY
from sim.scenario.schema import Scenario

LISTINGS_SEEN = {True: 8, False: 3}
"""Listings a creator compares, with and without flash listing."""
REPICK_RATE = 0.02
"""Daily probability that a creator reconsiders the goods it carries."""
MISREAD = 0.5
"""Probability that a creator sampling bad goods takes them for what they look like (the
supplier's quality) rather than what they are; exposed bad goods are never misread."""


def choose_goods(world: World, scenario: Scenario, day: int, rng: np.random.Generator) -> int:
    """Assign merchants to commerce creators that have none or reconsider today; returns
    how many chose."""
    creators, merchants, catalogue = world.creators, world.merchants, world.catalogue
    n = len(creators)
    choosing = (
        creators.alive
        & creators.commerce
        & ((creators.merchant < 0) | (rng.random(n) < REPICK_RATE))
        & (creators.penalty_until < day)
    )
    who = np.flatnonzero(choosing)
    if who.size == 0:
        return 0
    k = LISTINGS_SEEN[scenario.commerce.flash_listing]
    offsets, members = catalogue.merchant_offsets, catalogue.merchant_order
    category = creators.category[who]
    counts = offsets[category + 1] - offsets[category]
    draws = offsets[category][:, None] + (rng.random((who.size, k)) * counts[:, None]).astype(
        np.int64
    )
    candidates = members[draws]
    reference = catalogue.reference_price[merchants.category[candidates]]
    price = merchants.price[candidates]
    # Expected orders per view: value for money and quality (as in `buying.buy`).
    misread = (
        merchants.bad[candidates]
        & ~merchants.exposed[candidates]
        & (rng.random(candidates.shape) < MISREAD)
    )
    judged = np.where(misread, merchants.looks[candidates], merchants.quality[candidates])
    appeal = (reference / price) ** VALUE_ELASTICITY * judged
    # A creator with goods of its own finds them first among the listings (its own line,
    # at its margin); the others pay the commission their merchants offer.
    share = merchants.commission[candidates]
    share[:, 0] = np.where(creators.own_goods[who], OWN_GOODS_INCOME, share[:, 0])
    best = np.argmax(price * share * appeal, axis=1)
    creators.merchant[who] = candidates[np.arange(who.size), best]
    creators.sells_own[who] = creators.own_goods[who] & (best == 0)
    return int(who.size)
