"""Settlement: the day's orders booked as GMV (gross, and net of returns), income, trust
and penalties; quality checks inspect sellers and catch those of bad goods; creators
reach follower milestones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.state import F64, FOLLOWER_TIERS, I64, Creators, Works, World
from sim.model.steps.buying import Orders
from sim.scenario.schema import Scenario

NOT_REACHED = -1
"""Milestone day of a follower tier not reached yet."""
COMPLAINT_ALERT = 0.1
"""A seller whose day's complaint rate reaches this is inspected at the full rate
(`commerce.quality_check`); below it, in proportion."""
SPOT_CHECK_RATE = 0.02
"""Sellers without complaints are still spot-checked at this share of the full rate."""
DETECTION = 0.9
"""Probability that an inspection of a seller of bad goods finds them."""
FALSE_ALARM = 0.01
"""Probability that an inspection of an honest seller wrongly penalises it."""
DROP_AFTER_COMPLAINT = 0.05
"""Probability that a creator drops the goods it carries on a day they drew complaints."""
HIRING_RATE = 0.1
"""Growth of a team's daily capacity after a day it sold out (it hires and stocks up)."""
CAPACITY_LIMIT_REAL = 2_000_000
"""Orders a day the largest team can ship, real-equivalent (the top sellers of 2019)."""


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
    penalised_bad: int
    """Penalised sellers who were selling bad goods."""
    returned_gmv: float
    """GMV of the orders returned after a complaint (gross GMV minus net GMV)."""


def settle(
    world: World,
    scenario: Scenario,
    day: int,
    works: Works,
    orders: Orders,
    rng: np.random.Generator,
) -> Settlement:
    """Book the day's orders: money, penalties and days without income on the creators,
    trust on each buyer's relation to its creator (up after a good order, down after a
    complaint); inspect sellers; return what each creator and work earned."""
    c, s, audience = world.creators, scenario, world.audience
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
        s.population.creator_scale,
    )
    c.income += income
    c.gmv += gmv
    c.orders += count
    hire(c, count, CAPACITY_LIMIT_REAL / s.population.per_creator_scale)
    if day in s.commerce.event_days:
        c.event_gmv += gmv
        c.event_orders += count
    caught, caught_bad = inspect(world, scenario, count, complaints, rng)
    c.penalty_until[caught] = day + s.commerce.penalty_days
    world.merchants.exposed[c.merchant[caught_bad]] = True
    dropping = (complaints > 0) & (rng.random(n) < DROP_AFTER_COMPLAINT)
    c.merchant[caught | dropping] = -1
    earning = income > 0
    c.zero_income_days = np.where(earning, 0, c.zero_income_days + 1)
    shop_gmv = float(orders.price[orders.shop].sum())
    # Today's works earn today's orders (the due ones belong to works of earlier days).
    work, work_price = orders.work[orders.work >= 0], orders.price[orders.work >= 0]
    return Settlement(
        income=income,
        gmv=gmv,
        orders=count,
        complaints=complaints,
        work_orders=np.bincount(work, minlength=len(works)).astype(np.int64),
        work_gmv=np.bincount(work, weights=work_price, minlength=len(works)),
        platform_revenue=s.commerce.platform_commission * shop_gmv,
        penalised=int(caught.sum()),
        penalised_bad=int(caught_bad.sum()),
        returned_gmv=float(orders.price[orders.complaint].sum()),
    )


def hire(creators: Creators, sold: I64, limit: float) -> None:
    """Teams that sold out today grow by HIRING_RATE (at least one order a day), up to
    ``limit`` orders a day: capacity follows sales, so a seller whose works convert is
    not held to the team it started with."""
    sold_out = (sold > 0) & (sold >= creators.capacity)
    grown = np.maximum(np.ceil(creators.capacity * (1.0 + HIRING_RATE)), creators.capacity + 1)
    capped = np.maximum(np.minimum(grown, max(limit, 1.0)), creators.capacity)
    creators.capacity = np.where(sold_out, capped, creators.capacity).astype(np.int64)


def inspect(
    world: World,
    scenario: Scenario,
    orders: I64,
    complaints: I64,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The day's quality checks: a seller is inspected with probability
    `commerce.quality_check` times its complaint rate against `COMPLAINT_ALERT` (at least
    `SPOT_CHECK_RATE`, at most 1); an inspection finds bad goods with probability
    `DETECTION` and wrongly penalises an honest seller with probability `FALSE_ALARM`.
    Returns who is penalised, and who of them sold bad goods."""
    c, m = world.creators, world.merchants
    n = len(c)
    selling = c.alive & c.commerce & (c.merchant >= 0)
    alarm = complaints / np.maximum(orders, 1) / COMPLAINT_ALERT
    rate = scenario.commerce.quality_check * np.clip(alarm, SPOT_CHECK_RATE, 1.0)
    inspected = selling & (rng.random(n) < rate)
    bad = selling & m.bad[np.maximum(c.merchant, 0)]
    found = rng.random(n) < np.where(bad, DETECTION, FALSE_ALARM)
    caught = inspected & found
    return caught, caught & bad


def record_milestones(creators: Creators, scenario: Scenario, day: int) -> None:
    """The first day each creator reached 10k, 100k and 1M real-equivalent followers."""
    real = creators.followers * scenario.population.per_creator_scale
    for threshold, column in zip(
        FOLLOWER_TIERS,
        (creators.milestone_10k, creators.milestone_100k, creators.milestone_1m),
        strict=True,
    ):
        column[(column == NOT_REACHED) & (real >= threshold)] = day
