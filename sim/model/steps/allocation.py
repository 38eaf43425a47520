"""Allocation: the day's discovery budget and each work's demand (base exposure for new
works, the stage quota for climbing ones), allocated by the Rust kernel under the
scenario's fairness policy (:func:`sim.allocation.allocate_exposure`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.allocation import Allocation, FairnessPolicy, allocate_exposure
from sim.model.state import I64, Bool, Creators, Works, World
from sim.scenario.schema import Scenario

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
    """Creators whose followers reach head_follower_share of all fans ("head"; the rest
    are the seed's ordinary creators, 普通人)."""
    threshold = scenario.traffic.head_follower_share * n_fans
    return creators.followers >= max(threshold, 1.0)


def follow_page_share(world: World, scenario: Scenario) -> float:
    """Share of all views spent on the follow page: the lever times the share of fans
    who follow anyone.

    Under the scaling rule each simulated creator stands for `scale` real ones, so a real
    user follows sum(followers) * scale / fans creators on average; with follows spread at
    random, the share following nobody is exp(-that).
    """
    scale = scenario.population.scale
    follows_per_user = float(world.creators.followers.sum()) * scale / len(world.fans)
    return scenario.traffic.follow_page_weight * (1.0 - math.exp(-follows_per_user))


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
    return demand


def discovery_budget(world: World, scenario: Scenario) -> int:
    """Impressions the discovery feed can show today: the screens fans browse there
    times the covers on each screen."""
    t = scenario.traffic
    screens = world.catalogue.expected_views * (1.0 - follow_page_share(world, scenario))
    covers = t.covers_per_screen if t.feed == "double_column" else 1
    return int(screens * covers)


def allocate(world: World, scenario: Scenario, day: int, works: Works) -> DayAllocation:
    """Impressions per work under the scenario's fairness policy."""
    demand = work_demand(world, scenario, day, works)
    budget = discovery_budget(world, scenario)
    ordinary = ~head_creators(world.creators, len(world.fans), scenario)
    allocation = allocate_exposure(
        works.creator, demand, works.stage == 0, ordinary, budget, fairness_policy(scenario)
    )
    return DayAllocation(allocation, budget, demand)


def fairness_policy(scenario: Scenario) -> FairnessPolicy:
    """The scenario's cap, floor and method as the kernel's policy."""
    t = scenario.traffic
    return FairnessPolicy(t.gini_cap, t.ordinary_floor, t.method)
