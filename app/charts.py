"""The app's charts as Altair (Vega-Lite) specs, and the small tables they are drawn from.

Each chart function takes plain DataFrames and returns a chart, so tests can read the
spec (its fields, folds and rules) without a browser. Time series fold the wide daily
table's columns, so a spec names the metrics of :data:`sim.metrics.DAILY_METRICS` it shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from sim.fairness import lorenz
from sim.metrics.catalogue import DAILY_METRICS

type AnyChart = alt.Chart | alt.LayerChart | alt.FacetChart
"""What the chart functions return; ``st.altair_chart`` takes each."""

NUMERIC_METRICS = [
    name for name in DAILY_METRICS if name not in ("day", "event_day", "fairness_feasible")
]
"""Daily metrics that chart as numbers over days."""
LORENZ_POINTS = 51
LORENZ_COLOURS = ["#9ecae1", "#08519c", "#999999"]
"""Start light, end dark, equality grey."""
FACET_WIDTH = 220
INCOME_TIERS = {
    "median_income_tier1": "<10k followers",
    "median_income_tier2": "10k-100k",
    "median_income_tier3": ">100k",
}


# -- tables ------------------------------------------------------------------------------


def lorenz_frame(start: pd.DataFrame, end: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Lorenz curves of exposure, followers and income at the start and end of a run.

    ``start`` and ``end`` hold active creators' cumulative ``impressions``, ``followers``
    and ``income`` after day 1 and at the end.
    """
    moments = ("day 1", f"day {len(daily)}")
    parts = []
    for label, table in zip(moments, (start, end), strict=True):
        for measure, column in (
            ("exposure", "impressions"),
            ("followers", "followers"),
            ("income", "income"),
        ):
            population, share = lorenz(table[column].to_numpy(dtype=float), LORENZ_POINTS)
            parts.append(_curve(measure, label, population, share))
    for measure in ("exposure", "followers", "income"):
        parts.append(_curve(measure, "equality", [0, 1], [0, 1]))
    return pd.concat(parts, ignore_index=True)


def _curve(
    measure: str,
    moment: str,
    population: Sequence[float] | np.ndarray,
    share: Sequence[float] | np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure": measure,
            "moment": moment,
            "population_share": np.asarray(population, dtype=float),
            "value_share": np.asarray(share, dtype=float),
        }
    )


def follower_distribution(creators: pd.DataFrame, bins_per_decade: int = 5) -> pd.DataFrame:
    """Active creators per logarithmic bin of real-equivalent followers (zeros left out)."""
    followers = creators.loc[creators["alive"], "followers_real"].to_numpy(dtype=float)
    followers = followers[followers > 0]
    if followers.size == 0:
        return pd.DataFrame({"followers_real": [], "creators": []})
    low, high = np.floor(np.log10(followers.min())), np.ceil(np.log10(followers.max()))
    edges = 10.0 ** np.arange(low, max(high, low + 1) + 1e-9, 1.0 / bins_per_decade)
    counts, _ = np.histogram(followers, edges)
    frame = pd.DataFrame({"followers_real": np.sqrt(edges[:-1] * edges[1:]), "creators": counts})
    return frame[frame["creators"] > 0].reset_index(drop=True)


def seed_band(runs: dict[str, list[pd.DataFrame]], metric: str) -> pd.DataFrame:
    """Per policy and day: mean, lowest and highest of ``metric`` across seeds."""
    frames = [
        daily[["day", metric]].assign(policy=policy)
        for policy, dailies in runs.items()
        for daily in dailies
    ]
    grouped = pd.concat(frames).groupby(["policy", "day"], sort=False)[metric]
    band = grouped.agg(["mean", "min", "max"]).reset_index()
    return band.rename(columns={"min": "low", "max": "high"})


# -- charts ------------------------------------------------------------------------------


def _series(daily: pd.DataFrame, metrics: Sequence[str], title: str, y_title: str) -> AnyChart:
    """Daily lines of ``metrics`` (folded into metric/value), one colour each."""
    chart: AnyChart = (
        alt.Chart(daily[["day", *metrics]], title=title)
        .transform_fold(list(metrics), as_=["metric", "value"])
        .mark_line()
        .encode(
            x=alt.X("day:Q", title="day"),
            y=alt.Y("value:Q", title=y_title),
            color=alt.Color(
                "metric:N", title=None, sort=list(metrics), legend=alt.Legend(orient="bottom")
            ),
            tooltip=["day:Q", "metric:N", alt.Tooltip("value:Q", format=",.4g")],
        )
    )
    return chart


def _with_rule(chart: AnyChart, name: str, value: float | None) -> AnyChart:
    """``chart`` with a dashed horizontal rule at a policy bound (none when unset)."""
    if value is None:
        return chart
    rule = (
        alt.Chart(pd.DataFrame({name: [value]}))
        .mark_rule(strokeDash=[6, 4], color="firebrick")
        .encode(y=f"{name}:Q", tooltip=[f"{name}:Q"])
    )
    return alt.layer(chart, rule)


def exposure_gini_chart(daily: pd.DataFrame, gini_cap: float | None) -> AnyChart:
    """Exposure Gini per day, before and after fairness control, against the cap."""
    title = "Exposure Gini per day" + (
        f" (cap {gini_cap:g}, dashed)" if gini_cap is not None else " (no cap)"
    )
    chart = _series(daily, ["exposure_gini", "exposure_gini_plain"], title, "Gini")
    return _with_rule(chart, "gini_cap", gini_cap)


def ordinary_share_chart(daily: pd.DataFrame, ordinary_floor: float | None) -> AnyChart:
    """Share of impressions to ordinary creators per day, against the floor."""
    title = "Ordinary creators' share of impressions" + (
        f" (floor {ordinary_floor:g}, dashed)" if ordinary_floor is not None else " (no floor)"
    )
    chart = _series(daily, ["ordinary_share"], title, "share")
    return _with_rule(chart, "ordinary_floor", ordinary_floor)


def lorenz_chart(curves: pd.DataFrame) -> AnyChart:
    """Lorenz curves (start, end, equality) side by side for each measure."""
    moments = list(dict.fromkeys(curves["moment"]))  # start, end, equality
    chart: AnyChart = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x=alt.X("population_share:Q", title="share of creators (poorest first)"),
            y=alt.Y("value_share:Q", title="cumulative share"),
            color=alt.Color(
                "moment:N",
                title=None,
                scale=alt.Scale(domain=moments, range=LORENZ_COLOURS[: len(moments)]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "moment:N",
                scale=alt.Scale(domain=moments, range=[[1, 0], [1, 0], [4, 4]][: len(moments)]),
                legend=None,
            ),
            tooltip=["measure:N", "moment:N", "population_share:Q", "value_share:Q"],
        )
        .properties(width=FACET_WIDTH, height=FACET_WIDTH)
        .facet(column=alt.Column("measure:N", title=None, sort=["exposure", "followers", "income"]))
        .properties(title="Lorenz curves: start vs end")
    )
    return chart


def gmv_orders_chart(daily: pd.DataFrame) -> AnyChart:
    """Real-equivalent GMV (left axis) and orders (right axis) per day."""
    base = alt.Chart(daily[["day", "gmv_real", "orders_real"]]).encode(x=alt.X("day:Q"))
    lines = []
    for metric, title, colour in (
        ("gmv_real", "GMV (yuan)", "#1f77b4"),
        ("orders_real", "orders", "#ff7f0e"),
    ):
        axis = alt.Axis(title=f"{title}: {metric}", titleColor=colour, format="~s")
        lines.append(
            base.mark_line(color=colour).encode(
                y=alt.Y(f"{metric}:Q", axis=axis),
                tooltip=["day:Q", alt.Tooltip(f"{metric}:Q", format=",.4s")],
            )
        )
    chart: AnyChart = alt.layer(
        *lines, title="GMV and orders per day, real-equivalent"
    ).resolve_scale(y="independent")
    return chart


def follower_distribution_chart(distribution: pd.DataFrame) -> AnyChart:
    """Creators per follower bin on log-log axes (a straight line is a power law)."""
    chart: AnyChart = (
        alt.Chart(distribution, title="Follower distribution of active creators (log-log)")
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "followers_real:Q", scale=alt.Scale(type="log"), title="followers (real-equivalent)"
            ),
            y=alt.Y("creators:Q", scale=alt.Scale(type="log"), title="creators"),
            tooltip=[alt.Tooltip("followers_real:Q", format=",.0f"), "creators:Q"],
        )
    )
    return chart


def income_by_tier_chart(daily: pd.DataFrame) -> AnyChart:
    """Median monthly income of commerce creators per follower tier, per day."""
    tiers = daily[["day", *INCOME_TIERS]].rename(columns=INCOME_TIERS)
    return _series(
        tiers,
        list(INCOME_TIERS.values()),
        "Median monthly income by follower tier",
        "yuan a month (real-equivalent)",
    )


def creator_flow_chart(daily: pd.DataFrame) -> AnyChart:
    """Creators entering and leaving per day."""
    return _series(
        daily,
        ["entering_creators", "leaving_creators"],
        "Creators entering and leaving",
        "creators",
    )


def overlay_chart(band: pd.DataFrame, metric: str) -> AnyChart:
    """Each policy's mean across seeds as a line, its lowest-to-highest seed as a band."""
    base = alt.Chart(band).encode(
        x=alt.X("day:Q"), color=alt.Color("policy:N", legend=alt.Legend(orient="bottom"))
    )
    area = base.mark_area(opacity=0.2).encode(y=alt.Y("low:Q", title=metric), y2=alt.Y2("high:Q"))
    line = base.mark_line().encode(
        y=alt.Y("mean:Q", title=metric),
        tooltip=["policy:N", "day:Q", "mean:Q", "low:Q", "high:Q"],
    )
    return alt.layer(area, line, title=f"{metric}: mean across seeds, band from lowest to highest")


def runs_chart(long: pd.DataFrame) -> AnyChart:
    """Chosen metrics of chosen runs: one row per metric, one colour per run."""
    chart: AnyChart = (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("day:Q"),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("run:N", legend=alt.Legend(orient="bottom", labelLimit=400)),
            tooltip=["run:N", "metric:N", "day:Q", alt.Tooltip("value:Q", format=",.4g")],
        )
        .properties(width=3 * FACET_WIDTH, height=160)
        .facet(row=alt.Row("metric:N", title=None))
        .resolve_scale(y="independent")
    )
    return chart
