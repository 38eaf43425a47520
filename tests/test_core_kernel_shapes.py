"""The allocation kernel at the edges of its shapes: rounds of one chunk of works (run on
the calling thread) and of several, creators in one block (up to 2^16) and in many, and
the demand limit of 2^47 impressions per work. Every result equals the NumPy reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim import _core
from sim.allocation import FairnessPolicy, allocate_exposure
from tests.helpers import expect_error
from tests.reference import allocate_ref
from tests.rounds import realistic_round

CHUNK = 1 << 16  # ecosim_core::chunks::CHUNK
DEMAND_LIMIT = 1 << 47  # ecosim_core::blocks::DEMAND_LIMIT


@pytest.mark.parametrize(
    ("n_works", "works_per_creator", "method"),
    [
        (CHUNK, 1.3, "blend"),  # one chunk, one block (about the model's shape)
        (CHUNK + 1, 1.3, "blend"),  # two chunks
        (90_000, 1.2, "blend"),  # more than 2^16 creators: several blocks
        (3_000, 1.3, "cap"),  # the reference's cap bisection is slow on larger rounds
    ],
)
def test_kernel_equals_the_reference_across_shapes(
    n_works: int, works_per_creator: float, method: str
) -> None:
    work_creator, demand, is_new, ordinary, budget = realistic_round(
        n_works, seed=n_works, works_per_creator=works_per_creator
    )
    args: tuple[Any, ...] = (work_creator, demand, is_new, ordinary, budget, 0.3, 0.7, method)
    impressions, g0, g1, s0, s1, feasible = _core.allocate_exposure(*args)
    ref = allocate_ref(*args)
    assert np.array_equal(impressions, ref["impressions"])
    assert (g0, g1, s0, s1, feasible) == (
        ref["gini_before"],
        ref["gini_after"],
        ref["ordinary_share_before"],
        ref["ordinary_share_after"],
        ref["feasible"],
    )


def test_search_from_the_plain_order_equals_the_reference() -> None:
    """The floor already holds, so the blend search starts at s = 0 from the plain
    totals' order (the model's usual case)."""
    work_creator, demand, is_new, ordinary, budget = realistic_round(20_000, seed=7)
    args: tuple[Any, ...] = (work_creator, demand, is_new, ordinary, budget, 0.3, 0.2)
    impressions, g0, g1, s0, s1, _ = _core.allocate_exposure(*args)
    ref = allocate_ref(*args)
    assert s0 >= 0.2 and g0 > 0.3
    assert np.array_equal(impressions, ref["impressions"])
    assert (g0, g1, s1) == (ref["gini_before"], ref["gini_after"], ref["ordinary_share_after"])


def _round(demand: list[int]) -> dict[str, Any]:
    n = len(demand)
    return {
        "work_creator": np.arange(n, dtype=np.int64) % 2,
        "demand": np.array(demand, dtype=np.int64),
        "is_new": np.zeros(n, dtype=np.bool_),
        "creator_ordinary": np.array([True, False]),
        "budget": 10**15,
        "policy": FairnessPolicy(gini_cap=0.1, ordinary_floor=0.7),
    }


@pytest.mark.parametrize("big", [DEMAND_LIMIT, DEMAND_LIMIT + 1, int(np.iinfo(np.int64).max)])
def test_a_demand_of_2_47_or_more_is_refused_naming_demand(big: int) -> None:
    args = _round([5, big, 7])
    exc = expect_error(lambda: allocate_exposure(**args), "demand")
    assert "2**47" in str(exc) and "index 1" in str(exc)


def test_a_demand_just_below_2_47_is_allocated_exactly() -> None:
    args = _round([DEMAND_LIMIT - 1, DEMAND_LIMIT - 1, 12345])
    args["budget"] = 2 * 10**14  # above one demand, below the total
    out = allocate_exposure(**args)
    assert int(out.impressions.sum()) == 2 * 10**14
    assert bool(np.all(out.impressions >= 0))
