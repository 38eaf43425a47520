"""Compare two policies over the same seeds: each KPI's mean under A and B, the paired
difference B - A and its 95% confidence interval across seeds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.stats import mean_ci
from sim.runs.run import RunResult


def compare_runs(runs_a: Sequence[RunResult], runs_b: Sequence[RunResult]) -> pd.DataFrame:
    """One row per KPI: a_mean, b_mean, diff (B - A), ci_low, ci_high (paired by seed)."""
    if len(runs_a) != len(runs_b):
        raise ValueError(f"runs_b: {len(runs_b)} runs, but runs_a has {len(runs_a)}")
    rows = []
    for kpi in runs_a[0].kpis if runs_a else []:
        a = np.array([run.kpis[kpi] for run in runs_a], dtype=float)
        b = np.array([run.kpis[kpi] for run in runs_b], dtype=float)
        diff, low, high = mean_ci(b - a)
        rows.append(
            {
                "kpi": kpi,
                "a_mean": float(a.mean()),
                "b_mean": float(b.mean()),
                "diff": diff,
                "ci_low": low,
                "ci_high": high,
                "significant": bool(np.isfinite(low) and (low > 0 or high < 0)),
            }
        )
    return pd.DataFrame(rows)


def format_comparison(table: pd.DataFrame, name_a: str, name_b: str) -> str:
    """Aligned text of a comparison table."""
    header = ("kpi", name_a, name_b, "diff (B-A)", "95% CI", "")
    rows = [header]
    for r in table.to_dict("records"):
        rows.append(
            (
                str(r["kpi"]),
                f"{r['a_mean']:.6g}",
                f"{r['b_mean']:.6g}",
                f"{r['diff']:+.4g}",
                f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}]",
                "*" if r["significant"] else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
