"""Summarise a sweep: for every grid point, each KPI's mean and 95% confidence interval.

The interval is Student's t over the point's seeds (:func:`sim.analysis.stats.mean_ci`):
mean ± t(0.975, n−1)·s/√n, with s the sample standard deviation and n the number of seeds
whose KPI is a finite number; with a single seed there is no interval (null). Written into
the sweep directory:

- ``summary.parquet``: one row per point: ``point``, one column per lever, ``runs``, and
  ``<kpi>_mean``, ``<kpi>_ci_low``, ``<kpi>_ci_high`` for every KPI;
- ``kpis.parquet``: one row per finished run: the index columns, ``code_version`` and
  every KPI;
- ``report.md``: a table per KPI, and ``plots/<kpi>.png`` (see :mod:`sim.sweeps.plots`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml

from sim.analysis.stats import mean_ci
from sim.commands.terminal import format_number, format_value
from sim.runs.directory import SUMMARY_FILE, is_complete, parquet_bytes, write_atomic
from sim.scenario import safe_yaml
from sim.scenario.errors import ScenarioError
from sim.sweeps.layout import INDEX_COLUMNS, SweepLayout, remove_leftovers
from sim.sweeps.plots import plot_kpi
from sim.sweeps.task import saved_by

__all__ = ["SweepResults", "kpi_stats", "read_results", "summary_table", "write_report"]


OUTPUTS = ("summary.parquet", "kpis.parquet", "report.md")


@dataclass(frozen=True)
class SweepResults:
    """What a sweep directory holds: its plan and the KPIs of its finished runs."""

    layout: SweepLayout
    name: str
    description: str
    levers: tuple[str, ...]
    points: pd.DataFrame
    """One row per point: ``point`` and the levers, in grid order."""
    point_values: tuple[tuple[Any, ...], ...]
    """Each point's lever values as written in the sweep file (for labels and plots)."""
    runs: pd.DataFrame
    """One row per finished run (see ``kpis.parquet``)."""
    kpis: tuple[str, ...]
    planned: int


def read_results(directory: Path) -> SweepResults:
    """Read a sweep directory's index, and the summary of every complete run in it."""
    layout = SweepLayout(Path(directory))
    if not layout.index_file.is_file():
        raise ScenarioError(
            "SWEEP_DIR",
            f"{directory} is not a sweep directory (it has no runs.parquet); "
            "make one with 'ecosim sweep'",
        )
    index = pq.read_table(layout.index_file)
    levers = tuple(name for name in index.column_names if name not in INDEX_COLUMNS)
    frame = index.to_pandas(types_mapper=pd.ArrowDtype)
    rows: list[int] = []
    kpi_rows: list[dict[str, float]] = []
    versions: list[str | None] = []
    for row, run_dir in enumerate(frame["run_dir"]):
        path = layout.root / str(run_dir)
        if is_complete(path):
            summary = json.loads((path / SUMMARY_FILE).read_text(encoding="utf-8"))
            kpi_rows.append(
                {k: math.nan if v is None else float(v) for k, v in summary["kpis"].items()}
            )
            versions.append(saved_by(layout.claim_file(path)))
            rows.append(row)
    kpis = tuple(dict.fromkeys(name for kpi_row in kpi_rows for name in kpi_row))
    runs = frame.iloc[rows].drop(columns="scenario_hash").reset_index(drop=True)
    runs["code_version"] = pd.array(versions, dtype="string")
    runs = pd.concat([runs, pd.DataFrame(kpi_rows, columns=list(kpis))], axis=1)
    first = [int(row) for row in frame.drop_duplicates("point").index]
    points = frame.iloc[first][["point", *levers]].reset_index(drop=True)
    values = {lever: index.column(lever).to_pylist() for lever in levers}
    point_values = tuple(tuple(values[lever][row] for lever in levers) for row in first)
    name, description = _title(layout)
    return SweepResults(
        layout, name, description, levers, points, point_values, runs, kpis, len(frame)
    )


def kpi_stats(results: SweepResults) -> pd.DataFrame:
    """Long form: one row per (point, KPI) with ``n``, ``mean``, ``ci_low``, ``ci_high``."""
    rows = []
    for point in results.points["point"]:
        runs = results.runs[results.runs["point"] == point]
        for kpi in results.kpis:
            values = runs[kpi].to_numpy(dtype=np.float64)
            mean, low, high = mean_ci(values)
            rows.append((int(point), kpi, int(np.isfinite(values).sum()), mean, low, high))
    return pd.DataFrame(rows, columns=["point", "kpi", "n", "mean", "ci_low", "ci_high"])


def summary_table(results: SweepResults, stats: pd.DataFrame) -> pd.DataFrame:
    """The wide ``summary.parquet`` table: one row per point (see the module doc)."""
    summary = results.points.copy()
    summary["runs"] = [int((results.runs["point"] == p).sum()) for p in summary["point"]]
    for kpi in results.kpis:
        of_kpi = stats[stats["kpi"] == kpi].set_index("point")
        for column in ("mean", "ci_low", "ci_high"):
            summary[f"{kpi}_{column}"] = of_kpi[column].reindex(summary["point"]).to_numpy()
    return summary


def write_report(directory: Path) -> SweepResults:
    """Write summary.parquet, kpis.parquet, report.md and one PNG per KPI."""
    results = read_results(directory)
    if results.runs.empty:
        raise ScenarioError("SWEEP_DIR", f"{directory} has no finished run yet; run 'ecosim sweep'")
    stats = kpi_stats(results)
    root = results.layout.root
    (root / "plots").mkdir(exist_ok=True)
    remove_leftovers(root, OUTPUTS)
    remove_leftovers(root / "plots", (f"{kpi}.png" for kpi in results.kpis))
    write_atomic(root / "summary.parquet", parquet_bytes(summary_table(results, stats)))
    write_atomic(root / "kpis.parquet", parquet_bytes(results.runs))
    for kpi in results.kpis:
        of_kpi = stats[stats["kpi"] == kpi]
        png = plot_kpi(
            kpi,
            results.levers,
            results.point_values,
            of_kpi["mean"].tolist(),
            of_kpi["ci_low"].tolist(),
            of_kpi["ci_high"].tolist(),
        )
        write_atomic(root / "plots" / f"{kpi}.png", png)
    write_atomic(root / "report.md", _markdown(results, stats).encode("utf-8"))
    return results


def _markdown(results: SweepResults, stats: pd.DataFrame) -> str:
    """report.md: what was swept, then per KPI a table of points and its plot."""
    seeds = results.runs.groupby("point").size()
    versions = results.runs["code_version"].fillna("unknown").value_counts()
    lines = [
        f"# Sweep {results.name}",
        "",
        " ".join(results.description.split()) or "(no description)",
        "",
        f"- levers: {', '.join(results.levers) or 'none'} ({len(results.points)} points)",
        f"- runs: {len(results.runs)} of {results.planned} finished, "
        f"{seeds.min()} to {seeds.max()} seeds per point",
        "- code: " + ", ".join(f"{version} ({count} runs)" for version, count in versions.items()),
        "- interval: 95% confidence, mean ± t(0.975, n−1)·s/√n over seeds (Student's t)",
        "",
    ]
    header = [*results.levers, "n", "mean", "95% CI"]
    for kpi in results.kpis:
        lines += [f"## {kpi}", "", _row(header), _row(["---:"] * len(header))]
        of_kpi = stats[stats["kpi"] == kpi]
        columns = (of_kpi[name].tolist() for name in ("n", "mean", "ci_low", "ci_high"))
        for values, n, mean, low, high in zip(results.point_values, *columns, strict=True):
            interval = f"[{_number(low)}, {_number(high)}]"
            lines.append(_row([*map(format_value, values), str(n), _number(mean), interval]))
        lines += ["", f"![{kpi}](plots/{kpi}.png)", ""]
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _number(value: float) -> str:
    return "–" if not math.isfinite(value) else format_number(value)


def _title(layout: SweepLayout) -> tuple[str, str]:
    """The sweep's name and description, from its sweep.yaml (the directory name if lost)."""
    try:
        data = safe_yaml.parse(layout.sweep_file.read_text(encoding="utf-8"))
        return str(data["name"]), str(data.get("description", ""))
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return layout.root.name, ""
