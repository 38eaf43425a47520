"""The app's charts as Altair (Vega-Lite) specs, and the small tables they are drawn from.

Each chart function takes plain DataFrames and returns a chart, so tests read the spec
(fields, titles, axis formats, colours) without a browser. Policies get distinct
colour-blind-safe colours (Okabe and Ito's palette) in a fixed order, legends are never
cut, and axes carry the metric's title, unit and number format from
:mod:`sim.metrics.display`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

import sim
from app.kpis import display as kpi_display
from sim.metrics.display import Display, daily_display

type AnyChart = alt.Chart | alt.LayerChart | alt.FacetChart | alt.HConcatChart
"""What the chart functions return; ``st.altair_chart`` takes each."""

NUMERIC_METRICS = [
    name for name in sim.DAILY_METRICS if name not in ("day", "event_day", "fairness_feasible")
]
"""Daily metrics that chart as numbers over days."""
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
"""Okabe-Ito: distinguishable with every common colour-vision deficiency."""
BOUND_COLOUR = "#D55E00"
LORENZ_POINTS = 51
FACET_WIDTH = 220
INCOME_TIERS = {
    "median_income_tier1": "<10k followers",
    "median_income_tier2": "10k-100k",
    "median_income_tier3": ">100k",
}
MIXED_LABELS = (
    "abs(datum.value) >= 10000 ? replace(format(datum.value, '~s'), 'G', 'B') "
    ": format(datum.value, '~g')"
)
"""Axis labels for rows of different metrics: 2B for totals, 0.4 for a Gini."""
LEGEND = alt.Legend(orient="bottom", labelLimit=0, titleLimit=0, columns=2)


def value_axis(shown: Display, title: str | None = None) -> alt.Axis:
    """An axis for a metric: its title with unit and its number format; yuan and counts
    read ``¥2B`` and ``30M`` (d3 writes billions as G)."""
    expression = "replace(datum.label, 'G', 'B')"
    if shown.unit == "yuan":
        expression = f"'¥' + {expression}"
    label = expression if shown.unit in ("yuan", "count") else "datum.label"
    return alt.Axis(
        format=shown.axis_format,
        title=shown.label if title is None else title,
        labelExpr=label,
    )


def colour_scale(names: Sequence[str]) -> alt.Scale:
    """A colour per name, in order: the reference policy always gets the first."""
    return alt.Scale(domain=list(names), range=list(PALETTE[: len(names)]))


def _title(metric: str) -> str:
    return daily_display(metric).label


# -- tables ------------------------------------------------------------------------------


def lorenz_frame(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Lorenz curves of exposure, followers and income at the end of a run, one per policy.

    Each table holds active creators' cumulative ``impressions``, ``followers`` and
    ``income``.
    """
    parts = []
    for label, table in tables.items():
        for measure, column in (
            ("exposure", "impressions"),
            ("followers", "followers"),
            ("income", "income"),
        ):
            population, share = sim.lorenz(table[column].to_numpy(dtype=float), LORENZ_POINTS)
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


def seed_band(runs: Mapping[str, Sequence[pd.DataFrame]], metric: str) -> pd.DataFrame:
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


def overlay_chart(
    band: pd.DataFrame,
    metric: str,
    policies: Sequence[str],
    bound: tuple[str, float] | None = None,
) -> AnyChart:
    """Each policy's mean across seeds as a line, its lowest-to-highest seed as a band,
    and an optional dashed policy bound (the cap, the floor)."""
    shown = daily_display(metric)
    colour = alt.Color("policy:N", title="policy", scale=colour_scale(policies), legend=LEGEND)
    base = alt.Chart(band).encode(x=alt.X("day:Q", title="day"), color=colour)
    axis = value_axis(shown)
    area = base.mark_area(opacity=0.18).encode(y=alt.Y("low:Q", axis=axis), y2=alt.Y2("high:Q"))
    line = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("mean:Q", axis=axis),
        tooltip=[
            "policy:N",
            "day:Q",
            alt.Tooltip("mean:Q", format=shown.axis_format),
            alt.Tooltip("low:Q", format=shown.axis_format),
            alt.Tooltip("high:Q", format=shown.axis_format),
        ],
    )
    title = f"{shown.title}: mean across seeds, band from lowest to highest"
    if bound is None:
        return alt.layer(area, line, title=title)
    name, value = bound
    rule = (
        alt.Chart(pd.DataFrame({name: [value]}))
        .mark_rule(strokeDash=[6, 4], color=BOUND_COLOUR)
        .encode(y=f"{name}:Q", tooltip=[f"{name}:Q"])
    )
    return alt.layer(area, line, rule, title=f"{title}; {name.replace('_', ' ')} dashed")


def change_chart(table: pd.DataFrame, reference: str, policies: Sequence[str]) -> AnyChart:
    """Each policy's change against the reference in percent of the reference's value,
    with its 95% interval, for the KPIs in ``table`` (a :func:`app.kpis.long_table`)."""
    frame = table[table["policy"] != reference].copy()
    base = table[table["policy"] == reference].set_index("kpi")["mean"]
    scale = frame["kpi"].map(base).abs().replace(0, np.nan)
    for column in ("change", "change_low", "change_high"):
        frame[f"{column}_pct"] = frame[column] / scale
    frame["verdict"] = np.where(frame["clear"], "clear", "within noise")
    others = [p for p in policies if p != reference]
    order = list(dict.fromkeys(frame["title"]))
    y = alt.Y("title:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    colour = alt.Color("policy:N", title="policy", scale=colour_scale(policies), legend=LEGEND)
    offset = alt.YOffset("policy:N", sort=others)
    x_axis = alt.Axis(format="+.0%", title=f"change against {reference} (95% interval)")
    whiskers = (
        alt.Chart(frame)
        .mark_rule(strokeWidth=2)
        .encode(y=y, yOffset=offset, x=alt.X("change_low_pct:Q", axis=x_axis),
                x2="change_high_pct:Q", color=colour)
    )  # fmt: skip
    dots = (
        alt.Chart(frame)
        .mark_point(filled=True, size=70)
        .encode(
            y=y,
            yOffset=offset,
            x=alt.X("change_pct:Q", axis=x_axis),
            color=colour,
            shape=alt.Shape(
                "verdict:N",
                title=None,
                scale=alt.Scale(domain=["clear", "within noise"], range=["circle", "diamond"]),
                legend=LEGEND,
            ),
            tooltip=[
                "policy:N",
                "title:N",
                alt.Tooltip("change_pct:Q", format="+.2%", title="change"),
                alt.Tooltip("change_low_pct:Q", format="+.2%", title="95% low"),
                alt.Tooltip("change_high_pct:Q", format="+.2%", title="95% high"),
                "verdict:N",
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#666").encode(x="zero:Q")
    chart: AnyChart = alt.layer(
        zero, whiskers, dots, title=f"Change against {reference}, with its 95% interval"
    ).properties(height=alt.Step(14 * max(1, len(others))))
    return chart


def lorenz_chart(curves: pd.DataFrame) -> AnyChart:
    """Lorenz curves of each policy (and equality, dashed) side by side for each measure."""
    policies = [m for m in dict.fromkeys(curves["moment"]) if m != "equality"]
    domain = [*policies, "equality"]
    chart: AnyChart = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x=alt.X("population_share:Q", title="share of creators (poorest first)",
                    axis=alt.Axis(format=".0%")),
            y=alt.Y("value_share:Q", title="cumulative share", axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "moment:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[*PALETTE[: len(policies)], "#999999"]),
                legend=LEGEND,
            ),
            strokeDash=alt.StrokeDash(
                "moment:N",
                scale=alt.Scale(domain=domain, range=[[1, 0]] * len(policies) + [[4, 4]]),
                legend=None,
            ),
            tooltip=["measure:N", "moment:N", "population_share:Q", "value_share:Q"],
        )
        .properties(width=FACET_WIDTH, height=FACET_WIDTH)
        .facet(column=alt.Column("measure:N", title=None, sort=["exposure", "followers", "income"]))
        .properties(title="Lorenz curves at the end of the first seed")
    )  # fmt: skip
    return chart


def follower_distribution_chart(distribution: pd.DataFrame) -> AnyChart:
    """Creators per follower bin on log-log axes (a straight line is a power law)."""
    chart: AnyChart = (
        alt.Chart(distribution, title="Follower distribution of active creators (log-log)")
        .mark_line(point=True, color=PALETTE[0])
        .encode(
            x=alt.X("followers_real:Q", scale=alt.Scale(type="log"),
                    title="followers (real-equivalent)", axis=alt.Axis(format="~s")),
            y=alt.Y("creators:Q", scale=alt.Scale(type="log"), title="creators",
                    axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip("followers_real:Q", format=",.0f"), "creators:Q"],
        )
    )  # fmt: skip
    return chart


def income_by_tier_chart(daily: pd.DataFrame) -> AnyChart:
    """Median monthly income of commerce creators per follower tier, per day."""
    tiers = list(INCOME_TIERS.values())
    frame = daily[["day", *INCOME_TIERS]].rename(columns=INCOME_TIERS)
    chart: AnyChart = (
        alt.Chart(frame, title="Median monthly income by follower tier (first seed)")
        .transform_fold(list[str | alt.FieldName](tiers), as_=["tier", "income"])
        .mark_line()
        .encode(
            x=alt.X("day:Q"),
            y=alt.Y("income:Q", title="yuan a month (real-equivalent)",
                    axis=alt.Axis(format="~s")),
            color=alt.Color("tier:N", sort=tiers, scale=colour_scale(tiers), legend=LEGEND),
            tooltip=["day:Q", "tier:N", alt.Tooltip("income:Q", format=",.0f")],
        )
    )  # fmt: skip
    return chart


def response_chart(points: pd.DataFrame, lever: str, kpi: str) -> AnyChart:
    """One KPI against the lever's value: the mean over seeds and its 95% band; a point
    with no value of the lever (no cap) is drawn at the right end, labelled."""
    shown = kpi_display(kpi)
    frame = points[points["kpi"] == kpi]
    x = alt.X("position:Q", title=lever, axis=alt.Axis(values=list(frame["position"]),
              labelExpr=_label_expr(frame)))  # fmt: skip
    axis = value_axis(shown)
    band = (
        alt.Chart(frame)
        .mark_area(opacity=0.2, color=PALETTE[0])
        .encode(x=x, y=alt.Y("ci_low:Q", axis=axis), y2="ci_high:Q")
    )
    line = alt.Chart(frame).mark_line(point=True, color=PALETTE[0]).encode(
        x=x,
        y=alt.Y("mean:Q", axis=axis),
        tooltip=["value:N", alt.Tooltip("mean:Q", format=shown.axis_format),
                 alt.Tooltip("ci_low:Q", format=shown.axis_format),
                 alt.Tooltip("ci_high:Q", format=shown.axis_format), "seeds:Q"],
    )  # fmt: skip
    return alt.layer(band, line, title=f"{shown.title} against {lever} (95% band)")


def _label_expr(frame: pd.DataFrame) -> str:
    """Axis labels: the lever's values as written (``none`` for a missing one)."""
    cases = " : ".join(
        f"datum.value == {position} ? '{value}'"
        for position, value in zip(frame["position"], frame["value"], strict=True)
    )
    return f"{cases} : ''" if cases else "datum.label"


def tradeoff_chart(points: pd.DataFrame, x_kpi: str, y_kpi: str, lever: str) -> AnyChart:
    """One KPI against another across the sweep's points, each labelled by its lever value,
    with both 95% intervals as whiskers."""
    wide = points.pivot_table(
        index=["position", "value"], columns="kpi", values=["mean", "ci_low", "ci_high"]
    )
    frame = pd.DataFrame(
        {
            "position": [p for p, _ in wide.index],
            "value": [v for _, v in wide.index],
            "x": wide[("mean", x_kpi)].to_numpy(),
            "x_low": wide[("ci_low", x_kpi)].to_numpy(),
            "x_high": wide[("ci_high", x_kpi)].to_numpy(),
            "y": wide[("mean", y_kpi)].to_numpy(),
            "y_low": wide[("ci_low", y_kpi)].to_numpy(),
            "y_high": wide[("ci_high", y_kpi)].to_numpy(),
        }
    ).sort_values("position")
    xs, ys = kpi_display(x_kpi), kpi_display(y_kpi)
    x = alt.X("x:Q", axis=value_axis(xs), scale=alt.Scale(zero=False))
    y = alt.Y("y:Q", axis=value_axis(ys), scale=alt.Scale(zero=False))
    base = alt.Chart(frame)
    path = base.mark_line(color="#999999").encode(x=x, y=y, order="position:Q")
    x_bars = base.mark_rule(color=PALETTE[0]).encode(x="x_low:Q", x2="x_high:Q", y=y)
    y_bars = base.mark_rule(color=PALETTE[0]).encode(x=x, y="y_low:Q", y2="y_high:Q")
    dots = base.mark_point(filled=True, size=80, color=PALETTE[1]).encode(
        x=x, y=y, tooltip=["value:N", alt.Tooltip("x:Q", format=xs.axis_format),
                           alt.Tooltip("y:Q", format=ys.axis_format)]
    )  # fmt: skip
    labels = base.mark_text(dx=8, dy=-8, align="left").encode(x=x, y=y, text="value:N")
    return alt.layer(
        path, x_bars, y_bars, dots, labels,
        title=f"Trade-off: {ys.title} against {xs.title}, one point per {lever}",
    )  # fmt: skip


def runs_chart(long: pd.DataFrame) -> AnyChart:
    """Chosen metrics of chosen runs: one row per metric, one colour per run."""
    names = list(dict.fromkeys(long["run"]))
    colour = alt.Color(
        "run:N",
        scale=alt.Scale(domain=names, range=list(PALETTE) * (1 + len(names) // len(PALETTE))),
        legend=alt.Legend(orient="bottom", labelLimit=0, columns=1),
    )
    chart: AnyChart = (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("day:Q"),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(labelExpr=MIXED_LABELS)),
            color=colour,
            tooltip=["run:N", "metric:N", "day:Q", alt.Tooltip("value:Q", format=",.4g")],
        )
        .properties(width=3 * FACET_WIDTH, height=160)
        .facet(row=alt.Row("metric:N", title=None))
        .resolve_scale(y="independent")
    )
    return chart
