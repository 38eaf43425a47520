"""Content (sim.model.steps.content): who posts, who goes live, and the works' ids."""

from __future__ import annotations

import numpy as np

from sim.model.randomness import CONTENT, day_rng
from sim.model.steps import content
from tests.conftest import warm_model


def test_posts_come_from_creators_on_the_platform_and_lives_from_sellers() -> None:
    model = warm_model(3)
    world, scenario = model.world, model.config
    c = world.creators
    c.alive[:50] = False
    posted_before = c.works_posted.copy()
    first_uid = world.next_uid
    works = content.post(world, scenario, 3, day_rng(1, 3, CONTENT))
    assert c.alive[works.creator].all()
    assert (c.commerce[works.creator[works.live]]).all()
    assert (c.merchant[works.creator[works.live]] >= 0).all()
    assert works.uid.tolist() == list(range(first_uid, first_uid + len(works)))
    assert world.next_uid == first_uid + len(works)
    assert (works.stage == 0).all() and (works.gmv == 0).all() and (works.score == 1).all()
    assert (works.posted == 3).all()
    np.testing.assert_array_equal(
        c.works_posted - posted_before, np.bincount(works.creator, minlength=len(c))
    )
    p = scenario.population
    videos = (~works.live).sum() / c.alive.sum()
    assert abs(videos - p.post_rate) < 0.05


def test_lives_sell_and_a_share_of_commerce_videos_carry_a_product_link() -> None:
    model = warm_model(3)
    world, scenario = model.world, model.config
    c = world.creators
    works = content.post(world, scenario, 3, day_rng(1, 3, CONTENT))
    assert works.goods[works.live].all()
    assert not works.goods[~c.commerce[works.creator]].any()
    videos = ~works.live & c.commerce[works.creator]
    share = works.goods[videos].mean()
    assert abs(share - scenario.population.video_goods_share) < 0.1
    selling = content.carrying_goods(c, works)
    np.testing.assert_array_equal(selling, works.goods & (c.merchant[works.creator] >= 0))
    none = scenario.with_overrides({"population.video_goods_share": 0.0})
    plain = content.post(world, none, 4, day_rng(1, 4, CONTENT))
    np.testing.assert_array_equal(plain.goods, plain.live)
