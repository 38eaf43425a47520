"""The runs stage: one run (`run`), many runs in parallel processes (`pool`), derived
seeds (`seeds`) and the Hive-partitioned run directory on disk (`directory`)."""

from sim.model.stopping import RunStopped
from sim.runs.pool import simulate_many, simulate_seeds
from sim.runs.run import RunResult, save_run, simulate
from sim.runs.seeds import spawn_seeds

__all__ = [
    "RunResult",
    "RunStopped",
    "save_run",
    "simulate",
    "simulate_many",
    "simulate_seeds",
    "spawn_seeds",
]
