"""Helpers shared by several test modules: exact Gini oracles and error expectations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import pytest


def exact_gini_int(values: Sequence[int]) -> Fraction:
    """The population Gini of integers as an exact fraction (plain Python ints)."""
    s = sorted(values)
    n = len(s)
    total = sum(s)
    if n == 0 or total == 0:
        return Fraction(0)
    t = sum(i * v for i, v in enumerate(s, start=1))
    return Fraction(2 * t - (n + 1) * total, n * total)


def is_panic(exc: BaseException) -> bool:
    return any(cls.__name__ == "PanicException" for cls in type(exc).__mro__)


def expect_error(call: Callable[[], object], argname: str) -> BaseException:
    """``call`` must raise ValueError or TypeError naming ``argname``, never a panic."""
    try:
        call()
    except BaseException as exc:  # PanicException derives from BaseException
        assert not is_panic(exc), f"Rust panic leaked to Python: {exc!r}"
        assert isinstance(exc, ValueError | TypeError), f"wrong exception type: {exc!r}"
        assert argname in str(exc), f"message does not name {argname!r}: {exc}"
        return exc
    pytest.fail(f"no error raised (expected one naming {argname!r})")
