"""Summaries of a finished run: the daily table, the creators at the end and the KPIs."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.metrics.catalogue import DAILY_METRICS

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel


def daily_frame(model: EcosystemModel) -> pd.DataFrame:
    """One row per simulated day, one column per metric of DAILY_METRICS."""
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame(columns=list(DAILY_METRICS))
    typed: pd.DataFrame = frame.astype(
        {"event_day": bool, "fairness_feasible": bool, "cap_binding": bool, "floor_binding": bool}
    )
    return typed


def creator_table(model: EcosystemModel) -> pd.DataFrame:
    """One row per creator who ever joined: reach, earnings and milestones."""
    c = model.world.creators
    scenario = model.config
    scale = scenario.population.per_creator_scale

    def days_to(milestone: np.ndarray) -> pd.Series:
        """Days from entry to a milestone; missing when it was never reached."""
        return pd.Series(milestone - c.entry_day, dtype="Int64").where(milestone >= 0)

    followers = c.followers
    return pd.DataFrame(
        {
            "creator": np.arange(len(c)),
            "category": np.asarray(scenario.population.categories)[c.category],
            "commerce": c.commerce,
            "own_goods": c.own_goods,
            "sells_own": c.sells_own,
            "external_store": c.external_store,
            "alive": c.alive,
            "entry_day": c.entry_day,
            "exit_day": pd.Series(c.exit_day, dtype="Int64").where(c.exit_day >= 0),
            "followers": followers,
            "followers_real": followers * scale,
            "follower_share_of_fans": followers
            / (len(model.world.fans) * scenario.population.creator_scale),
            "impressions": c.impressions,
            "income": c.income,
            "income_real": c.income * scale,
            "gmv": c.gmv,
            "gmv_real": c.gmv * scale,
            "orders": c.orders,
            "gmv_per_follower": np.where(followers > 0, c.gmv / np.maximum(followers, 1), np.nan),
            "max_live_gmv_real": c.max_live_gmv * scale,
            "max_live_follower_share": c.max_live_followers
            / (len(model.world.fans) * scenario.population.creator_scale),
            "event_gmv_real": c.event_gmv * scale,
            "event_orders_real": c.event_orders * scale,
            "quality": c.quality,
            "sales_skill": c.sales_skill,
            "days_to_10k": days_to(c.milestone_10k),
            "days_to_100k": days_to(c.milestone_100k),
            "days_to_1m": days_to(c.milestone_1m),
        }
    )


def fan_table(model: EcosystemModel) -> pd.DataFrame:
    """One row per fan at the end of the run: what it did over the run."""
    fans = model.world.fans
    views, follows, orders, spend = model.world.audience.fan_totals()
    edge_fans = model.world.audience.edges()[0]
    return pd.DataFrame(
        {
            "fan": np.arange(len(fans)),
            "category": np.asarray(model.config.population.categories)[fans.interest],
            "views": views.astype(np.int64),
            "follows": follows.astype(np.int64),
            "orders": orders.astype(np.int64),
            "spend": spend,
            "following": np.bincount(edge_fans, minlength=len(fans)).astype(np.int64),
        }
    )


def _order_weighted(daily: pd.DataFrame, column: str, orders: float) -> float:
    """A daily rate averaged over the run with each day weighted by its orders."""
    return float((daily[column] * daily["orders"]).sum() / orders) if orders else 0.0


def run_kpis(daily: pd.DataFrame, initial_commerce_creators: int) -> dict[str, float]:
    """Summary numbers of a run from its daily table (see docs/metrics.md)."""
    if daily.empty:
        return {}
    orders = float(daily["orders"].sum())
    gmv = float(daily["gmv"].sum())
    penalties = float(daily["penalised_creators"].sum())
    days = len(daily)
    last = daily.tail(min(30, days))
    # Growth over the first year: the seed's ">10% a month" describes 2019.
    year = daily.head(365)
    first_commerce = float(initial_commerce_creators)
    final_commerce = float(year["active_commerce_creators"].iloc[-1])
    growth = (final_commerce / max(first_commerce, 1.0)) ** (30.0 / len(year)) - 1.0
    return {
        "days": float(days),
        "gmv_real_total": float(daily["gmv_real"].sum()),
        "orders_real_total": float(daily["orders_real"].sum()),
        "gmv_real_per_day": float(daily["gmv_real"].mean()),
        "net_gmv_real_total": float(daily["net_gmv_real"].sum()),
        "shop_share": float((daily["shop_share"] * daily["gmv"]).sum() / gmv) if gmv else 0.0,
        "penalties_on_bad_share": (
            float(daily["penalised_bad_creators"].sum() / penalties) if penalties else math.nan
        ),
        "creators_on_bad_goods_mean": float(daily["creators_on_bad_goods"].mean()),
        "barred_sellers_mean": float(daily["barred_sellers"].mean()),
        "creators_on_merchant_goods_mean": float(daily["creators_on_merchant_goods"].mean()),
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
        "repeat_purchase_rate": _order_weighted(daily, "repeat_purchase_rate", orders),
        "complaint_rate": _order_weighted(daily, "complaint_rate", orders),
        "seeded_order_share": _order_weighted(daily, "seeded_order_share", orders),
        "live_gmv_share": float((daily["live_gmv_share"] * daily["gmv"]).sum() / gmv)
        if gmv
        else 0.0,
        "mean_price": float(daily["gmv"].sum() / orders) if orders else 0.0,
        "commerce_reach_share_mean": float(last["commerce_reach_share"].mean()),
        "views_per_fan_median": float(daily["views_per_fan_median"].mean()),
        "views_per_fan_mean": float(daily["views_per_fan_mean"].mean()),
        "fairness_feasible_share": float(daily["fairness_feasible"].mean()),
    }
