"""The facts as two-sided bands (sim.analysis.facts): how a value misses its band, how
seeds are pooled, and F2's companion runs without the floor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.facts import FACTS, POOLED_1M_ACCOUNTS, RunFacts, judge, unfloored
from sim.scenario.files import load_scenario
from tests.conftest import BASELINE

BY_KEY = {fact.key: fact for fact in FACTS}


def _inside(key: str) -> float:
    low, high = BY_KEY[key].band
    if math.isinf(high):
        return low * 2 if low > 0 else low + 1
    if math.isinf(low):
        return high - 1
    return (low + high) / 2


def _facts(**changed: float) -> RunFacts:
    values = {fact.key: _inside(fact.key) for fact in FACTS}
    values.update(changed)
    return RunFacts(values=values, days_to_1m=np.full(10, 750.0))


def test_every_fact_of_design_section_7_has_a_two_sided_or_stated_band() -> None:
    keys = [fact.key for fact in FACTS]
    for key in ("F1", "F2", "F2b", "F3", "F4", "F5", "F6a", "F6b", "F7", "F8a", "F8b"):
        assert key in keys
    for key in ("F9a", "F9b", "F9c", "F9d", "F9e", "F10a", "F10b", "F11"):
        assert key in keys
    for key in ("F2", "F4", "F5", "F6a", "F6b", "F7", "F8a", "F8b", "F9a", "F9d", "F11"):
        low, high = BY_KEY[key].band
        assert math.isfinite(low) and math.isfinite(high) and low < high, key


def test_a_miss_is_zero_inside_and_grows_with_the_distance_outside() -> None:
    f5 = BY_KEY["F5"]  # log: e-folds beyond the band
    assert f5.miss(100_000) == 0.0
    assert f5.miss(300_000) == pytest.approx(math.log(2))
    assert f5.miss(25_000) == pytest.approx(math.log(2))
    f2 = BY_KEY["F2"]  # linear, in units of its spread
    assert f2.miss(0.55) == pytest.approx(0.10 / f2.spread)
    assert f2.miss(math.nan) == math.inf


def test_every_seed_must_pass_and_the_value_is_the_mean_over_seeds() -> None:
    table = judge([_facts(F5=100_000), _facts(F5=140_000)]).set_index("fact")
    assert table.loc["F5", "passed"] and table.loc["F5", "value"] == 120_000
    table = judge([_facts(F5=100_000), _facts(F5=160_000)]).set_index("fact")
    assert not table.loc["F5", "passed"]
    assert table.loc["F5", "miss"] == 0.0  # the mean is inside; one seed is not


def test_f4_pools_the_crossings_of_every_seed_and_needs_enough_of_them() -> None:
    few = judge([_facts(F4=750.0)]).set_index("fact")  # 10 crossings, fewer than 20
    assert not few.loc["F4", "passed"] and bool(few["value"].isna()["F4"])
    runs = [_facts(F4=750.0) for _ in range(POOLED_1M_ACCOUNTS // 10)]
    enough = judge(runs).set_index("fact")
    assert enough.loc["F4", "passed"] and enough.loc["F4", "count"] == POOLED_1M_ACCOUNTS
    runs[0] = _facts(F4=950.0)  # one seed's median outside 600-900
    assert not judge(runs).set_index("fact").loc["F4", "passed"]


def test_the_floor_binds_only_when_the_companion_runs_fall_below_it() -> None:
    without = judge([_facts()]).set_index("fact")
    assert not without.loc["F2b", "passed"]  # no companion runs: not judged
    binds = judge([_facts()], [_facts(F2=0.5)]).set_index("fact")
    assert binds.loc["F2b", "passed"] and binds.loc["F2b", "value"] == 0.5
    idle = judge([_facts()], [_facts(F2=0.71)]).set_index("fact")
    assert not idle.loc["F2b", "passed"]


def test_the_companion_scenario_has_no_floor_on_any_day() -> None:
    scenario = load_scenario(
        BASELINE,
        [
            'timeline=[{"day": 5, "set": {"traffic.ordinary_floor": 0.8}},'
            ' {"day": 9, "set": {"traffic.ordinary_floor": 0.75, "traffic.gini_cap": 0.5}}]'
        ],
    )
    assert [phase.traffic.ordinary_floor for _, phase in scenario.phases()] == [0.7, 0.8, 0.75]
    plain = unfloored(scenario)
    assert [phase.traffic.ordinary_floor for _, phase in plain.phases()] == [None, None]
    assert [phase.traffic.gini_cap for _, phase in plain.phases()] == [0.6, 0.5]
