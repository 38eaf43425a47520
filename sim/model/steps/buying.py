"""Buying: views of commerce works become orders (Rust, fan by fan), within fans'
budgets and creators' capacity, at the price of the channel each creator sells through
today (`channel.py`); complaints of each order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.state import F64, I64, Bool, Works, World
from sim.model.steps import content, seeding
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
    """The day's orders, one entry per order: first those decided on earlier days (a
    short video's seeded interest, due today), then today's."""

    fan: I64
    work: I64
    """Index in today's works; -1 for an order decided on an earlier day."""
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
    uid: I64
    """The work whose view led to the order (today's, or the one that seeded it)."""
    decided: I64
    """The day the fan decided to buy: today, or the day a short video seeded it."""
    seeded_by_work: I64
    """Per today's work, the decisions to buy it seeded for a later day (the platform
    sees them, as clicks on the goods, the day they are made)."""


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
    """Orders of the day: first the decisions of earlier days due today (`seeding`), then
    today's, each from a fan who viewed the work today (Rust), within its monthly budget
    and the creator's capacity, in the channel its creator chose today; a short video's
    buyer may put the order off (种草); then whether each order draws a complaint."""
    c, m, catalogue, s = world.creators, world.merchants, world.catalogue, scenario
    if day % 30 == 0:
        world.fans.budget_left = world.fans.monthly_budget.copy()
    mer_of_work = np.maximum(c.merchant[works.creator], 0)
    reference = catalogue.reference_price[m.category[mer_of_work]]
    capacity = np.where(c.alive, c.capacity, 0).astype(np.int64)
    channels = choose_channels(world, scenario, works, VALUE_ELASTICITY, rng)
    kept = np.where(c.sells_own[works.creator], OWN_GOODS_INCOME, m.commission[mer_of_work])
    share = np.maximum(kept - (1.0 - PASS_THROUGH) * channels.fee, 0.0)
    # The fans made the due decisions first: they take budget and capacity first.
    due, _lapsed = seeding.due_orders(world, day, capacity, world.fans.budget_left)
    due_repeat = world.audience.book(
        day, due.fan, due.creator, due.price, due.from_follow, s.population.creator_scale
    )
    fan, idx, order_creator, price, repeat, from_follow = world.audience.buy(
        seed,
        day,
        purchase_intent(world, scenario, day, works, channels),
        channels.price,
        reference,
        FOLLOW_BUY_FACTOR,
        s.population.creator_scale,
        capacity,
        world.fans.budget_left,
        seeding.seeding_chance(scenario, works),
    )
    seeded_by_work = seeding.plant(
        world, scenario, day, works, channels.price, ~channels.external, share, rng
    )
    order_merchant = np.concatenate([due.merchant, c.merchant[order_creator]])
    bad = m.bad[order_merchant]
    n = len(order_merchant)
    complaint = rng.random(n) < np.where(bad, COMPLAINT_BAD, COMPLAINT_GOOD)
    price_all = np.concatenate([due.price, price])
    return Orders(
        fan=np.concatenate([due.fan, fan]),
        work=np.concatenate([np.full(len(due), -1, np.int64), idx]),
        creator=np.concatenate([due.creator, order_creator]),
        merchant=order_merchant,
        price=price_all,
        cost=world.suppliers.unit_cost[m.supplier[order_merchant]],
        repeat=np.concatenate([due_repeat, repeat]),
        from_follow=np.concatenate([due.from_follow, from_follow]),
        shop=np.concatenate([due.shop, ~channels.external[idx]]),
        complaint=complaint,
        income=np.where(complaint, 0.0, price_all * np.concatenate([due.share, share[idx]])),
        uid=np.concatenate([due.uid, works.uid[idx]]),
        decided=np.concatenate([due.decided, np.full(len(idx), day, np.int64)]),
        seeded_by_work=seeded_by_work,
    )
