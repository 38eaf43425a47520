"""Run and sweep directories on disk, found by their ``summary.json`` and queried with
DuckDB over their Parquet files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from app.charts import NUMERIC_METRICS
from sim.runs.directory import SUMMARY_FILE

SWEEP_INDEX = "runs.parquet"
"""A sweep directory's index: one row per run, with its lever values and ``run_dir``."""
_INDEX_BOOKKEEPING = {"run", "seed", "scenario_hash", "run_dir"}


def find_runs(root: Path) -> pd.DataFrame:
    """One row per complete run under ``root`` (any depth: runs, sweeps of runs).

    Columns: ``run`` (the directory relative to ``root``), ``path``, ``scenario``,
    ``seed``, ``days``, ``finished_at``; for runs of a sweep, ``sweep``, ``point`` and the
    swept levers (by dotted path); then every KPI of the summary, as ``kpi.<name>``.
    """
    swept = _sweep_levers(root)
    rows = []
    for summary_path in sorted(root.glob(f"**/{SUMMARY_FILE}")):
        directory = summary_path.parent
        if not (directory / "daily.parquet").is_file():
            continue
        try:
            summary = json.loads(summary_path.read_text())
        except (OSError, ValueError):
            continue  # a directory being written, or not ours
        rows.append(
            {
                "run": directory.relative_to(root).as_posix(),
                "path": str(directory),
                "scenario": summary.get("scenario"),
                "seed": summary.get("seed"),
                "days": summary.get("days"),
                "finished_at": summary.get("finished_at"),
                **swept.get(directory.resolve(), {}),
                **{f"kpi.{k}": v for k, v in (summary.get("kpis") or {}).items()},
            }
        )
    columns = ["run", "path", "scenario", "seed", "days", "finished_at"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    levers = lever_columns([Path(row["path"]) for row in rows])
    keep = [c for c in frame.columns if not c.startswith("kpi.")]
    kpi_columns = [c for c in frame.columns if c.startswith("kpi.")]
    extra = levers.drop(columns=[c for c in levers.columns if c in frame.columns])
    return pd.concat([frame[keep], extra, frame[kpi_columns]], axis=1)


def lever_columns(directories: Sequence[Path]) -> pd.DataFrame:
    """The policy levers of each run (from its scenario.yaml), one column per lever by
    dotted path; levers with the same value in every run are left out, except the Gini
    cap and the ordinary floor, which are always shown."""
    from app.levers import POLICY_LEVERS, edit_text

    values: list[dict[str, object]] = []
    for directory in directories:
        try:
            data = yaml.safe_load((directory / "scenario.yaml").read_text()) or {}
        except (OSError, yaml.YAMLError):
            data = {}
        row: dict[str, object] = {}
        for path in POLICY_LEVERS:
            group, name = path.split(".")
            value = (data.get(group) or {}).get(name)
            row[path] = edit_text(value)
        row["population.fans"] = edit_text((data.get("population") or {}).get("fans"))
        values.append(row)
    frame = pd.DataFrame(values)
    always = {"traffic.gini_cap", "traffic.ordinary_floor", "population.fans"}
    varying = [c for c in frame.columns if c in always or frame[c].astype(str).nunique() > 1]
    return frame[varying]


def _sweep_levers(root: Path) -> dict[Path, dict[str, object]]:
    """Sweep name, point and lever values of every run listed in a sweep index."""
    found: dict[Path, dict[str, object]] = {}
    for index in sorted(root.glob(f"**/{SWEEP_INDEX}")):
        try:
            with duckdb.connect() as connection:
                table = connection.execute(
                    "SELECT * FROM read_parquet($index)", {"index": str(index)}
                ).df()
        except duckdb.Error:
            continue  # not a sweep index after all
        if "run_dir" not in table.columns:
            continue
        levers = [c for c in table.columns if c not in _INDEX_BOOKKEEPING]
        for record in table.to_dict("records"):
            values = {"sweep": index.parent.name, **{c: record[c] for c in levers}}
            found[(index.parent / str(record["run_dir"])).resolve()] = values
    return found


def daily_query(metrics: Sequence[str]) -> str:
    """The DuckDB query giving (run directory, day, metric, value) for ``metrics``.

    Metric names are checked against :data:`NUMERIC_METRICS` before they reach SQL; the
    file list is a bound parameter.
    """
    unknown = sorted(set(metrics) - set(NUMERIC_METRICS))
    if unknown:
        raise ValueError(f"metrics: not daily numeric metrics: {', '.join(unknown)}")
    columns = ", ".join(f'CAST("{name}" AS DOUBLE) AS "{name}"' for name in metrics)
    names = ", ".join(f'"{name}"' for name in metrics)
    return (
        f"WITH daily AS (SELECT parse_dirpath(filename) AS directory, day, {columns} "
        "FROM read_parquet($files, filename = true)) "
        f"SELECT directory, day, metric, value FROM daily "
        f"UNPIVOT (value FOR metric IN ({names})) ORDER BY directory, metric, day"
    )


def daily_long(directories: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame:
    """Chosen metrics of chosen run directories in long form: directory, day, metric, value."""
    if not directories or not metrics:
        return pd.DataFrame(columns=["directory", "day", "metric", "value"])
    files = [str(Path(directory) / "daily.parquet") for directory in directories]
    with duckdb.connect() as connection:
        frame: pd.DataFrame = connection.execute(daily_query(metrics), {"files": files}).df()
    return frame
