"""Sensitivity of the main KPIs to each calibrated parameter: the baseline against runs
with the parameter at 50% and 150% of its value (one at a time). `python -m
tools.sensitivity_docs` writes the table and plot used by docs/calibration.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.pool import simulate_many
from sim.scenario.schema import Scenario

KPIS = {
    "exposure_gini_mean": "exposure Gini",
    "follower_gini_final": "follower Gini",
    "gmv_real_per_day": "GMV / day",
    "median_income_tier3_final": "median income >100k",
    "ordinary_share_mean": "ordinary share",
}
PARAMETERS = (
    "traffic.follow_rate",
    "traffic.promote_share",
    "traffic.stage_quotas",
    "commerce.buy_rate",
    "commerce.live_multiplier",
    "commerce.event_lift",
    "population.creator_entry_rate",
    "population.post_rate",
    "population.quality_sigma",
    "population.sales_skill_sigma",
)
FACTORS = (0.5, 1.5)


def _scaled(scenario: Scenario, path: str, factor: float) -> Scenario:
    group, name = path.split(".")
    section = getattr(scenario, group)
    value: Any = getattr(section, name)
    if isinstance(value, tuple):
        new: Any = tuple(max(1, round(v * factor)) for v in value)
    elif isinstance(value, int):
        new = max(1, round(value * factor))
    else:
        new = value * factor
    if path.endswith("promote_share"):
        new = min(new, 1.0)
    return scenario.model_copy(update={group: section.model_copy(update={name: new})})


def sensitivity(scenario: Scenario, days: int, seed: int) -> pd.DataFrame:
    """Relative change of each KPI when each parameter is scaled by 0.5 and 1.5."""
    variants = [(p, f) for p in PARAMETERS for f in FACTORS]
    jobs = [(scenario, seed)] + [(_scaled(scenario, p, f), seed) for p, f in variants]
    results = simulate_many(jobs, days=days)
    base = results[0].kpis
    rows = []
    for (path, factor), result in zip(variants, results[1:], strict=True):
        row: dict[str, Any] = {"parameter": path, "factor": factor}
        for kpi in KPIS:
            reference = base[kpi]
            row[kpi] = (result.kpis[kpi] - reference) / abs(reference) if reference else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """Percent change of each KPI, one row per parameter and factor."""
    head = "| parameter | × | " + " | ".join(KPIS.values()) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(KPIS)]
    for r in table.to_dict("records"):
        cells = " | ".join(f"{100 * r[k]:+.0f}%" for k in KPIS)
        lines.append(f"| `{r['parameter']}` | {r['factor']:g} | {cells} |")
    return "\n".join(lines)


def plot(table: pd.DataFrame, path: Path) -> None:
    """A tornado-style grid: one panel per KPI, bars for 0.5x and 1.5x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(KPIS), figsize=(16, 4.5), sharey=True)
    labels = list(PARAMETERS)
    for ax, (kpi, title) in zip(axes, KPIS.items(), strict=True):
        for factor, color in zip(FACTORS, ("#4c78a8", "#f58518"), strict=True):
            part = table[table["factor"] == factor].set_index("parameter").loc[labels]
            ax.barh(labels, 100 * part[kpi], color=color, alpha=0.8, label=f"×{factor:g}")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(title)
        ax.set_xlabel("% change")
    axes[0].legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
