"""Commerce: views of commerce works become orders (Rust, fan by fan), then settlement:
GMV, commissions, creator income, complaints, trust, quality checks and penalties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.state import F64, I64, Bool, Works
from sim.model.steps.traffic import ViewOutcome

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel

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
TRUST_FLOOR = 0.05
"""Trust never falls to zero: a new chance comes with every work."""


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


def buy(model: EcosystemModel, works: Works, seen: ViewOutcome, rng: np.random.Generator) -> Orders:
    """Orders of the day from the views of commerce works."""
    c, m, s = model.creators, model.merchants, model.config
    if model.day % 30 == 0:
        model.fans.budget_left = model.fans.monthly_budget.copy()
    merchant = c.merchant[works.creator]
    selling = np.flatnonzero(c.commerce[works.creator] & (merchant >= 0))
    w = works.take(selling)
    mer = merchant[selling]
    creator = w.creator
    event = model.day in s.commerce.event_days
    value = (model.reference_price[m.category[mer]] / m.price[mer]) ** VALUE_ELASTICITY
    intent = (
        s.commerce.buy_rate
        * value
        * c.sales_skill[creator]
        * np.where(w.live, s.commerce.live_multiplier, 1.0)
        * m.quality[mer]
        / model.mean_merchant_quality
        * (0.5 + c.trust[creator])
        * (s.commerce.event_lift if event else 1.0)
    )
    p_discovery = np.clip(intent, 0.0, MAX_BUY_PROBABILITY)
    p_follow = np.clip(intent * FOLLOW_BUY_FACTOR, 0.0, MAX_BUY_PROBABILITY)
    capacity = np.where(c.alive, c.capacity, 0).astype(np.int64)
    fan, idx, price, repeat, from_follow = model.market.buy(
        model.seed,
        model.day,
        w.uid,
        creator,
        m.category[mer],
        seen.views_discovery[selling],
        seen.views_follow[selling],
        p_discovery,
        p_follow,
        m.price[mer],
        model.reference_price[m.category[mer]],
        np.clip(c.trust, 0.0, 0.9),
        model.pool_offsets,
        model.fan_pool,
        model.fans.sensitivity,
        capacity,
        model.fans.budget_left,
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
        cost=model.suppliers.unit_cost[m.supplier[order_merchant]],
        repeat=repeat,
        from_follow=from_follow,
        shop=~external,
        complaint=complaint,
        income=np.where(complaint, 0.0, price * share),
    )


@dataclass
class Settlement:
    """Per-creator results of the day."""

    income: F64
    gmv: F64
    orders: I64
    complaints: I64
    work_orders: I64
    platform_revenue: float
    penalised: int


def settle(
    model: EcosystemModel, works: Works, orders: Orders, rng: np.random.Generator
) -> Settlement:
    """Book the day's orders: money, trust, penalties and income history."""
    c, s = model.creators, model.config
    n = len(c)
    income = np.bincount(orders.creator, weights=orders.income, minlength=n)
    gmv = np.bincount(orders.creator, weights=orders.price, minlength=n)
    count = np.bincount(orders.creator, minlength=n).astype(np.int64)
    complaints = np.bincount(orders.creator, weights=orders.complaint, minlength=n).astype(np.int64)
    good = count - complaints
    c.income += income
    c.gmv += gmv
    c.orders += count
    c.trust = np.clip(
        c.trust
        + s.commerce.trust_gain * (1.0 - c.trust) * good / (good + 10.0)
        - s.commerce.trust_loss * c.trust * complaints / (complaints + 3.0),
        TRUST_FLOOR,
        1.0,
    )
    caught = (complaints > 0) & (rng.random(n) < s.commerce.quality_check)
    c.penalty_until[caught] = model.day + s.commerce.penalty_days
    c.merchant[caught] = -1
    model.record_income(income)
    earning = income > 0
    c.zero_income_days = np.where(earning, 0, c.zero_income_days + 1)
    works.gmv += np.bincount(orders.work, weights=orders.price, minlength=len(works))
    shop_gmv = float(orders.price[orders.shop].sum())
    return Settlement(
        income=income,
        gmv=gmv,
        orders=count,
        complaints=complaints,
        work_orders=np.bincount(orders.work, minlength=len(works)).astype(np.int64),
        platform_revenue=s.commerce.platform_commission * shop_gmv,
        penalised=int(caught.sum()),
    )
