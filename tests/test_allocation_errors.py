"""Bad input to ``allocate_exposure`` and ``FairnessPolicy``: a ValueError or TypeError whose
message names the offending argument, never a Rust panic (``pyo3_runtime.PanicException``).
Read-only and non-contiguous arrays are valid input and give the same result as a copy."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from sim.allocation import Allocation, FairnessPolicy, allocate_exposure
from tests.helpers import expect_error, is_panic

I64 = npt.NDArray[np.int64]


def valid_args() -> dict[str, Any]:
    """A small valid round: 3 creators (0 and 2 ordinary), 5 works, budget over base."""
    return {
        "work_creator": np.array([0, 1, 1, 2, 0], dtype=np.int64),
        "demand": np.array([300, 5000, 7000, 100, 40], dtype=np.int64),
        "is_new": np.array([True, False, False, False, True]),
        "creator_ordinary": np.array([True, False, True]),
        "budget": 6000,
        "policy": FairnessPolicy(gini_cap=0.2, ordinary_floor=0.7),
    }


def _run(args: dict[str, Any]) -> Allocation:
    return allocate_exposure(
        args["work_creator"],
        args["demand"],
        args["is_new"],
        args["creator_ordinary"],
        args["budget"],
        args["policy"],
    )


def call_with(**overrides: Any) -> Allocation:
    return _run({**valid_args(), **overrides})


def test_valid_args_are_valid() -> None:
    """Guards the error tests below: without overrides the call succeeds."""
    out = call_with()
    assert out.impressions.sum() == 6000


BAD_ARRAYS: list[tuple[str, Any]] = [
    # work_creator
    ("work_creator", np.array([0.0, 1.0, 1.0, 2.0, 0.0])),
    ("work_creator", np.array([0, 1, 1, 2, 0], dtype=np.int32)),
    ("work_creator", np.array([True, False, False, True, True])),
    ("work_creator", np.array([0, 1, 1, 3, 0], dtype=np.int64)),  # out of range
    ("work_creator", np.array([0, 1, 1, 2, 10**12], dtype=np.int64)),  # far out of range
    ("work_creator", np.array([0, 1, -1, 2, 0], dtype=np.int64)),  # negative
    ("work_creator", np.array([0, 1, 1, 2], dtype=np.int64)),  # length 4 vs 5
    ("work_creator", np.array([[0, 1, 1, 2, 0]], dtype=np.int64)),  # 2-D
    ("work_creator", np.array([0, 1, 1, 2, 0], dtype=np.int64).reshape(5, 1)),
    # demand
    ("demand", np.array([300, 5000, 7000, 100, 40], dtype=np.int32)),
    ("demand", np.array([300.0, 5000.0, 7000.0, 100.0, 40.0])),
    ("demand", np.array([300.0, np.nan, 7000.0, 100.0, 40.0])),
    ("demand", np.array([300.0, np.inf, 7000.0, 100.0, 40.0])),
    ("demand", np.array([300, -5, 7000, 100, 40], dtype=np.int64)),
    ("demand", np.array([300, 5000, 7000, 100, np.iinfo(np.int64).min], dtype=np.int64)),
    ("demand", np.array([300, 5000, 7000, 100], dtype=np.int64)),
    ("demand", np.array([300, 5000, 7000, 100, 40, 1], dtype=np.int64)),
    ("demand", np.array([[300, 5000, 7000, 100, 40]], dtype=np.int64)),
    # is_new
    ("is_new", np.array([1, 0, 0, 0, 1], dtype=np.int64)),
    ("is_new", np.array([1.0, 0.0, 0.0, 0.0, 1.0])),
    ("is_new", np.array([True, False, False, False])),
    ("is_new", np.array([[True, False, False, False, True]])),
    # creator_ordinary
    ("creator_ordinary", np.array([1, 0, 1], dtype=np.int64)),
    ("creator_ordinary", np.array([[True, False, True]])),
]


@pytest.mark.parametrize(
    ("argname", "value"),
    BAD_ARRAYS,
    ids=[f"{name}-{i}" for i, (name, _) in enumerate(BAD_ARRAYS)],
)
def test_bad_array(argname: str, value: Any) -> None:
    expect_error(lambda: call_with(**{argname: value}), argname)


def test_creator_index_beyond_creator_ordinary_is_rejected() -> None:
    """creator_ordinary too short for the creator ids is an out-of-range creator index."""
    exc = expect_error(
        lambda: call_with(creator_ordinary=np.array([True, False])),
        "work_creator",
    )
    assert "creator_ordinary" in str(exc) or "range" in str(exc)


def test_demand_sum_past_int64_is_rejected_or_exact() -> None:
    """Demands summing past int64: either a clear error naming demand, or a correct
    allocation (exact conservation), never a silent wrap-around or a panic."""
    big = int(np.iinfo(np.int64).max // 2 + 1)
    demand = np.array([big, big, 1, 1, 1], dtype=np.int64)
    budget = 10**15
    try:
        out = call_with(demand=demand, budget=budget)
    except BaseException as exc:  # PanicException derives from BaseException
        assert not is_panic(exc), f"Rust panic leaked to Python: {exc!r}"
        assert isinstance(exc, ValueError | TypeError), f"wrong exception type: {exc!r}"
        assert "demand" in str(exc)
        return
    assert sum(out.impressions.tolist()) == budget
    assert bool(np.all(out.impressions >= 0))


@pytest.mark.parametrize(
    "budget",
    [-1, -(10**12), 1.5, 6000.5, float("nan"), float("inf"), "6000", None, 2**70],
    ids=["-1", "-1e12", "1.5", "6000.5", "nan", "inf", "str", "None", "2**70"],
)
def test_bad_budget(budget: Any) -> None:
    expect_error(lambda: call_with(budget=budget), "budget")


@pytest.mark.parametrize("policy", ["blend", {"gini_cap": 0.3}, 0.3, ("blend",)])
def test_bad_policy_object(policy: Any) -> None:
    expect_error(lambda: call_with(policy=policy), "policy")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gini_cap", 1.5),
        ("gini_cap", -0.1),
        ("gini_cap", float("nan")),
        ("gini_cap", float("inf")),
        ("gini_cap", "0.3"),
        ("ordinary_floor", -0.1),
        ("ordinary_floor", 1.0000001),
        ("ordinary_floor", float("nan")),
        ("ordinary_floor", float("-inf")),
        ("ordinary_floor", "0.7"),
        ("method", "foo"),
        ("method", "Blend"),
        ("method", ""),
        ("method", None),
    ],
)
def test_bad_policy_field(field: str, value: Any) -> None:
    expect_error(lambda: FairnessPolicy(**{field: value}), field)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"gini_cap": 0.0},
        {"gini_cap": 1.0},
        {"ordinary_floor": 0.0},
        {"ordinary_floor": 1.0},
        {"gini_cap": 0.3, "ordinary_floor": 0.7, "method": "cap"},
        {"gini_cap": 1, "ordinary_floor": 0},  # ints are fine numbers
    ],
)
def test_valid_policies_are_accepted(kwargs: dict[str, Any]) -> None:
    policy = FairnessPolicy(**kwargs)
    assert policy.method in ("blend", "cap")
    call_with(policy=policy)


def test_policy_defaults_and_frozen() -> None:
    policy = FairnessPolicy()
    assert policy.gini_cap is None
    assert policy.ordinary_floor is None
    assert policy.method == "blend"
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.gini_cap = 0.5  # type: ignore[misc]
    assert FairnessPolicy(gini_cap=0.3) == FairnessPolicy(gini_cap=0.3)
    assert hash(FairnessPolicy(gini_cap=0.3)) == hash(FairnessPolicy(gini_cap=0.3))


def test_numpy_integer_budget_is_accepted() -> None:
    assert np.array_equal(
        call_with(budget=np.int64(6000)).impressions, call_with(budget=6000).impressions
    )


# ------------------------------------------------------------ accepted array layouts


def _layouts(x: npt.NDArray[Any]) -> dict[str, npt.NDArray[Any]]:
    read_only = x.copy()
    read_only.setflags(write=False)
    strided = np.repeat(x, 2)[::2]
    reversed_twice = x[::-1].copy()[::-1]
    strided_ro = np.repeat(x, 3)[::3]
    strided_ro.setflags(write=False)
    for view in (strided, reversed_twice, strided_ro):
        assert not view.flags.c_contiguous or len(x) <= 1
    return {
        "read_only": read_only,
        "strided": strided,
        "reversed": reversed_twice,
        "strided_read_only": strided_ro,
    }


def _random_round(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_works, n_creators = 5000, 500
    ordinary = rng.random(n_creators) >= 0.05
    work_creator = rng.integers(0, n_creators, size=n_works, dtype=np.int64)
    is_new = rng.random(n_works) < 0.3
    demand = rng.integers(1, 20_000, size=n_works, dtype=np.int64)
    demand[~ordinary[work_creator]] *= 30
    demand[is_new] = 300
    return {
        "work_creator": work_creator,
        "demand": demand,
        "is_new": is_new,
        "creator_ordinary": ordinary,
        "budget": int(demand.sum() // 2),
        "policy": FairnessPolicy(gini_cap=0.3, ordinary_floor=0.7),
    }


ARRAY_ARGS = ("work_creator", "demand", "is_new", "creator_ordinary")


def _assert_same(a: Allocation, b: Allocation) -> None:
    assert a.impressions.tobytes() == b.impressions.tobytes()
    assert (a.gini_before, a.gini_after) == (b.gini_before, b.gini_after)
    assert (a.ordinary_share_before, a.ordinary_share_after) == (
        b.ordinary_share_before,
        b.ordinary_share_after,
    )
    assert a.feasible == b.feasible


@pytest.mark.parametrize("layout", ["read_only", "strided", "reversed", "strided_read_only"])
@pytest.mark.parametrize("argname", ARRAY_ARGS)
def test_layout_of_one_array_is_accepted(argname: str, layout: str) -> None:
    args = _random_round(seed=4)
    expected = _run(args)
    args[argname] = _layouts(args[argname])[layout]
    _assert_same(_run(args), expected)


@pytest.mark.parametrize("layout", ["read_only", "strided", "reversed", "strided_read_only"])
def test_layout_of_all_arrays_is_accepted(layout: str) -> None:
    args = _random_round(seed=5)
    expected = _run(args)
    for argname in ARRAY_ARGS:
        args[argname] = _layouts(args[argname])[layout]
    _assert_same(_run(args), expected)


def test_readonly_views_of_one_buffer_are_accepted() -> None:
    """Arrays that are views into a shared read-only buffer (as from np.load(mmap_mode))."""
    args = _random_round(seed=6)
    expected = _run(args)
    packed = np.stack([args["work_creator"], args["demand"]])  # (2, n), C order
    packed.setflags(write=False)
    args["work_creator"] = packed[0]
    args["demand"] = packed[1]
    col = np.asfortranarray(packed)  # rows of a Fortran array are strided
    args2 = dict(args, work_creator=col[0], demand=col[1])
    _assert_same(_run(args), expected)
    _assert_same(_run(args2), expected)
