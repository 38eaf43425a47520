"""Buying (sim.model.steps.buying): orders come from commerce works with goods, at the
merchant's price, within budgets and capacity."""

from __future__ import annotations

import numpy as np

from sim.model.randomness import SETTLE, day_rng
from sim.model.steps import buying, viewing
from tests.conftest import begin_day, warm_model


def test_orders_respect_goods_prices_budgets_and_capacity() -> None:
    model = warm_model(12)
    world, scenario, day = model.world, model.config, model.day
    start = begin_day(model)
    works = start.feed
    viewing.view(world, scenario, model.seed, day, works, start.impressions)
    budget_before = world.fans.budget_left.copy()
    orders = buying.buy(world, scenario, model.seed, day, works, day_rng(1, day, SETTLE))
    c, m = world.creators, world.merchants
    assert len(orders.price) > 0
    assert c.commerce[orders.creator].all()
    np.testing.assert_array_equal(orders.creator, works.creator[orders.work])
    np.testing.assert_array_equal(orders.merchant, c.merchant[orders.creator])
    np.testing.assert_allclose(orders.price, m.price[orders.merchant])
    assert (world.fans.budget_left >= 0).all()
    spent = np.bincount(orders.fan, weights=orders.price, minlength=len(world.fans))
    np.testing.assert_allclose(budget_before - world.fans.budget_left, spent, atol=1e-9)
    per_creator = np.bincount(orders.creator, minlength=len(c))
    assert (per_creator <= np.maximum(c.capacity, 0)).all()
    assert (orders.income[orders.complaint] == 0).all()
    # External sales only for creators with an external store, never for own goods.
    external = ~orders.shop
    assert c.external_store[orders.creator[external]].all()
    assert not c.own_goods[orders.creator[external]].any()
