"""The columnar state of the world: one table of arrays per agent type, built at day 0.

Agents are rows. The daily loop works on whole columns (NumPy or Rust); the Mesa agent
classes in `sim.model.agents` are thin handles that read these columns for inspection.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from sim.scenario.schema import Scenario

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

MERCHANT_MARGIN = 0.3
"""Markup a merchant adds on its purchase price."""
OWN_GOODS_SHARE = 0.25
"""Share of commerce creators selling their own goods (stall or factory owners)."""
MEAN_UNIT_COST = 46.0
"""Mean supplier unit cost in yuan: with three middlemen and creators favouring value for
money, the average order comes to about 80 yuan (fact F9)."""
MONTHLY_BUDGET_MEDIAN = 300.0
"""Median monthly shopping budget of a fan, in yuan."""
CAPACITY_MEDIAN = 40.0
"""Median orders a creator's team can fulfil per day."""


@dataclass
class Table:
    """A set of equally long columns; `take` and `extend` keep them aligned."""

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))

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
    merchant: I64
    followers: I64
    trust: F64
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
    income_30d: F64
    milestone_10k: I64
    milestone_100k: I64
    milestone_1m: I64


@dataclass
class Works:
    """Works in the climbing pipeline: posted today (stage 0) or promoted yesterday."""

    uid: I64
    creator: I64
    live: Bool
    quality: F64
    stage: I64
    gmv: F64
    score: F64
    """Smoothed conversion of the last round (1.0 for a new work)."""

    def __len__(self) -> int:
        return len(self.uid)

    @staticmethod
    def empty() -> Works:
        return Works(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, bool),
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0),
        )

    def take(self, rows: I64 | Bool) -> Works:
        """The works at `rows` (indices or a mask)."""
        return Works(*(getattr(self, f.name)[rows] for f in fields(self)))

    def concat(self, other: Works) -> Works:
        return Works(
            *(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self))
        )


def lognormal_from_median_mean(
    rng: np.random.Generator, median: float, mean: float, size: int
) -> F64:
    """Log-normal draws with a given median and mean (mean > median)."""
    sigma = float(np.sqrt(2.0 * np.log(mean / median)))
    return rng.lognormal(np.log(median), sigma, size)


def category_reference_prices(scenario: Scenario) -> F64:
    """The price a fan considers fair per category: cost through the usual chain."""
    c = scenario.commerce
    chain = (1.0 + c.middleman_markup) ** c.middlemen * (1.0 + MERCHANT_MARGIN)
    k = len(scenario.population.categories)
    # Categories differ in price level; a fixed spread keeps the mean unit cost.
    level = np.exp(np.linspace(-0.4, 0.4, k)) if k > 1 else np.ones(1)
    return MEAN_UNIT_COST * level / level.mean() * chain


def make_fans(rng: np.random.Generator, scenario: Scenario) -> Fans:
    p = scenario.population
    n = p.fans
    budget = rng.lognormal(np.log(MONTHLY_BUDGET_MEDIAN), 0.8, n)
    return Fans(
        interest=rng.integers(0, len(p.categories), n),
        activity=lognormal_from_median_mean(rng, p.views_median, p.views_mean, n).astype(
            np.float32
        ),
        sensitivity=rng.uniform(0.5, 2.0, n).astype(np.float32),
        monthly_budget=budget,
        budget_left=budget.copy(),
    )


def make_suppliers(rng: np.random.Generator, scenario: Scenario) -> Suppliers:
    p, c = scenario.population, scenario.commerce
    n, k = p.suppliers, len(p.categories)
    category = np.arange(n) % k  # every belt has suppliers
    chain = (1.0 + c.middleman_markup) ** c.middlemen * (1.0 + MERCHANT_MARGIN)
    unit_cost = category_reference_prices(scenario)[category] / chain * rng.lognormal(0, 0.3, n)
    return Suppliers(
        category=category,
        unit_cost=unit_cost,
        quality=rng.beta(5.0, 2.0, n),
        in_programme=rng.random(n) < c.source_goods_share,
    )


def make_merchants(rng: np.random.Generator, scenario: Scenario, suppliers: Suppliers) -> Merchants:
    p, c = scenario.population, scenario.commerce
    n, k = p.merchants, len(p.categories)
    category = np.arange(n) % k
    by_category = [np.flatnonzero(suppliers.category == j) for j in range(k)]
    supplier = np.array([by_category[j][rng.integers(len(by_category[j]))] for j in category])
    source = c.source_goods & suppliers.in_programme[supplier]
    layers = np.where(source, 0, c.middlemen)
    price = (
        suppliers.unit_cost[supplier]
        * (1.0 + c.middleman_markup) ** layers
        * (1.0 + MERCHANT_MARGIN)
    )
    bad = rng.random(n) < c.bad_quality_share
    quality = np.where(bad, 0.3, 1.0) * suppliers.quality[supplier]
    return Merchants(
        category=category,
        supplier=supplier,
        price=price,
        quality=quality,
        commission=np.clip(c.creator_commission * rng.lognormal(0, 0.25, n), 0.01, 0.9),
        external=c.external_links & (rng.random(n) < 0.3),
        source_goods=source,
        bad=bad,
    )


def make_creators(
    rng: np.random.Generator, scenario: Scenario, n: int, day: int, commerce_share: float
) -> Creators:
    """`n` new creators entering on `day` with no followers yet."""
    p, c = scenario.population, scenario.commerce
    commerce = rng.random(n) < commerce_share
    sales_skill = rng.lognormal(0.0, p.sales_skill_sigma, n)
    minus_one = np.full(n, -1, dtype=np.int64)
    return Creators(
        category=rng.integers(0, len(p.categories), n),
        commerce=commerce,
        quality=rng.lognormal(0.0, p.quality_sigma, n),
        sales_skill=sales_skill,
        capacity=np.maximum(1, (CAPACITY_MEDIAN * rng.lognormal(0, 1.0, n))).astype(np.int64),
        external_store=commerce & (rng.random(n) < c.external_store_share),
        own_goods=commerce & (rng.random(n) < OWN_GOODS_SHARE),
        merchant=minus_one.copy(),
        followers=np.zeros(n, np.int64),
        trust=np.full(n, 0.3),
        works_posted=np.zeros(n, np.int64),
        impressions=np.zeros(n, np.int64),
        alive=np.ones(n, bool),
        entry_day=np.full(n, day, np.int64),
        exit_day=minus_one.copy(),
        penalty_until=minus_one.copy(),
        zero_income_days=np.zeros(n, np.int64),
        income=np.zeros(n),
        gmv=np.zeros(n),
        orders=np.zeros(n, np.int64),
        max_live_gmv=np.zeros(n),
        income_30d=np.zeros(n),
        milestone_10k=minus_one.copy(),
        milestone_100k=minus_one.copy(),
        milestone_1m=minus_one.copy(),
    )


def fan_pools(fans: Fans, n_categories: int) -> tuple[I64, I64]:
    """Fans grouped by interest: (offsets, fan ids), a CSR index for sampling buyers."""
    order = np.argsort(fans.interest, kind="stable").astype(np.int64)
    counts = np.bincount(fans.interest, minlength=n_categories)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return offsets, order
