"""Tests of the concentration metrics in ``sim.fairness``: gini, lorenz, top_share.

The oracle is the textbook formula evaluated in exact rational arithmetic
(``fractions.Fraction``): with values sorted ascending s_1..s_n, total S and
T = sum_i i * s_i, G = (2T - (n + 1) S) / (n S), which equals the population formula
sum_i sum_j |x_i - x_j| / (2 n^2 mean).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.fairness import gini, lorenz, top_share
from tests.helpers import exact_gini_int, expect_error
from tests.reference import gini_ref

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

INT64_MAX = int(np.iinfo(np.int64).max)


# ----------------------------------------------------------------------------- oracles


def exact_gini(values: Sequence[int] | Sequence[float]) -> Fraction:
    """Gini by the sorted formula, in exact rational arithmetic (floats are exact too)."""
    s = sorted(Fraction(v) for v in values)
    n = len(s)
    total = sum(s, Fraction(0))
    if n == 0 or total == 0:
        return Fraction(0)
    t = sum((i * v for i, v in enumerate(s, start=1)), Fraction(0))
    return (2 * t - (n + 1) * total) / (n * total)


def pairwise_gini(values: Sequence[int]) -> Fraction:
    """Population formula sum_i sum_j |x_i - x_j| / (2 n^2 mean), O(n^2), exact."""
    n = len(values)
    total = sum(values)
    if n == 0 or total == 0:
        return Fraction(0)
    diff = sum(abs(a - b) for a in values for b in values)
    return Fraction(diff, 2 * n * total)


def ulps_apart(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(max(abs(a), abs(b), 1e-300))


# ------------------------------------------------------------------------- strategies

small_ints = st.lists(st.integers(0, 10**6), max_size=200)
big_ints = st.lists(st.integers(0, 10**12), max_size=200)
extreme_ints = st.lists(
    st.one_of(st.integers(0, INT64_MAX), st.just(INT64_MAX), st.just(0)), max_size=40
)
non_negative_floats = st.lists(
    st.floats(
        min_value=0.0,
        max_value=1e12,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    ),
    max_size=300,
)


def i64(values: Sequence[int]) -> I64:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def f64(values: Sequence[float]) -> F64:
    return np.asarray(values, dtype=np.float64).reshape(-1)


# -------------------------------------------------------------------------- textbook


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 1, 1, 1], 0.0),
        ([0, 0, 0, 1], 0.75),
        ([0, 0, 1], 2 / 3),
        ([1, 2, 3, 4], 0.25),
        ([5], 0.0),
        ([0, 7], 0.5),
        ([3, 0, 0, 0, 0], 0.8),
    ],
)
def test_gini_textbook_values(values: list[int], expected: float) -> None:
    assert float(pairwise_gini(values)) == expected  # the oracle itself
    assert gini(i64(values)) == expected
    assert gini(f64([float(v) for v in values])) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_gini_empty_and_all_zero_is_zero(dtype: type[np.generic]) -> None:
    assert gini(np.zeros(0, dtype=dtype)) == 0.0
    assert gini(np.zeros(1, dtype=dtype)) == 0.0
    assert gini(np.zeros(1000, dtype=dtype)) == 0.0


def test_gini_returns_python_float() -> None:
    assert type(gini(i64([1, 2, 3]))) is float
    assert type(gini(f64([1.0, 2.0, 3.0]))) is float


def test_gini_accepts_python_list() -> None:
    assert gini([0, 0, 0, 1]) == 0.75
    assert gini([0.0, 0.0, 0.0, 1.0]) == 0.75


# ----------------------------------------------------------------------- properties


@given(small_ints)
def test_gini_sorted_formula_equals_population_formula(values: list[int]) -> None:
    """The oracle's two textbook forms agree (guards the oracle), and gini hits both."""
    values = values[:60]
    assert exact_gini_int(values) == pairwise_gini(values)
    assert gini(i64(values)) == float(pairwise_gini(values))


@given(small_ints)
def test_gini_int_is_exact(values: list[int]) -> None:
    # n * S < 2**53 here, so the correctly rounded quotient is the only acceptable answer.
    assert gini(i64(values)) == float(exact_gini_int(values))


@given(big_ints)
def test_gini_int_large_values(values: list[int]) -> None:
    expected = float(exact_gini_int(values))
    got = gini(i64(values))
    assert ulps_apart(got, expected) <= 2.0, (got, expected)


@given(extreme_ints)
def test_gini_int_near_int64_max_does_not_overflow(values: list[int]) -> None:
    """Sums of int64 values overflow 64-bit accumulators; the result must still be right."""
    expected = float(exact_gini_int(values))
    got = gini(i64(values))
    assert abs(got - expected) <= 1e-15, (got, expected)


def test_gini_int_large_population_does_not_overflow() -> None:
    """T = sum i * s_i ~ n^2 / 2 * 1e12 is far beyond 2**64 for n = 200_000."""
    rng = np.random.default_rng(7)
    values = rng.integers(0, 10**12, size=200_000, dtype=np.int64)
    values[:1000] = 10**12  # a spike, so that the values are far from uniform
    expected = float(exact_gini_int(values.tolist()))
    got = gini(values)
    assert abs(got - expected) <= 1e-15, (got, expected)


@given(non_negative_floats)
def test_gini_float_matches_exact_textbook(values: list[float]) -> None:
    expected = float(exact_gini(values))
    got = gini(f64(values))
    assert abs(got - expected) <= 1e-12, (got, expected)


def test_gini_float_large_population() -> None:
    rng = np.random.default_rng(11)
    values = rng.lognormal(mean=5.0, sigma=2.0, size=20_000)
    expected = float(exact_gini(values.tolist()))
    assert abs(gini(values) - expected) <= 1e-12


@given(small_ints, st.integers(1, 1000), st.randoms(use_true_random=False))
def test_gini_int_invariances(values: list[int], k: int, rnd: Any) -> None:
    x = i64(values)
    g = gini(x)
    assert 0.0 <= g < 1.0
    assert gini(x * k) == g  # scale invariance: same rational, same float
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert gini(i64(shuffled)) == g
    # Integer and float input of the same (exactly representable) values agree.
    assert abs(gini(x.astype(np.float64)) - g) <= 1e-12


@given(non_negative_floats, st.randoms(use_true_random=False))
def test_gini_float_permutation_invariant(values: list[float], rnd: Any) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert gini(f64(shuffled)) == gini(f64(values))


def test_gini_more_equal_is_lower() -> None:
    """A transfer from richer to poorer (Pigou-Dalton) strictly lowers the Gini."""
    x = i64([1, 5, 10, 40])
    y = i64([1, 5, 15, 35])
    assert gini(y) < gini(x)


# ---------------------------------------------------------------------- vs reference


@given(big_ints)
def test_gini_int_equals_reference(values: list[int]) -> None:
    x = i64(values)
    assert gini(x) == gini_ref(x)


@given(non_negative_floats)
def test_gini_float_matches_reference(values: list[float]) -> None:
    x = f64(values)
    assert abs(gini(x) - gini_ref(x)) <= 1e-12


def test_gini_int_equals_reference_large() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 300_000, size=1_000_000, dtype=np.int64)
    assert gini(x) == gini_ref(x)


# ----------------------------------------------------------- memory layout of input


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_gini_read_only_and_strided_input(dtype: type[np.generic]) -> None:
    rng = np.random.default_rng(5)
    base = rng.integers(0, 10_000, size=5001).astype(dtype)
    expected = gini(base.copy())

    read_only = base.copy()
    read_only.setflags(write=False)
    assert gini(read_only) == expected

    strided = np.repeat(base, 2)[::2]
    assert not strided.flags.c_contiguous
    assert gini(strided) == expected

    reversed_view = base[::-1].copy()[::-1]
    assert reversed_view.strides[0] < 0
    assert gini(reversed_view) == expected

    strided_ro = np.repeat(base, 3)[::3]
    strided_ro.setflags(write=False)
    assert gini(strided_ro) == expected


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.array([1.0, np.nan, 2.0]), id="nan"),
        pytest.param(np.array([1.0, np.inf]), id="inf"),
        pytest.param(np.array([1.0, -np.inf]), id="-inf"),
        pytest.param(np.array([1.0, -0.5]), id="negative-float"),
        pytest.param(np.array([3, -1, 2], dtype=np.int64), id="negative-int"),
        pytest.param(np.ones((3, 4), dtype=np.int64), id="2d-int"),
        pytest.param(np.ones((2, 2)), id="2d-float"),
        pytest.param(np.array(["a", "b"]), id="strings"),
        pytest.param(["a", "b"], id="string-list"),
        pytest.param(np.array([1, 2], dtype=object), id="object"),
    ],
)
def test_gini_bad_input(values: object) -> None:
    expect_error(lambda: gini(values), "values")


def test_gini_scalar_is_rejected() -> None:
    expect_error(lambda: gini(np.float64(3.0)), "values")


# ---------------------------------------------------------------------------- lorenz


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=100).filter(lambda v: sum(v) > 0))
def test_lorenz_shape_endpoints_and_convexity(values: list[int]) -> None:
    pop, val = lorenz(i64(values))
    assert pop.shape == (101,) and val.shape == (101,)
    assert pop[0] == 0.0 and pop[-1] == pytest.approx(1.0, abs=1e-15)
    assert val[0] == 0.0 and val[-1] == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(pop) > 0)
    assert np.all(np.diff(val) >= -1e-15)
    # Below the line of equality, and convex: the increments do not decrease.
    assert np.all(val <= pop + 1e-12)
    assert np.all(np.diff(val, n=2) >= -1e-12)


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=60).filter(lambda v: sum(v) > 0))
def test_lorenz_on_the_knots_gives_the_gini(values: list[int]) -> None:
    """With points = n + 1 the grid sits on the knots k/n of the Lorenz curve, where
    every definition agrees: L(k/n) = (sum of the k smallest) / S, and
    Gini = 1 - 2 * trapezoid area under it."""
    n = len(values)
    pop, val = lorenz(i64(values), points=n + 1)
    s = sorted(values)
    total = sum(s)
    expected = np.array([sum(s[:k]) / total for k in range(n + 1)])
    np.testing.assert_allclose(pop, np.arange(n + 1) / n, rtol=0, atol=1e-15)
    np.testing.assert_allclose(val, expected, rtol=0, atol=1e-12)
    area = float(np.sum((val[1:] + val[:-1]) * np.diff(pop)) / 2)
    assert abs((1 - 2 * area) - gini(i64(values))) <= 1e-12


def test_lorenz_equal_values_is_the_diagonal() -> None:
    pop, val = lorenz(np.full(37, 4.5), points=11)
    np.testing.assert_allclose(val, pop, rtol=0, atol=1e-12)


def test_lorenz_points_parameter() -> None:
    pop, val = lorenz(i64([1, 2, 3]), points=5)
    assert pop.shape == (5,) and val.shape == (5,)


# ------------------------------------------------------------------------- top_share


@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=100).filter(lambda v: sum(v) > 0),
    st.data(),
)
def test_top_share_integer_counts(values: list[int], data: st.DataObject) -> None:
    n = len(values)
    k = data.draw(st.integers(1, n))
    expected = sum(sorted(values, reverse=True)[:k]) / sum(values)
    assert abs(top_share(i64(values), k / n) - expected) <= 1e-12


def test_top_share_examples() -> None:
    x = i64([1, 1, 1, 1, 6])  # total 10
    assert top_share(x, 0.2) == pytest.approx(0.6, abs=1e-15)
    assert top_share(x, 1.0) == pytest.approx(1.0, abs=1e-15)
    assert top_share(x, 0.01) == pytest.approx(0.6, abs=1e-15)  # at least one entry
    assert top_share(f64([2.0, 2.0, 2.0, 2.0]), 0.5) == pytest.approx(0.5, abs=1e-15)


def test_top_share_is_monotone_in_fraction() -> None:
    rng = np.random.default_rng(1)
    x = rng.lognormal(3.0, 1.5, size=999)
    shares = [top_share(x, float(f)) for f in np.linspace(0.001, 1.0, 57)]
    assert all(b >= a - 1e-15 for a, b in itertools.pairwise(shares))
    assert shares[-1] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5, float("nan")])
def test_top_share_bad_fraction(fraction: float) -> None:
    expect_error(lambda: top_share(i64([1, 2, 3]), fraction), "fraction")


def test_lorenz_bad_points() -> None:
    expect_error(lambda: lorenz(i64([1, 2, 3]), points=1), "points")


def test_top_share_of_nothing_is_zero() -> None:
    assert top_share(np.zeros(0, dtype=np.int64), 0.1) == 0.0
    assert top_share(np.zeros(10, dtype=np.int64), 0.1) == 0.0
