"""Settlement: the day's orders booked as GMV, income, trust and penalties; quality
checks catch sellers with complaints; creators reach follower milestones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import _core
from sim.model.state import F64, FOLLOWER_TIERS, I64, Creators, Works
from sim.model.steps.buying import Orders
from sim.scenario.schema import Scenario

NOT_REACHED = -1
"""Milestone day of a follower tier not reached yet."""


@dataclass
class Settlement:
    """Per-creator results of the day."""

    income: F64
    gmv: F64
    orders: I64
    complaints: I64
    work_orders: I64
    work_gmv: F64
    platform_revenue: float
    penalised: int


def settle(
    creators: Creators,
    audience: _core.Audience,
    scenario: Scenario,
    day: int,
    works: Works,
    orders: Orders,
    rng: np.random.Generator,
) -> Settlement:
    """Book the day's orders: money, penalties and days without income on the creators,
    trust on each buyer's relation to its creator (up after a good order, down after a
    complaint); return what each creator and work earned."""
    c, s = creators, scenario
    n = len(c)
    income = np.bincount(orders.creator, weights=orders.income, minlength=n)
    gmv = np.bincount(orders.creator, weights=orders.price, minlength=n)
    count = np.bincount(orders.creator, minlength=n).astype(np.int64)
    complaints = np.bincount(orders.creator, weights=orders.complaint, minlength=n).astype(np.int64)
    audience.settle(
        orders.fan,
        orders.creator,
        orders.complaint,
        s.commerce.trust_gain,
        s.commerce.trust_loss,
    )
    c.income += income
    c.gmv += gmv
    c.orders += count
    caught = (complaints > 0) & (rng.random(n) < s.commerce.quality_check)
    c.penalty_until[caught] = day + s.commerce.penalty_days
    c.merchant[caught] = -1
    earning = income > 0
    c.zero_income_days = np.where(earning, 0, c.zero_income_days + 1)
    shop_gmv = float(orders.price[orders.shop].sum())
    return Settlement(
        income=income,
        gmv=gmv,
        orders=count,
        complaints=complaints,
        work_orders=np.bincount(orders.work, minlength=len(works)).astype(np.int64),
        work_gmv=np.bincount(orders.work, weights=orders.price, minlength=len(works)),
        platform_revenue=s.commerce.platform_commission * shop_gmv,
        penalised=int(caught.sum()),
    )


def record_milestones(creators: Creators, scenario: Scenario, day: int) -> None:
    """The first day each creator reached 10k, 100k and 1M real-equivalent followers."""
    real = creators.followers * scenario.population.per_creator_scale
    for threshold, column in zip(
        FOLLOWER_TIERS,
        (creators.milestone_10k, creators.milestone_100k, creators.milestone_1m),
        strict=True,
    ):
        column[(column == NOT_REACHED) & (real >= threshold)] = day
