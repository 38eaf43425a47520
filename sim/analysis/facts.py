"""The facts of the seed document (DESIGN.md §7) as checks on simulated runs.

Each fact says what is measured, the target, and how a run is judged; `facts_table`
evaluates every fact on each seed's run and reports the mean and range across seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.runs.run import RunResult

FACTS_DAYS = 1000
"""Days a facts run needs: F4 (1M followers in 700-800 days) takes more than 800."""


@dataclass(frozen=True)
class Fact:
    """One checkable fact: how to measure it on a run and whether a value passes."""

    key: str
    description: str
    target: str
    measure: Callable[[RunResult], float]
    passes: Callable[[float], bool]
    pooled: Callable[[Sequence[RunResult]], float] | None = None
    """When set, the verdict is on all runs pooled (rare events: few accounts per run)."""


def _event_days(run: RunResult) -> pd.DataFrame:
    return run.daily[run.daily["event_day"]]


def _event_spike(run: RunResult) -> float:
    """Event-day orders over the mean of the 14 days before the event."""
    daily = run.daily
    event = daily[daily["event_day"]]
    if event.empty:
        return float("nan")
    start = int(event["day"].min())
    before = daily[(daily["day"] >= start - 14) & (daily["day"] < start)]
    return float(event["orders"].mean() / max(before["orders"].mean(), 1e-9))


def _median_days_to_1m(run: RunResult) -> float:
    return _pooled_days_to_1m([run])


def _pooled_days_to_1m(runs: Sequence[RunResult]) -> float:
    """Median days to 1M followers over every account, of every run, that got there."""
    days = pd.concat([run.creators["days_to_1m"].dropna() for run in runs])
    return float(days.median()) if len(days) else float("nan")


def _gmv_per_follower_span(run: RunResult) -> float:
    """Orders of magnitude between the 95th and 5th percentile of GMV per follower."""
    c = run.creators
    values = c.loc[c["commerce"] & (c["followers"] > 0) & (c["gmv"] > 0), "gmv_per_follower"]
    if len(values) < 20:
        return float("nan")
    low, high = np.percentile(values.to_numpy(dtype=float), [5, 95])
    return float(np.log10(high / low))


def _live_gmv_mid_tier(run: RunResult) -> float:
    """Best single-live GMV (real yuan) of creators with 0.1%-0.5% of fans as followers."""
    c = run.creators
    mid = c[(c["follower_share_of_fans"] >= 0.001) & (c["follower_share_of_fans"] <= 0.005)]
    return float(mid["max_live_gmv_real"].max()) if len(mid) else 0.0


def _between(low: float, high: float) -> Callable[[float], bool]:
    return lambda v: bool(low <= v <= high)


def _at_least(low: float) -> Callable[[float], bool]:
    return lambda v: bool(v >= low)


def _at_most(high: float) -> Callable[[float], bool]:
    return lambda v: bool(v <= high)


def _gini_over_cap(run: RunResult) -> float:
    """The highest daily exposure Gini minus the cap in force that day (a timeline may
    move the cap; no cap counts as 1)."""
    days = run.daily["day"].to_numpy()
    if days.size == 0:
        return float("nan")
    cap = np.ones(len(days))
    for first, scenario in run.scenario.phases():
        value = scenario.traffic.gini_cap
        cap[days >= first] = 1.0 if value is None else value
    return float((run.daily["exposure_gini"].to_numpy() - cap).max())


FACTS: tuple[Fact, ...] = (
    Fact(
        "F1",
        "new works short of the 300 base (budget permitting), all days",
        "0",
        lambda r: float(r.daily["new_works_below_base"].sum()),
        _at_most(0),
    ),
    Fact(
        "F2",
        "lowest daily share of impressions to ordinary creators",
        ">= 0.70",
        lambda r: float(r.daily["ordinary_share"].min()),
        _at_least(0.70),
    ),
    Fact(
        "F3",
        "highest daily exposure Gini minus the cap",
        "<= 0",
        _gini_over_cap,
        _at_most(0.0),
    ),
    Fact(
        "F4",
        "median days to 1M followers (0.5% of DAU), accounts that get there, seeds pooled",
        "700-800 (600-900)",
        _median_days_to_1m,
        _between(600, 900),
        pooled=_pooled_days_to_1m,
    ),
    Fact(
        "F5",
        "median monthly income, commerce creators > 100k followers (yuan)",
        "> 50,000",
        lambda r: float(r.daily["median_income_tier3"].iloc[-1]),
        _at_least(50_000),
    ),
    Fact(
        "F6",
        "monthly growth of active commerce creators",
        ">= 10%",
        lambda r: r.kpis["commerce_creator_growth_monthly"],
        _at_least(0.10),
    ),
    Fact(
        "F7",
        "consumers reached by commerce content per day (real-equivalent)",
        "> 100M",
        lambda r: float(
            r.daily["commerce_reach_share"].mean()
            * r.scenario.population.fans
            * r.scenario.population.scale
        ),
        _at_least(100e6),
    ),
    Fact(
        "F8a",
        "orders of magnitude spanned by GMV per follower (p5-p95)",
        ">= 2",
        _gmv_per_follower_span,
        _at_least(2.0),
    ),
    Fact(
        "F8b",
        "best one-live GMV of a creator with ~0.25% of DAU as followers (yuan)",
        ">= 10M",
        _live_gmv_mid_tier,
        _at_least(10e6),
    ),
    Fact(
        "F9a",
        "orders over the two event days (real-equivalent)",
        "> 1M",
        lambda r: float(_event_days(r)["orders_real"].sum()),
        _at_least(1e6),
    ),
    Fact(
        "F9b",
        "GMV over the two event days (real-equivalent yuan)",
        "> 80M",
        lambda r: float(_event_days(r)["gmv_real"].sum()),
        _at_least(80e6),
    ),
    Fact(
        "F9c",
        "average order value on event days (yuan)",
        "near 80 (60-100)",
        lambda r: float(_event_days(r)["gmv"].sum() / max(_event_days(r)["orders"].sum(), 1)),
        _between(60, 100),
    ),
    Fact(
        "F9d", "event-day orders over the two weeks before", ">= 2x", _event_spike, _at_least(2.0)
    ),
    Fact(
        "F10a",
        "median views per fan per day (KuaiRec ~42)",
        "38-46",
        lambda r: float(r.daily["views_per_fan_median"].mean()),
        _between(38, 46),
    ),
    Fact(
        "F10b",
        "mean views per fan per day (KuaiRec ~66)",
        "59-73",
        lambda r: float(r.daily["views_per_fan_mean"].mean()),
        _between(59, 73),
    ),
)


def facts_table(runs: Sequence[RunResult]) -> pd.DataFrame:
    """One row per fact: target, value (mean over runs, or the pooled value) and range over
    the runs (seeds); PASS when every run passes (or the pooled value does)."""
    rows = []
    for fact in FACTS:
        values = np.array([fact.measure(run) for run in runs], dtype=float)
        finite = values[np.isfinite(values)]
        if fact.pooled is not None:
            value = fact.pooled(runs)
            passed = bool(np.isfinite(value)) and fact.passes(value)
        else:
            value = float(finite.mean()) if finite.size else float("nan")
            passed = len(finite) == len(values) and all(fact.passes(float(v)) for v in values)
        rows.append(
            {
                "fact": fact.key,
                "description": fact.description,
                "target": fact.target,
                "value": value,
                "low": float(finite.min()) if finite.size else float("nan"),
                "high": float(finite.max()) if finite.size else float("nan"),
                "passed": bool(passed),
            }
        )
    return pd.DataFrame(rows)


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    if abs(value) >= 1e5:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_facts(table: pd.DataFrame) -> str:
    """The facts table as aligned text: fact, target, simulated mean [range], verdict."""
    rows = [("fact", "what", "target", "simulated (mean [min, max])", "")]
    for r in table.to_dict("records"):
        spread = f"{_number(r['value'])} [{_number(r['low'])}, {_number(r['high'])}]"
        verdict = "PASS" if r["passed"] else "FAIL"
        rows.append((str(r["fact"]), str(r["description"]), str(r["target"]), spread, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
