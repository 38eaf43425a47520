"""Promotion (sim.model.steps.promotion): the best-converting share of each stage climbs;
penalised creators' works do not; a creator's best live is its best day of live GMV."""

from __future__ import annotations

import numpy as np

from sim.model.state import Works
from sim.model.steps import promotion
from tests.conftest import warm_model


def _works(n: int, stage: int, creator: np.ndarray) -> Works:
    return Works(
        uid=np.arange(n, dtype=np.int64),
        creator=creator.astype(np.int64),
        live=np.arange(n) % 2 == 0,
        goods=np.arange(n) % 2 == 0,
        quality=np.ones(n),
        stage=np.full(n, stage, np.int64),
        gmv=np.arange(n, dtype=np.float64),
        score=np.ones(n),
        posted=np.zeros(n, np.int64),
    )


def test_the_top_share_of_a_stage_climbs_one_stage() -> None:
    model = warm_model(1)
    creators, scenario = model.world.creators, model.config
    n = 100
    works = _works(n, 0, np.arange(n))
    score = np.linspace(0.0, 1.0, n)
    creators.penalty_until[n - 1] = 5  # the best work's creator is penalised
    promoted = promotion.promote(creators, scenario, 1, works, score)
    k = int(np.ceil(scenario.traffic.promote_share * (n - 1)))
    assert len(promoted) == k
    assert promoted.uid.tolist() == list(range(n - 1 - k, n - 1))
    assert (promoted.stage == 1).all()
    np.testing.assert_allclose(promoted.score, score[promoted.uid] / score.mean())


def test_works_at_the_last_stage_stop_climbing() -> None:
    model = warm_model(1)
    creators, scenario = model.world.creators, model.config
    last = len(scenario.traffic.stage_quotas)
    works = _works(6, last, np.zeros(6, np.int64))
    promoted = promotion.promote(creators, scenario, 1, works, np.ones(6))
    assert len(promoted) == 0


def test_a_live_counts_one_day_at_a_time_with_its_followers_that_day() -> None:
    creators = warm_model(1).world.creators
    creators.max_live_gmv[:3] = 0.0
    creators.max_live_followers[:3] = 0
    creators.followers[:3] = [100, 200, 300]
    # Works 0, 2, 4 are lives (of creators 0, 1, 1), 1 and 3 videos of creator 2.
    works = _works(5, 0, np.array([0, 2, 1, 2, 1]))
    promotion.record_lives(creators, works, np.array([5.0, 50.0, 7.0, 60.0, 3.0]))
    assert creators.max_live_gmv[:3].tolist() == [5.0, 7.0, 0.0]  # videos do not count
    assert creators.max_live_followers[:3].tolist() == [100, 200, 0]
    # The next day the same live climbs on and sells less: its best day stands, and the
    # followers are those of that day; a better day replaces both.
    creators.followers[:3] = [150, 250, 350]
    promotion.record_lives(creators, works, np.array([4.0, 0.0, 9.0, 0.0, 0.0]))
    assert creators.max_live_gmv[:3].tolist() == [5.0, 9.0, 0.0]
    assert creators.max_live_followers[:3].tolist() == [100, 250, 0]


def test_conversion_is_shrunk_toward_the_mean() -> None:
    engaged = np.array([0, 10, 0], np.int64)
    orders = np.array([0, 0, 1], np.int64)
    views = np.array([100, 100, 100], np.int64)
    score = promotion.conversion(engaged, orders, views, prior=20.0)
    mean = (10 + promotion.ORDER_WEIGHT) / 300
    np.testing.assert_allclose(score, (np.array([0, 10, 20.0]) + 20 * mean) / 120)
    assert score[2] > score[1] > score[0]
