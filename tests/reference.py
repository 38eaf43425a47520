"""Plain NumPy reference of the Rust core, step for step (see docs/allocation.md).

Slow and simple on purpose: integers use Python ints where products could overflow, and
floating-point sums run in the same order as in Rust (`np.cumsum` is sequential), so the
results are equal to the Rust kernel's exactly, not just close.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_ROUNDS = 16
MAX_NEWTON = 60
BISECTIONS = 40
NEWTON_MARGIN = 1e-9
ROUNDING_MARGIN = 1e-6


def gini_ref(values: Any) -> float:
    """Textbook Gini: exact integer sums for ints, sorted formula for floats."""
    array = np.asarray(values)
    n = array.size
    if n == 0:
        return 0.0
    if array.dtype.kind in "iu":
        ints = sorted(int(v) for v in array)
        int_total = sum(ints)
        if int_total == 0:
            return 0.0
        weighted = sum((i + 1) * v for i, v in enumerate(ints))
        return float(2 * weighted - (n + 1) * int_total) / float(n * int_total)
    x = np.sort(array.astype(np.float64))
    total = float(x.sum())
    if total <= 0.0:
        return 0.0
    coef = 2.0 * np.arange(1, n + 1) - n - 1
    return max(0.0, float((coef * x).sum()) / (n * total))


def _seq_sum(values: FloatArray) -> float:
    return float(np.cumsum(values)[-1]) if values.size else 0.0


def _cumulative_parts(amount: int, weights: list[int]) -> list[int]:
    total = sum(weights)
    parts, before, floor_before = [], 0, 0
    for w in weights:
        before += w
        floor_now = amount * before // total
        parts.append(floor_now - floor_before)
        floor_before = floor_now
    return parts


def _apportion_integer(amount: int, eligible: BoolArray, weights: IntArray) -> IntArray:
    out = np.zeros(eligible.size, dtype=np.int64)
    idx = np.flatnonzero(eligible)
    w = [int(x) for x in weights[idx]]
    if amount <= 0 or sum(w) == 0:
        return out
    out[idx] = _cumulative_parts(amount, w)
    return out


def _apportion_float(amount: int, weights: FloatArray) -> IntArray:
    n = weights.size
    if n == 0 or amount <= 0:
        return np.zeros(n, dtype=np.int64)
    total = _seq_sum(weights)
    if total <= 0.0:
        return np.array(_cumulative_parts(amount, [1] * n), dtype=np.int64)
    running = np.cumsum(weights)
    raw = np.floor((running / total) * float(amount) + 0.5)
    targets = np.minimum(np.maximum.accumulate(np.maximum(raw, 0.0).astype(np.int64)), amount)
    targets[-1] = amount
    return np.diff(np.concatenate([[0], targets])).astype(np.int64)


def _diagnostics(totals: IntArray, ordinary: BoolArray) -> tuple[float, float]:
    total = sum(int(t) for t in totals)
    ordinary_total = sum(int(t) for t in totals[ordinary])
    share = 0.0 if total == 0 else float(ordinary_total) / float(total)
    return gini_ref(totals), share


def _gini_and_slope(
    base: FloatArray, boost: FloatArray, direction: FloatArray, denom: float
) -> tuple[float, float]:
    totals = base + boost
    order = np.argsort(totals, kind="stable")
    n = totals.size
    coef = (2 * np.arange(n, dtype=np.int64) + 1 - n).astype(np.float64)
    level = _seq_sum(coef * totals[order])
    slope = _seq_sum(coef * direction[order])
    return level / denom, slope / denom


def _clipped(boost: FloatArray, ordinary: BoolArray, level: float) -> FloatArray:
    out = np.minimum(boost, level)
    for group in (False, True):
        members = ordinary == group
        if members.any():
            removed = _seq_sum(np.maximum(boost[members] - level, 0.0))
            out[members] += removed / members.sum()
    return out


def allocate_ref(
    work_creator: IntArray,
    demand: IntArray,
    is_new: BoolArray,
    creator_ordinary: BoolArray,
    budget: int,
    gini_cap: float | None = None,
    ordinary_floor: float | None = None,
    method: str = "blend",
) -> dict[str, Any]:
    """The allocation of DESIGN.md §4, computed the slow, obvious way."""
    work_creator = np.asarray(work_creator, dtype=np.int64)
    demand = np.asarray(demand, dtype=np.int64)
    is_new = np.asarray(is_new, dtype=np.bool_)
    creator_ordinary = np.asarray(creator_ordinary, dtype=np.bool_)
    n_creators = creator_ordinary.size
    new_total = sum(int(d) for d in demand[is_new])
    climb_total = sum(int(d) for d in demand[~is_new])
    shortage = budget <= new_total
    if shortage:
        impressions = _apportion_integer(budget, is_new, demand)
        base = impressions.copy()
        pool = 0
    else:
        rest = budget - new_total
        if rest >= climb_total:
            impressions = demand.copy()
        else:
            impressions = _apportion_integer(rest, ~is_new, demand)
            impressions[is_new] = demand[is_new]
        base = np.where(is_new, demand, 0)
        pool = min(rest, climb_total)

    def per_creator(values: IntArray) -> IntArray:
        out = np.zeros(n_creators, dtype=np.int64)
        np.add.at(out, work_creator, values)
        return out

    works = per_creator(np.ones_like(demand))
    base_c = per_creator(base)
    boost_c = per_creator(impressions - base)
    climb_c = per_creator(np.where(is_new, 0, demand))
    new_c = per_creator(np.where(is_new, demand, 0))
    active = np.flatnonzero(works > 0)
    ordinary = creator_ordinary[active]
    totals = base_c[active] + boost_c[active]
    gini_before, share_before = _diagnostics(totals, ordinary)
    total = sum(int(t) for t in totals)

    def cap_ok(g: float) -> bool:
        return gini_cap is None or g <= gini_cap

    def floor_ok(share: float) -> bool:
        return total == 0 or ordinary_floor is None or share >= ordinary_floor

    result = {
        "impressions": impressions,
        "gini_before": gini_before,
        "gini_after": gini_before,
        "ordinary_share_before": share_before,
        "ordinary_share_after": share_before,
        "feasible": cap_ok(gini_before) and floor_ok(share_before),
    }
    if pool == 0 or (cap_ok(gini_before) and floor_ok(share_before)):
        return result

    n = active.size
    base_f = base_c[active].astype(np.float64)
    plain_f = boost_c[active].astype(np.float64)
    n_ord = int(ordinary.sum())
    n_head = n - n_ord
    boost_ord = int(boost_c[active][ordinary].sum())
    base_ord = int(base_c[active][ordinary].sum())
    pool_f, total_f = float(pool), float(total)
    mean = pool_f / float(n)
    need_ord = None if ordinary_floor is None else ordinary_floor * total_f - float(base_ord)
    if n_ord == 0:
        target_ord = 0.0
    elif n_head == 0:
        target_ord = pool_f
    else:
        lower = -math.inf if need_ord is None else need_ord
        target_ord = min(max(max(float(n_ord) * mean, lower), 0.0), pool_f)
    target_head = pool_f - target_ord
    z_ord = target_ord / float(n_ord) if n_ord else 0.0
    z_head = target_head / float(n_head) if n_head else 0.0
    target = np.where(ordinary, z_ord, z_head)
    floor_binding = not floor_ok(share_before)
    if not floor_binding:
        s_floor = 0.0
    else:
        gap = target_ord - float(boost_ord)
        need = 0.0 if need_ord is None else need_ord
        s_floor = min(max((need - float(boost_ord)) / gap, 0.0), 1.0) if gap > 0.0 else 1.0
    direction = target - plain_f
    denom = float(n) * total_f

    def blended(s: float) -> FloatArray:
        return (1.0 - s) * plain_f + s * target

    def evaluate(s: float) -> tuple[float, float]:
        return _gini_and_slope(base_f, blended(s), direction, denom)

    def least_gini(lo: float, hi: float) -> float:
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            if evaluate(mid)[1] < 0.0:
                lo = mid
            else:
                hi = mid
        return lo if evaluate(lo)[0] <= evaluate(hi)[0] else hi

    def newton(start: float, tau: float) -> float:
        s = previous = start
        for _ in range(MAX_NEWTON):
            g, slope = evaluate(s)
            if g <= tau:
                return s
            if slope >= 0.0:
                return least_gini(previous, s)
            if s >= 1.0:
                return 1.0
            nxt = min(s + (tau - NEWTON_MARGIN - g) / slope, 1.0)
            if nxt <= s:
                return s
            previous, s = s, nxt
        return s

    def cap_level(boost: FloatArray, grouping: BoolArray, tau: float) -> float:
        zeros = np.zeros(n)

        def gini_at(level: float) -> float:
            return _gini_and_slope(base_f, _clipped(boost, grouping, level), zeros, denom)[0]

        top = max(0.0, float(boost.max()))
        if gini_at(top) <= tau:
            return top
        if gini_at(0.0) > tau:
            return 0.0
        ok, bad = 0.0, top
        for _ in range(BISECTIONS):
            mid = 0.5 * (ok + bad)
            if gini_at(mid) <= tau:
                ok = mid
            else:
                bad = mid
        return ok

    tau = math.inf if gini_cap is None else gini_cap - ROUNDING_MARGIN
    s = s_floor
    step = 1.0
    gini_after = share_after = 0.0
    for _ in range(MAX_ROUNDS):
        if method == "blend":
            if gini_cap is not None:
                s = newton(s, tau)
            boost = blended(s)
            ord_pool_f = (1.0 - s) * float(boost_ord) + s * target_ord
        else:
            grouping = ordinary if ordinary_floor is not None else np.ones(n, dtype=np.bool_)
            floored = blended(s_floor)
            level = math.inf if gini_cap is None else cap_level(floored, grouping, tau)
            boost = _clipped(floored, grouping, level)
            if ordinary_floor is not None:
                ord_pool_f = (1.0 - s_floor) * float(boost_ord) + s_floor * target_ord
            else:
                ord_pool_f = _seq_sum(boost[ordinary])
        if n_ord == 0:
            ord_pool = 0
        elif n_head == 0:
            ord_pool = pool
        else:
            ord_pool = math.ceil(ord_pool_f)
            if floor_binding:
                ord_pool = max(ord_pool, math.ceil(0.0 if need_ord is None else need_ord) + 1)
            ord_pool = min(max(ord_pool, 0), pool)
        creator_boost = np.zeros(n_creators, dtype=np.int64)
        for group, group_pool in ((True, ord_pool), (False, pool - ord_pool)):
            members = np.flatnonzero(ordinary == group)
            creator_boost[active[members]] = _apportion_float(group_pool, boost[members])
        impressions = _split_over_works(
            work_creator, demand, is_new, creator_boost, climb_c, new_c, works
        )
        totals = base_c[active] + creator_boost[active]
        gini_after, share_after = _diagnostics(totals, ordinary)
        if cap_ok(gini_after):
            break
        step *= 2.0
        tau -= step * (gini_after - (1.0 if gini_cap is None else gini_cap)) + 1e-12
    result.update(
        impressions=impressions,
        gini_after=gini_after,
        ordinary_share_after=share_after,
        feasible=cap_ok(gini_after) and floor_ok(share_after),
    )
    return result


def _split_over_works(
    work_creator: IntArray,
    demand: IntArray,
    is_new: BoolArray,
    creator_boost: IntArray,
    climb_c: IntArray,
    new_c: IntArray,
    works: IntArray,
) -> IntArray:
    impressions = np.where(is_new, demand, 0).astype(np.int64)
    running: dict[int, int] = {}
    for i, c in enumerate(work_creator.tolist()):
        if climb_c[c] > 0:
            weight, total = (0 if is_new[i] else int(demand[i])), int(climb_c[c])
        elif new_c[c] > 0:
            weight, total = (int(demand[i]) if is_new[i] else 0), int(new_c[c])
        else:
            weight, total = 1, int(works[c])
        if weight > 0:
            before = running.get(c, 0)
            k = int(creator_boost[c])
            impressions[i] += k * (before + weight) // total - k * before // total
            running[c] = before + weight
    return impressions
