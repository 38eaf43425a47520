"""Settlement (sim.model.steps.settlement): money booked per creator, trust moved by good
orders and complaints, quality checks, days without income, follower milestones."""

from __future__ import annotations

import numpy as np

from sim.model.ecosystem import EcosystemModel
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
        repeat=np.zeros(n),
        from_follow=np.zeros(n, bool),
        shop=np.ones(n, bool),
        complaint=flags,
        income=np.where(flags, 0.0, price * 0.2),
        uid=np.zeros(n, np.int64),
        decided=np.full(n, 3, np.int64),
        seeded_by_work=np.zeros(0, np.int64),
    )


def test_money_trust_and_penalties_follow_the_orders() -> None:
    model = warm_model(3)
    creators, scenario = model.world.creators, model.config
    works = model.world.pipeline
    income = creators.income.copy()
    orders = _orders([0] * 20 + [1] * 5, 100.0, [False] * 20 + [True] * 5)
    rng = np.random.default_rng(0)
    settled = settlement.settle(model.world, scenario, 3, works, orders, rng)
    assert settled.income[0] == 20 * 20.0 and settled.income[1] == 0.0
    assert settled.gmv[1] == 500.0 and settled.complaints[1] == 5
    assert settled.returned_gmv == 500.0  # the complained orders leave net GMV
    assert creators.income[0] - income[0] == 400.0
    assert creators.zero_income_days[0] == 0 and creators.zero_income_days[1] > 0
    expected_revenue = scenario.commerce.platform_commission * orders.price.sum()
    assert settled.platform_revenue == expected_revenue
    assert settled.work_gmv.sum() == orders.price.sum()
    penalised = creators.penalty_until == 3 + scenario.commerce.penalty_days
    assert penalised.sum() == settled.penalised
    assert (creators.merchant[penalised] == -1).all()


def _sellers(model: EcosystemModel) -> tuple[np.ndarray, np.ndarray]:
    """Every active commerce creator made a seller, half of bad goods, half of good."""
    c, m = model.world.creators, model.world.merchants
    sellers = np.flatnonzero(c.alive & c.commerce)
    bad, good = np.flatnonzero(m.bad)[0], np.flatnonzero(~m.bad)[0]
    carries_bad = np.arange(sellers.size) % 2 == 0
    c.merchant[sellers] = np.where(carries_bad, bad, good)
    return sellers, carries_bad


def test_checks_find_sellers_of_bad_goods_far_more_often_than_honest_ones() -> None:
    model = warm_model(3, "commerce.quality_check=1")
    sellers, carries_bad = _sellers(model)
    complaints = np.zeros(len(model.world.creators), np.int64)
    complaints[sellers] = 1  # every seller is inspected: one complained order of one
    caught, caught_bad = settlement.inspect(
        model.world, model.config, complaints, complaints, np.random.default_rng(1)
    )
    assert not caught[~np.isin(np.arange(len(caught)), sellers)].any()
    rate_bad = caught[sellers[carries_bad]].mean()
    rate_honest = caught[sellers[~carries_bad]].mean()
    assert abs(rate_bad - settlement.DETECTION) < 0.1
    assert rate_honest < 3 * settlement.FALSE_ALARM + 0.03
    np.testing.assert_array_equal(
        caught_bad, caught & np.isin(np.arange(len(caught)), sellers[carries_bad])
    )


def test_a_caught_seller_of_bad_goods_exposes_them() -> None:
    model = warm_model(3, "commerce.quality_check=1")
    sellers, carries_bad = _sellers(model)
    bad_merchant = model.world.creators.merchant[sellers[0]]
    before = model.world.merchants.exposed.copy()
    orders = _orders(list(sellers[carries_bad]), 50.0, [True] * int(carries_bad.sum()))
    settled = settlement.settle(
        model.world, model.config, 3, model.world.pipeline, orders, np.random.default_rng(2)
    )
    assert settled.penalised_bad > 0
    assert settled.penalised_bad <= settled.penalised
    assert model.world.merchants.exposed[bad_merchant]
    newly = np.flatnonzero(model.world.merchants.exposed & ~before)
    assert set(newly) <= {bad_merchant}  # only the bad goods that were found


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


def test_teams_that_sell_out_hire_up_to_the_limit() -> None:
    model = warm_model(3)
    c = model.world.creators
    c.capacity[:4] = [10, 10, 10, 1995]
    sold = np.zeros(len(c), np.int64)
    sold[:4] = [10, 9, 0, 1995]
    before = c.capacity.copy()
    settlement.hire(c, sold, limit=2000)
    assert c.capacity[0] == 11  # sold out: +10%
    assert c.capacity[1] == 10 and c.capacity[2] == 10  # capacity left: no hiring
    assert c.capacity[3] == 2000  # the limit
    np.testing.assert_array_equal(
        c.capacity[4:],
        np.where((sold[4:] > 0) & (sold[4:] >= before[4:]), c.capacity[4:], before[4:]),
    )
    settlement.hire(c, c.capacity.copy(), limit=2000)
    assert c.capacity[3] == 2000


def test_longer_penalties_keep_more_sellers_barred() -> None:
    """`penalty_days` acts through who may sell: the daily share of commerce creators
    barred grows with it, on the same seed."""
    from sim.metrics.summary import daily_frame

    short = warm_model(60, "commerce.penalty_days=3")
    long = warm_model(60, "commerce.penalty_days=60")
    barred = [float(daily_frame(m)["barred_sellers"].mean()) for m in (short, long)]
    assert barred[1] > 2 * barred[0] > 0, barred
