"""Typed stubs for the Rust extension `sim._core` (checked with mypy.stubtest)."""

from typing import final

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

def gini_int(values: npt.NDArray[np.int64]) -> float: ...
def gini_float(values: npt.NDArray[np.float64]) -> float: ...
def allocate_exposure(
    work_creator: npt.NDArray[np.int64],
    demand: npt.NDArray[np.int64],
    is_new: npt.NDArray[np.bool_],
    creator_ordinary: npt.NDArray[np.bool_],
    budget: int,
    gini_cap: float | None = None,
    ordinary_floor: float | None = None,
    method: str = "blend",
) -> tuple[npt.NDArray[np.int64], float, float, float, float, bool]: ...
def thread_count() -> int: ...
def fan_day(
    seed: int, day: int, activity: npt.NDArray[np.float32], commerce_share: float
) -> tuple[int, int, int, float, float]: ...
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
]: ...

@final
class Market:
    def __init__(self) -> None: ...
    def buyer_pairs(self) -> int: ...
    def buyers_of(self, creator: int) -> int: ...
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
    ]: ...
