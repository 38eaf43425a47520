"""The lever-effects table: every policy lever moved to a documented low and high value
against a scenario, on paired seeds, and the effect on the main KPIs with 95% intervals
(`ecosim levers`, docs/levers.md). A lever with no clear effect on any KPI is a bug or an
accounting-only lever; the table says which."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import mean_ci
from sim.runs.pool import simulate_many
from sim.runs.run import RunResult
from sim.scenario.schema import Scenario

CHANNELS: dict[str, str] = {
    **dict.fromkeys(
        ("traffic.base_exposure", "traffic.stage_quotas", "traffic.promote_share",
         "traffic.conversion_prior"),
        "which works reach fans, so who gains followers",
    ),
    **dict.fromkeys(
        ("traffic.gini_cap", "traffic.method", "traffic.head_follower_share"),
        "the boost layer across creators",
    ),
    **dict.fromkeys(
        ("traffic.feed", "traffic.covers_per_screen", "traffic.follow_rate"),
        "choice vs push: what fans view and follow",
    ),
    "traffic.ordinary_floor": "the boost layer, and head creators' climbing quotas throttled "
    "until ordinary creators get the floor's share of all views",
    "traffic.follow_page_weight": "share of attention spent on followed creators: repeat "
    "purchase, private traffic",
    "commerce.platform_commission": "shop prices and the creators' channel choice (shop vs "
    "external)",
    "commerce.creator_commission": "which goods creators carry; creator income, entry and exit",
    **dict.fromkeys(
        ("commerce.external_links", "commerce.external_store_share"),
        "channel choice: natural traffic of the other store vs the shop's ease and guarantees",
    ),
    **dict.fromkeys(
        ("commerce.source_goods", "commerce.source_goods_share", "commerce.middlemen",
         "commerce.middleman_markup"),
        "prices against a market reference price, hence orders and GMV",
    ),
    "commerce.flash_listing": "the cost of listing: how many merchants and products there are",
    **dict.fromkeys(
        ("commerce.quality_check", "commerce.penalty_days", "commerce.bad_quality_share"),
        "which sellers are caught: bad goods, complaints, trust",
    ),
    **dict.fromkeys(
        ("commerce.event_days", "commerce.event_lift"), "purchase intent on the festival days"
    ),
}  # fmt: skip
"""Each lever's channel (DESIGN.md §5): the behaviour through which it acts."""


@dataclass(frozen=True)
class LeverStep:
    """The documented low and high values a lever is moved to (against the scenario's)."""

    path: str
    low: Any
    high: Any


STEPS: tuple[LeverStep, ...] = (
    LeverStep("traffic.base_exposure", 100, 900),
    LeverStep("traffic.stage_quotas", [2500, 20000, 100000], [10000, 80000, 400000]),
    LeverStep("traffic.promote_share", 0.1, 0.4),
    LeverStep("traffic.conversion_prior", 5.0, 80.0),
    LeverStep("traffic.gini_cap", 0.4, None),
    LeverStep("traffic.ordinary_floor", None, 0.85),
    LeverStep("traffic.head_follower_share", 0.0001, 0.0025),
    LeverStep("traffic.method", "cap", "cap"),
    LeverStep("traffic.feed", "single_column", "single_column"),
    LeverStep("traffic.covers_per_screen", 2, 8),
    LeverStep("traffic.follow_page_weight", 0.05, 0.5),
    LeverStep("traffic.follow_rate", 0.00002, 0.0002),
    LeverStep("commerce.platform_commission", 0.0, 0.2),
    LeverStep("commerce.creator_commission", 0.1, 0.4),
    LeverStep("commerce.external_links", False, False),
    LeverStep("commerce.external_store_share", 0.0, 0.8),
    LeverStep("commerce.source_goods", True, True),
    LeverStep("commerce.middlemen", 1, 5),
    LeverStep("commerce.middleman_markup", 0.05, 0.5),
    LeverStep("commerce.flash_listing", False, False),
    LeverStep("commerce.quality_check", 0.1, 1.0),
    LeverStep("commerce.penalty_days", 3, 60),
    LeverStep("commerce.bad_quality_share", 0.0, 0.3),
    LeverStep("commerce.event_lift", 1.0, 8.0),
)
"""Every policy lever of DESIGN.md §5 with its low and high test values (a switch or a
choice is moved once: low and high are the same other value)."""
FANS_BEHAVIOUR = (
    "fans' behaviour, calibrated rather than set by the platform; its sensitivity is the "
    "calibration's"
)
OMITTED: dict[str, str] = {
    "commerce.source_goods_share": "acts only with the programme on",
    "commerce.event_days": "moves the festival rather than scaling a behaviour",
    **dict.fromkeys(
        ("commerce.buy_rate", "commerce.live_multiplier", "commerce.trust_gain",
         "commerce.trust_loss"),
        FANS_BEHAVIOUR,
    ),
    **dict.fromkeys(
        ("commerce.seeding_share", "commerce.seeding_days"),
        "when fans buy what a short video seeded (种草), set rather than fitted: its paired "
        "effect is in docs/calibration.md",
    ),
}  # fmt: skip
"""Settings of the traffic and commerce groups left out of the table, with the reason."""


def omitted_by_reason() -> dict[str, list[str]]:
    """The omitted settings grouped by their reason, in the order first given."""
    grouped: dict[str, list[str]] = {}
    for path, why in OMITTED.items():
        grouped.setdefault(why, []).append(path)
    return grouped


KPIS = (
    "gmv_real_total",
    "orders_real_total",
    "mean_price",
    "shop_share",
    "platform_revenue_real_total",
    "exposure_gini_mean",
    "ordinary_share_mean",
    "follower_gini_final",
    "median_income_tier3_final",
    "repeat_purchase_rate",
    "complaint_rate",
    "creators_on_bad_goods_mean",
    "barred_sellers_mean",
    "active_creators_final",
)
"""The main KPIs the table reports for every lever."""


def variants(scenario: Scenario, steps: Sequence[LeverStep]) -> list[tuple[str, Any, Scenario]]:
    """(path, value, scenario) of every distinct low/high change that differs from the
    scenario's own value (validated like ``--set``)."""
    current = scenario.model_dump(mode="json")
    out: list[tuple[str, Any, Scenario]] = []
    for step in steps:
        group, name = step.path.split(".")
        seen: list[Any] = []
        for value in (step.low, step.high):
            if value in seen or value == current[group][name]:
                continue
            seen.append(value)
            out.append((step.path, value, scenario.with_overrides({step.path: value})))
    return out


def effects(
    scenario: Scenario,
    seeds: Sequence[int],
    days: int,
    steps: Sequence[LeverStep] = STEPS,
    workers: int | None = None,
) -> pd.DataFrame:
    """One row per (lever, value, KPI): the scenario's mean, the paired difference, its 95%
    interval and whether the interval excludes 0."""
    changes = variants(scenario, steps)
    jobs = [(scenario, seed) for seed in seeds] + [
        (changed, seed) for _, _, changed in changes for seed in seeds
    ]
    runs = simulate_many(jobs, days=days, workers=workers)
    n = len(seeds)
    base = runs[:n]
    rows = []
    for k, (path, value, _) in enumerate(changes):
        moved = runs[n * (k + 1) : n * (k + 2)]
        rows.extend(_rows(path, value, base, moved))
    return pd.DataFrame(rows)


def _rows(
    path: str, value: Any, base: Sequence[RunResult], moved: Sequence[RunResult]
) -> list[dict[str, Any]]:
    rows = []
    for kpi in KPIS:
        a = np.array([run.kpis[kpi] for run in base], dtype=float)
        b = np.array([run.kpis[kpi] for run in moved], dtype=float)
        diff, low, high = mean_ci(b - a)
        rows.append(
            {
                "lever": path,
                "value": _text(value),
                "kpi": kpi,
                "base": float(a.mean()),
                "diff": diff,
                "ci_low": low,
                "ci_high": high,
                "relative": diff / abs(a.mean()) if a.mean() else float("nan"),
                "clear": bool(np.isfinite(low) and (low > 0 or high < 0)),
            }
        )
    return rows


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def without_effect(table: pd.DataFrame) -> list[str]:
    """Levers none of whose changes moved any KPI clearly."""
    clear = table.groupby("lever")["clear"].any()
    return sorted(clear.index[~clear])


def markdown(table: pd.DataFrame, scenario: Scenario, seeds: int, days: int) -> str:
    """docs/levers.md: the measured table, one block per lever with its channel."""
    lines = [
        "# Lever effects",
        "",
        f"Generated by `ecosim levers` on `{scenario.name}` "
        f"({scenario.population.fans:,} fans, {scenario.population.creators:,} creators, "
        f"scale {scenario.population.scale:g}, creator_scale "
        f"{scenario.population.creator_scale:g}), {seeds} paired seeds × {days} days. Each "
        "lever is moved to a documented low and high value (`sim.analysis.levers.STEPS`); "
        "a cell is the mean change of the KPI against the scenario, in % of its value, "
        "**bold** when the 95% interval of the paired differences excludes 0.",
        "",
    ]
    short = {kpi: kpi.replace("_real_total", "").replace("_final", "").replace("_mean", "")
             .replace("creators_on_bad_goods", "on_bad_goods") for kpi in KPIS}  # fmt: skip
    header = "| lever = value | channel | " + " | ".join(short[k] for k in KPIS) + " |"
    lines += [header, "|" + "---|" * (len(KPIS) + 2)]
    for (lever, value), part in table.groupby(["lever", "value"], sort=False):
        cells = []
        for kpi in KPIS:
            row = part[part["kpi"] == kpi].iloc[0]
            pct = 100 * row["relative"]
            text = "n/a" if not np.isfinite(pct) else f"{pct:+.1f}%"
            cells.append(f"**{text}**" if row["clear"] else text)
        channel = CHANNELS.get(str(lever), "")
        lines.append(f"| `{lever}` = {value} | {channel} | " + " | ".join(cells) + " |")
    missing = without_effect(table)
    lines += [
        "",
        "Levers with no clear effect on any KPI at this size and horizon: "
        + (", ".join(f"`{m}`" for m in missing) if missing else "none")
        + ".",
        "",
        "Not in the table: "
        + "; ".join(
            ", ".join(f"`{path}`" for path in paths) + f" ({why})"
            for why, paths in omitted_by_reason().items()
        )
        + ".",
        "",
    ]
    return "\n".join(lines)
