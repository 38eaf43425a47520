"""Buying: views of commerce works become orders (Rust, fan by fan), within fans'
budgets and creators' capacity, at the price of the channel each creator sells through
today (`channel.py`); complaints of each order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.state import F64, I64, Bool, Works, World
from sim.model.steps import content
from sim.model.steps.channel import PASS_THROUGH, SHOP_GUARANTEE, Channels, choose_channels
from sim.scenario.schema import Scenario

VALUE_ELASTICITY = 1.5
"""Purchase intent grows with value for money: (reference price / price) to this power."""
FOLLOW_BUY_FACTOR = 2.0
"""Followers buy this many times more readily than strangers from discovery."""
MAX_BUY_PROBABILITY = 0.5
"""No view converts more surely than this."""
MAX_TRUST_TERM = 1.5
"""Highest value of the trust factor (0.5 + trust) a viewer's intent is multiplied by."""
OWN_GOODS_INCOME = 0.35
"""Share of the price a creator keeps when selling its own goods."""
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
    repeat: F64
    """Share of the order's real users who had bought from the creator they met before."""
    from_follow: Bool
    shop: Bool
    complaint: Bool
    income: F64


def purchase_intent(
    world: World, scenario: Scenario, day: int, works: Works, channels: Channels
) -> F64:
    """Purchase probability per view of each work for a viewer of trust 0.5 (the fan's
    own trust in the creator multiplies it in Rust): value for money of the channel's
    price against the category's reference price, the shop's guarantee, the creator's
    sales skill, live or video, the goods' looks (a fan cannot tell bad goods before
    use) and the festival. Zero for works without goods."""
    c, m, s, catalogue = world.creators, world.merchants, scenario, world.catalogue
    merchant = c.merchant[works.creator]
    selling = content.carrying_goods(c, works)
    mer = np.where(selling, merchant, 0)
    event = day in s.commerce.event_days
    value = (catalogue.reference_price[m.category[mer]] / channels.price) ** VALUE_ELASTICITY
    intent = (
        s.commerce.buy_rate
        * value
        * np.where(channels.external, 1.0, SHOP_GUARANTEE)
        * c.sales_skill[works.creator]
        * np.where(works.live, s.commerce.live_multiplier, 1.0)
        * m.looks[mer]
        / catalogue.reference_quality
        * (s.commerce.event_lift if event else 1.0)
    )
    ceiling = MAX_BUY_PROBABILITY / (MAX_TRUST_TERM * FOLLOW_BUY_FACTOR)
    p_buy: F64 = np.where(selling, np.clip(intent, 0.0, ceiling), 0.0)
    return p_buy


def buy(
    world: World,
    scenario: Scenario,
    seed: int,
    day: int,
    works: Works,
    rng: np.random.Generator,
) -> Orders:
    """Orders of the day: each from a fan who viewed the work today (Rust), within its
    monthly budget and the creator's capacity, in the channel its creator chose today;
    then whether each order draws a complaint."""
    c, m, catalogue = world.creators, world.merchants, world.catalogue
    if day % 30 == 0:
        world.fans.budget_left = world.fans.monthly_budget.copy()
    mer_of_work = np.maximum(c.merchant[works.creator], 0)
    reference = catalogue.reference_price[m.category[mer_of_work]]
    capacity = np.where(c.alive, c.capacity, 0).astype(np.int64)
    channels = choose_channels(world, scenario, works, VALUE_ELASTICITY, rng)
    fan, idx, order_creator, price, repeat, from_follow = world.audience.buy(
        seed,
        day,
        purchase_intent(world, scenario, day, works, channels),
        channels.price,
        reference,
        FOLLOW_BUY_FACTOR,
        scenario.population.creator_scale,
        capacity,
        world.fans.budget_left,
    )
    order_merchant = c.merchant[order_creator]
    own = c.sells_own[order_creator]
    external = channels.external[idx]
    bad = m.bad[order_merchant]
    complaint = rng.random(idx.size) < np.where(bad, COMPLAINT_BAD, COMPLAINT_GOOD)
    kept = np.where(own, OWN_GOODS_INCOME, m.commission[order_merchant])
    share = np.maximum(kept - (1.0 - PASS_THROUGH) * channels.fee[idx], 0.0)
    return Orders(
        fan=fan,
        work=idx,
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
