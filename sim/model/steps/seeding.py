"""种草, then 拔草: a short video seeds interest that the fan acts on days later; a live
stream sells within the stream ("内容电商是一个先种草再拔草的过程，直播电商的种草过程会比较短").

A fan who decides to buy from a short video (in Rust, ``Audience.buy``) orders today with
probability 1 − ``commerce.seeding_share``; otherwise the decision waits a geometric number
of days (mean ``commerce.seeding_days``) and becomes an order on its day, at the price and
in the channel the fan saw, if the fan's budget and the creator's capacity of that day
allow it. A decision lapses when its creator has left or is barred from selling by then,
or when it would wait longer than ``SEEDING_WINDOW`` days.
"""

from __future__ import annotations

import numpy as np

from sim.model.state import F64, I64, Bool, Seeded, Works, World
from sim.scenario.schema import Scenario

SEEDING_WINDOW = 14
"""Days after which a seeded interest that has not turned into an order lapses."""


def seeding_chance(scenario: Scenario, works: Works) -> F64:
    """Per work, the probability that a decision to buy waits for a later day: the
    seeding share for short videos, 0 for live streams (works without goods have no
    buyers to decide)."""
    chance: F64 = np.where(works.live, 0.0, scenario.commerce.seeding_share)
    return chance


def plant(
    world: World,
    scenario: Scenario,
    day: int,
    works: Works,
    price: F64,
    shop: Bool,
    share: F64,
    rng: np.random.Generator,
) -> I64:
    """Keep today's decisions to buy later (``Audience.planted``), each due after a
    geometric delay; returns how many each work seeded (lapsed ones included)."""
    fan, work, from_follow = world.audience.planted()
    seeded = np.bincount(work, minlength=len(works)).astype(np.int64)
    if fan.size == 0:
        return seeded
    delay = rng.geometric(1.0 / scenario.commerce.seeding_days, fan.size)
    kept = delay <= SEEDING_WINDOW
    creator = works.creator[work]
    today = Seeded(
        fan=fan,
        creator=creator,
        merchant=world.creators.merchant[creator],
        uid=works.uid[work],
        price=price[work],
        shop=shop[work],
        share=share[work],
        from_follow=from_follow,
        decided=np.full(fan.size, day, np.int64),
        due=day + delay.astype(np.int64),
    ).take(kept)
    world.seeded.extend(today)
    return seeded


def due_orders(world: World, day: int, capacity_left: I64, budget_left: F64) -> tuple[Seeded, int]:
    """The decisions due today that become orders, in the order they were taken: each
    within the fan's budget (a fan's due orders in turn, up to the first that does not
    fit) and the creator's capacity left; ``capacity_left`` and ``budget_left`` are
    spent in place. The rest of today's are gone (with those of creators who left or
    are barred): returns the orders and how many lapsed."""
    c, seeded = world.creators, world.seeded
    due = seeded.due <= day
    world.seeded = seeded.take(~due)
    today = seeded.take(due)
    if len(today) == 0:
        return today, 0
    selling = c.alive[today.creator] & (c.penalty_until[today.creator] < day)
    # A fan's due orders in turn: the running total of its prices within its budget; then
    # the creator's first orders in turn within its capacity.
    spent = _running_total(today.fan, np.where(selling, today.price, 0.0))
    ok = selling & (spent <= budget_left[today.fan])
    ok &= _running_total(today.creator, ok.astype(np.int64)) <= capacity_left[today.creator]
    orders = today.take(ok)
    np.subtract.at(budget_left, orders.fan, orders.price)
    np.subtract.at(capacity_left, orders.creator, 1)
    return orders, int(len(today) - len(orders))


def _running_total(key: I64, value: np.ndarray) -> np.ndarray:
    """Per row, the sum of `value` over the rows of the same key up to and including it
    (rows in their order)."""
    order = np.argsort(key, kind="stable")
    sorted_key, total = key[order], np.cumsum(value[order])
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    before = total[starts] - value[order][starts]
    out = np.empty_like(total)
    out[order] = total - np.repeat(before, np.diff(np.r_[starts, len(total)]))
    return out
