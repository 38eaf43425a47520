"""The metric catalogue: every metric's name and one-line meaning, in one place
(docs/metrics.md is generated from these tables)."""

from __future__ import annotations

from sim.model.state import FOLLOWER_TIERS

__all__ = ["CREATOR_COLUMNS", "DAILY_METRICS", "FAN_COLUMNS", "FOLLOWER_TIERS", "RUN_KPIS"]

DAILY_METRICS: dict[str, str] = {
    "day": "Day index, starting at 0.",
    "impressions": "Discovery impressions allocated to works (sim units); equals the sum of "
    "the allocation.",
    "filler_impressions": "Discovery impressions of recent works that filled the feed where "
    "new and climbing works could not (the budget the allocation left).",
    "views": "Views of works, counted by works: discovery plus follow page (sim units).",
    "fan_views": "Views counted by fans: the sum of every fan's views today (equals views).",
    "views_discovery": "Views coming from the discovery feed.",
    "views_follow": "Views coming from the follow page (only of creators the fan follows).",
    "follows": "New follows: edges fan -> creator made today by fans who viewed its work.",
    "unfollows": "Follows undone today (interest faded, the creator left, or the slot was needed).",
    "follow_edges": "Edges of the follow graph at the end of the day (sum of followers).",
    "orders": "Orders placed (sim units).",
    "orders_real": "Orders times scale: the real-platform equivalent.",
    "gmv": "Gross merchandise value: sum of price over orders, in yuan (sim units).",
    "gmv_real": "GMV times scale: the real-platform equivalent, in yuan.",
    "net_gmv": "GMV net of the orders returned after a complaint, in yuan (sim units).",
    "net_gmv_real": "Net GMV times scale, real-equivalent yuan.",
    "shop_share": "Share of GMV sold through the platform shop (the rest: external stores).",
    "average_order_value": "GMV per order, in yuan (0 on a day without orders).",
    "platform_revenue": "Platform commission on own-shop sales, in yuan (sim units).",
    "platform_revenue_real": "Platform revenue times scale.",
    "exposure_gini": "Gini of impressions per creator (creators with a work today), after "
    "fairness control.",
    "exposure_gini_plain": "The same Gini for the plain allocation, before fairness control.",
    "fairness_feasible": "Whether every requested fairness constraint held today.",
    "cap_binding": "Whether the Gini cap bound today: the plain allocation's exposure Gini "
    "was above it.",
    "floor_binding": "Whether the ordinary floor bound today: the plain allocation gave "
    "ordinary creators less than it.",
    "exposure_top1_share": "Share of impressions to the top 1% of creators with a work.",
    "exposure_top10_share": "Share of impressions to the top 10% of creators with a work.",
    "ordinary_share": "Share of discovery impressions to ordinary (non-head) creators' works: "
    "what the floor acts on.",
    "head_throttle": "Factor on head creators' climbing quotas the platform set for the next "
    "day, steered so ordinary creators' share of all views meets the floor (1: no throttle).",
    "ordinary_share_all": "Share of all views (discovery and follow page) that went to "
    "ordinary creators' works (fact F2).",
    "follower_gini": "Gini of followers across active creators.",
    "follower_top1_share": "Share of all followers held by the top 1% of active creators.",
    "follower_top10_share": "Share of all followers held by the top 10% of active creators.",
    "income_gini": "Gini of last-30-day income across active commerce creators.",
    "active_creators": "Creators on the platform at the end of the day.",
    "active_commerce_creators": "Commerce creators on the platform at the end of the day.",
    "entering_creators": "Creators that joined today.",
    "leaving_creators": "Creators that left today.",
    "creators_with_income": "Creators that earned anything today.",
    "head_creators": "Creators counted as head (real followers above head_follower_share of DAU).",
    "median_income_tier1": "Median last-30-day income (real-equivalent yuan) of active commerce "
    "creators with under 10k real-equivalent followers.",
    "median_income_tier2": "The same for 10k to 100k followers.",
    "median_income_tier3": "The same for over 100k followers (fact F5).",
    "repeat_purchase_rate": "Share of orders from fans who had bought from the same creator.",
    "follow_page_order_share": "Share of orders that came from follow-page views.",
    "seeded_order_share": "Share of orders decided on an earlier day: a short video's seeded "
    "interest (种草) bought on its day (拔草).",
    "seeded_waiting": "Decisions to buy that a short video seeded, not yet due (end of day).",
    "live_gmv_share": "Share of GMV sold within live streams.",
    "complaint_rate": "Share of orders that drew a complaint (and were returned).",
    "mean_price": "Mean price paid per order, in yuan.",
    "mean_supplier_cost": "Mean supplier unit cost of the goods ordered, in yuan.",
    "value_for_money": "Supplier cost over price paid (higher: less taken by middlemen).",
    "commerce_reach": "Distinct fans who viewed at least one commerce work today (F7).",
    "commerce_reach_share": "Commerce reach as a share of all fans.",
    "views_per_fan_median": "Median of the fans' realized views today (KuaiRec: about 42).",
    "views_per_fan_mean": "Mean of the fans' realized views today (KuaiRec: about 66).",
    "new_works": "Works posted today (short videos and live streams).",
    "new_works_below_base": "New works that got less than the base exposure although the "
    "budget covered every new work's base (fact F1: always 0).",
    "climbing_works": "Works in a climbing stage (promoted from an earlier round).",
    "penalised_creators": "Creators penalised today after a quality check.",
    "penalised_bad_creators": "Of them, sellers of bad goods (the check was right).",
    "penalties_on_bad_share": "Share of today's penalties that hit sellers of bad goods "
    "(0 on a day without penalties; the run KPI pools the days).",
    "creators_on_merchant_goods": "Share of active commerce creators carrying a merchant's "
    "goods (not their own).",
    "creators_on_bad_goods": "Share of active commerce creators carrying bad goods.",
    "barred_sellers": "Share of active commerce creators barred from selling today (a "
    "quality check caught them within the last `penalty_days`).",
    "event_day": "Whether today is a promotional event day.",
}


RUN_KPIS: dict[str, str] = {
    "days": "Days simulated.",
    "gmv_real_total": "GMV over the run, real-equivalent yuan.",
    "orders_real_total": "Orders over the run, real-equivalent.",
    "gmv_real_per_day": "Mean daily GMV, real-equivalent yuan.",
    "net_gmv_real_total": "GMV net of returned orders over the run, real-equivalent yuan.",
    "shop_share": "Share of the run's GMV sold through the platform shop.",
    "penalties_on_bad_share": "Share of the run's penalties that hit sellers of bad goods.",
    "creators_on_bad_goods_mean": "Mean daily share of commerce creators carrying bad goods.",
    "barred_sellers_mean": "Mean daily share of commerce creators barred from selling.",
    "creators_on_merchant_goods_mean": "Mean daily share of commerce creators carrying "
    "merchants' goods.",
    "average_order_value": "GMV per order over the run, in yuan.",
    "platform_revenue_real_total": "Platform commission over the run, real-equivalent yuan.",
    "exposure_gini_mean": "Mean daily exposure Gini (after fairness control).",
    "exposure_gini_max": "Highest daily exposure Gini (fact F3: at most the cap).",
    "ordinary_share_min": "Lowest daily share of impressions to ordinary creators (F2).",
    "ordinary_share_mean": "Mean daily share of impressions to ordinary creators.",
    "follower_gini_final": "Gini of followers across active creators on the last day.",
    "follower_top1_share_final": "Share of followers held by the top 1% of creators, last day.",
    "income_gini_final": "Gini of monthly income across active commerce creators, last day.",
    "median_income_tier3_final": "Median monthly income (real-equivalent yuan) of commerce "
    "creators with over 100k real-equivalent followers, last day (F5).",
    "active_creators_final": "Creators on the platform on the last day.",
    "commerce_creator_growth_monthly": "Monthly growth rate of active commerce creators over "
    "the first year (F6).",
    "repeat_purchase_rate": "Share of all orders from fans who had bought from the creator.",
    "complaint_rate": "Share of all orders that drew a complaint.",
    "seeded_order_share": "Share of all orders decided on an earlier day (种草, then 拔草).",
    "live_gmv_share": "Share of all GMV sold within live streams.",
    "mean_price": "Mean price paid per order, in yuan.",
    "commerce_reach_share_mean": "Mean share of fans reached by commerce content per day, "
    "last 30 days (F7).",
    "views_per_fan_median": "Mean over days of the median views per fan (F10).",
    "views_per_fan_mean": "Mean over days of the mean views per fan (F10).",
    "fairness_feasible_share": "Share of days on which every fairness constraint held.",
}
"""The summary numbers of a run (:func:`sim.metrics.summary.run_kpis`), with their meanings."""

CREATOR_COLUMNS: dict[str, str] = {
    "creator": "Row of the creator in the model's creator table.",
    "category": "Content and product category.",
    "commerce": "Whether the creator sells goods (else content only).",
    "own_goods": "Has goods of its own (stall or factory owner).",
    "sells_own": "Sold its own goods at the end, rather than merchants' (a choice).",
    "external_store": "Also has a store on an external platform (multi-channel).",
    "alive": "Still on the platform at the end.",
    "entry_day": "Day the creator joined (0 for the initial population).",
    "exit_day": "Day the creator left (missing if it did not).",
    "followers": "Followers at the end (sim units).",
    "followers_real": "Followers x scale / creator_scale: each member creator's real followers.",
    "follower_share_of_fans": "Real followers / DAU: followers / (fans x creator_scale).",
    "impressions": "Discovery impressions the creator's works received over the run.",
    "income": "Income over the run, in yuan (sim units).",
    "income_real": "Income x scale / creator_scale: real yuan per creator it stands for.",
    "gmv": "GMV sold over the run, in yuan (sim units).",
    "gmv_real": "GMV x scale / creator_scale: real yuan per creator it stands for.",
    "orders": "Orders sold over the run.",
    "gmv_per_follower": "GMV per follower (missing without followers).",
    "max_live_gmv_real": "Best GMV of one live stream (one day's stream) x scale, real yuan (F8b).",
    "max_live_follower_share": "Followers on the day of that best live over fans x creator_scale.",
    "event_gmv_real": "GMV over the festival's days x scale / creator_scale, real yuan (F9).",
    "event_orders_real": "Orders over the festival's days x scale / creator_scale (F9).",
    "quality": "Content quality (skill); log-normal around 1.",
    "sales_skill": "Sales skill (persona); log-normal around 1.",
    "days_to_10k": "Days from entry to 10k real-equivalent followers (missing: not reached).",
    "days_to_100k": "Days from entry to 100k real-equivalent followers.",
    "days_to_1m": "Days from entry to 1M real-equivalent followers (fact F4).",
}
"""Columns of creators.parquet (:func:`sim.metrics.summary.creator_table`)."""


FAN_COLUMNS: dict[str, str] = {
    "fan": "Row of the fan in the model's fan table.",
    "category": "The fan's interest category.",
    "views": "Views the fan made over the run (sim units).",
    "follows": "Follows the fan made over the run.",
    "orders": "Orders the fan placed over the run.",
    "spend": "Yuan the fan spent over the run.",
    "following": "Creators the fan follows at the end.",
}
"""Columns of fans.parquet (:func:`sim.metrics.summary.fan_table`)."""
