"""Run directories: where one (scenario, seed) run's results live, written atomically.

Layout: ``<out>/scenario=<name>-<hash8>/seed=<seed>/`` holding ``scenario.yaml``,
``daily.parquet``, ``creators.parquet`` and ``summary.json``. The directories are Hive
partitions: DuckDB, polars, pyarrow and Dask read ``<out>/*/*/daily.parquet`` with
``scenario`` and ``seed`` columns taken from the path. Every file is written to a
temporary name and renamed into place, and ``summary.json`` is written last, so its
presence means the run is complete: sweeps can resume by skipping complete directories.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import platform
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.scenario.files import dump_scenario

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario.schema import Scenario

__all__ = [
    "HASH_CHARS",
    "RUN_FILES",
    "RUN_GLOB",
    "SUMMARY_FILE",
    "is_complete",
    "parquet_bytes",
    "run_directory",
    "run_name",
    "run_summary",
    "write_run",
]

HASH_CHARS = 8
"""Hex digits of the scenario hash in directory names: ample for one user's scenarios."""
SUMMARY_FILE = "summary.json"
RUN_FILES = ("scenario.yaml", "daily.parquet", "creators.parquet", "fans.parquet", SUMMARY_FILE)
EVENT_FILES = ("orders.parquet", "follows.parquet")
"""Written only for runs made with event logs (``ecosim run --events``)."""
VERSIONED_PACKAGES = ("ecosim", "numpy", "mesa", "pandas", "pyarrow", "pydantic")
RUN_GLOB = "scenario=*/seed=*"
"""Every run directory under an output root (the Hive partitions ``scenario`` and ``seed``)."""


def run_name(scenario: Scenario) -> str:
    """``<name>-<hash8>``: the ``scenario`` partition of a distinct scenario, shared by its
    seeds (a slug and hex digits: nothing in it needs escaping in a Hive path)."""
    return f"{scenario.name}-{scenario.scenario_hash()[:HASH_CHARS]}"


def run_directory(out: Path, scenario: Scenario, seed: int) -> Path:
    """``<out>/scenario=<name>-<hash8>/seed=<seed>``; nothing is created."""
    return Path(out) / f"scenario={run_name(scenario)}" / f"seed={seed}"


def is_complete(dirpath: Path) -> bool:
    """True when every run file is present (``summary.json`` is only written last)."""
    return all((Path(dirpath) / name).is_file() for name in RUN_FILES)


def write_run(
    dirpath: Path,
    scenario: Scenario,
    daily: pd.DataFrame,
    creators: pd.DataFrame,
    summary: Mapping[str, Any],
    fans: pd.DataFrame,
    events: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Write a run's files atomically, ``summary.json`` last; the event logs
    (``orders``, ``follows``) when given.

    An existing ``summary.json`` is removed first, so a rewrite interrupted half-way
    leaves a directory that :func:`is_complete` reports as incomplete.
    """
    dirpath = Path(dirpath)
    dirpath.mkdir(parents=True, exist_ok=True)
    (dirpath / SUMMARY_FILE).unlink(missing_ok=True)
    write_atomic(dirpath / "scenario.yaml", dump_scenario(scenario).encode("utf-8"))
    write_atomic(dirpath / "daily.parquet", parquet_bytes(daily))
    write_atomic(dirpath / "creators.parquet", parquet_bytes(creators))
    write_atomic(dirpath / "fans.parquet", parquet_bytes(fans))
    for name, table in (events or {}).items():
        write_atomic(dirpath / f"{name}.parquet", parquet_bytes(table))
    text = json.dumps(_json_safe(summary), indent=2, ensure_ascii=False, allow_nan=False)
    write_atomic(dirpath / SUMMARY_FILE, (text + "\n").encode("utf-8"))


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A DataFrame as zstd Parquet whose bytes depend only on the data and its dtypes.

    Columns keep their Arrow types. pyarrow's pandas schema metadata records the library
    versions, so equal data written by different installs would differ; it is dropped,
    except for the entries of the columns of pandas' nullable dtypes (``Int64``,
    ``Float64``, ``boolean``: a creator's ``exit_day``), which Arrow alone reads back as
    float or object. With those entries, and nothing else, ``pd.read_parquet`` gives such
    columns back as nullable columns; a frame without any (the daily metrics) is written
    with no schema metadata at all.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(_nullable_metadata(frame, table))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def _nullable_metadata(frame: pd.DataFrame, table: pa.Table) -> dict[str, str] | None:
    """The pandas metadata of ``frame``'s nullable columns only (None when it has none)."""
    import pandas as pd  # already loaded by whoever made the frame; this module stays light

    masked = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
    nullable = {
        str(name)
        for position, name in enumerate(frame.columns)
        if isinstance(frame.iloc[:, position].array, masked)
    }
    if not nullable:
        return None
    columns = [
        entry for entry in table.schema.pandas_metadata["columns"] if entry["name"] in nullable
    ]
    pandas = {"index_columns": [], "column_indexes": [], "columns": columns}
    return {"pandas": json.dumps(pandas, sort_keys=True, separators=(",", ":"))}


def run_summary(
    scenario: Scenario, seed: int, kpis: Mapping[str, float], wall_time_s: float
) -> dict[str, Any]:
    """What ``summary.json`` records: KPIs plus what is needed to reproduce the run."""
    return {
        "scenario": scenario.name,
        "scenario_hash": scenario.scenario_hash(),
        "seed": seed,
        "days": scenario.run.days,
        "kpis": dict(kpis),
        "wall_time_s": round(wall_time_s, 3),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in VERSIONED_PACKAGES},
        "git_commit": _git_commit(),
    }


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, flush to disk, then rename over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _json_safe(value: Any) -> Any:
    """NaN/inf become null (JSON has no such numbers); NumPy scalars become Python ones."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    """The commit of the source tree this package runs from, if it is a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None
