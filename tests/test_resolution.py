"""The resolution test (DESIGN.md §5, docs/scaling.md): the same platform simulated at two
resolutions, 4x fewer fans, creators, merchants and suppliers each standing for 4x the
real ones (scale and creator_scale both x4), gives the same intensive results within 10%.

Run here on the baseline's platform at a tenth of its resolution (20k fans, 2,000
creators) against a fortieth (5k fans, 500 creators) over a year. Platforms that small
are noisy from seed to seed (a few hundred creators, the top ones carrying much of the
GMV), so a quantity passes when the two means agree within 10% or within two standard
errors of their difference, whichever is wider (the failure message gives both);
docs/scaling.md reports the 10% table at the full baseline (`python -m tools.resolution`)."""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from sim.runs.seeds import spawn_seeds
from sim.scenario.files import load_scenario
from tests.conftest import BASELINE, TENTH
from tools.resolution import compare

TOLERANCE = 0.10

INVARIANT = (
    "median_income_tier1",
    "median_income_tier2",
    "median_income_tier3",
    "follower_gini",
    "follower_top1_share",
    "exposure_gini",
    "ordinary_share",
    "ordinary_share_all",
    "gmv_real_per_day",
    "views_per_fan_mean",
    "commerce_reach_share",
    "repeat_purchase_rate",
)
NOT_AT_THIS_SIZE = {
    "days_to_1m_median": "at a fortieth of the baseline about one entrant per seed reaches "
    "1M followers in a year, too few for a median; docs/scaling.md judges F4 at the full "
    "baseline against a quarter (1.08)",
}


@functools.cache
def table() -> pd.DataFrame:
    scenario = load_scenario(BASELINE, TENTH)
    seeds = spawn_seeds(scenario.run.seed, 8)
    return compare(scenario, seeds[:3], days=365, coarse_seeds=seeds)


@pytest.mark.parametrize("quantity", INVARIANT)
def test_intensive_result_holds_at_a_quarter_of_the_resolution(quantity: str) -> None:
    row = table().loc[quantity]
    tolerance = max(TOLERANCE, row["noise"])
    assert abs(row["ratio"] - 1.0) <= tolerance, (
        f"{quantity}: {row['fine']:.4g} at 1/10, {row['coarse']:.4g} at 1/40 "
        f"(ratio {row['ratio']:.3f}, seeds' noise {row['noise']:.3f})"
    )


def test_every_intensive_quantity_is_judged_or_excused() -> None:
    judged = set(INVARIANT) | set(NOT_AT_THIS_SIZE)
    assert judged == set(table().index)


def test_the_noise_allowance_stays_small_for_the_robust_quantities() -> None:
    """The seeds' noise must not swallow the test: the Ginis, shares and views per fan are
    judged at 10%."""
    noise = table()["noise"]
    for quantity in ("follower_gini", "exposure_gini", "ordinary_share", "views_per_fan_mean"):
        assert noise[quantity] < TOLERANCE, f"{quantity}: noise {noise[quantity]:.3f}"
