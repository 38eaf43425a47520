"""Allocation: the day's discovery budget and each work's demand (base exposure for new
works, the stage quota for climbing ones), allocated by the Rust kernel under the
scenario's fairness policy (:func:`sim.allocation.allocate_exposure`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.allocation import Allocation, FairnessPolicy, allocate_exposure
from sim.model.state import I64, Bool, Creators, Works, World
from sim.scenario.schema import Scenario

THROTTLE_GAIN = 2.0
"""How fast the platform moves head creators' quotas: tomorrow's factor is today's times
exp(gain x (ordinary share of views - floor)), so a shortfall of 0.05 cuts it by 10%."""
THROTTLE_MIN = 0.01

PUSH_CONCENTRATION = 2.0
"""A single-column feed pushes what converts: a climbing work's demand grows with its
relative conversion to this power (fans do not choose, the algorithm does)."""


@dataclass(frozen=True)
class DayAllocation:
    """The kernel's allocation with the budget and demand it was computed from."""

    allocation: Allocation
    budget: int
    demand: I64

    @property
    def impressions(self) -> I64:
        return self.allocation.impressions


def head_creators(creators: Creators, n_fans: int, scenario: Scenario) -> Bool:
    """Creators whose real followers reach head_follower_share of the platform's users
    ("head"; the rest are the seed's ordinary creators, 普通人). In simulated followers
    that is the share of fans times creator_scale: the same creators are head at every
    resolution (docs/scaling.md)."""
    threshold = scenario.traffic.head_follower_share * n_fans * scenario.population.creator_scale
    return creators.followers >= max(threshold, 1.0)


def work_demand(world: World, scenario: Scenario, day: int, works: Works) -> I64:
    """Impressions each work asks for today; penalised creators' climbing works ask none."""
    t = scenario.traffic
    quotas = np.array((t.base_exposure, *t.stage_quotas), dtype=np.int64)
    demand = quotas[works.stage]
    if t.feed == "single_column":
        push = np.where(works.stage > 0, works.score**PUSH_CONCENTRATION, 1.0)
        demand = np.round(demand * push).astype(np.int64)
    penalised = world.creators.penalty_until[works.creator] >= day
    demand[penalised & (works.stage > 0)] = 0
    if world.head_throttle < 1.0:
        head = head_creators(world.creators, len(world.fans), scenario)[works.creator]
        throttled = head & (works.stage > 0)
        demand[throttled] = np.floor(demand[throttled] * world.head_throttle).astype(np.int64)
    return demand


def discovery_budget(scenario: Scenario, screens: int) -> int:
    """Impressions the discovery feed shows today: the fans' discovery screens times the
    covers on each screen (one in a single-column feed)."""
    t = scenario.traffic
    covers = t.covers_per_screen if t.feed == "double_column" else 1
    return screens * covers


def allocate(
    world: World, scenario: Scenario, day: int, works: Works, screens: int
) -> DayAllocation:
    """Impressions per work under the scenario's fairness policy, out of the budget the
    fans' discovery screens make today."""
    demand = work_demand(world, scenario, day, works)
    budget = discovery_budget(scenario, screens)
    ordinary = ~head_creators(world.creators, len(world.fans), scenario)
    allocation = allocate_exposure(
        works.creator, demand, works.stage == 0, ordinary, budget, fairness_policy(scenario)
    )
    return DayAllocation(allocation, budget, demand)


def fill(allocated: DayAllocation, recent: Works, rng: np.random.Generator) -> I64:
    """Impressions of the recent works that fill the feed when new and climbing works
    cannot: what the allocation left of the budget, shared by quality (a multinomial)."""
    left = allocated.budget - int(allocated.impressions.sum())
    if left <= 0 or len(recent) == 0:
        return np.zeros(len(recent), np.int64)
    weights = recent.quality / recent.quality.sum()
    filler: I64 = rng.multinomial(left, weights).astype(np.int64)
    return filler


def ordinary_view_share(world: World, scenario: Scenario, creators: I64, views: I64) -> float:
    """Ordinary creators' share of all of today's views (discovery and follow page): the
    traffic the seed's "70% to ordinary people" is about."""
    total = int(views.sum())
    if total == 0:
        return 1.0
    head = head_creators(world.creators, len(world.fans), scenario)
    return float(views[~head[creators]].sum()) / total


def steer_head_throttle(scenario: Scenario, throttle: float, view_share: float) -> float:
    """Tomorrow's factor on head creators' climbing quotas. The kernel's floor holds on
    impressions, but fans click head creators' covers more and follow them, so ordinary
    creators fall short of the floor in views; the platform then pushes head works less
    (within each group the climb is unchanged). Without a floor the factor is 1."""
    floor = scenario.traffic.ordinary_floor
    if floor is None:
        return 1.0
    step = float(np.exp(THROTTLE_GAIN * (view_share - floor)))
    return float(min(max(throttle * step, THROTTLE_MIN), 1.0))


def fairness_policy(scenario: Scenario) -> FairnessPolicy:
    """The scenario's cap, floor and method as the kernel's policy."""
    t = scenario.traffic
    return FairnessPolicy(t.gini_cap, t.ordinary_floor, t.method)
