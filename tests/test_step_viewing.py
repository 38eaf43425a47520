"""Viewing (sim.model.steps.viewing): the fans' planned views are spent on the day's
works; impressions cap discovery views; creators gain impressions and followers."""

from __future__ import annotations

import numpy as np

from sim.model.steps import viewing
from tests.conftest import begin_day, warm_model


def test_views_are_spent_on_works_and_creators_gain_them() -> None:
    model = warm_model(10)
    world, scenario = model.world, model.config
    day = begin_day(model)
    impressions_before = world.creators.impressions.copy()
    seen = viewing.view(world, scenario, model.seed, model.day, day.feed, day.impressions)
    assert seen.fan_views == int(seen.views.sum())
    assert int(seen.views_discovery.sum()) == day.planned.screens
    assert int(seen.views_follow.sum()) == day.planned.follow_views
    assert (seen.views_discovery <= day.impressions).all()
    assert (seen.engaged <= seen.views).all()
    assert (seen.follows <= seen.views_discovery).all()
    n = len(world.creators)
    gained = np.bincount(day.feed.creator, weights=day.impressions, minlength=n)
    np.testing.assert_array_equal(world.creators.impressions - impressions_before, gained)
    np.testing.assert_array_equal(world.creators.followers, world.audience.followers())
    # Follow-page views land only on creators the fan follows.
    fan, work, _views = world.audience.follow_page_views()
    fans, creators, _trust, flags = world.audience.edges()
    follows = (flags & 1) != 0
    followed = set(zip(fans[follows].tolist(), creators[follows].tolist(), strict=True))
    pairs = set(zip(fan.tolist(), day.feed.creator[work].tolist(), strict=True))
    assert pairs and pairs <= followed


def test_the_fans_plan_gives_the_budget_and_follows_activity() -> None:
    model = warm_model(5)
    day = begin_day(model)
    covers = model.config.traffic.covers_per_screen
    assert day.allocated.budget == day.planned.screens * covers
    assert int(day.impressions.sum()) == day.allocated.budget
    activity = float(model.world.fans.activity.mean())
    assert abs(day.planned.mean_views - activity) < 1.0
    assert day.planned.has_work.sum() > 0
