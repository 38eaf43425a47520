"""Entry and exit (sim.model.steps.entry_exit): who leaves, who joins, and the rows."""

from __future__ import annotations

import numpy as np

from sim.model.randomness import LIFECYCLE, day_rng
from sim.model.steps import entry_exit
from tests.conftest import warm_model


def test_only_broke_commerce_creators_and_content_turnover_leave() -> None:
    model = warm_model(5)
    world, scenario = model.world, model.config
    c = world.creators
    c.zero_income_days[:] = 0
    c.zero_income_days[c.commerce] = scenario.population.churn_patience  # every seller broke
    before_alive = c.alive.copy()
    turnover = entry_exit.update(world, scenario, 5, day_rng(1, 5, LIFECYCLE))
    left = turnover.left
    assert set(left.tolist()) <= set(np.flatnonzero(before_alive).tolist())
    assert not c.alive[left].any() and (c.exit_day[left] == 5).all()
    broke_share = c.commerce[left].sum() / before_alive[c.commerce[: len(before_alive)]].sum()
    assert abs(broke_share - entry_exit.EXIT_HAZARD) < 0.05
    content_left = (~c.commerce[left]).sum()
    assert content_left <= 5  # content creators leave at a tiny rate


def test_entrants_are_new_rows_of_the_table() -> None:
    model = warm_model(5)
    world, scenario = model.world, model.config
    size = len(world.creators)
    turnover = entry_exit.update(world, scenario, 5, day_rng(2, 5, LIFECYCLE))
    joined = turnover.joined
    assert joined.tolist() == list(range(size, len(world.creators)))
    assert turnover.entering == joined.size > 0
    c = world.creators
    assert (c.entry_day[joined] == 5).all() and c.alive[joined].all()
    assert (c.followers[joined] == 0).all()


def test_a_full_market_takes_no_new_commerce_creators() -> None:
    model = warm_model(2, "population.commerce_creator_ceiling=1")
    world, scenario = model.world, model.config
    commerce_before = int((world.creators.alive & world.creators.commerce).sum())
    assert commerce_before >= world.catalogue.initial_commerce_creators
    turnover = entry_exit.update(world, scenario, 2, day_rng(3, 2, LIFECYCLE))
    assert not world.creators.commerce[turnover.joined].any()
