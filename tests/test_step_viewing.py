"""Viewing (sim.model.steps.viewing): impressions become views, follows and engagement;
creators gain what their works got; the fans' own day is drawn from their activity."""

from __future__ import annotations

import numpy as np

from sim.model.randomness import CONTENT, day_rng
from sim.model.steps import allocation, content, viewing
from tests.conftest import warm_model


def test_views_follow_from_impressions_and_creators_gain_them() -> None:
    model = warm_model(10)
    world, scenario, day = model.world, model.config, 10
    works = content.post(world, scenario, day_rng(1, day, CONTENT)).concat(world.pipeline)
    allocated = allocation.allocate(world, scenario, day, works)
    impressions_before = world.creators.impressions.copy()
    followers_before = world.creators.followers.copy()
    seen = viewing.view(world, scenario, 1, day, works, allocated)
    assert (seen.views_discovery <= allocated.impressions).all()
    assert (seen.engaged <= seen.views).all()
    assert (seen.follows <= seen.views_discovery).all()
    n = len(world.creators)
    gained = np.bincount(works.creator, weights=allocated.impressions, minlength=n)
    np.testing.assert_array_equal(world.creators.impressions - impressions_before, gained)
    follows = np.bincount(works.creator, weights=seen.follows, minlength=n)
    np.testing.assert_array_equal(world.creators.followers - followers_before, follows)
    assert seen.views_follow.sum() > 0  # creators with followers get follow-page views


def test_the_fans_day_is_drawn_from_their_activity_and_is_reproducible() -> None:
    model = warm_model(5)
    world = model.world
    works = world.pipeline
    seen = viewing.ViewOutcome(
        allocation.allocate(world, model.config, 5, works),
        *(np.ones(len(works), np.int64) for _ in range(4)),
    )
    day = viewing.fan_day(world, 3, 5, works, seen)
    assert day == viewing.fan_day(world, 3, 5, works, seen)
    assert abs(day.mean_views - float(world.fans.activity.mean())) < 1.0
    assert 0 < day.reached <= day.active <= len(world.fans)
