"""The columnar state of the world: one table of arrays per agent type, and the `World`
that holds them with everything else that carries over from one day to the next.

Agents are rows. The daily loop works on whole columns (NumPy or Rust); the Mesa agent
classes of :mod:`sim.model.agents` are handles over rows, derived from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Self

import numpy as np
import numpy.typing as npt

from sim import _core

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

FOLLOWER_TIERS = (10_000, 100_000, 1_000_000)
"""Real-equivalent follower milestones (0.005%, 0.05%, 0.5% of a 200M DAU)."""


@dataclass
class Table:
    """A set of equally long columns; `take` and `extend` keep them aligned."""

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))

    def take(self, rows: I64 | Bool) -> Self:
        """The rows at `rows` (indices or a mask), as a new table of the same type."""
        return type(self)(*(getattr(self, f.name)[rows] for f in fields(self)))

    def extend(self, other: Table) -> None:
        """Append the rows of another table of the same type."""
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))


@dataclass
class Fans(Table):
    """Consumers: interest, activity, price sensitivity and shopping budget."""

    interest: I64
    activity: F32
    sensitivity: F32
    monthly_budget: F64
    budget_left: F64


@dataclass
class Suppliers(Table):
    """Factories, wholesale markets and orchards, grouped in industry belts by category."""

    category: I64
    unit_cost: F64
    quality: F64
    in_programme: Bool


@dataclass
class Merchants(Table):
    """Sellers of one product line each, bought from one supplier through middlemen."""

    category: I64
    supplier: I64
    price: F64
    quality: F64
    commission: F64
    external: Bool
    source_goods: Bool
    bad: Bool
    looks: F64
    """The quality the goods show before use (in a stream, on a cover): the supplier's,
    whatever the merchant does to it; bad goods only show their `quality` after use."""
    exposed: Bool
    """A quality check has caught a creator selling these bad goods: creators see it."""


@dataclass
class Creators(Table):
    """Anchors and authors: skill, persona, reach, goods carried and their earnings."""

    category: I64
    commerce: Bool
    quality: F64
    sales_skill: F64
    capacity: I64
    external_store: Bool
    own_goods: Bool
    """Has goods of its own (a stall or factory owner): it may sell them or merchants'."""
    sells_own: Bool
    """Sells its own goods now (chosen over merchants' at the commission they offer)."""
    merchant: I64
    followers: I64
    works_posted: I64
    impressions: I64
    alive: Bool
    entry_day: I64
    exit_day: I64
    penalty_until: I64
    zero_income_days: I64
    income: F64
    gmv: F64
    orders: I64
    max_live_gmv: F64
    """GMV of the creator's best live stream: one day's stream (a live that keeps
    converting is pushed again the next day, as another day's stream)."""
    max_live_followers: I64
    """The creator's followers on the day of that stream."""
    event_gmv: F64
    """GMV on the festival's days (F9's best creator)."""
    event_orders: I64
    income_30d: F64
    milestone_10k: I64
    milestone_100k: I64
    milestone_1m: I64


@dataclass
class Works(Table):
    """Works in the climbing pipeline: posted today (stage 0) or promoted yesterday."""

    uid: I64
    creator: I64
    live: Bool
    goods: Bool
    """Carries goods (a product link): every live stream, and the share of a commerce
    creator's short videos set by ``population.video_goods_share``."""
    quality: F64
    stage: I64
    gmv: F64
    score: F64
    """Smoothed conversion of the last round (1.0 for a new work)."""
    posted: I64
    """Day the work was posted."""

    @staticmethod
    def empty() -> Works:
        return Works(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, bool),
            np.zeros(0, bool),
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, np.int64),
        )

    def concat(self, other: Works) -> Works:
        return Works(
            *(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self))
        )


@dataclass
class Seeded(Table):
    """Decisions to buy on a later day, one row each, in the order they were taken."""

    fan: I64
    creator: I64
    merchant: I64
    uid: I64
    """The work whose view seeded the decision."""
    price: F64
    shop: Bool
    share: F64
    """The creator's share of the price (commission or margin, less its part of the fee)."""
    from_follow: Bool
    decided: I64
    due: I64

    @staticmethod
    def empty() -> Seeded:
        i, f, b = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool)
        return Seeded(i, i, i, i, f, b, f, b, i, i)


RECENT_DAYS = 7
"""Days a short video stays in the feed's filler and on its creator's follow page."""

INCOME_WINDOW = 30
"""Days of income that make up a creator's monthly income."""


@dataclass
class IncomeWindow:
    """The last 30 days of income per creator, so that monthly income is a rolling sum."""

    days: list[F64] = field(default_factory=lambda: [np.zeros(0) for _ in range(INCOME_WINDOW)])

    def record(self, creators: Creators, day: int, income: F64) -> None:
        """Add today's income to `creators.income_30d` and drop the day that left the window."""
        slot = day % INCOME_WINDOW
        oldest = np.zeros(len(creators))
        kept = self.days[slot]  # shorter when creators joined since
        oldest[: kept.size] = kept
        # Clipped: subtracting the oldest day can leave -1e-13 of rounding behind.
        creators.income_30d = np.maximum(creators.income_30d - oldest + income, 0.0)
        self.days[slot] = income


@dataclass
class Catalogue:
    """What is fixed at day 0 and only read afterwards: reference prices and merchants
    grouped by category."""

    reference_price: F64
    """The price a fan considers fair, per category."""
    merchant_offsets: I64
    merchant_order: I64
    """Merchants by category, the same way."""
    reference_quality: float
    """The quality fans expect of the category's goods on the market (not of our own
    merchants: more bad sellers here do not make the others look better)."""
    initial_commerce_creators: int


@dataclass
class World:
    """Every table and every piece of state that carries over from one day to the next.

    The steps of the day read and update it; nothing else of the model is shared between
    steps.
    """

    fans: Fans
    suppliers: Suppliers
    merchants: Merchants
    creators: Creators
    catalogue: Catalogue
    audience: _core.Audience
    """The fans' side, Rust-owned: each fan's relations to creators (follows, trust,
    purchases), the follow graph's in-degree, and what the fans did today."""
    pipeline: Works
    """Works promoted today, climbing tomorrow."""
    recent: Works
    """Short videos of the last `RECENT_DAYS` days: the older works that fill the feed
    when new and climbing works cannot, and that the follow page shows."""
    income_window: IncomeWindow
    seeded: Seeded = field(default_factory=lambda: Seeded.empty())
    """Decisions to buy on a later day that a short video seeded (种草), not yet due."""
    next_uid: int = 0
    head_throttle: float = 1.0
    """Factor on head creators' climbing quotas today: the platform lowers it while
    ordinary creators' share of all views is short of the policy's floor and raises it
    back when they are above (see :func:`sim.model.steps.allocation.steer_head_throttle`)."""
    """Id of the next work posted (ids key the works' random draws)."""
