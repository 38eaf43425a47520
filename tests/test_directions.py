"""The directions the seed asserts (DESIGN.md §7, D1-D4), each on the same seeds, and the
scale rule: intensive results barely move when the platform is simulated twice as big."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sim.runs.pool import simulate_seeds
from sim.runs.run import RunResult
from sim.runs.seeds import spawn_seeds
from sim.scenario.files import load_scenario
from tests.conftest import SCENARIOS

MEDIUM = [
    "population.fans=20000",
    "population.creators=2000",
    "population.merchants=200",
    "population.suppliers=50",
    "population.scale=10000",
    "population.creator_scale=10",
]
"""The baseline's platform (200M DAU) at a tenth of its resolution."""
SEEDS = spawn_seeds(2019, 3)
DAYS = 150


@functools.cache
def runs(name: str, *overrides: str, days: int = DAYS) -> list[RunResult]:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml", [*MEDIUM, *overrides])
    return simulate_seeds(scenario, SEEDS, days=days)


def paired(a: list[RunResult], b: list[RunResult], kpi: str) -> np.ndarray:
    """B - A for each seed."""
    return np.array([rb.kpis[kpi] - ra.kpis[kpi] for ra, rb in zip(a, b, strict=True)])


def test_d1_lower_gini_cap_lowers_concentration_of_exposure() -> None:
    loose, tight = runs("baseline"), runs("baseline", "traffic.gini_cap=0.3")
    assert (paired(loose, tight, "exposure_gini_mean") < 0).all()


def test_d1_lower_gini_cap_lowers_concentration_of_followers() -> None:
    loose, tight = runs("baseline"), runs("baseline", "traffic.gini_cap=0.3")
    assert (paired(loose, tight, "follower_gini_final") < 0).all()


def test_d2_double_column_capped_is_less_concentrated_than_centralized() -> None:
    base, central = runs("baseline"), runs("centralized")
    assert (paired(base, central, "exposure_gini_mean") > 0).all()
    assert (paired(base, central, "follower_gini_final") > 0).all()
    assert (paired(base, central, "follower_top1_share_final") > 0).all()


def test_d3_source_goods_lower_prices_and_raise_orders() -> None:
    base, source = runs("baseline"), runs("source_goods")
    assert (paired(base, source, "mean_price") < 0).all()
    assert (paired(base, source, "orders_real_total") > 0).all()


def test_d4_follow_page_weight_raises_repeat_purchase() -> None:
    low = runs("baseline", "traffic.follow_page_weight=0.05")
    high = runs("baseline", "traffic.follow_page_weight=0.5")
    assert (paired(low, high, "repeat_purchase_rate") > 0).all()


INTENSIVE = (
    "exposure_gini_mean",
    "ordinary_share_mean",
    "average_order_value",
    "complaint_rate",
    "commerce_reach_share_mean",
    "views_per_fan_mean",
    "follower_gini_final",
    "income_gini_final",
)


SCALE_DEPENDENT: dict[str, str] = {}
"""KPIs known to move with the resolution under the present scaling rule (issue 12 open)."""


@pytest.mark.parametrize(
    "kpi",
    [
        pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=SCALE_DEPENDENT[k]))
        if k in SCALE_DEPENDENT
        else k
        for k in INTENSIVE
    ],
)
def test_intensive_results_do_not_depend_on_scale(kpi: str) -> None:
    small = runs("baseline", days=60)
    double = runs(
        "baseline", "population.fans=40000", "population.creators=4000",
        "population.merchants=400", "population.suppliers=100", "population.scale=5000",
        "population.creator_scale=5",
        days=60,
    )  # fmt: skip
    a = np.mean([r.kpis[kpi] for r in small])
    b = np.mean([r.kpis[kpi] for r in double])
    assert abs(b - a) <= 0.10 * abs(a), f"{kpi}: {a} at 1x, {b} at 2x"
