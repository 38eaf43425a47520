"""Buying: views of commerce works become orders (Rust, fan by fan), within fans'
budgets and creators' capacity; complaints and the sales channel of each order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.state import F64, I64, Bool, Works, World
from sim.model.steps.viewing import ViewOutcome
from sim.scenario.schema import Scenario

VALUE_ELASTICITY = 1.5
"""Purchase intent grows with value for money: (reference price / price) to this power."""
FOLLOW_BUY_FACTOR = 2.0
"""Followers buy this many times more readily than strangers from discovery."""
MAX_BUY_PROBABILITY = 0.5
"""No view converts more surely than this."""
OWN_GOODS_INCOME = 0.35
"""Share of the price a creator keeps when selling its own goods."""
EXTERNAL_SHARE = 0.5
"""Share of a multi-channel creator's orders that go through its external store."""
COMPLAINT_BAD = 0.4
COMPLAINT_GOOD = 0.01
"""Probability that an order of bad (good) goods draws a complaint and is returned."""


@dataclass
class Orders:
    """The day's orders, one entry per order."""

    fan: I64
    work: I64
    creator: I64
    merchant: I64
    price: F64
    cost: F64
    repeat: Bool
    from_follow: Bool
    shop: Bool
    complaint: Bool
    income: F64


def buy(
    world: World,
    scenario: Scenario,
    seed: int,
    day: int,
    works: Works,
    seen: ViewOutcome,
    rng: np.random.Generator,
) -> Orders:
    """Orders of the day from the views of commerce works."""
    c, m, s, catalogue = world.creators, world.merchants, scenario, world.catalogue
    if day % 30 == 0:
        world.fans.budget_left = world.fans.monthly_budget.copy()
    merchant = c.merchant[works.creator]
    selling = np.flatnonzero(c.commerce[works.creator] & (merchant >= 0))
    w = works.take(selling)
    mer = merchant[selling]
    creator = w.creator
    event = day in s.commerce.event_days
    value = (catalogue.reference_price[m.category[mer]] / m.price[mer]) ** VALUE_ELASTICITY
    intent = (
        s.commerce.buy_rate
        * value
        * c.sales_skill[creator]
        * np.where(w.live, s.commerce.live_multiplier, 1.0)
        * m.quality[mer]
        / catalogue.mean_merchant_quality
        * (0.5 + c.trust[creator])
        * (s.commerce.event_lift if event else 1.0)
    )
    p_discovery = np.clip(intent, 0.0, MAX_BUY_PROBABILITY)
    p_follow = np.clip(intent * FOLLOW_BUY_FACTOR, 0.0, MAX_BUY_PROBABILITY)
    capacity = np.where(c.alive, c.capacity, 0).astype(np.int64)
    fan, idx, price, repeat, from_follow = world.market.buy(
        seed,
        day,
        w.uid,
        creator,
        m.category[mer],
        seen.views_discovery[selling],
        seen.views_follow[selling],
        p_discovery,
        p_follow,
        m.price[mer],
        catalogue.reference_price[m.category[mer]],
        np.clip(c.trust, 0.0, 0.9),
        catalogue.pool_offsets,
        catalogue.fan_pool,
        world.fans.sensitivity,
        capacity,
        world.fans.budget_left,
    )
    order_creator = creator[idx]
    order_merchant = mer[idx]
    own = c.own_goods[order_creator]
    external = (
        s.commerce.external_links
        & c.external_store[order_creator]
        & ~own
        & (rng.random(idx.size) < EXTERNAL_SHARE)
    )
    bad = m.bad[order_merchant]
    complaint = rng.random(idx.size) < np.where(bad, COMPLAINT_BAD, COMPLAINT_GOOD)
    share = np.where(own, OWN_GOODS_INCOME, m.commission[order_merchant])
    return Orders(
        fan=fan,
        work=selling[idx],
        creator=order_creator,
        merchant=order_merchant,
        price=price,
        cost=world.suppliers.unit_cost[m.supplier[order_merchant]],
        repeat=repeat,
        from_follow=from_follow,
        shop=~external,
        complaint=complaint,
        income=np.where(complaint, 0.0, price * share),
    )
