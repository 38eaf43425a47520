"""Response curves: one lever swept over a range, over seeds, through the sweep machinery
(:mod:`sim.sweeps`) on a local Dask cluster, and each KPI's mean and 95% interval per point.

The sweep is an ordinary sweep directory under :func:`sweeps_dir` (``sweeps/`` by default,
as ``ecosim sweep`` writes it): interrupted, it resumes; ``ecosim report`` reads it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from app import jobs, kpis
from sim.scenario import safe_yaml

SWEEPS_ENV = "ECOSIM_APP_SWEEPS"


def sweeps_dir() -> Path:
    """Where the app's sweeps go (``$ECOSIM_APP_SWEEPS``, default ``sweeps``)."""
    return Path(os.environ.get(SWEEPS_ENV, "sweeps"))


def lever_values(low: float, high: float, points: int, integer: bool) -> list[Any]:
    """``points`` evenly spaced values from ``low`` to ``high`` (rounded sensibly)."""
    values = np.linspace(low, high, points)
    if integer:
        return list(dict.fromkeys(round(v) for v in values))
    return list(dict.fromkeys(float(round(v, 6)) for v in values))


def sweep_text(
    scenario: sim.Scenario, lever: str, values: Sequence[Any], seeds: Sequence[int]
) -> str:
    """The sweep file for one lever: the scenario inline, the lever's values, the seeds."""
    name = f"app-{lever.replace('.', '-').replace('_', '-')}"[:64]
    data = {
        "name": name,
        "description": f"{lever} swept from the app over {len(values)} values.",
        "scenario": scenario.model_dump(mode="json"),
        "sweep": {lever: list(values)},
        "seeds": list(seeds),
    }
    return str(safe_yaml.dump(data))


@dataclass(frozen=True)
class Outcome:
    """Where the sweep is and how its runs went."""

    root: Path
    runs: int
    finished: int
    failed: list[str]


def run(
    text: str, workers: int | None, on_run: Callable[[int, int], None] | None = None
) -> Outcome:
    """Run the sweep (its file text) on a new local cluster; ``on_run(done, total)``."""
    from sim.sweeps.cluster import local_cluster, run_sweep
    from sim.sweeps.layout import prepare
    from sim.sweeps.ledger import Ledger

    sweep = sim.load_sweep(text)
    layout = prepare(sweep, sweeps_dir())

    def progress(outcome: Any, run: Any = None) -> None:
        if on_run is not None:
            on_run(outcome.finished, outcome.runs)

    with Ledger.open(layout.ledger_file) as ledger:
        outcome = run_sweep(sweep, layout, ledger, partial(local_cluster, workers), on_run=progress)
    failed = [f"{run.point.label}, seed {run.seed}: {error}" for run, error in outcome.failed]
    return Outcome(layout.root, outcome.runs, outcome.finished, failed)


def points(root: Path, lever: str) -> pd.DataFrame:
    """Long table: one row per (point, KPI) with the lever's value, its position on the
    axis (none drawn one step past the end), seeds, mean and 95% interval."""
    from sim.sweeps.report import read_results

    results = read_results(root)
    values = [v[0] for v in results.point_values]
    numeric = [float(v) for v in values if v is not None]
    step = (max(numeric) - min(numeric)) / max(1, len(numeric) - 1) if numeric else 1.0
    position = {
        i: float(v) if v is not None else (max(numeric) + step if numeric else 0.0)
        for i, v in enumerate(values)
    }
    rows = []
    for point, value in enumerate(values):
        of_point = results.runs[results.runs["point"] == point]
        run_kpis = [
            kpis.planner_kpis(jobs.read_run(results.layout.root / str(run_dir)))
            for run_dir in of_point["run_dir"]
        ]
        if not run_kpis:
            continue
        for name in kpis.ordered(list(run_kpis[0])):
            mean, low, high = kpis.interval([k.get(name, math.nan) for k in run_kpis])
            rows.append(
                {
                    "point": point,
                    "value": "none" if value is None else f"{value:g}",
                    "position": position[point],
                    "kpi": name,
                    "seeds": len(run_kpis),
                    "mean": mean,
                    "ci_low": low if math.isfinite(low) else mean,
                    "ci_high": high if math.isfinite(high) else mean,
                }
            )
    return pd.DataFrame(rows)
