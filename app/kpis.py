"""The numbers a planner reads: each run's KPIs plus what binds and what ordinary
creators earn, and policies compared against a reference with a 95% interval.

The run KPIs come from the model (:data:`sim.RUN_KPIS`). The ones below are derived here
from a run's daily table and creator table, because the model does not emit them yet:

- days the Gini cap bound: the plain allocation's Gini was above the cap, so fairness
  control had to move that day's allocation (``exposure_gini_plain`` > ``gini_cap``);
- days the ordinary floor bound: the platform throttled head creators' climbing quotas
  that day to bring ordinary creators up to the floor's share of all views
  (``head_throttle`` below 1), or their share of impressions sat at the floor
  (``ordinary_share`` within 0.01 percentage points of ``ordinary_floor``);
- income for ordinary and head creators: each active commerce creator's income over the
  run, real-equivalent, per 30 days on the platform; "head" as the model counts it
  (followers above ``head_follower_share`` of fans).

Intervals are Student's t across seeds (:func:`sim.mean_ci`, scipy's quantile); a change is
paired by seed (every policy runs with the same seeds) and called *clear* only when its
interval excludes zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

import sim
from sim.metrics.display import Display, kpi_display

FLOOR_TOLERANCE = 1e-4
"""A share within this of the floor counts as sitting on it."""
CAP_TOLERANCE = 1e-6

DERIVED: dict[str, Display] = {
    "ordinary_income_median": Display(
        "ordinary_income_median", "Median monthly income, ordinary creators", "yuan", "higher"
    ),
    "ordinary_with_income_share": Display(
        "ordinary_with_income_share", "Ordinary creators with any income", "share", "higher"
    ),
    "head_income_median": Display(
        "head_income_median", "Median monthly income, head creators", "yuan", "higher"
    ),
    "cap_binding_days": Display("cap_binding_days", "Days the Gini cap bound", "days"),
    "floor_binding_days": Display("floor_binding_days", "Days the ordinary floor bound", "days"),
}
"""KPIs derived in the app (see the module doc), shown like the model's own."""
DERIVED_MEANINGS = {
    "ordinary_income_median": "Median over active ordinary (non-head) commerce creators of "
    "their income over the run per 30 days on the platform, real-equivalent yuan.",
    "ordinary_with_income_share": "Share of active ordinary commerce creators who earned "
    "anything during the run.",
    "head_income_median": "The same median for head creators (followers above "
    "traffic.head_follower_share of fans).",
    "cap_binding_days": "Days on which the plain allocation's exposure Gini was above the "
    "cap, so the cap changed the allocation (none when there is no cap).",
    "floor_binding_days": "Days on which the ordinary creators' share of impressions sat at "
    "the floor (none when there is no floor).",
}

KEY_KPIS = (
    "gmv_real_total",
    "orders_real_total",
    "ordinary_income_median",
    "ordinary_with_income_share",
    "head_income_median",
    "median_income_tier3_final",
    "exposure_gini_mean",
    "follower_gini_final",
    "follower_top1_share_final",
    "ordinary_share_mean",
    "repeat_purchase_rate",
    "complaint_rate",
    "cap_binding_days",
    "floor_binding_days",
)
"""The KPIs a planner asks about, in the order tables show them; the others follow."""


def display(name: str) -> Display:
    """How a KPI (the model's or a derived one) is shown."""
    return DERIVED.get(name) or kpi_display(name)


def meaning(name: str) -> str:
    return DERIVED_MEANINGS.get(name) or sim.RUN_KPIS.get(name, "")


def ordered(names: Sequence[str]) -> list[str]:
    """KPI names, the key ones first, then the rest in the catalogue's order."""
    present = set(names)
    head = [name for name in KEY_KPIS if name in present]
    return head + [name for name in names if name not in head and name != "days"]


# -- per run -----------------------------------------------------------------------------


def binding_days(result: sim.RunResult) -> dict[str, float]:
    """On how many days the cap and the floor bound (see the module doc)."""
    daily, traffic = result.daily, result.scenario.traffic
    cap_days = 0.0
    if traffic.gini_cap is not None:
        cap_days = float((daily["exposure_gini_plain"] > traffic.gini_cap + CAP_TOLERANCE).sum())
    floor_days = 0.0
    if traffic.ordinary_floor is not None:
        at_floor = daily["ordinary_share"] <= traffic.ordinary_floor + FLOOR_TOLERANCE
        throttled = daily["head_throttle"] < 1.0
        floor_days = float((at_floor | throttled).sum())
    return {"cap_binding_days": cap_days, "floor_binding_days": floor_days}


def creator_income(result: sim.RunResult) -> dict[str, float]:
    """Income for ordinary and head commerce creators (see the module doc)."""
    creators = result.creators
    days = result.scenario.run.days
    active = creators[creators["alive"] & creators["commerce"]]
    on_platform = np.maximum(days - active["entry_day"].to_numpy(dtype=float), 1.0)
    monthly = active["income_real"].to_numpy(dtype=float) * 30.0 / on_platform
    head = active["follower_share_of_fans"].to_numpy(dtype=float) > (
        result.scenario.traffic.head_follower_share
    )
    ordinary = ~head

    def median(mask: np.ndarray) -> float:
        return float(np.median(monthly[mask])) if mask.any() else math.nan

    earning = active["income_real"].to_numpy(dtype=float) > 0
    return {
        "ordinary_income_median": median(ordinary),
        "ordinary_with_income_share": float(earning[ordinary].mean()) if ordinary.any() else 0.0,
        "head_income_median": median(head),
    }


def planner_kpis(result: sim.RunResult) -> dict[str, float]:
    """The run's KPIs and the derived ones."""
    return {**result.kpis, **creator_income(result), **binding_days(result)}


# -- across seeds and policies -------------------------------------------------------------


def interval(values: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% Student's t interval (:func:`sim.mean_ci`); NaN bounds below two
    finite values (and the mean itself when every value is equal)."""
    return sim.mean_ci(values)


@dataclass(frozen=True)
class Row:
    """One KPI of one policy: its mean over seeds and, against the reference, the paired
    change with its interval."""

    policy: str
    kpi: str
    n: int
    mean: float
    low: float
    high: float
    change: float
    change_low: float
    change_high: float

    @property
    def clear(self) -> bool:
        return bool(
            math.isfinite(self.change_low) and (self.change_low > 0 or self.change_high < 0)
        )


def compare(kpis: Mapping[str, Sequence[Mapping[str, float]]], reference: str) -> list[Row]:
    """Every KPI of every policy against ``reference``; each policy's KPI dicts are in
    seed order over the same seeds, and only the seeds all policies have are paired."""
    paired = min(len(runs) for runs in kpis.values())
    names = ordered(list(next(iter(kpis.values()))[0])) if paired else []
    rows = []
    for policy, runs in kpis.items():
        for name in names:
            values = np.array([run.get(name, math.nan) for run in runs[:paired]], dtype=float)
            base = np.array(
                [run.get(name, math.nan) for run in kpis[reference][:paired]], dtype=float
            )
            mean, low, high = interval(values)
            if policy == reference:
                change, change_low, change_high = 0.0, math.nan, math.nan
            else:
                change, change_low, change_high = interval(values - base)
            rows.append(Row(policy, name, paired, mean, low, high, change, change_low, change_high))
    return rows


def long_table(rows: Sequence[Row]) -> pd.DataFrame:
    """The comparison as numbers, one row per (policy, KPI)."""
    return pd.DataFrame(
        [
            {
                "policy": r.policy,
                "kpi": r.kpi,
                "title": display(r.kpi).label,
                "seeds": r.n,
                "mean": r.mean,
                "ci_low": r.low,
                "ci_high": r.high,
                "change": r.change,
                "change_low": r.change_low,
                "change_high": r.change_high,
                "clear": r.clear,
            }
            for r in rows
        ]
    )


def change_text(row: Row) -> str:
    """``+¥2.9B (−¥0.2B … +¥2.5B)``: the change and its 95% interval."""
    shown = display(row.kpi)
    if row.change == 0 and row.change_low == 0 and row.change_high == 0:
        return "no change"
    if not math.isfinite(row.change_low):
        return shown.format_change(row.change)
    return (
        f"{shown.format_change(row.change)} "
        f"({shown.format_change(row.change_low)} … {shown.format_change(row.change_high)})"
    )


def verdict(row: Row) -> str:
    """``better``, ``worse`` or ``clear`` for a clear change; ``noise`` otherwise."""
    if not row.clear:
        if math.isfinite(row.change_low):
            return "within noise"
        return "too few seeds for an interval"
    better = display(row.kpi).is_better(row.change)
    return "clear, better" if better else "clear, worse" if better is False else "clear"


def side_by_side(rows: Sequence[Row], reference: str) -> pd.DataFrame:
    """One table for N policies: a row per KPI (plain title with unit), each policy's
    value, and for every other policy its change against ``reference`` and the verdict."""
    policies = list(dict.fromkeys(r.policy for r in rows))
    by = {(r.policy, r.kpi): r for r in rows}
    table = []
    for kpi in dict.fromkeys(r.kpi for r in rows):
        shown = display(kpi)
        line: dict[str, str] = {"KPI": shown.label}
        for policy in policies:
            line[policy] = shown.format(by[(policy, kpi)].mean)
        for policy in policies:
            if policy == reference:
                continue
            line[f"{policy} vs {reference}"] = change_text(by[(policy, kpi)])
            line[f"{policy}: verdict"] = verdict(by[(policy, kpi)])
        table.append(line)
    return pd.DataFrame(table)


VERDICT_COLOURS = {
    "clear, better": "background-color: #d4edda; color: #14532d",
    "clear, worse": "background-color: #f8d7da; color: #7f1d1d",
    "clear": "background-color: #e2e8f0",
}
"""Better green, worse red (with a word, so colour is never the only sign)."""


def colours(table: pd.DataFrame) -> pd.DataFrame:
    """Cell styles for :func:`side_by_side`: each change and verdict by its verdict."""
    styles = pd.DataFrame("", index=table.index, columns=table.columns)
    for column in table.columns:
        if not column.endswith(": verdict"):
            continue
        change = column.removesuffix(": verdict")
        change_column = next(c for c in table.columns if c.startswith(f"{change} vs "))
        for index, value in table[column].items():
            style = VERDICT_COLOURS.get(str(value), "")
            styles.loc[index, column] = style
            styles.loc[index, change_column] = style
    return styles
