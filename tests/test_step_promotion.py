"""Promotion (sim.model.steps.promotion): the best-converting share of each stage climbs;
penalised creators' works do not; finished live streams keep their best GMV."""

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


def test_works_at_the_last_stage_stop_climbing_and_lives_keep_their_best_gmv() -> None:
    model = warm_model(1)
    creators, scenario = model.world.creators, model.config
    last = len(scenario.traffic.stage_quotas)
    works = _works(6, last, np.zeros(6, np.int64))
    promoted = promotion.promote(creators, scenario, 1, works, np.ones(6))
    assert len(promoted) == 0
    creators.max_live_gmv[0] = 0.0
    promotion.retire_lives(creators, works, promoted)
    assert creators.max_live_gmv[0] == 4.0  # the best of the live works 0, 2, 4


def test_conversion_is_shrunk_toward_the_mean() -> None:
    engaged = np.array([0, 10, 0], np.int64)
    orders = np.array([0, 0, 1], np.int64)
    views = np.array([100, 100, 100], np.int64)
    score = promotion.conversion(engaged, orders, views, prior=20.0)
    mean = (10 + promotion.ORDER_WEIGHT) / 300
    np.testing.assert_allclose(score, (np.array([0, 10, 20.0]) + 20 * mean) / 120)
    assert score[2] > score[1] > score[0]
