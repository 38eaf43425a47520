"""Content: creators post short videos and go live; works climb stage by stage.

A new work starts at stage 0 (base exposure). After each round, the works of each stage
with the best smoothed conversion are pushed to the next stage, with a larger quota.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.state import I64, Works

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel

WORK_QUALITY_SIGMA = 0.3
"""Spread of a work's quality around its creator's skill."""
ORDER_WEIGHT = 20.0
"""An order counts as this many engaged views in a work's conversion."""


def post(model: EcosystemModel, rng: np.random.Generator) -> Works:
    """Today's new works: a short video with probability post_rate, a live stream for
    commerce creators with goods with probability live_rate."""
    c, p = model.creators, model.config.population
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
    uid = model.next_uid + np.arange(creator.size, dtype=np.int64)
    model.next_uid += creator.size
    quality = c.quality[creator] * rng.lognormal(0.0, WORK_QUALITY_SIGMA, creator.size)
    zeros, ones = np.zeros(creator.size), np.ones(creator.size)
    return Works(uid, creator.astype(np.int64), is_live, quality, np.zeros_like(uid), zeros, ones)


def conversion(engaged: I64, orders: I64, views: I64, prior: float) -> np.ndarray:
    """Smoothed conversion: engagement plus weighted orders per view, shrunk to the mean."""
    signal = engaged + ORDER_WEIGHT * orders
    mean = float(signal.sum()) / max(1, int(views.sum()))
    smoothed: np.ndarray = (signal + prior * mean) / (views + prior)
    return smoothed


def promote(model: EcosystemModel, works: Works, score: np.ndarray) -> Works:
    """Works pushed to the next stage tomorrow: the top promote_share of each stage."""
    t = model.config.traffic
    last_stage = len(t.stage_quotas)
    c = model.creators
    eligible = c.alive[works.creator] & (c.penalty_until[works.creator] < model.day)
    chosen: list[I64] = []
    for stage in range(last_stage):
        members = np.flatnonzero((works.stage == stage) & eligible)
        if members.size == 0:
            continue
        k = int(np.ceil(t.promote_share * members.size))
        ranked = members[np.argsort(-score[members], kind="stable")]
        chosen.append(ranked[:k])
    picked = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)
    promoted = works.take(picked)
    promoted.stage = promoted.stage + 1
    promoted.score = score[picked] / max(float(np.mean(score)), 1e-12)
    return promoted
