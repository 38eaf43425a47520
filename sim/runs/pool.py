"""Many runs in parallel local processes, one Rust thread each, results in job order.

The processes come from loky (joblib's process executor), which starts its workers
without re-running the caller's ``__main__``: `simulate_many` works from a plain script
with no ``if __name__ == "__main__":`` guard, unlike a multiprocessing pool under the
``spawn`` start method. The workers are reused between calls, so a second batch does not
pay for start-up and imports again.
"""

from __future__ import annotations

import os

from sim.runs.run import RunResult, simulate
from sim.scenario.schema import Scenario

WORKER_ENV = {"RAYON_NUM_THREADS": "1"}
"""One Rust thread per worker process, so that the processes do not compete for cores."""


def _simulate_one(args: tuple[Scenario, int, int | None]) -> RunResult:
    scenario, seed, days = args
    return simulate(scenario, seed=seed, days=days)


def simulate_many(
    jobs: list[tuple[Scenario, int]], days: int | None = None, workers: int | None = None
) -> list[RunResult]:
    """Run (scenario, seed) pairs in parallel processes; results in the order of `jobs`.

    Parameters
    ----------
    jobs : list of (Scenario, int)
        The scenario and seed of each run.
    days : int, optional
        Days to simulate (each scenario's run.days when omitted).
    workers : int, optional
        Worker processes (the number of cores when omitted; never more than the jobs).
        With one worker the runs happen in this process.
    """
    from loky import get_reusable_executor

    tasks = [(scenario, seed, days) for scenario, seed in jobs]
    workers = min(len(tasks), workers or os.cpu_count() or 1)
    if workers <= 1:
        return [_simulate_one(task) for task in tasks]
    executor = get_reusable_executor(max_workers=workers, env=WORKER_ENV)
    return list(executor.map(_simulate_one, tasks))


def simulate_seeds(
    scenario: Scenario, seeds: list[int], days: int | None = None, workers: int | None = None
) -> list[RunResult]:
    """Run one scenario for several seeds in parallel (see `simulate_many`)."""
    return simulate_many([(scenario, seed) for seed in seeds], days, workers)
