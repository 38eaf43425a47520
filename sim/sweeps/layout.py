"""A sweep directory: where each of its files lives, and the files written before any run.

Layout of ``<out>/<name>-<hash8>/``:

- ``sweep.yaml``: the resolved sweep (inline scenario, explicit seeds); running it again
  resumes the same sweep;
- ``runs.parquet``: the index, one row per run: ``run``, ``point``, ``seed``, one column per
  lever (named by its dotted path), ``scenario_hash`` and ``run_dir`` (relative);
- ``runs/scenario=<name>-<hash8>/seed=<seed>/``: the run directories, exactly as
  ``ecosim run --out runs`` writes them (Hive partitions: reading
  ``runs/*/*/daily.parquet`` gives ``scenario`` and ``seed`` columns);
- ``ledger.jsonl``: the finished runs (:mod:`sim.sweeps.ledger`);
- ``locks/scenario=<name>-<hash8>/seed=<seed>.lock``: one claim per run
  (:mod:`sim.sweeps.task`);
- after ``ecosim report``: ``summary.parquet``, ``kpis.parquet``, ``report.md``, ``plots/``.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.runs.directory import parquet_bytes, run_directory, write_atomic
from sim.scenario.errors import ScenarioError
from sim.sweeps.spec import Run, Sweep

__all__ = [
    "INDEX_COLUMNS",
    "SweepLayout",
    "lever_column",
    "prepare",
    "remove_leftovers",
    "write_plan",
]

INDEX_COLUMNS = ("run", "point", "seed", "scenario_hash", "run_dir")
"""The columns of ``runs.parquet`` besides one per lever."""


@dataclass(frozen=True)
class SweepLayout:
    """The paths of one sweep directory."""

    root: Path

    @property
    def sweep_file(self) -> Path:
        return self.root / "sweep.yaml"

    @property
    def index_file(self) -> Path:
        return self.root / "runs.parquet"

    @property
    def ledger_file(self) -> Path:
        return self.root / "ledger.jsonl"

    @property
    def runs_root(self) -> Path:
        return self.root / "runs"

    def run_dir(self, run: Run) -> Path:
        """The run's directory, as :func:`sim.runs.run.save_run` names it under ``runs/``."""
        return run_directory(self.runs_root, run.point.scenario, run.seed)

    def claim_file(self, run_dir: Path) -> Path:
        """The lock a worker holds while it saves ``run_dir``, naming the code that saved it."""
        relative = run_dir.relative_to(self.runs_root)
        return self.root / "locks" / relative.parent / f"{relative.name}.lock"

    def relative(self, path: Path) -> str:
        """``path`` relative to the sweep directory, with forward slashes."""
        return path.relative_to(self.root).as_posix()


def prepare(sweep: Sweep, out: Path) -> SweepLayout:
    """Create the sweep's directory ``<out>/<name>-<hash8>/`` (and its ``runs/``)."""
    layout = SweepLayout(Path(out) / sweep.directory_name)
    try:
        layout.runs_root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ScenarioError("--out", f"cannot create {layout.root}: {error.strerror}") from None
    return layout


def write_plan(sweep: Sweep, layout: SweepLayout) -> None:
    """Write ``sweep.yaml`` and ``runs.parquet`` (by the holder of the ledger's lock)."""
    remove_leftovers(layout.root, (layout.sweep_file.name, layout.index_file.name))
    write_atomic(layout.sweep_file, sweep.to_yaml().encode("utf-8"))
    write_atomic(layout.index_file, parquet_bytes(runs_index(sweep, layout)))


def remove_leftovers(directory: Path, names: Iterable[str]) -> None:
    """Delete the temporary files a killed writer of ``names`` left in ``directory``
    (``.<name>.<pid>.tmp``, written then renamed by :func:`sim.runs.directory.write_run` and
    friends). Only the one process entitled to write those files may call this."""
    for name in names:
        for leftover in directory.glob(f".{glob.escape(name)}.*.tmp"):
            leftover.unlink(missing_ok=True)


def runs_index(sweep: Sweep, layout: SweepLayout) -> pd.DataFrame:
    """One row per run (see the module doc), in run order."""
    runs = sweep.runs()
    columns: dict[str, Any] = {
        "run": [run.index for run in runs],
        "point": [run.point.index for run in runs],
        "seed": [run.seed for run in runs],
    }
    for position, lever in enumerate(sweep.levers):
        columns[lever.path] = lever_column([run.point.values[position][1] for run in runs])
    columns["scenario_hash"] = [run.point.scenario_hash for run in runs]
    columns["run_dir"] = [layout.relative(layout.run_dir(run)) for run in runs]
    return pd.DataFrame(columns)


def lever_column(values: Sequence[Any]) -> pd.Series[Any] | list[str]:
    """A lever's values as one typed column (nulls kept), or as JSON text when the values
    mix types that one Parquet column cannot hold (``[0.3, "auto"]``)."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return [json.dumps(value) for value in values]
    column: pd.Series[Any] = array.to_pandas(types_mapper=pd.ArrowDtype)
    return column
