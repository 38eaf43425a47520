"""Promotion: after each round, the works of each stage with the best smoothed conversion
are pushed to the next stage (a larger quota) for tomorrow; live streams that stop
climbing are over."""

from __future__ import annotations

import numpy as np

from sim.model.state import F64, I64, RECENT_DAYS, Creators, Works
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


def record_lives(creators: Creators, works: Works, day_gmv: F64) -> None:
    """Each live stream is one day's stream (F8b): a creator's best day of live GMV, and
    its followers that day. A live that converts climbs, and its creator goes live again
    the next day with the traffic it earned: the next day's stream counts on its own."""
    live = works.live & (day_gmv > 0)
    if not live.any():
        return
    best = np.zeros(len(creators))  # the creator's best live of today
    np.maximum.at(best, works.creator[live], day_gmv[live])
    better = best > creators.max_live_gmv
    creators.max_live_gmv[better] = best[better]
    creators.max_live_followers[better] = creators.followers[better]


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
