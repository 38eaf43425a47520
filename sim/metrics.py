"""What is measured each day, in one place: every metric's name and one-line meaning
(docs/metrics.md is generated from this table), and the function that computes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.fairness import gini, top_share

if TYPE_CHECKING:
    from sim.commerce import Orders, Settlement
    from sim.model import EcosystemModel
    from sim.traffic import ViewOutcome
    from sim.world import Works

FOLLOWER_TIERS = (10_000, 100_000, 1_000_000)
"""Real-equivalent follower thresholds (0.005%, 0.05%, 0.5% of a 200M DAU)."""

DAILY_METRICS: dict[str, str] = {
    "day": "Day index, starting at 0.",
    "impressions": "Discovery impressions allocated to works (sim units); equals the sum of "
    "the allocation.",
    "views": "Views of works: discovery plus follow page (sim units).",
    "views_discovery": "Views coming from the discovery feed.",
    "views_follow": "Views coming from the follow page.",
    "follows": "New follows gained by creators.",
    "orders": "Orders placed (sim units).",
    "orders_real": "Orders times scale: the real-platform equivalent.",
    "gmv": "Gross merchandise value: sum of price over orders, in yuan (sim units).",
    "gmv_real": "GMV times scale: the real-platform equivalent, in yuan.",
    "average_order_value": "GMV per order, in yuan (0 on a day without orders).",
    "platform_revenue": "Platform commission on own-shop sales, in yuan (sim units).",
    "platform_revenue_real": "Platform revenue times scale.",
    "exposure_gini": "Gini of impressions per creator (creators with a work today), after "
    "fairness control.",
    "exposure_gini_plain": "The same Gini for the plain allocation, before fairness control.",
    "fairness_feasible": "Whether every requested fairness constraint held today.",
    "exposure_top1_share": "Share of impressions to the top 1% of creators with a work.",
    "exposure_top10_share": "Share of impressions to the top 10% of creators with a work.",
    "ordinary_share": "Share of impressions to ordinary (non-head) creators' works.",
    "follower_gini": "Gini of followers across active creators.",
    "follower_top1_share": "Share of all followers held by the top 1% of active creators.",
    "follower_top10_share": "Share of all followers held by the top 10% of active creators.",
    "income_gini": "Gini of last-30-day income across active commerce creators.",
    "active_creators": "Creators on the platform at the end of the day.",
    "active_commerce_creators": "Commerce creators on the platform at the end of the day.",
    "entering_creators": "Creators that joined today.",
    "leaving_creators": "Creators that left today.",
    "creators_with_income": "Creators that earned anything today.",
    "head_creators": "Creators counted as head (followers above head_follower_share of fans).",
    "median_income_tier1": "Median last-30-day income (real-equivalent yuan) of active commerce "
    "creators with under 10k real-equivalent followers.",
    "median_income_tier2": "The same for 10k to 100k followers.",
    "median_income_tier3": "The same for over 100k followers (fact F5).",
    "repeat_purchase_rate": "Share of orders from fans who had bought from the same creator.",
    "follow_page_order_share": "Share of orders that came from follow-page views.",
    "complaint_rate": "Share of orders that drew a complaint (and were returned).",
    "mean_price": "Mean price paid per order, in yuan.",
    "mean_supplier_cost": "Mean supplier unit cost of the goods ordered, in yuan.",
    "value_for_money": "Supplier cost over price paid (higher: less taken by middlemen).",
    "commerce_reach_share": "Share of fans who viewed at least one commerce work today.",
    "views_per_fan_median": "Median views per fan today (KuaiRec: about 42).",
    "views_per_fan_mean": "Mean views per fan today (KuaiRec: about 66).",
    "new_works": "Works posted today (short videos and live streams).",
    "new_works_below_base": "New works that got less than the base exposure although the "
    "budget covered every new work's base (fact F1: always 0).",
    "climbing_works": "Works in a climbing stage (promoted from an earlier round).",
    "penalised_creators": "Creators penalised today after a quality check.",
    "event_day": "Whether today is a promotional event day.",
}


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else 0.0


def _below_base(model: EcosystemModel, works: Works, impressions: np.ndarray) -> int:
    """New works short of their base while the budget covered all base demand."""
    new = works.stage == 0
    base = model.config.traffic.base_exposure
    if model.last_budget < base * int(new.sum()):
        return 0
    return int((impressions[new] < base).sum())


def measure(
    model: EcosystemModel,
    works: Works,
    seen: ViewOutcome,
    orders: Orders,
    settled: Settlement,
    entering: int,
    leaving: int,
) -> dict[str, float]:
    """All daily metrics of DAILY_METRICS for the day just simulated."""
    c, sc = model.creators, model.config
    scale = sc.population.scale
    allocation = seen.allocation
    per_creator = np.bincount(works.creator, weights=allocation.impressions, minlength=len(c))
    with_work = per_creator[np.bincount(works.creator, minlength=len(c)) > 0]
    active = c.alive
    commerce = active & c.commerce
    real_followers = c.followers * scale
    real_income = c.income_30d * scale
    tiers = np.digitize(real_followers, FOLLOWER_TIERS[:2], right=True)
    n_orders = len(orders.price)
    gmv = float(orders.price.sum())
    views_commerce = int(seen.views_discovery[c.commerce[works.creator]].sum()) + int(
        seen.views_follow[c.commerce[works.creator]].sum()
    )
    views_all = int(seen.views_discovery.sum() + seen.views_follow.sum())
    fan_views, reached, _, median_views, mean_views = model.fan_day(
        views_commerce / max(1, views_all)
    )
    return {
        "day": model.day,
        "impressions": int(allocation.impressions.sum()),
        "views": views_all,
        "views_discovery": int(seen.views_discovery.sum()),
        "views_follow": int(seen.views_follow.sum()),
        "follows": int(seen.follows.sum()),
        "orders": n_orders,
        "orders_real": n_orders * scale,
        "gmv": gmv,
        "gmv_real": gmv * scale,
        "average_order_value": gmv / n_orders if n_orders else 0.0,
        "platform_revenue": settled.platform_revenue,
        "platform_revenue_real": settled.platform_revenue * scale,
        "exposure_gini": allocation.gini_after,
        "exposure_gini_plain": allocation.gini_before,
        "fairness_feasible": bool(allocation.feasible),
        "exposure_top1_share": top_share(with_work, 0.01),
        "exposure_top10_share": top_share(with_work, 0.10),
        "ordinary_share": allocation.ordinary_share_after,
        "follower_gini": gini(c.followers[active]),
        "follower_top1_share": top_share(c.followers[active], 0.01),
        "follower_top10_share": top_share(c.followers[active], 0.10),
        "income_gini": gini(c.income_30d[commerce]),
        "active_creators": int(active.sum()),
        "active_commerce_creators": int(commerce.sum()),
        "entering_creators": entering,
        "leaving_creators": leaving,
        "creators_with_income": int((settled.income > 0).sum()),
        "head_creators": int((active & ~model.ordinary_mask()).sum()),
        "median_income_tier1": _median(real_income[commerce & (tiers == 0)]),
        "median_income_tier2": _median(real_income[commerce & (tiers == 1)]),
        "median_income_tier3": _median(real_income[commerce & (tiers == 2)]),
        "repeat_purchase_rate": float(orders.repeat.mean()) if n_orders else 0.0,
        "follow_page_order_share": float(orders.from_follow.mean()) if n_orders else 0.0,
        "complaint_rate": float(orders.complaint.mean()) if n_orders else 0.0,
        "mean_price": float(orders.price.mean()) if n_orders else 0.0,
        "mean_supplier_cost": float(orders.cost.mean()) if n_orders else 0.0,
        "value_for_money": float(orders.cost.sum() / gmv) if gmv else 0.0,
        "commerce_reach_share": reached / len(model.fans),
        "views_per_fan_median": median_views,
        "views_per_fan_mean": mean_views if fan_views else 0.0,
        "new_works": int((works.stage == 0).sum()),
        "new_works_below_base": _below_base(model, works, allocation.impressions),
        "climbing_works": int((works.stage > 0).sum()),
        "penalised_creators": settled.penalised,
        "event_day": model.day in sc.commerce.event_days,
    }
