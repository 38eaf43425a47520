"""Promotion: after each round, the works of each stage with the best smoothed conversion
are pushed to the next stage (a larger quota) for tomorrow; live streams that stop
climbing are over."""

from __future__ import annotations

import numpy as np

from sim.model.state import I64, RECENT_DAYS, Creators, Works
from sim.scenario.schema import Scenario

ORDER_WEIGHT = 20.0
"""An order counts as this many engaged views in a work's conversion."""


def conversion(engaged: I64, orders: I64, views: I64, prior: float) -> np.ndarray:
    """Smoothed conversion: engagement plus weighted orders per view, shrunk to the mean."""
    signal = engaged + ORDER_WEIGHT * orders
    mean = float(signal.sum()) / max(1, int(views.sum()))
    smoothed: np.ndarray = (signal + prior * mean) / (views + prior)
    return smoothed


def promote(
    creators: Creators, scenario: Scenario, day: int, works: Works, score: np.ndarray
) -> Works:
    """Works pushed to the next stage tomorrow: the top promote_share of each stage."""
    t = scenario.traffic
    last_stage = len(t.stage_quotas)
    eligible = creators.alive[works.creator] & (creators.penalty_until[works.creator] < day)
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


def retire_lives(creators: Creators, works: Works, promoted: Works) -> None:
    """A live stream that stops climbing is over: keep its GMV if it is the creator's best."""
    done = works.live & ~np.isin(works.uid, promoted.uid)
    np.maximum.at(creators.max_live_gmv, works.creator[done], works.gmv[done])


def keep_recent(recent: Works, posted: Works, day: int) -> Works:
    """Each creator's newest short video of the last RECENT_DAYS days: the works the
    follow page shows for a creator with nothing new today, and the filler of the feed.
    Live streams are over with their day; one video per creator keeps the feed small."""
    videos = posted.take(~posted.live)
    videos.stage = np.zeros(len(videos), np.int64)
    videos.score = np.ones(len(videos))
    candidates = videos.concat(recent.take(recent.posted > day - RECENT_DAYS))
    # Newest first (today's videos come first, then yesterday's recent ones, newest first).
    _, first = np.unique(candidates.creator, return_index=True)
    return candidates.take(np.sort(first))
