"""Traffic: the day's impression budget, its allocation over works (Rust, with fairness
control) and how impressions become views, engagement and follows (Rust)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim import _core
from sim.allocation import Allocation, FairnessPolicy, allocate_exposure
from sim.model.state import F64, I64, Works

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel

ENGAGE_BASE = 0.08
"""Engagement (watch-through) rate of a work of average quality."""
BROWSE_WORKS = 20.0
"""Works after which a creator's back catalogue persuades most browsers to follow."""
SINGLE_COLUMN_FOLLOW = 0.5
"""Pushed (single-column) views lead to fewer follows than chosen ones."""
PUSH_CONCENTRATION = 2.0
"""A single-column feed pushes what converts: a climbing work's demand grows with its
relative conversion to this power (fans do not choose, the algorithm does)."""


@dataclass
class ViewOutcome:
    """What the day's works got: impressions, views, engagement, follows."""

    allocation: Allocation
    views_discovery: I64
    views_follow: I64
    engaged: I64
    follows: I64


def follow_page_share(model: EcosystemModel) -> float:
    """Share of all views spent on the follow page: the lever times the share of fans
    who follow anyone.

    Under the scaling rule each simulated creator stands for `scale` real ones, so a real
    user follows sum(followers) * scale / fans creators on average; with follows spread at
    random, the share following nobody is exp(-that).
    """
    scale = model.config.population.scale
    follows_per_user = float(model.creators.followers.sum()) * scale / len(model.fans)
    return model.config.traffic.follow_page_weight * (1.0 - math.exp(-follows_per_user))


def head_creators(model: EcosystemModel) -> np.ndarray:
    """Creators whose followers exceed head_follower_share of all fans."""
    threshold = model.config.traffic.head_follower_share * len(model.fans)
    return model.creators.followers >= max(threshold, 1.0)


def allocate(model: EcosystemModel, works: Works) -> Allocation:
    """Impressions per work under the scenario's fairness policy."""
    t = model.config.traffic
    quotas = np.array((t.base_exposure, *t.stage_quotas), dtype=np.int64)
    demand = quotas[works.stage]
    if t.feed == "single_column":
        push = np.where(works.stage > 0, works.score**PUSH_CONCENTRATION, 1.0)
        demand = np.round(demand * push).astype(np.int64)
    penalised = model.creators.penalty_until[works.creator] >= model.day
    demand[penalised & (works.stage > 0)] = 0
    screens = model.expected_views * (1.0 - follow_page_share(model))
    covers = t.covers_per_screen if t.feed == "double_column" else 1
    policy = FairnessPolicy(t.gini_cap, t.ordinary_floor, t.method)
    model.last_budget = int(screens * covers)
    return allocate_exposure(
        works.creator, demand, works.stage == 0, ~head_creators(model), model.last_budget, policy
    )


def view(model: EcosystemModel, works: Works, allocation: Allocation) -> ViewOutcome:
    """Turn impressions into views (fans choose among covers, or are pushed one item),
    add follow-page views, and draw engagement and follows."""
    t = model.config.traffic
    c = model.creators
    impressions = allocation.impressions
    if t.feed == "double_column":
        mean_appeal = float((impressions * works.quality).sum()) / max(1, int(impressions.sum()))
        p_view = np.clip(works.quality / (t.covers_per_screen * max(mean_appeal, 1e-12)), 0, 1)
        follow_factor = 1.0
    else:
        p_view = np.ones(len(works))
        follow_factor = SINGLE_COLUMN_FOLLOW
    per_creator_works = np.bincount(works.creator, minlength=len(c))[works.creator]
    pull = c.followers[works.creator] / np.maximum(per_creator_works, 1)
    follow_views: F64 = (
        model.expected_views * follow_page_share(model) * pull / pull.sum()
        if pull.sum() > 0
        else np.zeros(len(works))
    )
    browse = 1.0 - np.exp(-c.works_posted[works.creator] / BROWSE_WORKS)
    # Only fans of the creator's category who do not follow it yet can still follow.
    interested = model.category_fans[c.category[works.creator]]
    unreached = np.clip(1.0 - c.followers[works.creator] / interested, 0.0, 1.0)
    follow_rate = np.clip(
        t.follow_rate * works.quality * browse * unreached * follow_factor, 0.0, 1.0
    )
    engage = np.clip(ENGAGE_BASE * works.quality, 0.0, 0.95)
    discovery, follow, engaged, follows = _core.view_works(
        model.seed,
        model.day,
        works.uid,
        impressions,
        p_view.astype(np.float64),
        follow_views,
        engage,
        follow_rate,
    )
    c.impressions += np.bincount(works.creator, weights=impressions, minlength=len(c)).astype(
        np.int64
    )
    gained = np.bincount(works.creator, weights=follows, minlength=len(c)).astype(np.int64)
    c.followers = np.minimum(c.followers + gained, len(model.fans))
    return ViewOutcome(allocation, discovery, follow, engaged, follows)
