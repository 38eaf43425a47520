"""Allocation (sim.model.steps.allocation): each work's demand, the day's budget, and the
allocation that travels with them."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.steps import allocation
from tests.conftest import warm_model


def test_demand_is_the_base_or_the_stage_quota_and_nothing_when_penalised() -> None:
    model = warm_model(10)
    world, scenario = model.world, model.config
    works = world.pipeline
    assert (works.stage > 0).any()
    t = scenario.traffic
    world.creators.penalty_until[works.creator[:5]] = 10
    world.head_throttle = 1.0  # no throttle on head creators' quotas (tested below)
    demand = allocation.work_demand(world, scenario, 10, works)
    quotas = np.array((t.base_exposure, *t.stage_quotas))
    expected = quotas[works.stage]
    penalised = np.isin(works.creator, works.creator[:5])
    expected[penalised & (works.stage > 0)] = 0
    assert (expected == 0).any()
    np.testing.assert_array_equal(demand, expected)


def test_the_budget_is_the_discovery_screens_times_the_covers() -> None:
    model = warm_model(5)
    scenario = model.config
    covers = scenario.traffic.covers_per_screen
    assert allocation.discovery_budget(scenario, 1000) == 1000 * covers
    single = scenario.with_overrides({"traffic.feed": "single_column"})
    assert allocation.discovery_budget(single, 1000) == 1000


def test_the_allocation_carries_its_budget_and_the_filler_fills_it() -> None:
    model = warm_model(10)
    world, scenario = model.world, model.config
    allocated = allocation.allocate(world, scenario, 10, world.pipeline, 10**7)
    assert allocated.budget == allocation.discovery_budget(scenario, 10**7)
    total = int(allocated.impressions.sum())
    assert total == min(allocated.budget, int(allocated.demand.sum()))
    filler = allocation.fill(allocated, world.recent, np.random.default_rng(0))
    assert total + int(filler.sum()) == allocated.budget
    assert len(filler) == len(world.recent)


def test_head_creators_reach_the_follower_share() -> None:
    model = warm_model(30)
    world, scenario = model.world, model.config
    head = allocation.head_creators(world.creators, len(world.fans), scenario)
    p = scenario.population
    real = world.creators.followers * p.per_creator_scale
    threshold = scenario.traffic.head_follower_share * len(world.fans) * p.scale
    np.testing.assert_array_equal(head, real >= max(threshold, p.per_creator_scale))
    assert head.any() and not head.all()


def test_head_works_climb_less_while_ordinary_creators_are_short_of_the_floor() -> None:
    model = warm_model(10)
    world, scenario = model.world, model.config
    floor = scenario.traffic.ordinary_floor
    assert floor is not None
    short = allocation.steer_head_throttle(scenario, 1.0, floor - 0.05)
    assert short == pytest.approx(np.exp(-allocation.THROTTLE_GAIN * 0.05))
    assert allocation.steer_head_throttle(scenario, 0.5, floor + 0.05) > 0.5
    assert allocation.steer_head_throttle(scenario, 1.0, floor + 0.2) == 1.0  # at most 1
    assert allocation.steer_head_throttle(scenario, 0.0, 0.0) == allocation.THROTTLE_MIN
    unfloored = scenario.with_overrides({"traffic.ordinary_floor": None})
    assert allocation.steer_head_throttle(unfloored, 0.3, 0.1) == 1.0
    works = world.pipeline
    head = allocation.head_creators(world.creators, len(world.fans), scenario)[works.creator]
    climbing = works.stage > 0
    assert (head & climbing).any() and (~head & climbing).any()
    world.head_throttle = 1.0
    full = allocation.work_demand(world, scenario, 10, works)
    world.head_throttle = 0.25
    cut = allocation.work_demand(world, scenario, 10, works)
    np.testing.assert_array_equal(cut[~(head & climbing)], full[~(head & climbing)])
    np.testing.assert_array_equal(cut[head & climbing], np.floor(full[head & climbing] * 0.25))


def test_ordinary_view_share_counts_all_views_of_ordinary_creators() -> None:
    model = warm_model(10)
    world, scenario = model.world, model.config
    head = allocation.head_creators(world.creators, len(world.fans), scenario)
    ordinary, star = np.flatnonzero(~head)[0], np.flatnonzero(head)[0]
    creators = np.array([ordinary, star, ordinary], dtype=np.int64)
    views = np.array([30, 60, 10], dtype=np.int64)
    assert allocation.ordinary_view_share(world, scenario, creators, views) == pytest.approx(0.4)
    assert allocation.ordinary_view_share(world, scenario, creators, np.zeros(3, np.int64)) == 1.0
