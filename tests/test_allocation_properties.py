"""Property tests of ``sim.allocation.allocate_exposure`` (DESIGN.md section 4, invariants 1-7).

Every check recomputes what it needs from the returned impressions with exact integer /
rational arithmetic, so a test never trusts the diagnostics it is checking. Inputs are
drawn to cover the edge cases: no works, one creator, all or no ordinary creators,
budget 0, budget below / at / above the base layer and the total demand, values up to
10^12, creators with no climbing works, works with zero demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume, example, given, note
from hypothesis import strategies as st

from sim.allocation import Allocation, FairnessPolicy, allocate_exposure
from tests.helpers import exact_gini_int
from tests.reference import allocate_ref
from tests.rounds import Round, realistic_round

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

PLAIN = FairnessPolicy()
Method = Literal["blend", "cap"]
METHODS: tuple[Method, ...] = ("blend", "cap")
TOL = 1e-12


# ----------------------------------------------------------------------- the input


@dataclass(frozen=True)
class Case(Round):
    @property
    def total_demand(self) -> int:
        return sum(self.demand.tolist())

    @property
    def base_demand(self) -> int:
        """Demand of the base layer: the new works."""
        return sum(self.demand[self.is_new].tolist())

    @property
    def climbing_demand(self) -> int:
        return sum(self.demand[~self.is_new].tolist())

    @property
    def covers_base(self) -> bool:
        return self.budget >= self.base_demand

    def run(self, policy: FairnessPolicy) -> Allocation:
        return allocate_exposure(
            self.work_creator,
            self.demand,
            self.is_new,
            self.creator_ordinary,
            self.budget,
            policy,
        )

    def __repr__(self) -> str:  # readable Hypothesis failure reports
        return (
            f"Case(work_creator=np.array({self.work_creator.tolist()}, dtype=np.int64), "
            f"demand=np.array({self.demand.tolist()}, dtype=np.int64), "
            f"is_new=np.array({self.is_new.tolist()}), "
            f"creator_ordinary=np.array({self.creator_ordinary.tolist()}), "
            f"budget={self.budget})"
        )


def make_case(
    work_creator: list[int],
    demand: list[int],
    is_new: list[bool],
    creator_ordinary: list[bool],
    budget: int,
) -> Case:
    return Case(
        np.array(work_creator, dtype=np.int64),
        np.array(demand, dtype=np.int64),
        np.array(is_new, dtype=np.bool_),
        np.array(creator_ordinary, dtype=np.bool_),
        budget,
    )


# ------------------------------------------------------------------------- oracles


def per_creator(case: Case, values: I64) -> list[int]:
    """Exact per-creator sums (Python ints, no float weights)."""
    out = [0] * case.n_creators
    for c, v in zip(case.work_creator.tolist(), values.tolist(), strict=True):
        out[c] += v
    return out


def active(case: Case) -> list[bool]:
    out = [False] * case.n_creators
    for c in case.work_creator.tolist():
        out[c] = True
    return out


def creator_gini(case: Case, impressions: I64) -> Fraction:
    """Gini of per-creator impressions over the creators with at least one work."""
    totals = per_creator(case, impressions)
    return exact_gini_int([t for t, a in zip(totals, active(case), strict=True) if a])


def ordinary_share(case: Case, impressions: I64) -> Fraction:
    total = sum(impressions.tolist())
    if total == 0:
        return Fraction(0)
    ordinary_works = case.creator_ordinary[case.work_creator]
    return Fraction(sum(impressions[ordinary_works].tolist()), total)


def meets(case: Case, impressions: I64, policy: FairnessPolicy) -> bool:
    """Does this allocation meet the policy's constraints (exactly)?"""
    if policy.gini_cap is not None and creator_gini(case, impressions) > Fraction(policy.gini_cap):
        return False
    total = sum(impressions.tolist())
    return not (
        policy.ordinary_floor is not None
        and total > 0
        and ordinary_share(case, impressions) < Fraction(policy.ordinary_floor)
    )


def boost_part(case: Case, impressions: I64) -> list[int]:
    """Per creator: impressions minus its base part (the demand of its new works)."""
    totals = per_creator(case, impressions)
    base = per_creator(case, np.where(case.is_new, case.demand, 0))
    return [t - b for t, b in zip(totals, base, strict=True)]


# ----------------------------------------------------------------------- strategies

fraction_or_none = st.one_of(
    st.none(), st.sampled_from([0.0, 1.0]), st.floats(min_value=0.0, max_value=1.0)
)
policies = st.builds(
    FairnessPolicy,
    gini_cap=fraction_or_none,
    ordinary_floor=fraction_or_none,
    method=st.sampled_from(METHODS),
)
active_policies = st.builds(
    FairnessPolicy,
    gini_cap=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0)),
    ordinary_floor=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0)),
    method=st.sampled_from(METHODS),
)


@st.composite
def cases(
    draw: st.DrawFn,
    max_works: int = 60,
    max_creators: int = 25,
    allow_new: bool = True,
    min_demand: int = 0,
) -> Case:
    n_creators = draw(st.integers(1, max_creators))
    n_works = draw(st.integers(0, max_works))
    scale = draw(st.sampled_from([10, 1000, 10**6, 10**12]))
    scale = max(scale, min_demand)
    ordinary_mode = draw(st.sampled_from(["mixed", "mixed", "all", "none"]))
    if ordinary_mode == "mixed":
        ordinary = draw(st.lists(st.booleans(), min_size=n_creators, max_size=n_creators))
    else:
        ordinary = [ordinary_mode == "all"] * n_creators
    # A few creators own most works (as on the platform); all creator ids are valid.
    weights = draw(st.lists(st.integers(1, 20), min_size=n_creators, max_size=n_creators))
    work_creator = draw(
        st.lists(
            st.sampled_from([c for c, w in enumerate(weights) for _ in range(w)]),
            min_size=n_works,
            max_size=n_works,
        )
    )
    if allow_new:
        new_rate = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
        is_new = [draw(st.floats(0, 1)) < new_rate for _ in range(n_works)]
    else:
        is_new = [False] * n_works
    head_factor = draw(st.sampled_from([1, 1, 10, 1000]))
    demand = []
    for c, new in zip(work_creator, is_new, strict=True):
        if new:
            d = draw(st.one_of(st.just(max(300, min_demand)), st.integers(min_demand, scale)))
        else:
            d = draw(st.integers(min_demand, scale))
            if not ordinary[c]:
                d = min(d * head_factor, 10**12)
        demand.append(d)
    total = sum(demand)
    base = sum(d for d, new in zip(demand, is_new, strict=True) if new)
    budget = draw(
        st.one_of(
            st.just(0),
            st.just(base),
            st.just(total),
            st.integers(0, base),
            st.integers(base, total),
            st.integers(base, total),
            st.integers(total, 2 * total + 10),
            st.integers(0, 10**12),
        )
    )
    return make_case(work_creator, demand, is_new, ordinary, budget)


# -------------------------------------------------------------- 1. conservation


@given(cases(), policies)
def test_integers_conserved_and_diagnostics_well_formed(case: Case, policy: FairnessPolicy) -> None:
    out = case.run(policy)
    imp = out.impressions
    assert isinstance(imp, np.ndarray)
    assert imp.dtype == np.int64
    assert imp.shape == (case.n_works,)
    assert bool(np.all(imp >= 0))
    assert sum(imp.tolist()) == min(case.budget, case.total_demand)
    for name in ("gini_before", "gini_after", "ordinary_share_before", "ordinary_share_after"):
        value = getattr(out, name)
        assert type(value) is float, name
        assert 0.0 <= value <= 1.0, (name, value)
    assert type(out.feasible) is bool


# --------------------------------------------------------------- 2. base first


@given(cases(), policies)
def test_base_layer_first(case: Case, policy: FairnessPolicy) -> None:
    imp = case.run(policy).impressions
    if case.covers_base:
        assert bool(np.all(imp[case.is_new] >= case.demand[case.is_new]))
    else:
        # Budget short of the base layer: shared over new works in proportion to their
        # demand, climbing works get nothing, and fairness has nothing to move.
        assert bool(np.all(imp[~case.is_new] == 0))
        base = case.base_demand
        for d, got in zip(
            case.demand[case.is_new].tolist(), imp[case.is_new].tolist(), strict=True
        ):
            assert abs(Fraction(got) - Fraction(case.budget * d, base)) < 1, (d, got)
        np.testing.assert_array_equal(imp, case.run(PLAIN).impressions)


@given(cases())
def test_plain_allocation_is_base_plus_proportional_boost(case: Case) -> None:
    imp = case.run(PLAIN).impressions
    assume(case.covers_base)
    np.testing.assert_array_equal(imp[case.is_new], case.demand[case.is_new])
    leftover = case.budget - case.base_demand
    climbing = case.climbing_demand
    d_c = case.demand[~case.is_new].tolist()
    got_c = imp[~case.is_new].tolist()
    if leftover >= climbing:
        assert got_c == d_c
    else:
        for d, got in zip(d_c, got_c, strict=True):
            assert abs(Fraction(got) - Fraction(leftover * d, climbing)) < 1, (d, got)


# -------------------------------------------------------------------- 3. Gini cap


@given(cases(), policies)
def test_gini_cap_when_feasible_and_diagnostics_exact(case: Case, policy: FairnessPolicy) -> None:
    out = case.run(policy)
    plain = case.run(PLAIN).impressions
    g_after = float(creator_gini(case, out.impressions))
    g_before = float(creator_gini(case, plain))
    note(f"gini before {g_before}, after {g_after}, reported {out.gini_after}")
    assert abs(out.gini_after - g_after) <= TOL
    assert abs(out.gini_before - g_before) <= TOL
    if out.feasible and policy.gini_cap is not None:
        assert g_after <= policy.gini_cap + TOL


@st.composite
def cap_reachable_cases(draw: st.DrawFn) -> tuple[Case, FairnessPolicy]:
    """No base layer, every work has demand, budget <= total demand and at least 1000
    impressions per active creator: the fully levelled boost has Gini < 1/4000."""
    case = draw(cases(max_works=40, max_creators=20, allow_new=False, min_demand=1000))
    assume(case.n_works > 0)
    m = sum(active(case))
    assume(case.total_demand >= 1000 * m)
    budget = draw(st.integers(1000 * m, case.total_demand))
    case = Case(case.work_creator, case.demand, case.is_new, case.creator_ordinary, budget)
    policy = FairnessPolicy(
        gini_cap=draw(st.floats(min_value=0.001, max_value=1.0)),
        ordinary_floor=None,
        method=draw(st.sampled_from(METHODS)),
    )
    return case, policy


def no_new_works(
    work_creator: list[int], demand: list[int], ordinary: list[bool], budget: int
) -> Case:
    return make_case(work_creator, demand, [False] * len(demand), ordinary, budget)


# Regression examples, found by random search: the blended / clipped boost lands a few
# 1e-9 above the cap after integer rounding and the result is reported infeasible.
NEAR_MISS_BLEND = no_new_works([2, 2, 1, 0], [7969729, 41701, 4160404, 555963], [True] * 3, 3225791)
# fmt: off
NEAR_MISS_CAP = no_new_works(
    [2, 4, 12, 1, 0, 12, 5, 3, 1, 2, 8, 9, 6, 4, 6, 5, 6, 10, 6, 11, 11, 0, 11, 7, 1, 3],
    [5916482, 8925527, 2519454, 4667016, 9216917, 670604, 9166425, 8534976, 4880189,
     9167726, 2060689, 321303, 6692325, 7860038, 5331888, 1515523, 9992813, 8846484,
     4298761, 3093143, 5603789, 6101814, 7865325, 4847109, 5517984, 916414],
    [False] * 13,
    58069213,
)
# fmt: on
# One head creator with 11 works, one ordinary creator with 1: the cap is reached only by
# moving boost across the two groups (e.g. 1000 / 1000 gives Gini 0).
ACROSS_GROUPS = no_new_works([0] * 11 + [1], [1000] * 12, [False, True], 2000)


@example((NEAR_MISS_BLEND, FairnessPolicy(gini_cap=0.021094771000381374, method="blend")))
@example((NEAR_MISS_CAP, FairnessPolicy(gini_cap=0.02385962042665735, method="cap")))
@example((ACROSS_GROUPS, FairnessPolicy(gini_cap=0.25, method="cap")))
@example((ACROSS_GROUPS, FairnessPolicy(gini_cap=0.25, method="blend")))
@given(cap_reachable_cases())
def test_cap_reachable_without_base_layer_is_feasible(arg: tuple[Case, FairnessPolicy]) -> None:
    case, policy = arg
    out = case.run(policy)
    g_after = float(creator_gini(case, out.impressions))
    note(f"gini after {g_after}, reported {out.gini_after}, feasible {out.feasible}")
    assert out.feasible
    assert policy.gini_cap is not None
    assert g_after <= policy.gini_cap + TOL


# -------------------------------------------------------------- 4. ordinary floor


@given(cases(), policies)
def test_ordinary_floor_when_feasible_and_diagnostics_exact(
    case: Case, policy: FairnessPolicy
) -> None:
    out = case.run(policy)
    plain = case.run(PLAIN).impressions
    share_after = ordinary_share(case, out.impressions)
    assert abs(out.ordinary_share_after - float(share_after)) <= TOL
    assert abs(out.ordinary_share_before - float(ordinary_share(case, plain))) <= TOL
    if out.feasible and policy.ordinary_floor is not None and out.impressions.sum() > 0:
        assert float(share_after) >= policy.ordinary_floor - TOL


@given(cases(), policies)
def test_feasible_flag_is_honest(case: Case, policy: FairnessPolicy) -> None:
    """``feasible`` says whether every requested constraint is met by the output."""
    out = case.run(policy)
    imp = out.impressions
    g = creator_gini(case, imp)
    share = ordinary_share(case, imp)
    total = sum(imp.tolist())
    # Away from the boundary (where float rounding of the diagnostics may decide), the
    # flag must agree with an exact check of the output.
    near = (policy.gini_cap is not None and abs(float(g) - policy.gini_cap) <= TOL) or (
        policy.ordinary_floor is not None
        and total > 0
        and abs(float(share) - policy.ordinary_floor) <= TOL
    )
    if not near:
        assert out.feasible == meets(case, imp, policy), (float(g), float(share))
    if total == 0:
        assert out.feasible
        assert out.ordinary_share_before == 0.0
        assert out.ordinary_share_after == 0.0


@st.composite
def floor_reachable_cases(draw: st.DrawFn) -> tuple[Case, FairnessPolicy]:
    """Floor only, budget covers the base layer, and the floor is met (with a margin of
    one impression per work for rounding) by giving ordinary creators their full boost
    demand and head creators the rest, i.e. without giving anyone more than it asked."""
    case = draw(cases())
    assume(case.covers_base and case.n_works > 0)
    ordinary_works = case.creator_ordinary[case.work_creator]
    boost_total = min(case.budget - case.base_demand, case.climbing_demand)
    ordinary_base = sum(case.demand[case.is_new & ordinary_works].tolist())
    ordinary_climbing = sum(case.demand[~case.is_new & ordinary_works].tolist())
    total = case.base_demand + boost_total
    best = ordinary_base + min(boost_total, ordinary_climbing) - case.n_works
    assume(total > 0 and best > 0)
    floor = draw(st.floats(min_value=0.0, max_value=best / total))
    method = draw(st.sampled_from(METHODS))
    return case, FairnessPolicy(gini_cap=None, ordinary_floor=floor, method=method)


@given(floor_reachable_cases())
def test_floor_reachable_through_the_boost_is_feasible(arg: tuple[Case, FairnessPolicy]) -> None:
    case, policy = arg
    out = case.run(policy)
    share = float(ordinary_share(case, out.impressions))
    note(f"share after {share}, plain {out.ordinary_share_before}, feasible {out.feasible}")
    assert out.feasible
    assert policy.ordinary_floor is not None
    assert share >= policy.ordinary_floor - TOL


# ------------------------------------------------------------------------ 5. no-op


@given(cases(), active_policies)
def test_noop_when_plain_already_meets_constraints(case: Case, policy: FairnessPolicy) -> None:
    plain = case.run(PLAIN)
    assume(meets(case, plain.impressions, policy))
    out = case.run(policy)
    np.testing.assert_array_equal(out.impressions, plain.impressions)
    assert out.feasible
    assert out.gini_after == out.gini_before == plain.gini_after
    assert out.ordinary_share_after == out.ordinary_share_before == plain.ordinary_share_after


@given(cases(), st.sampled_from(METHODS))
def test_trivial_policy_changes_nothing(case: Case, method: Method) -> None:
    plain = case.run(PLAIN)
    assert plain.feasible  # nothing was requested, so nothing can be violated
    for policy in (
        FairnessPolicy(gini_cap=1.0, ordinary_floor=0.0, method=method),
        FairnessPolicy(gini_cap=1.0, method=method),
        FairnessPolicy(ordinary_floor=0.0, method=method),
        FairnessPolicy(method=method),
    ):
        out = case.run(policy)
        np.testing.assert_array_equal(out.impressions, plain.impressions)
        assert out.feasible, policy


# -------------------------------------------------------------------------- 6. order


@given(cases(), policies)
def test_order_within_groups(case: Case, policy: FairnessPolicy) -> None:
    assume(case.covers_base)
    imp = case.run(policy).impressions
    boost = boost_part(case, imp)
    boost_demand = per_creator(case, np.where(case.is_new, 0, case.demand))
    n_works = per_creator(case, np.ones(case.n_works, dtype=np.int64))
    is_active = active(case)
    for group in (True, False):
        members = [
            c
            for c in range(case.n_creators)
            if is_active[c] and bool(case.creator_ordinary[c]) == group
        ]
        for a in members:
            for b in members:
                if boost_demand[a] > boost_demand[b]:
                    slack = n_works[a] + n_works[b]
                    assert boost[a] >= boost[b] - slack, (
                        f"ordinary={group}: creator {a} (boost demand {boost_demand[a]}) "
                        f"got boost {boost[a]} < creator {b} (boost demand "
                        f"{boost_demand[b]}) boost {boost[b]} - {slack}"
                    )


# -------------------------------------------------------------- 7. determinism (local)


@given(cases(), policies)
def test_same_input_same_output(case: Case, policy: FairnessPolicy) -> None:
    first = case.run(policy)
    second = case.run(policy)
    copied = Case(
        case.work_creator.copy(),
        case.demand.copy(),
        case.is_new.copy(),
        case.creator_ordinary.copy(),
        case.budget,
    ).run(policy)
    for other in (second, copied):
        assert other.impressions.tobytes() == first.impressions.tobytes()
        assert other.gini_before == first.gini_before
        assert other.gini_after == first.gini_after
        assert other.ordinary_share_before == first.ordinary_share_before
        assert other.ordinary_share_after == first.ordinary_share_after
        assert other.feasible == first.feasible


@given(cases(), policies)
def test_inputs_are_not_modified(case: Case, policy: FairnessPolicy) -> None:
    before = [
        case.work_creator.copy(),
        case.demand.copy(),
        case.is_new.copy(),
        case.creator_ordinary.copy(),
    ]
    case.run(policy)
    after = [case.work_creator, case.demand, case.is_new, case.creator_ordinary]
    for x, y in zip(before, after, strict=True):
        np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------- vs reference


def assert_matches_reference(case: Case, policy: FairnessPolicy) -> None:
    out = case.run(policy)
    ref = allocate_ref(
        case.work_creator,
        case.demand,
        case.is_new,
        case.creator_ordinary,
        case.budget,
        policy.gini_cap,
        policy.ordinary_floor,
        policy.method,
    )
    assert np.array_equal(out.impressions, ref["impressions"]), (
        f"first differing works: {np.flatnonzero(out.impressions != ref['impressions'])[:10]}"
    )
    for key in ("gini_before", "gini_after", "ordinary_share_before", "ordinary_share_after"):
        assert abs(getattr(out, key) - float(ref[key])) <= TOL, key
    assert out.feasible == bool(ref["feasible"])


@given(cases(), policies)
def test_matches_reference(case: Case, policy: FairnessPolicy) -> None:
    assert_matches_reference(case, policy)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_reference_large(method: Method, seed: int) -> None:
    """Realistic round: 20_000 works, 5% head creators, both constraints binding."""
    case = realistic_case(n_works=20_000, seed=seed)
    policy = FairnessPolicy(gini_cap=0.3, ordinary_floor=0.7, method=method)
    plain = case.run(PLAIN)
    assert plain.gini_after > 0.3 or plain.ordinary_share_after < 0.7  # something to do
    assert_matches_reference(case, policy)


def realistic_case(n_works: int, seed: int) -> Case:
    return Case(*realistic_round(n_works, seed))


# -------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("method", METHODS)
def test_no_works(method: Method) -> None:
    policy = FairnessPolicy(gini_cap=0.2, ordinary_floor=0.9, method=method)
    for n_creators in (0, 3):
        case = make_case([], [], [], [True] * n_creators, 1000)
        out = case.run(policy)
        assert out.impressions.shape == (0,)
        assert out.impressions.dtype == np.int64
        assert out.gini_before == out.gini_after == 0.0
        assert out.ordinary_share_before == out.ordinary_share_after == 0.0
        assert out.feasible


@pytest.mark.parametrize("method", METHODS)
def test_one_creator(method: Method) -> None:
    case = make_case([0, 0, 0], [300, 5000, 100], [True, False, False], [False], 2000)
    out = case.run(FairnessPolicy(gini_cap=0.0, ordinary_floor=0.5, method=method))
    assert out.impressions[0] == 300
    assert out.impressions.sum() == 2000
    assert out.gini_after == 0.0  # one active creator: Gini 0, the cap 0 is met
    # The only creator is a head creator: no mass can reach ordinary creators.
    assert out.ordinary_share_after == 0.0
    assert not out.feasible


@pytest.mark.parametrize("method", METHODS)
def test_budget_zero(method: Method) -> None:
    case = make_case([0, 1, 1], [300, 10, 7], [True, False, True], [True, False], 0)
    out = case.run(FairnessPolicy(gini_cap=0.1, ordinary_floor=0.7, method=method))
    assert out.impressions.tolist() == [0, 0, 0]
    assert out.feasible
    assert out.ordinary_share_after == 0.0


def test_budget_below_base_layer_example() -> None:
    # Base demand 300 + 300 + 600 = 1200; budget 600 -> exact proportional shares.
    case = make_case(
        [0, 1, 2, 2], [300, 300, 600, 10_000], [True, True, True, False], [True] * 3, 600
    )
    out = case.run(FairnessPolicy(gini_cap=0.01))
    assert out.impressions.tolist() == [150, 150, 300, 0]


def test_budget_below_base_layer_rounding_is_exact_sum() -> None:
    case = make_case([0, 1, 2], [300, 300, 300], [True, True, True], [True, False, True], 100)
    imp = case.run(PLAIN).impressions
    assert imp.sum() == 100
    assert sorted(imp.tolist()) == [33, 33, 34]


@pytest.mark.parametrize("method", METHODS)
def test_huge_values(method: Method) -> None:
    """Products like budget * cumulative demand exceed 2**63: they must not overflow."""
    big = 10**12
    case = make_case(
        [0, 1, 2, 3, 3, 4],
        [big, big, big - 1, big, 3, big],
        [True, False, False, False, True, False],
        [True, True, False, False, True],
        4 * big - 12345,
    )
    for policy in (PLAIN, FairnessPolicy(gini_cap=0.05, ordinary_floor=0.8, method=method)):
        out = case.run(policy)
        assert out.impressions.sum() == 4 * big - 12345
        assert out.impressions[0] >= big and out.impressions[4] >= 3
        assert bool(np.all(out.impressions >= 0))
        assert_matches_reference(case, policy)


@pytest.mark.parametrize("method", METHODS)
def test_all_ordinary_and_no_ordinary(method: Method) -> None:
    rng = np.random.default_rng(9)
    n_works, n_creators = 200, 30
    work_creator = rng.integers(0, n_creators, size=n_works, dtype=np.int64)
    demand = rng.integers(1, 10**5, size=n_works, dtype=np.int64)
    is_new = rng.random(n_works) < 0.3
    demand[is_new] = 300
    budget = int(demand.sum() // 2)
    for all_ordinary in (True, False):
        ordinary = np.full(n_creators, all_ordinary)
        case = Case(work_creator, demand, is_new, ordinary, budget)
        out = case.run(FairnessPolicy(gini_cap=0.1, ordinary_floor=0.7, method=method))
        share = 1.0 if all_ordinary else 0.0
        assert out.ordinary_share_before == out.ordinary_share_after == share
        assert out.impressions.sum() == budget
        if not all_ordinary:
            assert not out.feasible  # a floor of 0.7 with no ordinary creator
        else:
            assert out.feasible  # cap reachable: every creator with work has demand
            assert float(creator_gini(case, out.impressions)) <= 0.1


def test_binding_constraints_are_met_on_a_realistic_round() -> None:
    """Kuaishou baseline numbers: cap 0.3, floor 0.7, both binding, both met."""
    case = realistic_case(n_works=50_000, seed=42)
    plain = case.run(PLAIN)
    assert plain.gini_after > 0.3 and plain.ordinary_share_after < 0.7  # both bind
    for method in METHODS:
        out = case.run(FairnessPolicy(gini_cap=0.3, ordinary_floor=0.7, method=method))
        assert out.feasible, method
        assert float(creator_gini(case, out.impressions)) <= 0.3 + TOL
        assert float(ordinary_share(case, out.impressions)) >= 0.7 - TOL
        assert bool(np.all(out.impressions[case.is_new] >= 300))
