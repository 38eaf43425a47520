"""The platform's traffic allocation: base exposure, climbing boosts and fairness control.

`allocate_exposure` is the daily kernel (Rust). Inputs are checked here so that every error
names the argument; read-only and strided arrays are accepted (strided ones are copied).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from sim import _core
from sim.arrays import bool_array, int64_array

Method = Literal["blend", "cap"]


@dataclass(frozen=True)
class FairnessPolicy:
    """How the platform keeps traffic from polarising.

    gini_cap: highest allowed Gini of per-creator impressions (None: no cap).
    ordinary_floor: lowest share of impressions for ordinary creators (None: no floor).
    method: "blend" moves every creator's boost toward the mean; "cap" lowers the top
    boosts and hands the mass back.
    """

    gini_cap: float | None = None
    ordinary_floor: float | None = None
    method: Method = "blend"

    def __post_init__(self) -> None:
        for name in ("gini_cap", "ordinary_floor"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0.0 <= value <= 1.0
            ):
                raise ValueError(f"{name}: must be between 0 and 1, got {value!r}")
        if self.method not in ("blend", "cap"):
            raise ValueError(f"method: must be 'blend' or 'cap', got {self.method!r}")


@dataclass(frozen=True)
class Allocation:
    """Impressions per work and what fairness did to them.

    gini_before/gini_after: Gini of per-creator impressions (creators with a work this
    round) of the plain allocation and of the result. ordinary_share_*: share of
    impressions to ordinary creators (0.0 when nothing was allocated). feasible: every
    requested constraint holds in the result.
    """

    impressions: npt.NDArray[np.int64]
    gini_before: float
    gini_after: float
    ordinary_share_before: float
    ordinary_share_after: float
    feasible: bool


def allocate_exposure(
    work_creator: Any,
    demand: Any,
    is_new: Any,
    creator_ordinary: Any,
    budget: int,
    policy: FairnessPolicy | None = None,
) -> Allocation:
    """Allocate one round's impressions over works under a fairness policy.

    Parameters
    ----------
    work_creator : int64 array (n_works,)
        Creator of each work, in [0, n_creators).
    demand : int64 array (n_works,)
        Impressions each work asks for: its base exposure when new, its stage quota when
        climbing.
    is_new : bool array (n_works,)
        Whether the work is new this round (base layer) or climbing (boost layer).
    creator_ordinary : bool array (n_creators,)
        Whether each creator is ordinary (not head).
    budget : int
        Impressions available this round.
    policy : FairnessPolicy, optional
        Gini cap, ordinary floor and method; none by default.

    Returns
    -------
    Allocation
        Integer impressions summing to min(budget, sum(demand)) and diagnostics.

    Examples
    --------
    >>> import numpy as np
    >>> a = allocate_exposure(np.array([0, 1], dtype=np.int64), np.array([300, 300]),
    ...                       np.array([True, True]), np.array([True, True]), 500)
    >>> a.impressions.tolist()
    [250, 250]
    """
    if policy is None:
        policy = FairnessPolicy()
    elif not isinstance(policy, FairnessPolicy):
        raise TypeError(f"policy: must be a FairnessPolicy or None, got {type(policy).__name__}")
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer):
        raise TypeError(f"budget: must be an integer, got {type(budget).__name__}")
    if budget < 0:
        raise ValueError(f"budget: must be >= 0, got {budget}")
    if budget > np.iinfo(np.int64).max:
        raise ValueError("budget: must be at most 2**63 - 1")
    impressions, g0, g1, s0, s1, feasible = _core.allocate_exposure(
        int64_array("work_creator", work_creator),
        int64_array("demand", demand),
        bool_array("is_new", is_new),
        bool_array("creator_ordinary", creator_ordinary),
        int(budget),
        policy.gini_cap,
        policy.ordinary_floor,
        policy.method,
    )
    return Allocation(impressions, g0, g1, s0, s1, feasible)
