"""The directions the seed asserts (DESIGN.md §7, D1-D6) as paired comparisons with 95%
intervals: each is a change of policy against a reference on the same seeds, and the
KPIs it must move, with the sign. A direction *holds* when every interval lies on the
asserted side of zero (for "does not lower", when the interval's upper end is not below
zero). `python -m tools.directions_docs` writes docs/directions.md from these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sim.analysis.stats import mean_ci
from sim.runs.run import RunResult

__all__ = ["DIRECTIONS", "Direction", "Expectation", "judge_direction"]

Sign = Literal["up", "down", "not down"]


@dataclass(frozen=True)
class Expectation:
    """A KPI the direction moves, and which way."""

    kpi: str
    sign: Sign


@dataclass(frozen=True)
class Direction:
    """One of the seed's directions: B (``scenario`` with ``overrides``) against A."""

    key: str
    claim: str
    reference: tuple[str, tuple[str, ...]]
    """A: a shipped scenario's name and its overrides."""
    change: tuple[str, tuple[str, ...]]
    """B: a shipped scenario's name and its overrides."""
    expect: tuple[Expectation, ...]
    days: int | None = None
    """Days of both runs when the direction needs its own horizon (D5b: a year)."""


DIRECTIONS: tuple[Direction, ...] = (
    Direction("D1", "a lower Gini cap (0.3 vs 0.6) lowers the concentration of exposure "
              "and of followers", ("baseline", ()), ("baseline", ("traffic.gini_cap=0.3",)),
              (Expectation("exposure_gini_mean", "down"),
               Expectation("follower_gini_final", "down"))),
    Direction("D2", "the double-column, capped, 70%-ordinary baseline is less concentrated "
              "than a single-column platform with no cap and no floor",
              ("centralized", ()), ("baseline", ()),
              (Expectation("exposure_gini_mean", "down"),
               Expectation("follower_gini_final", "down"),
               Expectation("follower_top1_share_final", "down"))),
    Direction("D3", "the source-goods programme lowers prices paid and raises orders",
              ("baseline", ()), ("source_goods", ()),
              (Expectation("mean_price", "down"), Expectation("orders_real_total", "up"))),
    Direction("D4", "a higher follow-page weight (0.5 vs 0.05) raises repeat purchase",
              ("baseline", ("traffic.follow_page_weight=0.05",)),
              ("baseline", ("traffic.follow_page_weight=0.5",)),
              (Expectation("repeat_purchase_rate", "up"),)),
    Direction("D5a", "stricter quality checks (1.0 vs 0.5) lower the complaint rate",
              ("baseline", ()), ("baseline", ("commerce.quality_check=1.0",)),
              (Expectation("complaint_rate", "down"),)),
    Direction("D5b", "more bad merchants (30% vs 10%) lower GMV over a year",
              ("baseline", ()), ("baseline", ("commerce.bad_quality_share=0.3",)),
              (Expectation("net_gmv_real_total", "down"),), days=365),
    Direction("D6", "cutting middlemen (1 vs 3) lowers prices and does not lower orders",
              ("baseline", ()), ("baseline", ("commerce.middlemen=1",)),
              (Expectation("mean_price", "down"), Expectation("orders_real_total", "not down"))),
)  # fmt: skip


def judge_direction(
    direction: Direction, runs_a: Sequence[RunResult], runs_b: Sequence[RunResult]
) -> pd.DataFrame:
    """One row per expectation: A's and B's means, the paired change B - A (relative to
    A's mean too) with its 95% interval, and whether it holds."""
    rows = []
    for expectation in direction.expect:
        a = np.array([run.kpis[expectation.kpi] for run in runs_a], dtype=float)
        b = np.array([run.kpis[expectation.kpi] for run in runs_b], dtype=float)
        diff, low, high = mean_ci(b - a)
        holds = {
            "up": low > 0,
            "down": high < 0,
            "not down": diff >= 0 or high > 0,
        }[expectation.sign]
        scale = abs(float(a.mean())) or 1.0
        rows.append(
            {
                "direction": direction.key,
                "kpi": expectation.kpi,
                "expected": expectation.sign,
                "a_mean": float(a.mean()),
                "b_mean": float(b.mean()),
                "diff": diff,
                "ci_low": low,
                "ci_high": high,
                "relative": diff / scale,
                "holds": bool(np.isfinite(low) and holds),
            }
        )
    return pd.DataFrame(rows)
