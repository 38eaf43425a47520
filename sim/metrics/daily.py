"""The daily measurement: every metric of :data:`sim.metrics.DAILY_METRICS` for the day
just simulated, from what the day's steps returned and the state they left."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.fairness import gini, top_shares
from sim.model.state import FOLLOWER_TIERS
from sim.model.steps.allocation import head_creators

if TYPE_CHECKING:
    from sim.model.state import Works, World
    from sim.model.steps.allocation import DayAllocation
    from sim.model.steps.buying import Orders
    from sim.model.steps.entry_exit import Turnover
    from sim.model.steps.settlement import Settlement
    from sim.model.steps.viewing import DayPlan, ViewOutcome
    from sim.scenario.schema import Scenario


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else 0.0


def new_works_below_base(scenario: Scenario, works: Works, allocated: DayAllocation) -> int:
    """New works short of their base while the budget covered all base demand (F1)."""
    new = works.stage == 0
    base = scenario.traffic.base_exposure
    if allocated.budget < base * int(new.sum()):
        return 0
    return int((allocated.impressions[new] < base).sum())


def measure(
    world: World,
    scenario: Scenario,
    day: int,
    feed: Works,
    allocated: DayAllocation,
    planned: DayPlan,
    seen: ViewOutcome,
    orders: Orders,
    settled: Settlement,
    turnover: Turnover,
) -> dict[str, float]:
    """All daily metrics of DAILY_METRICS for the day just simulated.

    `feed` is the day's works: the allocation's (new and climbing) first, then the
    recent works that filled the feed and the follow pages.
    """
    c = world.creators
    scale = scenario.population.scale
    allocation = allocated.allocation
    cap, floor = scenario.traffic.gini_cap, scenario.traffic.ordinary_floor
    works = feed.take(np.arange(len(allocation.impressions)))
    per_creator = np.bincount(works.creator, weights=allocation.impressions, minlength=len(c))
    with_work = per_creator[np.bincount(works.creator, minlength=len(c)) > 0]
    active = c.alive
    commerce = active & c.commerce
    real_followers = c.followers * scenario.population.per_creator_scale
    real_income = c.income_30d * scenario.population.per_creator_scale
    tiers = np.digitize(real_followers, FOLLOWER_TIERS[:2], right=True)
    n_orders = len(orders.price)
    live_order = (orders.work >= 0) & feed.live[np.maximum(orders.work, 0)]
    gmv = float(orders.price.sum())
    views = seen.views
    views_all = int(views.sum())
    exposure_top1, exposure_top10 = top_shares(with_work, (0.01, 0.10))
    follower_top1, follower_top10 = top_shares(c.followers[active], (0.01, 0.10))
    head = head_creators(c, len(world.fans), scenario)
    ordinary_views = int(views[~head[feed.creator]].sum())
    carrying = commerce & (c.merchant >= 0)
    on_bad = carrying & world.merchants.bad[np.maximum(c.merchant, 0)]
    n_commerce = max(int(commerce.sum()), 1)
    return {
        "day": day,
        "impressions": int(allocation.impressions.sum()),
        "filler_impressions": int(seen.impressions.sum()) - int(allocation.impressions.sum()),
        "views": views_all,
        "fan_views": seen.fan_views,
        "views_discovery": int(seen.views_discovery.sum()),
        "views_follow": int(seen.views_follow.sum()),
        "follows": int(seen.follows.sum()),
        "unfollows": seen.unfollows,
        "follow_edges": int(c.followers.sum()),
        "orders": n_orders,
        "orders_real": n_orders * scale,
        "gmv": gmv,
        "gmv_real": gmv * scale,
        "net_gmv": gmv - settled.returned_gmv,
        "net_gmv_real": (gmv - settled.returned_gmv) * scale,
        "shop_share": float(orders.price[orders.shop].sum() / gmv) if gmv else 0.0,
        "average_order_value": gmv / n_orders if n_orders else 0.0,
        "platform_revenue": settled.platform_revenue,
        "platform_revenue_real": settled.platform_revenue * scale,
        "exposure_gini": allocation.gini_after,
        "exposure_gini_plain": allocation.gini_before,
        "fairness_feasible": bool(allocation.feasible),
        "cap_binding": cap is not None and allocation.gini_before > cap,
        "floor_binding": floor is not None and allocation.ordinary_share_before < floor,
        "exposure_top1_share": exposure_top1,
        "exposure_top10_share": exposure_top10,
        "ordinary_share": allocation.ordinary_share_after,
        "ordinary_share_all": ordinary_views / views_all if views_all else 0.0,
        "head_throttle": world.head_throttle,
        "follower_gini": gini(c.followers[active]),
        "follower_top1_share": follower_top1,
        "follower_top10_share": follower_top10,
        "income_gini": gini(c.income_30d[commerce]),
        "active_creators": int(active.sum()),
        "active_commerce_creators": int(commerce.sum()),
        "entering_creators": turnover.entering,
        "leaving_creators": turnover.leaving,
        "creators_with_income": int((settled.income > 0).sum()),
        "head_creators": int((active & head).sum()),
        "median_income_tier1": _median(real_income[commerce & (tiers == 0)]),
        "median_income_tier2": _median(real_income[commerce & (tiers == 1)]),
        "median_income_tier3": _median(real_income[commerce & (tiers == 2)]),
        "repeat_purchase_rate": float(orders.repeat.mean()) if n_orders else 0.0,
        "follow_page_order_share": float(orders.from_follow.mean()) if n_orders else 0.0,
        "seeded_order_share": float((orders.decided < day).mean()) if n_orders else 0.0,
        "seeded_waiting": len(world.seeded),
        "live_gmv_share": float(orders.price[live_order].sum() / gmv) if gmv else 0.0,
        "complaint_rate": float(orders.complaint.mean()) if n_orders else 0.0,
        "mean_price": float(orders.price.mean()) if n_orders else 0.0,
        "mean_supplier_cost": float(orders.cost.mean()) if n_orders else 0.0,
        "value_for_money": float(orders.cost.sum() / gmv) if gmv else 0.0,
        "commerce_reach": seen.reached,
        "commerce_reach_share": seen.reached / len(world.fans),
        "views_per_fan_median": planned.median_views,
        "views_per_fan_mean": planned.mean_views,
        "new_works": int((works.stage == 0).sum()),
        "new_works_below_base": new_works_below_base(scenario, works, allocated),
        "climbing_works": int((works.stage > 0).sum()),
        "penalised_creators": settled.penalised,
        "penalised_bad_creators": settled.penalised_bad,
        "penalties_on_bad_share": settled.penalised_bad / max(settled.penalised, 1),
        "creators_on_merchant_goods": float((carrying & ~c.sells_own).sum() / n_commerce),
        "creators_on_bad_goods": float(on_bad.sum() / n_commerce),
        "barred_sellers": float((commerce & (c.penalty_until >= day)).sum() / n_commerce),
        "event_day": day in scenario.commerce.event_days,
    }
