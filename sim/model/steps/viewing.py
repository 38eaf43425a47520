"""Viewing: impressions become views (fans choose among covers, or are pushed one item),
the follow page adds views, and views draw engagement and follows (Rust, keyed by seed,
day and work); the fans' own day of views is drawn here too."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import _core
from sim.model.state import F64, I64, Works, World
from sim.model.steps.allocation import DayAllocation, follow_page_share
from sim.scenario.schema import Scenario

ENGAGE_BASE = 0.08
"""Engagement (watch-through) rate of a work of average quality."""
BROWSE_WORKS = 20.0
"""Works after which a creator's back catalogue persuades most browsers to follow."""
SINGLE_COLUMN_FOLLOW = 0.5
"""Pushed (single-column) views lead to fewer follows than chosen ones."""


@dataclass
class ViewOutcome:
    """What the day's works got: impressions, views, engagement, follows."""

    allocation: DayAllocation
    views_discovery: I64
    views_follow: I64
    engaged: I64
    follows: I64

    @property
    def views(self) -> I64:
        return self.views_discovery + self.views_follow


@dataclass(frozen=True)
class FanDay:
    """The fans' day summed over the population: views, fans reached by commerce."""

    views: int
    reached: int
    active: int
    median_views: float
    mean_views: float


def view(
    world: World, scenario: Scenario, seed: int, day: int, works: Works, allocated: DayAllocation
) -> ViewOutcome:
    """Turn impressions into views, add follow-page views, draw engagement and follows;
    creators gain the impressions and followers."""
    t = scenario.traffic
    c = world.creators
    impressions = allocated.impressions
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
        world.catalogue.expected_views * follow_page_share(world, scenario) * pull / pull.sum()
        if pull.sum() > 0
        else np.zeros(len(works))
    )
    browse = 1.0 - np.exp(-c.works_posted[works.creator] / BROWSE_WORKS)
    # Only fans of the creator's category who do not follow it yet can still follow.
    interested = world.catalogue.category_fans[c.category[works.creator]]
    unreached = np.clip(1.0 - c.followers[works.creator] / interested, 0.0, 1.0)
    follow_rate = np.clip(
        t.follow_rate * works.quality * browse * unreached * follow_factor, 0.0, 1.0
    )
    engage = np.clip(ENGAGE_BASE * works.quality, 0.0, 0.95)
    discovery, follow, engaged, follows = _core.view_works(
        seed,
        day,
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
    c.followers = np.minimum(c.followers + gained, len(world.fans))
    return ViewOutcome(allocated, discovery, follow, engaged, follows)


def fan_day(world: World, seed: int, day: int, works: Works, seen: ViewOutcome) -> FanDay:
    """Today's views per fan and how many fans saw a commerce work (Rust, keyed by seed
    and day), given the share of today's views that went to commerce works."""
    commerce = world.creators.commerce[works.creator]
    views_commerce = int(seen.views_discovery[commerce].sum()) + int(
        seen.views_follow[commerce].sum()
    )
    views_all = int(seen.views_discovery.sum() + seen.views_follow.sum())
    share = min(1.0, views_commerce / max(1, views_all))
    return FanDay(*_core.fan_day(seed, day, world.fans.activity, share))
