"""Run one scenario with one seed and keep what a run produces: the single entry point
used by the CLI, the sweeps, the facts check and the app, so a run is the same everywhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.directory import run_directory, run_summary, write_run
from sim.scenario.schema import Scenario

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunResult:
    """Everything one run produces, before it is written to disk."""

    scenario: Scenario
    seed: int
    daily: pd.DataFrame
    creators: pd.DataFrame
    kpis: dict[str, float]
    wall_time_s: float

    def summary(self) -> dict[str, Any]:
        """The run's summary.json content."""
        return run_summary(self.scenario, self.seed, self.kpis, self.wall_time_s)


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    days: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Simulate `scenario` for `days` (default run.days) with `seed` (default run.seed)."""
    from sim.model.ecosystem import EcosystemModel  # heavy: only when a run happens

    seed = scenario.run.seed if seed is None else seed
    days = scenario.run.days if days is None else days
    if days != scenario.run.days or seed != scenario.run.seed:
        run = scenario.run.model_copy(update={"days": days, "seed": seed})
        scenario = scenario.model_copy(update={"run": run})
    started = time.perf_counter()
    model = EcosystemModel(scenario, seed=seed)
    model.run(days, progress=progress)
    return RunResult(
        scenario=scenario,
        seed=seed,
        daily=model.daily_metrics(),
        creators=model.creator_table(),
        kpis=model.kpis(),
        wall_time_s=time.perf_counter() - started,
    )


def save_run(out: Path, result: RunResult) -> Path:
    """Write the run directory `<out>/<name>-<hash8>/seed-<seed>/` atomically."""
    directory = run_directory(out, result.scenario, result.seed)
    write_run(directory, result.scenario, result.daily, result.creators, result.summary())
    return directory


def spawn_seeds(base_seed: int, count: int) -> list[int]:
    """`count` independent seeds derived from `base_seed` with NumPy's SeedSequence
    (each below 2**63, as the scenario requires)."""
    import numpy as np

    children = np.random.SeedSequence(base_seed).spawn(count)
    return [int(child.generate_state(1, np.uint64)[0] >> np.uint64(1)) for child in children]


def _simulate_one(args: tuple[Scenario, int, int | None]) -> RunResult:
    scenario, seed, days = args
    return simulate(scenario, seed=seed, days=days)


def simulate_many(
    jobs: list[tuple[Scenario, int]], days: int | None = None, workers: int | None = None
) -> list[RunResult]:
    """Run (scenario, seed) pairs in parallel processes, one Rust thread each so the
    processes do not compete for cores. Results come back in the order of `jobs`."""
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    tasks = [(scenario, seed, days) for scenario, seed in jobs]
    workers = min(len(tasks), workers or os.cpu_count() or 1)
    if workers <= 1:
        return [_simulate_one(task) for task in tasks]
    previous = os.environ.get("RAYON_NUM_THREADS")
    os.environ["RAYON_NUM_THREADS"] = "1"  # read by the workers when they start
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            return list(pool.map(_simulate_one, tasks))
    finally:
        if previous is None:
            os.environ.pop("RAYON_NUM_THREADS", None)
        else:
            os.environ["RAYON_NUM_THREADS"] = previous


def simulate_seeds(
    scenario: Scenario, seeds: list[int], days: int | None = None, workers: int | None = None
) -> list[RunResult]:
    """Run one scenario for several seeds in parallel (see `simulate_many`)."""
    return simulate_many([(scenario, seed) for seed in seeds], days, workers)
