"""Checks that turn NumPy inputs into the exact arrays the Rust core accepts.

The core raises on bad values too; these checks exist so that every error names the
argument in plain words before any work starts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def _as_array(name: str, values: Any) -> npt.NDArray[Any]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(
            f"{name}: must be a 1-D array, got {array.ndim}-D with shape {array.shape}"
        )
    return array


def _typed_array(name: str, values: Any, dtype: type[np.generic]) -> npt.NDArray[Any]:
    array = _as_array(name, values)
    if array.size == 0 and array.dtype.kind == "f":  # np.array([]) is float64
        return np.zeros(0, dtype=dtype)
    if array.dtype != dtype:
        raise TypeError(f"{name}: must have dtype {np.dtype(dtype).name}, got {array.dtype}")
    return array


def int64_array(name: str, values: Any) -> npt.NDArray[np.int64]:
    """A 1-D int64 array; other dtypes are a TypeError (no silent float truncation)."""
    return _typed_array(name, values, np.int64)


def bool_array(name: str, values: Any) -> npt.NDArray[np.bool_]:
    """A 1-D bool array; integer 0/1 arrays are refused so that a mix-up shows."""
    return _typed_array(name, values, np.bool_)


def non_negative_values(name: str, values: Any) -> npt.NDArray[np.int64] | npt.NDArray[np.float64]:
    """Integers become int64 and floats float64; anything else is a TypeError."""
    array = _as_array(name, values)
    if array.dtype.kind in "iu":
        if array.dtype.kind == "u" and array.size and int(array.max()) > np.iinfo(np.int64).max:
            raise ValueError(f"{name}: values above 2**63 - 1 are not supported")
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "f":
        return array.astype(np.float64, copy=False)
    raise TypeError(f"{name}: must hold integers or floats, got dtype {array.dtype}")
