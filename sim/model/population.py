"""The population at day 0 (and the creators who enter later): every table of
:mod:`sim.model.state` drawn from the scenario, and the `World` built from them."""

from __future__ import annotations

import numpy as np

from sim import _core
from sim.model.state import (
    F64,
    FOLLOWER_TIERS,
    I64,
    RECENT_DAYS,
    Bool,
    Catalogue,
    Creators,
    Fans,
    IncomeWindow,
    Merchants,
    Suppliers,
    Works,
    World,
)
from sim.model.steps.content import WORK_QUALITY_SIGMA
from sim.scenario.schema import Scenario

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
PLATFORM_AGE_DAYS = 8 * 365
"""Kuaishou was eight years old in 2019: established creators joined up to this long ago."""
MAX_FOLLOWER_SHARE = 0.1
"""No creator is followed by more than this share of the platform's users at day 0."""
SAME_CATEGORY_FOLLOWS = 0.7
"""Share of an established creator's followers who are fans of its own category."""
REACHED_BEFORE_RUN = -2
"""Milestone day of a follower tier an established creator had reached before day 0."""


def lognormal_from_median_mean(
    rng: np.random.Generator, median: float, mean: float, size: int
) -> F64:
    """Log-normal draws with a given median and mean (mean > median)."""
    sigma = float(np.sqrt(2.0 * np.log(mean / median)))
    return rng.lognormal(np.log(median), sigma, size)


MARKET_MIDDLEMEN = 3
MARKET_MARKUP = 0.2
"""The chain behind the classic e-commerce price of the same goods (Taobao, JD): what a
fan compares a price with. It does not move with our own scenario's middlemen."""
MARKET_CHAIN = (1.0 + MARKET_MARKUP) ** MARKET_MIDDLEMEN * (1.0 + MERCHANT_MARGIN)
REFERENCE_QUALITY = 5.0 / 7.0
"""The quality fans expect of goods on the market: the mean of suppliers' quality."""
BAD_PRICE_FACTOR = 0.75
"""Bad goods are cheaper: their price against a good product's from the same chain."""
BAD_COMMISSION_FACTOR = 2.0
"""Bad goods leave a higher margin, so their merchants offer creators more commission."""
BAD_QUALITY_FACTOR = 0.3
"""What is left of the supplier's quality in bad goods, once used."""


COMMISSION_BOUNDS = (0.01, 0.9)
"""Bounds of the commission a merchant offers creators."""


def merchant_prices(unit_cost: F64, layers: I64, bad: Bool, scenario: Scenario) -> F64:
    """A merchant's price: its supplier's unit cost through `layers` middlemen and its own
    margin; bad goods sell cheaper (`BAD_PRICE_FACTOR`)."""
    c = scenario.commerce
    price: F64 = (
        unit_cost
        * (1.0 + c.middleman_markup) ** layers
        * (1.0 + MERCHANT_MARGIN)
        * np.where(bad, BAD_PRICE_FACTOR, 1.0)
    )
    return price


def goods_quality(looks: F64, bad: Bool) -> F64:
    """What goods are once used: what they look like, or `BAD_QUALITY_FACTOR` of it."""
    quality: F64 = np.where(bad, BAD_QUALITY_FACTOR, 1.0) * looks
    return quality


def category_reference_prices(scenario: Scenario) -> F64:
    """The price a fan considers fair per category: the market's price of the same goods,
    through the classic chain (`MARKET_CHAIN`), whatever our own chain is."""
    chain = MARKET_CHAIN
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
    unit_cost = (
        category_reference_prices(scenario)[category] / MARKET_CHAIN * rng.lognormal(0, 0.3, n)
    )
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
    bad = rng.random(n) < c.bad_quality_share
    price = merchant_prices(suppliers.unit_cost[supplier], layers, bad, scenario)
    looks = suppliers.quality[supplier]
    offered = c.creator_commission * rng.lognormal(0, 0.25, n)
    return Merchants(
        category=category,
        supplier=supplier,
        price=price,
        quality=goods_quality(looks, bad),
        commission=np.clip(offered * np.where(bad, BAD_COMMISSION_FACTOR, 1.0), *COMMISSION_BOUNDS),
        external=c.external_links & (rng.random(n) < 0.3),
        source_goods=source,
        bad=bad,
        looks=looks,
        exposed=np.zeros(n, bool),
    )


def make_creators(
    rng: np.random.Generator, scenario: Scenario, n: int, day: int, commerce_share: float
) -> Creators:
    """`n` new creators entering on `day` with no followers yet (followers come from the
    follow graph: see `warm_start` for the creators already on the platform at day 0)."""
    p, c = scenario.population, scenario.commerce
    commerce = rng.random(n) < commerce_share
    sales_skill = rng.lognormal(0.0, p.sales_skill_sigma, n)
    minus_one = np.full(n, -1, dtype=np.int64)
    own_goods = commerce & (rng.random(n) < OWN_GOODS_SHARE)
    return Creators(
        category=rng.integers(0, len(p.categories), n),
        commerce=commerce,
        quality=rng.lognormal(0.0, p.quality_sigma, n),
        sales_skill=sales_skill,
        capacity=np.maximum(1, (CAPACITY_MEDIAN * rng.lognormal(0, 1.0, n))).astype(np.int64),
        external_store=commerce & (rng.random(n) < c.external_store_share),
        own_goods=own_goods,
        sells_own=own_goods.copy(),
        merchant=minus_one.copy(),
        followers=np.zeros(n, np.int64),
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
        max_live_followers=np.zeros(n, np.int64),
        event_gmv=np.zeros(n),
        event_orders=np.zeros(n, np.int64),
        income_30d=np.zeros(n),
        milestone_10k=minus_one.copy(),
        milestone_100k=minus_one.copy(),
        milestone_1m=minus_one.copy(),
    )


def established_followers(
    rng: np.random.Generator, scenario: Scenario, n_creators: int, n_fans: int
) -> I64:
    """Followers (simulated fans) of each creator already on the platform at day 0.

    Real-equivalent followers are log-normal with the scenario's median and spread
    (`population.initial_followers_median`, `initial_followers_sigma`): a heavy tail with
    head creators of hundreds of thousands to millions of real followers. A creator
    cannot be followed by more than `MAX_FOLLOWER_SHARE` of the platform's users (nor by
    more than all the simulated fans).
    """
    p = scenario.population
    real = rng.lognormal(np.log(p.initial_followers_median), p.initial_followers_sigma, n_creators)
    ceiling = min(MAX_FOLLOWER_SHARE * n_fans * p.creator_scale, n_fans)
    expected = np.minimum(real / p.per_creator_scale, ceiling)
    # Rounded at random, so that the expected followers do not depend on the resolution.
    simulated = np.floor(expected) + (rng.random(n_creators) < expected - np.floor(expected))
    return simulated.astype(np.int64)


def warm_start(
    rng: np.random.Generator, scenario: Scenario, creators: Creators, audience: _core.Audience
) -> None:
    """Make the creators at day 0 the established population of an eight-year-old
    platform ("快手成立于2011年"): each gets an age, a back catalogue of works and
    followers in the follow graph, most of them fans of its own category."""
    p = scenario.population
    n = len(creators)
    age = rng.integers(1, PLATFORM_AGE_DAYS, n)
    creators.entry_day = -age
    creators.works_posted = rng.binomial(age, p.post_rate).astype(np.int64)
    targets = established_followers(rng, scenario, n, audience.n_fans)
    seed = int(rng.integers(0, 2**63 - 1))
    audience.warm_start(
        seed, targets, creators.category, SAME_CATEGORY_FOLLOWS, _core.STRANGER_TRUST
    )
    creators.followers = audience.followers().astype(np.int64)
    real = creators.followers * p.per_creator_scale
    for threshold, column in zip(
        FOLLOWER_TIERS,
        (creators.milestone_10k, creators.milestone_100k, creators.milestone_1m),
        strict=True,
    ):
        column[real >= threshold] = REACHED_BEFORE_RUN


def recent_works(rng: np.random.Generator, scenario: Scenario, creators: Creators) -> Works:
    """The established creators' newest short video of the last RECENT_DAYS days before
    day 0 (for those who posted), so that the feed and the follow pages have works on
    the first day."""
    posted_any = (
        rng.random(len(creators)) < 1.0 - (1.0 - scenario.population.post_rate) ** RECENT_DAYS
    )
    creator = np.flatnonzero(posted_any).astype(np.int64)
    n = creator.size
    quality = creators.quality[creator] * rng.lognormal(0.0, WORK_QUALITY_SIGMA, n)
    goods = creators.commerce[creator] & (rng.random(n) < scenario.population.video_goods_share)
    return Works(
        uid=np.arange(n, dtype=np.int64),
        creator=creator,
        live=np.zeros(n, bool),
        goods=goods,
        quality=quality,
        stage=np.zeros(n, np.int64),
        gmv=np.zeros(n),
        score=np.ones(n),
        posted=-rng.integers(1, RECENT_DAYS + 1, n),
    )


def build_world(rng: np.random.Generator, scenario: Scenario) -> World:
    """The world at day 0: fans, suppliers, merchants and creators drawn in that order,
    then the established follow graph."""
    p = scenario.population
    fans = make_fans(rng, scenario)
    suppliers = make_suppliers(rng, scenario)
    merchants = make_merchants(rng, scenario, suppliers)
    creators = make_creators(rng, scenario, p.creators, 0, p.commerce_creator_share)
    audience = _core.Audience(
        fans.interest,
        fans.activity,
        fans.sensitivity,
        len(p.categories),
        len(creators),
    )
    warm_start(rng, scenario, creators, audience)
    recent = recent_works(rng, scenario, creators)
    n_categories = len(p.categories)
    merchant_order = np.argsort(merchants.category, kind="stable").astype(np.int64)
    merchant_counts = np.bincount(merchants.category, minlength=n_categories)
    catalogue = Catalogue(
        reference_price=category_reference_prices(scenario),
        merchant_offsets=np.concatenate([[0], np.cumsum(merchant_counts)]).astype(np.int64),
        merchant_order=merchant_order,
        reference_quality=REFERENCE_QUALITY,
        initial_commerce_creators=int(creators.commerce.sum()),
    )
    return World(
        fans=fans,
        suppliers=suppliers,
        merchants=merchants,
        creators=creators,
        catalogue=catalogue,
        audience=audience,
        pipeline=Works.empty(),
        recent=recent,
        income_window=IncomeWindow(),
        next_uid=len(recent),
    )
