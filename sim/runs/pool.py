"""Many runs in parallel local processes, one Rust thread each, results in job order."""

from __future__ import annotations

from sim.runs.run import RunResult, simulate
from sim.scenario.schema import Scenario


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
