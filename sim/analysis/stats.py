"""Confidence intervals across seeds: Student's t for the small samples sweeps and
comparisons use (a handful of seeds), so the bands are not too narrow."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

LEVEL = 0.95
"""The confidence level of every interval (two-sided)."""


def mean_ci(values: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% confidence interval (t-based); NaN bounds for fewer than 2 values.

    Non-finite values are left out. The half-width is t(0.975, n−1)·s/√n, with s the
    sample standard deviation and the quantile from :data:`scipy.stats.t`; values that
    are all equal give an interval of width zero.
    """
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(array.mean())
    if array.size < 2:
        return mean, math.nan, math.nan
    from scipy import stats  # type: ignore[import-untyped]  # heavy: only when needed

    quantile = float(stats.t.ppf(0.5 + LEVEL / 2, array.size - 1))
    half = quantile * float(stats.sem(array))
    return mean, mean - half, mean + half
