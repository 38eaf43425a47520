"""Buying (sim.model.steps.buying): orders come from commerce works with goods, at the
merchant's price, within budgets and capacity."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.model.randomness import SETTLE, day_rng
from sim.model.steps import buying, channel, viewing
from tests.conftest import begin_day, small_scenario, warm_model


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
    # Today's orders at today's goods and prices (the seeded ones due today come first, at
    # the goods and price their fans saw on the day they decided).
    today = orders.work >= 0
    assert today.any() and (orders.decided[today] == day).all()
    assert (orders.decided[~today] < day).all() and not today[: int((~today).sum())].any()
    work = orders.work[today]
    np.testing.assert_array_equal(orders.creator[today], works.creator[work])
    np.testing.assert_array_equal(orders.uid[today], works.uid[work])
    np.testing.assert_array_equal(orders.merchant[today], c.merchant[orders.creator[today]])
    fee = np.where(orders.shop, scenario.commerce.platform_commission, channel.EXTERNAL_FEE)
    np.testing.assert_allclose(
        orders.price[today],
        (m.price[orders.merchant] * (1.0 + channel.PASS_THROUGH * fee))[today],
    )
    assert (world.fans.budget_left >= 0).all()
    spent = np.bincount(orders.fan, weights=orders.price, minlength=len(world.fans))
    np.testing.assert_allclose(budget_before - world.fans.budget_left, spent, atol=1e-9)
    per_creator = np.bincount(orders.creator, minlength=len(c))
    assert (per_creator <= np.maximum(c.capacity, 0)).all()
    assert (orders.income[orders.complaint] == 0).all()
    # External sales only for creators with an external store, never for own goods.
    external = ~orders.shop
    assert c.external_store[orders.creator[external]].all()
    assert not c.sells_own[orders.creator[external]].any()


def test_creators_move_to_their_external_store_as_the_platform_commission_rises() -> None:
    base = small_scenario()
    shares = [
        channel.external_share(
            base.with_overrides({"commerce.platform_commission": fee}), buying.VALUE_ELASTICITY
        )
        for fee in (0.0, 0.05, 0.1, 0.2, 0.4)
    ]
    assert all(a < b for a, b in itertools.pairwise(shares))
    closed = base.with_overrides({"commerce.external_links": False})
    assert channel.external_share(closed, buying.VALUE_ELASTICITY) == 0.0


def test_only_creators_with_an_external_store_sell_outside_the_shop() -> None:
    model = warm_model(3, "commerce.platform_commission=0.4")
    start = begin_day(model)
    c = model.world.creators
    chosen = channel.choose_channels(
        model.world, model.config, start.feed, buying.VALUE_ELASTICITY, np.random.default_rng(0)
    )
    outside = chosen.external
    assert outside.any()
    assert (c.external_store & ~c.sells_own)[start.feed.creator[outside]].all()
    # One channel per creator and day: all of a creator's works go the same way.
    frame = pd.DataFrame({"creator": start.feed.creator, "external": outside})
    assert (frame.groupby("creator")["external"].nunique() == 1).all()
