"""Typed stubs for the Rust extension `sim._core` (checked with mypy.stubtest)."""

import numpy as np
import numpy.typing as npt

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
