"""Supply (sim.model.steps.supply): creators carry goods of their own category, chosen by
expected earnings per view; penalised creators choose nothing."""

from __future__ import annotations

import numpy as np

from sim.model.randomness import SUPPLY, day_rng
from sim.model.steps import supply
from sim.model.steps.buying import VALUE_ELASTICITY
from tests.conftest import warm_model


def test_creators_without_goods_choose_a_merchant_of_their_category() -> None:
    model = warm_model(3)
    world, scenario = model.world, model.config
    c, m = world.creators, world.merchants
    sellers = np.flatnonzero(c.alive & c.commerce)
    c.merchant[sellers] = -1
    c.penalty_until[sellers] = -1
    c.penalty_until[sellers[:10]] = 100  # barred from selling
    chosen = supply.choose_goods(world, scenario, 3, day_rng(1, 3, SUPPLY))
    assert chosen == sellers.size - 10
    carrying = sellers[10:]
    assert (c.merchant[carrying] >= 0).all()
    assert (m.category[c.merchant[carrying]] == c.category[carrying]).all()
    assert (c.merchant[sellers[:10]] == -1).all()
    assert (c.merchant[~c.commerce] == -1).all()


def test_more_listings_seen_means_better_expected_earnings() -> None:
    def mean_appeal(flash: bool) -> float:
        # Many sellers (half the creators), so the comparison is not a few creators' luck.
        model = warm_model(
            1,
            f"commerce.flash_listing={str(flash).lower()}",
            "population.commerce_creator_share=0.5",
        )
        world = model.world
        c, m = world.creators, world.merchants
        sellers = np.flatnonzero(c.alive & c.commerce & ~c.own_goods)
        c.merchant[sellers] = -1
        supply.choose_goods(world, model.config, 1, day_rng(4, 1, SUPPLY))
        mer = c.merchant[sellers]
        ref = world.catalogue.reference_price[m.category[mer]]
        value = (ref / m.price[mer]) ** VALUE_ELASTICITY * m.quality[mer]
        return float(np.mean(m.price[mer] * m.commission[mer] * value))

    assert mean_appeal(True) > mean_appeal(False)


def test_a_higher_offered_commission_draws_owners_to_merchants_goods() -> None:
    def owners_selling_their_own(commission: float) -> float:
        model = warm_model(1, f"commerce.creator_commission={commission}")
        c = model.world.creators
        owners = np.flatnonzero(c.alive & c.commerce & c.own_goods)
        c.merchant[owners] = -1
        supply.choose_goods(model.world, model.config, 1, day_rng(5, 1, SUPPLY))
        assert (c.sells_own[~c.own_goods] == 0).all()
        return float(c.sells_own[owners].mean())

    low, high = owners_selling_their_own(0.1), owners_selling_their_own(0.6)
    assert low > high
    assert low > 0.5 and high < 0.5
