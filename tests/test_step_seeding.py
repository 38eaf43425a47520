"""Seeding (sim.model.steps.seeding): a short video's buyer may decide for a later day
(种草, then 拔草); the decision becomes an order on its day within budget and capacity,
and lapses when its creator cannot sell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.metrics.summary import daily_frame
from sim.model.ecosystem import EcosystemModel
from sim.model.state import Seeded
from sim.model.steps import seeding
from tests.conftest import small_scenario, warm_model


def _due(fan: list[int], creator: list[int], price: list[float], due: list[int]) -> Seeded:
    n = len(fan)
    return Seeded(
        fan=np.array(fan, np.int64),
        creator=np.array(creator, np.int64),
        merchant=np.zeros(n, np.int64),
        uid=np.arange(n, dtype=np.int64),
        price=np.array(price),
        shop=np.ones(n, bool),
        share=np.full(n, 0.2),
        from_follow=np.zeros(n, bool),
        decided=np.zeros(n, np.int64),
        due=np.array(due, np.int64),
    )


def test_due_decisions_take_budget_and_capacity_in_turn_and_lapse_when_the_seller_cannot_sell() -> (
    None
):
    world = warm_model(1).world
    c = world.creators
    c.alive[:4] = True
    c.penalty_until[:4] = -1
    c.penalty_until[2] = 10  # barred on day 5
    c.alive[3] = False
    world.seeded = _due(
        fan=[0, 0, 0, 1, 1, 1, 2, 3, 4],
        creator=[0, 0, 0, 1, 1, 1, 2, 3, 0],
        price=[40.0, 50.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        due=[5, 5, 5, 5, 5, 5, 5, 5, 6],
    )
    budget = np.full(len(world.fans), 100.0)
    capacity = np.full(len(c), 100, np.int64)
    capacity[1] = 2
    orders, lapsed = seeding.due_orders(world, 5, capacity, budget)
    # Fan 0: 40 and 50 fit its 100, then 5 would too, but it comes after them in turn and
    # 95 ≤ 100: all three. Creator 1 ships its first two; creators 2 (barred) and 3 (gone)
    # none; the decision due on day 6 waits.
    assert orders.fan.tolist() == [0, 0, 0, 1, 1]
    assert lapsed == 3
    assert budget[0] == 5.0 and budget[1] == 98.0 and budget[2] == 100.0
    assert capacity[1] == 0 and capacity[0] == 97
    assert world.seeded.due.tolist() == [6]
    # A fan whose running total passes its budget stops there.
    world.seeded = _due(fan=[7, 7, 7], creator=[0, 0, 0], price=[60.0, 50.0, 10.0], due=[6] * 3)
    budget[7] = 100.0
    orders, lapsed = seeding.due_orders(world, 6, capacity, budget)
    assert orders.price.tolist() == [60.0]
    assert budget[7] == 40.0 and lapsed == 2


def test_live_streams_sell_within_the_stream() -> None:
    model = warm_model(3)
    works = model.world.pipeline
    chance = seeding.seeding_chance(model.config, works)
    assert (chance[works.live] == 0).all()
    assert (chance[~works.live] == model.config.commerce.seeding_share).all()


def _run(
    share: float, monkeypatch: pytest.MonkeyPatch, days: int = 60
) -> tuple[pd.DataFrame, EcosystemModel, dict[int, bool]]:
    """A run, and whether each work the fans saw was a live stream (by uid)."""
    import sim.model.steps.viewing as viewing

    live: dict[int, bool] = {}
    original = viewing.view

    def keep(*args: Any) -> Any:
        live.update(zip(args[4].uid.tolist(), args[4].live.tolist(), strict=True))
        return original(*args)

    monkeypatch.setattr(viewing, "view", keep)
    model = EcosystemModel(
        small_scenario("baseline", f"commerce.seeding_share={share}", f"run.days={days}"),
        events=True,
    )
    model.run()
    return daily_frame(model), model, live


def test_seeded_orders_come_later_and_only_from_short_videos(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    daily, model, live = _run(1.0, monkeypatch)
    orders = model.events.tables()["orders"]  # type: ignore[union-attr]
    later = orders[orders["decided"] < orders["day"]]
    assert len(later) > 0
    assert (later["day"] - later["decided"]).max() <= seeding.SEEDING_WINDOW
    assert (daily["seeded_order_share"] > 0).any()
    # Every order decided on an earlier day is of a short video, never of a live; with
    # every decision from a short video put off, every video order is a later one.
    assert not any(live[uid] for uid in later["work"])
    today = orders[orders["decided"] == orders["day"]]
    assert all(live[uid] for uid in today["work"])
    # Nothing waits beyond the window.
    assert (model.world.seeded.due <= model.day - 1 + seeding.SEEDING_WINDOW).all()
    none, _, _ = _run(0.0, monkeypatch)
    assert (none["seeded_order_share"] == 0).all() and (none["seeded_waiting"] == 0).all()
