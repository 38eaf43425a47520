"""The platform's traffic allocation: base exposure, climbing boosts and fairness control.

`allocate_exposure` is the daily kernel (Rust). Inputs are checked here so that every error
names the argument; read-only and strided arrays are accepted (strided ones are copied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from sim import _core
from sim.arrays import bool_array, int64_array

Method = Literal["blend", "cap"]


def _number(value: object) -> object:
    """Refuse ``true``/``false`` and text where a share is due (pydantic would convert them)."""
    if isinstance(value, bool | str):
        raise ValueError(f"must be a number, got {value!r}")
    return value


PolicyShare = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1)]
"""A cap or a floor: a finite share in [0, 1]. The scenario schema uses these same types,
so the policy's bounds are stated once, here."""


class _PolicyBounds(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    gini_cap: PolicyShare | None = None
    ordinary_floor: PolicyShare | None = None
    method: Method = "blend"


@dataclass(frozen=True)
class FairnessPolicy:
    """How the platform keeps traffic from polarising.

    gini_cap: highest allowed Gini of per-creator impressions (None: no cap).
    ordinary_floor: lowest share of impressions for ordinary creators (None: no floor).
    method: "blend" moves every creator's boost toward the mean; "cap" lowers the top
    boosts and hands the mass back.

    A bad value raises :class:`~sim.scenario.errors.ScenarioError` (a ValueError) naming
    the field:

    >>> FairnessPolicy(gini_cap=1.5)
    Traceback (most recent call last):
    ...
    sim.scenario.errors.ScenarioError: gini_cap: must be between 0 and 1, got 1.5
    """

    gini_cap: float | None = None
    ordinary_floor: float | None = None
    method: Method = "blend"

    def __post_init__(self) -> None:
        from sim.scenario.errors import from_validation_error

        try:
            _PolicyBounds(
                gini_cap=self.gini_cap, ordinary_floor=self.ordinary_floor, method=self.method
            )
        except ValidationError as error:
            raise from_validation_error(error, _PolicyBounds) from None


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
