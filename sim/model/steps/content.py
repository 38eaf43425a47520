"""Content: creators post short videos and go live; each new work starts at stage 0."""

from __future__ import annotations

import numpy as np

from sim.model.state import Bool, Creators, Works, World
from sim.scenario.schema import Scenario

WORK_QUALITY_SIGMA = 0.3
"""Spread of a work's quality around its creator's skill."""


def post(world: World, scenario: Scenario, day: int, rng: np.random.Generator) -> Works:
    """Today's new works: a short video with probability post_rate, a live stream for
    commerce creators with goods with probability live_rate. Live streams sell; a
    commerce creator's short video carries a product link with probability
    video_goods_share (the rest is content that builds its audience)."""
    c, p = world.creators, scenario.population
    n = len(c)
    video = c.alive & (rng.random(n) < p.post_rate)
    live = c.alive & c.commerce & (c.merchant >= 0) & (rng.random(n) < p.live_rate)
    # Works in creator order, a creator's video before its live stream.
    per_creator = video.astype(np.int64) + live
    creator = np.repeat(np.arange(n, dtype=np.int64), per_creator)
    first = np.cumsum(per_creator) - per_creator
    position = np.arange(creator.size) - first[creator]
    is_live = live[creator] & (position == per_creator[creator] - 1)
    c.works_posted += np.bincount(creator, minlength=n)
    uid = world.next_uid + np.arange(creator.size, dtype=np.int64)
    world.next_uid += creator.size
    quality = c.quality[creator] * rng.lognormal(0.0, WORK_QUALITY_SIGMA, creator.size)
    with_link = c.commerce[creator] & (rng.random(creator.size) < p.video_goods_share)
    zeros, ones = np.zeros(creator.size), np.ones(creator.size)
    return Works(
        uid,
        creator.astype(np.int64),
        is_live,
        is_live | with_link,
        quality,
        np.zeros_like(uid),
        zeros,
        ones,
        np.full(creator.size, day, np.int64),
    )


def carrying_goods(creators: Creators, works: Works) -> Bool:
    """Works on sale today: they carry a product link and their creator has goods (a
    caught or dropped seller's links are dead until it finds goods again)."""
    selling: Bool = works.goods & creators.commerce[works.creator]
    return selling & (creators.merchant[works.creator] >= 0)
