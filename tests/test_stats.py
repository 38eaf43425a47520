"""Confidence intervals across seeds: the true Student's t quantile at every sample size."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped]

from sim.analysis.stats import mean_ci


@pytest.mark.parametrize("dof", [1, 2, 5, 29, 30, 31, 100])
def test_half_width_uses_the_true_t_quantile(dof: int) -> None:
    values = np.random.default_rng(dof).normal(10.0, 3.0, size=dof + 1)
    mean, low, high = mean_ci(values)
    quantile = stats.t.ppf(0.975, dof)
    half = quantile * values.std(ddof=1) / math.sqrt(values.size)
    assert mean == pytest.approx(values.mean(), rel=1e-12)
    assert (high - low) / 2 == pytest.approx(half, rel=1e-9)
    assert (mean - low, high - mean) == pytest.approx((half, half), rel=1e-9)


def test_the_quantile_falls_with_every_added_seed() -> None:
    """At the same spread, one more seed always gives a smaller t (a hand-written table
    once gave 1.976 at 31 degrees of freedom, below its 2.042 at 30)."""
    widths = []
    for size in range(2, 40):
        values = np.array([0.0, 1.0] * (size // 2) + [0.5] * (size % 2))
        values = (values - values.mean()) / values.std(ddof=1)  # s = 1 at every size
        _, low, high = mean_ci(values)
        widths.append((high - low) * math.sqrt(size))  # 2·t(0.975, size−1)
    assert widths[30] / 2 == pytest.approx(2.0395, abs=1e-4)  # 31 degrees of freedom
    assert all(later < earlier for earlier, later in itertools.pairwise(widths))


def test_degenerate_samples() -> None:
    assert all(math.isnan(x) for x in mean_ci([]))
    assert all(math.isnan(x) for x in mean_ci([math.nan, math.inf]))
    mean, low, high = mean_ci([2.5, math.nan])
    assert mean == 2.5 and math.isnan(low) and math.isnan(high)
    assert mean_ci([4.0, 4.0, 4.0]) == (4.0, 4.0, 4.0)
    assert mean_ci([1.0, 3.0, math.nan]) == pytest.approx(mean_ci([1.0, 3.0]))
