"""The fans' day (Rust, :class:`sim._core.Audience`): each fan's views are drawn from its
activity and spent on its follow page (recent works of the creators it follows) and on
discovery covers served from the day's allocation; views draw engagement, follows and
unfollows. Attention is conserved: every view a fan makes lands on a work.

Two calls: `plan` draws the views (the allocation's budget is the discovery screens it
returns), `view` spends them on the works once they have their impressions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.state import I64, Bool, Works, World
from sim.model.steps import content
from sim.scenario.schema import Scenario

ENGAGE_BASE = 0.08
"""Engagement (watch-through) rate of a work of average quality."""
BROWSE_WORKS = 20.0
"""Works after which a creator's back catalogue persuades most browsers to follow."""
SINGLE_COLUMN_FOLLOW = 0.5
"""Pushed (single-column) views lead to fewer follows than chosen ones."""
INTEREST_MATCH = 3.0
"""A fan chooses a cover of its own interest category this many times more readily."""


@dataclass(frozen=True)
class DayPlan:
    """The fans' views today, before they are spent."""

    screens: int
    """Discovery screens: the discovery views all fans make today."""
    follow_views: int
    """Views all fans spend on their follow pages today."""
    median_views: float
    mean_views: float
    has_work: Bool
    """Creators with a work in today's feed (new, climbing or recent)."""


@dataclass
class ViewOutcome:
    """What the day's works got, and what the fans did."""

    impressions: I64
    """Discovery impressions per work (the allocation's, then the filler's)."""
    views_discovery: I64
    views_follow: I64
    engaged: I64
    follows: I64
    fan_views: int
    """Σ over fans of their views (equal to Σ over works of theirs)."""
    unfollows: int
    reached: int
    """Distinct fans who viewed at least one commerce work."""
    median_views: float
    mean_views: float

    @property
    def views(self) -> I64:
        return self.views_discovery + self.views_follow


def creators_with_work(world: World, works: Works) -> Bool:
    """Creators on the platform with a work in today's feed."""
    has_work = np.zeros(len(world.creators), bool)
    has_work[works.creator] = True
    return has_work & world.creators.alive


def plan(world: World, scenario: Scenario, seed: int, day: int, works: Works) -> DayPlan:
    """Draw each fan's views today and split them between follow page and discovery."""
    has_work = creators_with_work(world, works)
    _by_category, screens, follow_views, median, mean = world.audience.plan(
        seed, day, has_work, scenario.traffic.follow_page_weight
    )
    return DayPlan(int(screens), int(follow_views), float(median), float(mean), has_work)


def follow_rate(world: World, scenario: Scenario, works: Works) -> np.ndarray:
    """Probability that a discovery view makes the viewer follow the work's creator: the
    lever times quality, and the creator's back catalogue the viewer can browse first."""
    t = scenario.traffic
    c = world.creators
    browse = 1.0 - np.exp(-c.works_posted[works.creator] / BROWSE_WORKS)
    pushed = SINGLE_COLUMN_FOLLOW if t.feed == "single_column" else 1.0
    rate: np.ndarray = np.clip(t.follow_rate * works.quality * browse * pushed, 0.0, 1.0)
    return rate


def view(
    world: World, scenario: Scenario, seed: int, day: int, works: Works, impressions: I64
) -> ViewOutcome:
    """Spend the planned views on `works` (with their discovery `impressions`); creators
    gain impressions and their followers follow the graph's in-degree."""
    t = scenario.traffic
    c = world.creators
    category = c.category[works.creator]
    outcome = world.audience.view(
        seed,
        day,
        works.creator,
        impressions,
        works.quality,
        category,
        content.carrying_goods(c, works),
        np.clip(ENGAGE_BASE * works.quality, 0.0, 0.95),
        follow_rate(world, scenario, works),
        works.uid,
        c.alive,
        t.covers_per_screen if t.feed == "double_column" else 1,
        t.feed == "single_column",
        INTEREST_MATCH,
    )
    discovery, follow, engaged, follows, totals = outcome
    c.impressions += np.bincount(works.creator, weights=impressions, minlength=len(c)).astype(
        np.int64
    )
    c.followers = world.audience.followers().astype(np.int64)
    return ViewOutcome(
        impressions,
        discovery,
        follow,
        engaged,
        follows,
        int(totals["fan_views"]),
        int(totals["unfollows"]),
        int(totals["reached"]),
        float(totals["median_views"]),
        float(totals["mean_views"]),
    )
