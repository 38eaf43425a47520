"""A realistic allocation round, shared by the tests and the core benchmark."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Round:
    """The inputs of one allocation round."""

    work_creator: I64
    demand: I64
    is_new: Bool
    creator_ordinary: Bool
    budget: int

    @property
    def n_works(self) -> int:
        return int(self.demand.shape[0])

    @property
    def n_creators(self) -> int:
        return int(self.creator_ordinary.shape[0])


def realistic_round(
    n_works: int, seed: int, works_per_creator: float = 10.0
) -> tuple[I64, I64, Bool, Bool, int]:
    """``(work_creator, demand, is_new, creator_ordinary, budget)``: 10 works per creator
    (or `works_per_creator`), 5% head creators whose climbing works ask for 40x more,
    lognormal demand (median 2000), 30% new works with base demand 300, and a budget of
    the base layer plus half the climbing demand, so that a cap and a floor both bind."""
    rng = np.random.default_rng(seed)
    n_creators = max(1, int(n_works / works_per_creator))
    ordinary = rng.random(n_creators) >= 0.05
    work_creator = rng.integers(0, n_creators, size=n_works, dtype=np.int64)
    is_new = rng.random(n_works) < 0.3
    demand = np.rint(rng.lognormal(np.log(2000.0), 1.0, size=n_works)).astype(np.int64)
    demand[~ordinary[work_creator]] *= 40
    demand[is_new] = 300
    budget = int(demand[is_new].sum() + demand[~is_new].sum() // 2)
    return work_creator, demand, is_new, ordinary, budget
