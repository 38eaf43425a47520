"""Inequality measures of exposure, followers and income: Gini, Lorenz curve, top shares.

The Gini is computed in the Rust core (exact for integers); the Lorenz curve and top shares
are cheap NumPy on top of one sort.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from sim import _core
from sim.arrays import non_negative_values


def _checked(values: Any) -> npt.NDArray[np.int64] | npt.NDArray[np.float64]:
    array = non_negative_values("values", values)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError("values: must be finite (found NaN or inf)")
    if array.size and array.min() < 0:
        raise ValueError("values: must be non-negative")
    return array


def gini(values: Any) -> float:
    """Gini coefficient of non-negative values; 0.0 when empty or all zero.

    Parameters
    ----------
    values : array_like
        1-D integers (exact result) or floats.

    Returns
    -------
    float
        ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)``, between 0 (equal) and (n-1)/n.

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 1])
    0.75
    """
    # The kernels check for negative and non-finite values in the pass they make anyway.
    array = non_negative_values("values", values)
    if array.dtype == np.int64:
        return _core.gini_int(np.ascontiguousarray(array, dtype=np.int64))
    return _core.gini_float(np.ascontiguousarray(array, dtype=np.float64))


def lorenz(
    values: Any, points: int = 101
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Lorenz curve: (population share, value share) at `points` evenly spaced shares.

    Examples
    --------
    >>> pop, share = lorenz([1, 1, 2], points=3)
    >>> [round(float(x), 3) for x in share]
    [0.0, 0.375, 1.0]
    """
    if points < 2:
        raise ValueError(f"points: must be at least 2, got {points}")
    array = np.sort(_checked(values).astype(np.float64))
    population = np.linspace(0.0, 1.0, points)
    if array.size == 0 or array.sum() == 0:
        return population, population.copy()
    cumulative = np.concatenate([[0.0], np.cumsum(array)]) / array.sum()
    positions = np.linspace(0.0, array.size, array.size + 1) / array.size
    return population, np.interp(population, positions, cumulative)


def top_shares(values: Any, fractions: tuple[float, ...]) -> list[float]:
    """Top shares for several fractions from one sort (see `top_share`)."""
    for fraction in fractions:
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"fraction: must be in (0, 1], got {fraction}")
    array = np.sort(_checked(values).astype(np.float64))[::-1]
    total = float(array.sum())
    if array.size == 0 or total == 0.0:
        return [0.0 for _ in fractions]
    cumulative = np.cumsum(array)
    return [float(cumulative[max(1, round(f * array.size)) - 1] / total) for f in fractions]


def top_share(values: Any, fraction: float) -> float:
    """Share of the total held by the top `fraction` of entries (at least one entry).

    Examples
    --------
    >>> top_share([1, 1, 1, 7], 0.25)
    0.7
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction: must be in (0, 1], got {fraction}")
    array = _checked(values).astype(np.float64)
    total = float(array.sum())
    if array.size == 0 or total == 0.0:
        return 0.0
    k = max(1, round(fraction * array.size))
    top = np.partition(array, array.size - k)[array.size - k :]
    return float(top.sum() / total)
