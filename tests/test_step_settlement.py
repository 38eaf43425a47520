"""Settlement (sim.model.steps.settlement): money booked per creator, trust moved by good
orders and complaints, quality checks, days without income, follower milestones."""

from __future__ import annotations

import numpy as np

from sim.model.state import FOLLOWER_TIERS
from sim.model.steps import settlement
from sim.model.steps.buying import Orders
from tests.conftest import warm_model


def _orders(creator: list[int], price: float, complaint: list[bool]) -> Orders:
    n = len(creator)
    c = np.array(creator, dtype=np.int64)
    flags = np.array(complaint, dtype=bool)
    return Orders(
        fan=np.arange(n, dtype=np.int64),
        work=np.zeros(n, np.int64),
        creator=c,
        merchant=np.zeros(n, np.int64),
        price=np.full(n, price),
        cost=np.full(n, price / 2),
        repeat=np.zeros(n, bool),
        from_follow=np.zeros(n, bool),
        shop=np.ones(n, bool),
        complaint=flags,
        income=np.where(flags, 0.0, price * 0.2),
    )


def test_money_trust_and_penalties_follow_the_orders() -> None:
    model = warm_model(3)
    creators, scenario = model.world.creators, model.config
    works = model.world.pipeline
    income = creators.income.copy()
    orders = _orders([0] * 20 + [1] * 5, 100.0, [False] * 20 + [True] * 5)
    rng = np.random.default_rng(0)
    settled = settlement.settle(creators, model.world.audience, scenario, 3, works, orders, rng)
    assert settled.income[0] == 20 * 20.0 and settled.income[1] == 0.0
    assert settled.gmv[1] == 500.0 and settled.complaints[1] == 5
    assert creators.income[0] - income[0] == 400.0
    assert creators.zero_income_days[0] == 0 and creators.zero_income_days[1] > 0
    expected_revenue = scenario.commerce.platform_commission * orders.price.sum()
    assert settled.platform_revenue == expected_revenue
    assert settled.work_gmv.sum() == orders.price.sum()
    if settled.penalised:
        assert creators.penalty_until[1] == 3 + scenario.commerce.penalty_days
        assert creators.merchant[1] == -1
    assert creators.penalty_until[0] < 3  # no complaint, no penalty


def test_a_certain_check_catches_every_seller_with_complaints() -> None:
    model = warm_model(3, "commerce.quality_check=1")
    creators, scenario = model.world.creators, model.config
    orders = _orders([2, 3, 4], 50.0, [True, False, True])
    rng = np.random.default_rng(1)
    settled = settlement.settle(
        creators, model.world.audience, scenario, 3, model.world.pipeline, orders, rng
    )
    assert settled.penalised == 2
    assert (creators.penalty_until[[2, 4]] == 3 + scenario.commerce.penalty_days).all()


def test_milestones_record_the_first_day_a_tier_is_reached() -> None:
    model = warm_model(2)
    creators, scenario = model.world.creators, model.config
    scale = scenario.population.per_creator_scale
    for column in (creators.milestone_10k, creators.milestone_100k, creators.milestone_1m):
        column[0] = settlement.NOT_REACHED
    creators.followers[0] = int(np.ceil(FOLLOWER_TIERS[1] / scale))
    settlement.record_milestones(creators, scenario, 7)
    settlement.record_milestones(creators, scenario, 9)
    assert creators.milestone_10k[0] == 7 and creators.milestone_100k[0] == 7
    assert creators.milestone_1m[0] == -1
