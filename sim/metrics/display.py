"""How metrics read to a person: a plain title, a unit, a number format and which way is
better, for every run KPI and daily metric of :mod:`sim.metrics.catalogue`.

The catalogue says what each metric *means*; this module says how to *show* it, so the
app, reports and plots print ``GMV (real-equivalent) ¥53.8B`` rather than
``gmv_real_total 5.38e10``. Every name of :data:`~sim.metrics.catalogue.RUN_KPIS` and
:data:`~sim.metrics.catalogue.DAILY_METRICS` has an entry (a test keeps it so)::

    >>> from sim.metrics.display import kpi_display
    >>> kpi_display("gmv_real_total").format(53.8e9)
    '¥53.8B'
    >>> kpi_display("ordinary_share_mean").format(0.9937)
    '99.4%'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sim.metrics.catalogue import DAILY_METRICS, RUN_KPIS

__all__ = [
    "DAILY_DISPLAY",
    "KPI_DISPLAY",
    "Better",
    "Display",
    "Unit",
    "compact",
    "daily_display",
    "kpi_display",
    "missing",
]

Unit = Literal["yuan", "count", "share", "gini", "rate", "days", "number", "flag"]
"""How a value is written: ``yuan`` ¥53.8B, ``count`` 700M, ``share`` 99.4% (a share of a
whole), ``rate`` 1.00% (a small per-order rate), ``gini`` 0.597, ``days`` 180, ``number``
76.8, ``flag`` yes/no."""
Better = Literal["higher", "lower"] | None
"""Which direction a planner would call an improvement; None when it is a matter of policy
(a price, a count of works) rather than better or worse."""

UNIT_WORDS: dict[Unit, str] = {
    "yuan": "¥",
    "count": "",
    "share": "%",
    "rate": "%",
    "gini": "",
    "days": "",
    "number": "",
    "flag": "",
}
"""The unit as a title's suffix says it."""

D3_FORMATS: dict[Unit, str] = {
    "yuan": "~s",
    "count": "~s",
    "share": ".0%",
    "rate": ".1%",
    "gini": ".2f",
    "days": "d",
    "number": "~g",
    "flag": "d",
}
"""Axis formats (d3-format, as Vega-Lite takes them) per unit."""


@dataclass(frozen=True)
class Display:
    """How one metric is shown: its title, unit and better direction."""

    name: str
    title: str
    unit: Unit
    better: Better = None

    @property
    def label(self) -> str:
        """Title with its unit, for table rows and axes: ``GMV, real-equivalent (¥)``."""
        word = UNIT_WORDS[self.unit]
        return f"{self.title} ({word})" if word else self.title

    @property
    def axis_format(self) -> str:
        """The d3 format of an axis showing this metric."""
        return D3_FORMATS[self.unit]

    def format(self, value: float | None) -> str:
        """The value as a person reads it: ``¥53.8B``, ``700M``, ``99.4%``, ``0.597``."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "n/a"
        match self.unit:
            case "yuan":
                return _signed_prefix(value, "¥")
            case "count":
                return compact(value) if abs(value) >= 1e4 else f"{value:,.0f}"
            case "share":
                return f"{value:.1%}"
            case "rate":
                return f"{value:.2%}"
            case "gini":
                return f"{value:.3f}"
            case "days":
                return f"{value:,.0f}"
            case "flag":
                return "yes" if value else "no"
            case _:
                return f"{value:,.3g}" if abs(value) < 1e4 else compact(value)

    def format_change(self, change: float | None) -> str:
        """A difference with its sign: ``+¥2.9B``, ``−0.4 pp`` for shares, ``+0.012``."""
        if change is None or not math.isfinite(change):
            return "n/a"
        if change == 0:
            return "0"
        sign = "+" if change > 0 else "−"
        size = abs(change)
        match self.unit:
            case "share" | "rate":
                digits = 1 if self.unit == "share" else 2
                return f"{sign}{size * 100:.{digits}f} pp"
            case "yuan":
                return f"{sign}¥{compact(size)}"
            case "gini":
                return f"{sign}{size:.3f}"
            case _:
                return f"{sign}{self.format(size)}"

    def is_better(self, change: float) -> bool | None:
        """Whether ``change`` (new minus reference) is an improvement; None if neutral."""
        if self.better is None or change == 0 or not math.isfinite(change):
            return None
        return (change > 0) == (self.better == "higher")


def compact(value: float) -> str:
    """Three significant digits with a thousands suffix: ``53_800_956_396`` as ``53.8B``,
    ``27_217`` as ``27.2K``; below ten thousand in full (``9,999``, ``7,978``), with cents
    below a hundred (``76.84``)."""
    magnitude = abs(value)
    if magnitude >= 1e4:
        for unit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if magnitude >= unit:
                mantissa = magnitude / unit
                decimals = 2 if mantissa < 10 else 1 if mantissa < 100 else 0
                return f"{value / unit:,.{decimals}f}{suffix}"
    if float(value).is_integer() or magnitude >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _signed_prefix(value: float, prefix: str) -> str:
    return f"-{prefix}{compact(-value)}" if value < 0 else f"{prefix}{compact(value)}"


def _table(rows: list[tuple[str, str, Unit, Better]]) -> dict[str, Display]:
    return {name: Display(name, title, unit, better) for name, title, unit, better in rows}


KPI_DISPLAY: dict[str, Display] = _table(
    [
        ("days", "Days simulated", "days", None),
        ("gmv_real_total", "GMV, real-equivalent", "yuan", "higher"),
        ("orders_real_total", "Orders, real-equivalent", "count", "higher"),
        ("gmv_real_per_day", "GMV per day, real-equivalent", "yuan", "higher"),
        ("net_gmv_real_total", "GMV net of returns, real-equivalent", "yuan", "higher"),
        ("shop_share", "Share of GMV through the platform shop", "share", None),
        ("penalties_on_bad_share", "Penalties that hit sellers of bad goods", "share", "higher"),
        ("creators_on_bad_goods_mean", "Commerce creators carrying bad goods", "share", "lower"),
        ("barred_sellers_mean", "Commerce creators barred from selling", "share", None),
        ("creators_on_merchant_goods_mean", "Commerce creators carrying merchants' goods",
         "share", None),
        ("average_order_value", "Average order value", "yuan", None),
        ("platform_revenue_real_total", "Platform revenue, real-equivalent", "yuan", "higher"),
        ("exposure_gini_mean", "Exposure concentration (mean Gini)", "gini", "lower"),
        ("exposure_gini_max", "Exposure concentration (highest Gini)", "gini", "lower"),
        ("ordinary_share_min", "Ordinary creators' share of traffic (lowest day)", "share",
         "higher"),
        ("ordinary_share_mean", "Ordinary creators' share of traffic", "share", "higher"),
        ("follower_gini_final", "Follower concentration (Gini, last day)", "gini", "lower"),
        ("follower_top1_share_final", "Followers held by the top 1% (last day)", "share",
         "lower"),
        ("income_gini_final", "Income concentration (Gini, last day)", "gini", "lower"),
        ("median_income_tier3_final", "Median monthly income, >100k followers", "yuan",
         "higher"),
        ("active_creators_final", "Active creators (last day)", "count", "higher"),
        ("commerce_creator_growth_monthly", "Commerce creator growth per month", "share",
         "higher"),
        ("repeat_purchase_rate", "Repeat purchase rate", "share", "higher"),
        ("complaint_rate", "Complaint rate", "rate", "lower"),
        ("seeded_order_share", "Orders decided on an earlier day (seeded)", "share", None),
        ("live_gmv_share", "GMV sold within live streams", "share", None),
        ("mean_price", "Mean price paid", "yuan", "lower"),
        ("commerce_reach_share_mean", "Fans reached by commerce content", "share", "higher"),
        ("views_per_fan_median", "Views per fan per day (median)", "number", None),
        ("views_per_fan_mean", "Views per fan per day (mean)", "number", None),
        ("fairness_feasible_share", "Days every fairness constraint held", "share", "higher"),
    ]
)  # fmt: skip
"""Display of every run KPI (:data:`~sim.metrics.catalogue.RUN_KPIS`)."""

DAILY_DISPLAY: dict[str, Display] = _table(
    [
        ("day", "Day", "days", None),
        ("impressions", "Discovery impressions (sim units)", "count", None),
        ("filler_impressions", "Impressions of recent works filling the feed", "count", None),
        ("views", "Views (sim units)", "count", None),
        ("fan_views", "Views counted by fans (sim units)", "count", None),
        ("views_discovery", "Views from discovery (sim units)", "count", None),
        ("views_follow", "Views from the follow page (sim units)", "count", None),
        ("follows", "New follows (sim units)", "count", None),
        ("unfollows", "Unfollows (sim units)", "count", None),
        ("follow_edges", "Follows in the graph (sim units)", "count", None),
        ("orders", "Orders (sim units)", "count", "higher"),
        ("orders_real", "Orders, real-equivalent", "count", "higher"),
        ("gmv", "GMV (sim units)", "yuan", "higher"),
        ("gmv_real", "GMV, real-equivalent", "yuan", "higher"),
        ("net_gmv", "GMV net of returns (sim units)", "yuan", "higher"),
        ("net_gmv_real", "GMV net of returns, real-equivalent", "yuan", "higher"),
        ("shop_share", "Share of GMV through the platform shop", "share", None),
        ("average_order_value", "Average order value", "yuan", None),
        ("platform_revenue", "Platform revenue (sim units)", "yuan", "higher"),
        ("platform_revenue_real", "Platform revenue, real-equivalent", "yuan", "higher"),
        ("exposure_gini", "Exposure Gini (after fairness)", "gini", "lower"),
        ("exposure_gini_plain", "Exposure Gini of the plain allocation", "gini", "lower"),
        ("fairness_feasible", "Every fairness constraint held", "flag", "higher"),
        ("cap_binding", "The Gini cap bound", "flag", None),
        ("floor_binding", "The ordinary floor bound", "flag", None),
        ("exposure_top1_share", "Impressions to the top 1% of creators", "share", "lower"),
        ("exposure_top10_share", "Impressions to the top 10% of creators", "share", "lower"),
        ("ordinary_share", "Ordinary creators' share of impressions", "share", "higher"),
        ("ordinary_share_all", "Ordinary creators' share of all views", "share", "higher"),
        ("head_throttle", "Factor on head creators' climbing quotas", "number", None),
        ("follower_gini", "Follower Gini", "gini", "lower"),
        ("follower_top1_share", "Followers held by the top 1%", "share", "lower"),
        ("follower_top10_share", "Followers held by the top 10%", "share", "lower"),
        ("income_gini", "Income Gini (last 30 days)", "gini", "lower"),
        ("active_creators", "Active creators", "count", "higher"),
        ("active_commerce_creators", "Active commerce creators", "count", "higher"),
        ("entering_creators", "Creators entering", "count", None),
        ("leaving_creators", "Creators leaving", "count", "lower"),
        ("creators_with_income", "Creators with income today", "count", "higher"),
        ("head_creators", "Head creators", "count", None),
        ("median_income_tier1", "Median monthly income, <10k followers", "yuan", "higher"),
        ("median_income_tier2", "Median monthly income, 10k-100k followers", "yuan", "higher"),
        ("median_income_tier3", "Median monthly income, >100k followers", "yuan", "higher"),
        ("repeat_purchase_rate", "Repeat purchase rate", "share", "higher"),
        ("follow_page_order_share", "Orders from the follow page", "share", None),
        ("seeded_order_share", "Orders decided on an earlier day (seeded)", "share", None),
        ("seeded_waiting", "Seeded decisions not yet due", "count", None),
        ("live_gmv_share", "GMV sold within live streams", "share", None),
        ("complaint_rate", "Complaint rate", "rate", "lower"),
        ("mean_price", "Mean price paid", "yuan", "lower"),
        ("mean_supplier_cost", "Mean supplier cost", "yuan", None),
        ("value_for_money", "Value for money (supplier cost / price)", "share", "higher"),
        ("commerce_reach", "Fans reached by commerce content (sim units)", "count", None),
        ("commerce_reach_share", "Fans reached by commerce content", "share", "higher"),
        ("views_per_fan_median", "Views per fan (median)", "number", None),
        ("views_per_fan_mean", "Views per fan (mean)", "number", None),
        ("new_works", "New works", "count", None),
        ("new_works_below_base", "New works below their base exposure", "count", "lower"),
        ("climbing_works", "Climbing works", "count", None),
        ("penalised_creators", "Creators penalised", "count", None),
        ("penalised_bad_creators", "Sellers of bad goods penalised", "count", None),
        ("penalties_on_bad_share", "Penalties that hit sellers of bad goods", "share", "higher"),
        (
            "creators_on_merchant_goods",
            "Commerce creators carrying merchants' goods",
            "share",
            None,
        ),
        ("creators_on_bad_goods", "Commerce creators carrying bad goods", "share", "lower"),
        ("barred_sellers", "Commerce creators barred from selling", "share", None),
        ("event_day", "Event day", "flag", None),
    ]
)
"""Display of every daily metric (:data:`~sim.metrics.catalogue.DAILY_METRICS`)."""


def kpi_display(name: str) -> Display:
    """The display of a run KPI; a KPI the catalogue gained since is shown by its name."""
    return KPI_DISPLAY.get(name) or Display(name, name.replace("_", " "), "number")


def daily_display(name: str) -> Display:
    """The display of a daily metric (a new one falls back to its name)."""
    return DAILY_DISPLAY.get(name) or Display(name, name.replace("_", " "), "number")


def missing() -> list[str]:
    """Catalogue names without a display entry (a test keeps this empty)."""
    return [n for n in RUN_KPIS if n not in KPI_DISPLAY] + [
        n for n in DAILY_METRICS if n not in DAILY_DISPLAY
    ]
