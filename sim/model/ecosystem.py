"""The ecosystem model: one `step()` is one day of the platform (DESIGN.md §3).

The day is one pipeline over whole populations: entry and exit, supply, content,
allocation (Rust), viewing (Rust), buying (Rust), settlement, promotion, measurement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import _core
from sim.metrics.catalogue import DAILY_METRICS, FOLLOWER_TIERS, measure
from sim.model.agents import Creator, Fan, Merchant, RowAgent, Supplier
from sim.model.randomness import CONTENT, LIFECYCLE, SETTLE, SUPPLY, day_rng
from sim.model.state import (
    Works,
    category_reference_prices,
    fan_pools,
    make_creators,
    make_fans,
    make_merchants,
    make_suppliers,
)
from sim.model.steps import commerce, content, supply, traffic
from sim.model.steps import entry_exit as lifecycle
from sim.scenario.schema import Scenario

INCOME_WINDOW = 30
"""Days of income that make up a creator's monthly income."""


def _reporter(name: str) -> Callable[[EcosystemModel], Any]:
    return lambda model: model.today[name]


class EcosystemModel(mesa.Model):  # type: ignore[misc]
    """A short-video and live-stream commerce platform, simulated day by day.

    Parameters
    ----------
    scenario : Scenario, optional
        Every lever and population size; the baseline when omitted.
    seed : int, optional
        Seed of all random draws; `scenario.run.seed` when omitted.
    """

    def __init__(self, scenario: Scenario | None = None, seed: int | None = None) -> None:
        scenario = scenario if scenario is not None else Scenario()
        seed = scenario.run.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        # Mesa 3.5 reserves `Model.scenario` for its own experiment objects.
        self.config = scenario
        self.seed = seed
        self.day = 0
        p = scenario.population
        self.fans = make_fans(self.rng, scenario)
        self.suppliers = make_suppliers(self.rng, scenario)
        self.merchants = make_merchants(self.rng, scenario, self.suppliers)
        self.creators = make_creators(self.rng, scenario, p.creators, 0, p.commerce_creator_share)
        self.reference_price = category_reference_prices(scenario)
        self.pool_offsets, self.fan_pool = fan_pools(self.fans, len(p.categories))
        self.category_fans = np.maximum(np.diff(self.pool_offsets), 1).astype(np.float64)
        self.initial_commerce_creators = int(self.creators.commerce.sum())
        order = np.argsort(self.merchants.category, kind="stable").astype(np.int64)
        counts = np.bincount(self.merchants.category, minlength=len(p.categories))
        self.merchant_index = (np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), order)
        self.mean_merchant_quality = float(self.merchants.quality.mean())
        self.expected_views = float(self.fans.activity.sum(dtype=np.float64))
        self.market = _core.Market()
        self.pipeline = Works.empty()
        self.next_uid = 0
        self.last_budget = 0
        self._income_window = [np.zeros(0) for _ in range(INCOME_WINDOW)]
        self.today: dict[str, Any] = {}
        self._handles: dict[tuple[str, int], RowAgent] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in DAILY_METRICS}
        )

    # -- the day -----------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one day."""
        seed, day = self.seed, self.day
        entering, leaving = lifecycle.update(self, day_rng(seed, day, LIFECYCLE))
        supply.choose_goods(self, day_rng(seed, day, SUPPLY))
        works = content.post(self, day_rng(seed, day, CONTENT)).concat(self.pipeline)
        allocation = traffic.allocate(self, works)
        seen = traffic.view(self, works, allocation)
        settle_rng = day_rng(seed, day, SETTLE)
        orders = commerce.buy(self, works, seen, settle_rng)
        settled = commerce.settle(self, works, orders, settle_rng)
        self._record_milestones()
        score = content.conversion(
            seen.engaged,
            settled.work_orders,
            seen.views_discovery + seen.views_follow,
            self.config.traffic.conversion_prior,
        )
        self.pipeline = content.promote(self, works, score)
        self._retire_lives(works, self.pipeline)
        self.today = measure(self, works, seen, orders, settled, entering, leaving)
        self.datacollector.collect(self)
        self.day += 1

    def run(
        self, days: int | None = None, progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Simulate `days` days (the scenario's run.days when omitted)."""
        total = self.config.run.days if days is None else days
        for done in range(1, total + 1):
            self.step()
            if progress is not None:
                progress(done, total)

    # -- helpers the steps use ---------------------------------------------------------
    def fan_day(self, commerce_share: float) -> tuple[int, int, int, float, float]:
        """Today's views per fan and commerce reach (Rust, keyed by seed and day)."""
        return _core.fan_day(self.seed, self.day, self.fans.activity, min(1.0, commerce_share))

    def ordinary_mask(self) -> np.ndarray:
        """Creators that are not head creators."""
        return ~traffic.head_creators(self)

    def record_income(self, income: np.ndarray) -> None:
        """Keep the last 30 days of income per creator; update income_30d."""
        slot = self.day % INCOME_WINDOW
        c = self.creators
        oldest = np.zeros(len(c))
        kept = self._income_window[slot]  # shorter when creators joined since
        oldest[: kept.size] = kept
        # Clipped: subtracting the oldest day can leave -1e-13 of rounding behind.
        c.income_30d = np.maximum(c.income_30d - oldest + income, 0.0)
        self._income_window[slot] = income

    def _record_milestones(self) -> None:
        c = self.creators
        real = c.followers * self.config.population.scale
        for threshold, column in zip(
            FOLLOWER_TIERS, (c.milestone_10k, c.milestone_100k, c.milestone_1m), strict=True
        ):
            column[(column < 0) & (real >= threshold)] = self.day

    def _retire_lives(self, works: Works, promoted: Works) -> None:
        """A live stream that stops climbing is over: keep its GMV if it is the best."""
        done = works.live & ~np.isin(works.uid, promoted.uid)
        np.maximum.at(self.creators.max_live_gmv, works.creator[done], works.gmv[done])

    # -- results -----------------------------------------------------------------------
    def daily_metrics(self) -> pd.DataFrame:
        """One row per simulated day, one column per metric of `sim.metrics.DAILY_METRICS`."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        if frame.empty:
            return pd.DataFrame(columns=list(DAILY_METRICS))
        typed: pd.DataFrame = frame.astype({"event_day": bool, "fairness_feasible": bool})
        return typed

    def creator_table(self) -> pd.DataFrame:
        """One row per creator who ever joined: reach, earnings and milestones."""
        c = self.creators
        scale = self.config.population.scale

        def days_to(milestone: np.ndarray) -> pd.Series:
            """Days from entry to a milestone; missing when it was never reached."""
            return pd.Series(milestone - c.entry_day, dtype="Int64").where(milestone >= 0)

        followers = c.followers
        return pd.DataFrame(
            {
                "creator": np.arange(len(c)),
                "category": np.asarray(self.config.population.categories)[c.category],
                "commerce": c.commerce,
                "own_goods": c.own_goods,
                "external_store": c.external_store,
                "alive": c.alive,
                "entry_day": c.entry_day,
                "exit_day": pd.Series(c.exit_day, dtype="Int64").where(c.exit_day >= 0),
                "followers": followers,
                "followers_real": followers * scale,
                "follower_share_of_fans": followers / len(self.fans),
                "impressions": c.impressions,
                "income": c.income,
                "income_real": c.income * scale,
                "gmv": c.gmv,
                "gmv_real": c.gmv * scale,
                "orders": c.orders,
                "gmv_per_follower": np.where(
                    followers > 0, c.gmv / np.maximum(followers, 1), np.nan
                ),
                "max_live_gmv_real": c.max_live_gmv * scale,
                "quality": c.quality,
                "sales_skill": c.sales_skill,
                "days_to_10k": days_to(c.milestone_10k),
                "days_to_100k": days_to(c.milestone_100k),
                "days_to_1m": days_to(c.milestone_1m),
            }
        )

    def kpis(self) -> dict[str, float]:
        """Summary numbers of the run (see docs/metrics.md)."""
        daily = self.daily_metrics()
        if daily.empty:
            return {}
        orders = float(daily["orders"].sum())
        days = len(daily)
        last = daily.tail(min(30, days))
        # Growth over the first year: the seed's ">10% a month" describes 2019.
        year = daily.head(365)
        first_commerce = float(self.initial_commerce_creators)
        final_commerce = float(year["active_commerce_creators"].iloc[-1])
        growth = (final_commerce / max(first_commerce, 1.0)) ** (30.0 / len(year)) - 1.0
        return {
            "days": float(days),
            "gmv_real_total": float(daily["gmv_real"].sum()),
            "orders_real_total": float(daily["orders_real"].sum()),
            "gmv_real_per_day": float(daily["gmv_real"].mean()),
            "average_order_value": float(daily["gmv"].sum() / orders) if orders else 0.0,
            "platform_revenue_real_total": float(daily["platform_revenue_real"].sum()),
            "exposure_gini_mean": float(daily["exposure_gini"].mean()),
            "exposure_gini_max": float(daily["exposure_gini"].max()),
            "ordinary_share_min": float(daily["ordinary_share"].min()),
            "ordinary_share_mean": float(daily["ordinary_share"].mean()),
            "follower_gini_final": float(daily["follower_gini"].iloc[-1]),
            "follower_top1_share_final": float(daily["follower_top1_share"].iloc[-1]),
            "income_gini_final": float(daily["income_gini"].iloc[-1]),
            "median_income_tier3_final": float(daily["median_income_tier3"].iloc[-1]),
            "active_creators_final": float(daily["active_creators"].iloc[-1]),
            "commerce_creator_growth_monthly": float(growth),
            "repeat_purchase_rate": float(
                (daily["repeat_purchase_rate"] * daily["orders"]).sum() / orders
            )
            if orders
            else 0.0,
            "complaint_rate": float((daily["complaint_rate"] * daily["orders"]).sum() / orders)
            if orders
            else 0.0,
            "mean_price": float(daily["gmv"].sum() / orders) if orders else 0.0,
            "commerce_reach_share_mean": float(last["commerce_reach_share"].mean()),
            "views_per_fan_median": float(daily["views_per_fan_median"].mean()),
            "views_per_fan_mean": float(daily["views_per_fan_mean"].mean()),
            "fairness_feasible_share": float(daily["fairness_feasible"].mean()),
        }

    # -- agent handles -----------------------------------------------------------------
    def _handle[A: RowAgent](self, kind: type[A], table: str, row: int) -> A:
        size = len(getattr(self, table))
        if not 0 <= row < size:
            raise IndexError(f"{table}: row {row} is outside [0, {size})")
        handle = self._handles.get((table, row))
        if not isinstance(handle, kind):
            handle = kind(self, row)
            self._handles[(table, row)] = handle
        return handle

    def creator(self, row: int) -> Creator:
        """The Mesa agent for creator `row` (made on first use)."""
        return self._handle(Creator, "creators", row)

    def fan(self, row: int) -> Fan:
        """The Mesa agent for fan `row` (made on first use)."""
        return self._handle(Fan, "fans", row)

    def merchant(self, row: int) -> Merchant:
        """The Mesa agent for merchant `row` (made on first use)."""
        return self._handle(Merchant, "merchants", row)

    def supplier(self, row: int) -> Supplier:
        """The Mesa agent for supplier `row` (made on first use)."""
        return self._handle(Supplier, "suppliers", row)
