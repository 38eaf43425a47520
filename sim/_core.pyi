"""The Rust kernels of ecosim (traffic allocation, Gini, viewing and buying), wrapped by
`sim.allocation`, `sim.fairness` and the model's steps.

Typed stubs for the extension `sim._core` (checked with ``mypy.stubtest``). Every function
checks its arrays and raises ``ValueError`` naming the argument; read-only arrays are used
in place, strided ones are copied.
"""

from typing import Literal, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Market",
    "allocate_exposure",
    "fan_day",
    "gini_float",
    "gini_int",
    "thread_count",
    "view_works",
]

def gini_int(values: npt.NDArray[np.int64]) -> float:
    """Gini coefficient of non-negative 64-bit integers, from exact integer sums."""

def gini_float(values: npt.NDArray[np.float64]) -> float:
    """Gini coefficient of non-negative finite floats (the same bits for any thread
    count)."""

def allocate_exposure(
    work_creator: npt.NDArray[np.int64],
    demand: npt.NDArray[np.int64],
    is_new: npt.NDArray[np.bool_],
    creator_ordinary: npt.NDArray[np.bool_],
    budget: int,
    gini_cap: float | None = None,
    ordinary_floor: float | None = None,
    method: Literal["blend", "cap"] = "blend",
) -> tuple[npt.NDArray[np.int64], float, float, float, float, bool]:
    """One round of traffic allocation under a fairness policy (docs/allocation.md).

    Returns ``(impressions, gini_before, gini_after, ordinary_share_before,
    ordinary_share_after, feasible)``. Each demand must be below 2**47 and their total at
    most 2**63 - 1; creator indices must lie in ``[0, len(creator_ordinary))``.
    """

def thread_count() -> int:
    """Number of threads in the kernels' pool (``RAYON_NUM_THREADS`` or the core
    count)."""

def fan_day(
    seed: int, day: int, activity: npt.NDArray[np.float32], commerce_share: float
) -> tuple[int, int, int, float, float]:
    """Today's views per fan and commerce reach, keyed by (seed, day, fan):
    ``(views, reached, active, median_views, mean_views)``."""

def view_works(
    seed: int,
    day: int,
    work_uid: npt.NDArray[np.int64],
    impressions: npt.NDArray[np.int64],
    p_view: npt.NDArray[np.float64],
    follow_views: npt.NDArray[np.float64],
    engage_rate: npt.NDArray[np.float64],
    follow_rate: npt.NDArray[np.float64],
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
]:
    """Views, engagement and follows per work, keyed by (seed, day, work_uid):
    ``(views_discovery, views_follow, engaged, follows)``."""

@final
class Market:
    """The buying step with its memory of who bought from whom (repeat purchases)."""

    def __init__(self) -> None:
        """An empty memory of buyers."""

    def buyer_pairs(self) -> int:
        """Number of distinct (creator, fan) buyer pairs remembered."""

    def buyers_of(self, creator: int) -> int:
        """Number of distinct past buyers of one creator."""

    def buy(
        self,
        seed: int,
        day: int,
        work_uid: npt.NDArray[np.int64],
        work_creator: npt.NDArray[np.int64],
        work_category: npt.NDArray[np.int64],
        views_discovery: npt.NDArray[np.int64],
        views_follow: npt.NDArray[np.int64],
        p_discovery: npt.NDArray[np.float64],
        p_follow: npt.NDArray[np.float64],
        price: npt.NDArray[np.float64],
        reference_price: npt.NDArray[np.float64],
        repeat_share: npt.NDArray[np.float64],
        pool_offsets: npt.NDArray[np.int64],
        fan_pool: npt.NDArray[np.int64],
        fan_sensitivity: npt.NDArray[np.float32],
        capacity_left: npt.NDArray[np.int64],
        fan_budget: npt.NDArray[np.float64],
    ) -> tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.bool_],
        npt.NDArray[np.bool_],
    ]:
        """Turn today's views into orders: ``(fan, work, price, repeat, from_follow)`` per
        order. ``capacity_left`` and ``fan_budget`` are updated in place."""
