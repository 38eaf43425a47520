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
from tests.conftest import SCENARIOS, TENTH

MEDIUM = TENTH
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


@pytest.mark.xfail(
    strict=True,
    reason="a cap of 0.3 halves the exposure Gini (0.60 -> 0.30) but raises the follower "
    "Gini: +0.0064 [+0.0041, +0.0088] over 5 seeds x 200 days at a tenth "
    "(docs/directions.md). With the floor binding, the head creators' climbing quotas are "
    "throttled below the per-creator mean, and the cap's blend towards equal exposure per "
    "creator hands them traffic back (the two tests below); without the floor D1 holds",
)
def test_d1_lower_gini_cap_lowers_concentration_of_followers() -> None:
    loose, tight = runs("baseline"), runs("baseline", "traffic.gini_cap=0.3")
    assert (paired(loose, tight, "follower_gini_final") < 0).all()


def test_d1_on_followers_holds_without_the_floor() -> None:
    """The cap alone lowers the concentration of followers (Gini and top 1%)."""
    no_floor = "traffic.ordinary_floor=null"
    loose, tight = runs("baseline", no_floor), runs("baseline", "traffic.gini_cap=0.3", no_floor)
    assert (paired(loose, tight, "follower_gini_final") < 0).all()
    assert (paired(loose, tight, "follower_top1_share_final") < 0).all()


def test_with_the_floor_a_tighter_cap_gives_the_head_traffic_back() -> None:
    """Why D1 fails on followers with the floor: the cap lowers the ordinary creators' share
    of discovery, and the floor's throttle of the head creators' climbing eases."""
    loose, tight = runs("baseline"), runs("baseline", "traffic.gini_cap=0.3")
    assert (paired(loose, tight, "ordinary_share_mean") < 0).all()
    throttle = np.array(
        [b.daily["head_throttle"].mean() - a.daily["head_throttle"].mean()
         for a, b in zip(loose, tight, strict=True)]
    )  # fmt: skip
    assert (throttle > 0).all(), "head_throttle is the share of its quota a head work keeps"


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


def test_d5_stricter_checks_lower_the_complaint_rate_and_bad_sellers() -> None:
    base, strict = runs("baseline"), runs("baseline", "commerce.quality_check=1.0")
    assert (paired(base, strict, "complaint_rate") < 0).all()
    assert (paired(base, strict, "creators_on_bad_goods_mean") < 0).all()


def test_d5_more_bad_merchants_raise_complaints_and_bad_sellers() -> None:
    base, worse = runs("baseline"), runs("baseline", "commerce.bad_quality_share=0.3")
    assert (paired(base, worse, "complaint_rate") > 0).all()
    assert (paired(base, worse, "creators_on_bad_goods_mean") > 0).all()


@pytest.mark.xfail(
    strict=True,
    reason="with the calibrated baseline (follow page 6% of views, so trust and repeat "
    "purchase carry little of GMV) more bad merchants change a year's net GMV by -16.2B, "
    "+6.7B and -4.4B yuan on the three seeds; over 5 seeds -1.0B [-13B, +11B] "
    "(docs/directions.md): the trust channel is too weak to make D5b hold",
)
def test_d5_more_bad_merchants_lower_gmv_over_a_year() -> None:
    base = runs("baseline", days=365)
    worse = runs("baseline", "commerce.bad_quality_share=0.3", days=365)
    assert (paired(base, worse, "net_gmv_real_total") < 0).all()


def test_checks_hit_sellers_of_bad_goods_far_above_their_share() -> None:
    for run in runs("baseline"):
        assert run.kpis["penalties_on_bad_share"] > 10 * run.kpis["creators_on_bad_goods_mean"]
        assert run.kpis["penalties_on_bad_share"] > 0.3


def test_a_higher_platform_commission_moves_sales_out_of_the_shop() -> None:
    base, dear = runs("baseline"), runs("baseline", "commerce.platform_commission=0.2")
    assert (paired(base, dear, "shop_share") < 0).all()
    assert (paired(base, dear, "mean_price") > 0).all()


def test_without_external_links_every_sale_is_in_the_shop() -> None:
    base, closed = runs("baseline"), runs("baseline", "commerce.external_links=false")
    assert all(run.kpis["shop_share"] == 1.0 for run in closed)
    assert (paired(base, closed, "shop_share") > 0).all()
    more_stores = runs("baseline", "commerce.external_store_share=0.6")
    assert (paired(base, more_stores, "shop_share") < 0).all()


def test_the_ordinary_floor_binds_and_removing_it_lowers_the_ordinary_share() -> None:
    """Head creators would take more than 30% of all views (their covers are clicked more,
    their followers see them on the follow page): the floor holds them to it by
    throttling their climbing quotas, with or without the Gini cap."""
    for cap in ("traffic.gini_cap=0.6", "traffic.gini_cap=null"):
        floored = runs("baseline", cap)
        unfloored = runs("baseline", cap, "traffic.ordinary_floor=null")
        for run in floored:
            settled = run.daily[run.daily["day"] >= 30]
            assert (settled["head_throttle"] < 1.0).mean() > 0.5  # the floor acts
            assert settled["ordinary_share_all"].mean() > 0.68
            assert run.daily["ordinary_share"].min() >= 0.7 - 1e-9
        for run in unfloored:
            assert (run.daily["head_throttle"] == 1.0).all()
            assert run.daily["ordinary_share_all"].mean() < 0.65
        share = [r.daily["ordinary_share_all"].mean() for r in floored]
        plain = [r.daily["ordinary_share_all"].mean() for r in unfloored]
        assert all(b < a - 0.05 for a, b in zip(share, plain, strict=True))


def test_a_higher_creator_commission_moves_creators_to_merchants_goods() -> None:
    base, generous = runs("baseline"), runs("baseline", "commerce.creator_commission=0.4")
    assert (paired(base, generous, "creators_on_merchant_goods_mean") > 0).all()


def test_d6_fewer_middlemen_lower_prices_and_do_not_lower_orders_or_gmv() -> None:
    base, direct = runs("baseline"), runs("baseline", "commerce.middlemen=1")
    assert (paired(base, direct, "mean_price") < 0).all()
    assert (paired(base, direct, "orders_real_total") > 0).all()
    assert (paired(base, direct, "gmv_real_total") >= 0).all()


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
    at_1x = np.array([r.kpis[kpi] for r in small])
    at_2x = np.array([r.kpis[kpi] for r in double])
    a, b = at_1x.mean(), at_2x.mean()
    # Within 10%, or within the seeds' noise (two standard errors of the difference) when
    # that is wider: the complaint rate hangs on a few dozen sellers of bad goods here.
    noise = 2.0 * np.sqrt(at_1x.var(ddof=1) / at_1x.size + at_2x.var(ddof=1) / at_2x.size)
    assert abs(b - a) <= max(0.10 * abs(a), noise), f"{kpi}: {a} at 1x, {b} at 2x"


def test_a_direction_holds_only_when_its_interval_is_on_the_asserted_side() -> None:
    from types import SimpleNamespace

    from sim.analysis.directions import Direction, Expectation, judge_direction

    direction = Direction(
        "Dx",
        "claim",
        ("baseline", ()),
        ("baseline", ()),
        (Expectation("a", "down"), Expectation("b", "up"), Expectation("c", "not down")),
    )

    def run(a: float, b: float, c: float) -> RunResult:
        return SimpleNamespace(kpis={"a": a, "b": b, "c": c})  # type: ignore[return-value]

    base = [run(1.0, 1.0, 1.0), run(1.1, 1.2, 1.0), run(0.9, 0.8, 1.0)]
    changed = [run(0.5, 1.5, 0.99), run(0.7, 1.6, 1.01), run(0.4, 1.3, 0.98)]
    table = judge_direction(direction, base, changed).set_index("kpi")
    assert table.loc["a", "holds"] and table.loc["b", "holds"]
    assert table.loc["c", "holds"]  # -0.007 with an interval reaching above zero
    noisy = [run(1.5, 0.5, 0.5), run(0.6, 1.9, 0.6), run(0.8, 0.9, 0.55)]
    table = judge_direction(direction, base, noisy).set_index("kpi")
    assert not table.loc["b", "holds"] and not table.loc["c", "holds"]
