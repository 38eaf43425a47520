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
    "STRANGER_TRUST",
    "Audience",
    "allocate_exposure",
    "gini_float",
    "gini_int",
    "thread_count",
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

STRANGER_TRUST: float
"""Trust of a fan in a creator it has no relation to (and a new relation's trust until its
first settled order): the Rust engine's ``audience::STRANGER_TRUST``."""

def thread_count() -> int:
    """Number of threads in the kernels' pool (``RAYON_NUM_THREADS`` or the core
    count)."""

@final
class Audience:
    """The fans of one model: their relations to creators (follows, trust, past
    purchases, at most ``MAX_RELATIONS`` per fan) and the day in three calls, ``plan``,
    ``view`` and ``buy``, then ``settle``. Every draw is keyed by (seed, day, entity), so
    results are the same for any number of threads. See docs/fans.md."""

    MAX_RELATIONS: int
    """Relations per fan at most (the memory bound of the follow graph)."""
    FOLLOWS: int
    """Flag of a relation: the fan follows the creator."""
    BOUGHT: int
    """Flag of a relation: the fan has bought from the creator."""
    BOUGHT_ON_PAGE: int
    """Flag of a relation: some of its orders came from the fan's follow page."""

    def __new__(
        cls,
        interest: npt.NDArray[np.int64],
        activity: npt.NDArray[np.float32],
        sensitivity: npt.NDArray[np.float32],
        n_categories: int,
        n_creators: int,
    ) -> Audience:
        """Fans with an interest category, mean views a day and price sensitivity, and
        ``n_creators`` creators; no relations yet."""

    @property
    def n_fans(self) -> int:
        """Number of fans."""

    @property
    def n_creators(self) -> int:
        """Number of creators (grows with ``add_creators``)."""

    @property
    def n_categories(self) -> int:
        """Number of interest categories."""

    def add_creators(self, n: int) -> None:
        """Add ``n`` creators with no followers, indexed after the existing ones."""

    def warm_start(
        self,
        seed: int,
        targets: npt.NDArray[np.int64],
        creator_category: npt.NDArray[np.int64],
        same_category_share: float,
        initial_trust: float,
    ) -> int:
        """Make ``targets[c]`` distinct fans follow creator ``c`` (a binomial share
        ``same_category_share`` of them from the fans of its category, the rest from all
        fans; fans with full lists are skipped). Returns the follows made."""

    def plan(
        self,
        seed: int,
        day: int,
        creator_has_work: npt.NDArray[np.bool_],
        follow_page_weight: float,
    ) -> tuple[npt.NDArray[np.int64], int, int, float, float]:
        """Start the day: undo faded follows and drop relations to creators who left;
        draw today's views per fan, ``Poisson(activity)``, and send
        ``Binomial(views, follow_page_weight)`` of them to the follow page of fans who
        follow a creator with a work today, spread over those creators in proportion to
        ``0.5 + trust``. Returns ``(screens_by_category, screens, follow_views,
        median_views, mean_views)``."""

    def view(
        self,
        seed: int,
        day: int,
        creator: npt.NDArray[np.int64],
        impressions: npt.NDArray[np.int64],
        appeal: npt.NDArray[np.float64],
        category: npt.NDArray[np.int64],
        commerce: npt.NDArray[np.bool_],
        engage_rate: npt.NDArray[np.float64],
        follow_rate: npt.NDArray[np.float64],
        uid: npt.NDArray[np.int64],
        creator_alive: npt.NDArray[np.bool_],
        covers_per_screen: int,
        single_column: bool,
        match_bonus: float,
    ) -> tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        dict[str, float],
    ]:
        """Spend the planned views on today's works (one entry per work; impressions
        must add up to at least screens × covers). Returns ``(views_discovery,
        views_follow, engaged, follows)`` per work and the totals ``fan_views``,
        ``follows``, ``unfollows``, ``reached``, ``median_views``, ``mean_views``. The sum
        of the views over works equals ``fan_views`` exactly."""

    def buy(
        self,
        seed: int,
        day: int,
        p_buy: npt.NDArray[np.float64],
        price: npt.NDArray[np.float64],
        reference_price: npt.NDArray[np.float64],
        follow_factor: float,
        cohort: float,
        capacity_left: npt.NDArray[np.int64],
        budget_left: npt.NDArray[np.float64],
        seeding: npt.NDArray[np.float64] | None = None,
    ) -> tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.bool_],
    ]:
        """Turn today's views into orders, each from a fan who viewed the work:
        ``(fan, work, creator, price, repeat, from_follow)`` per order. ``repeat`` is the
        share of the order's real users who had bought from the creator they met before:
        with ``cohort`` real creators per simulated one, 1 − (1 − 1/cohort)^n after the
        pair's n earlier orders.
        ``capacity_left`` (per creator) and ``budget_left`` (per fan) are updated in
        place. ``seeding`` (per work): the probability that a decision to buy waits for a
        later day; those decisions are read with :meth:`planted`."""

    def planted(
        self,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """The last ``buy``'s decisions to buy on a later day: ``(fan, work,
        from_follow)``, one entry each, in the order they were taken."""

    def book(
        self,
        day: int,
        fans: npt.NDArray[np.int64],
        creators: npt.NDArray[np.int64],
        spend: npt.NDArray[np.float64],
        from_follow: npt.NDArray[np.bool_],
        cohort: float,
    ) -> npt.NDArray[np.float64]:
        """Book orders decided on an earlier day, after ``view`` and before ``buy``: the
        fans' relations to the creators and their totals; returns each order's repeat
        share. The caller checks and spends budgets and capacity."""

    def settle(
        self,
        orders_fan: npt.NDArray[np.int64],
        orders_creator: npt.NDArray[np.int64],
        complaint: npt.NDArray[np.bool_],
        trust_gain: float,
        trust_loss: float,
        cohort: float,
    ) -> None:
        """Move trust after settlement: up by ``(trust_gain/cohort)·(1 − trust)`` after a
        good order, down by ``(trust_loss/cohort)·trust`` after a complaint (not below
        0.05): one order moves one member of the creator cohort."""

    def followers(self) -> npt.NDArray[np.int64]:
        """Followers per creator: the in-degree of the follow graph."""

    def edges(
        self,
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.uint8]
    ]:
        """Every relation as ``(fan, creator, trust, flags)``."""

    def fan_totals(
        self,
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]
    ]:
        """Cumulative ``(views, follows, orders, spend)`` per fan."""

    def views_today(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Today's ``(views, follow_page_views)`` per fan, from ``plan``."""

    def follow_page_views(
        self,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Today's follow-page views as ``(fan, work, views)``, from ``view``."""

    def discovery_by_category(self) -> npt.NDArray[np.int64]:
        """Today's discovery views, works × categories of the viewing fans."""

    def follow_events(
        self,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Today's follows and unfollows as ``(fan, creator, is_follow)``, in order."""

    def relation_count(self) -> int:
        """Number of (fan, creator) relations."""

    def memory_bytes(self) -> int:
        """Bytes held by the fans, their relations and today's views."""
