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
    fans: pd.DataFrame
    """One row per fan at the end: views, follows, orders, spend."""
    events: dict[str, pd.DataFrame] | None = None
    """The event logs (``orders``, ``follows``) when the run kept them."""

    def summary(self) -> dict[str, Any]:
        """The run's summary.json content."""
        return run_summary(self.scenario, self.seed, self.kpis, self.wall_time_s)


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    days: int | None = None,
    progress: Progress | None = None,
    events: bool = False,
    stop: Callable[[], bool] | None = None,
) -> RunResult:
    """Simulate `scenario` for `days` (default run.days) with `seed` (default run.seed);
    with `events`, keep every order and follow (written as orders.parquet and
    follows.parquet). `progress(done, total)` is called after each day; when `stop()`
    turns true the run ends before its next day by raising
    :class:`~sim.model.stopping.RunStopped` (nothing is returned or written)."""
    # Heavy: only when a run happens.
    from sim.metrics.summary import creator_table, daily_frame, fan_table, run_kpis
    from sim.model.ecosystem import EcosystemModel

    seed = scenario.run.seed if seed is None else seed
    days = scenario.run.days if days is None else days
    if days != scenario.run.days or seed != scenario.run.seed:
        scenario = scenario.with_overrides({"run.days": days, "run.seed": seed})
    started = time.perf_counter()
    model = EcosystemModel(scenario, seed=seed, events=events)
    model.run(days, progress=progress, stop=stop)
    daily = daily_frame(model)
    return RunResult(
        scenario=scenario,
        seed=seed,
        daily=daily,
        creators=creator_table(model),
        kpis=run_kpis(daily, model.world.catalogue.initial_commerce_creators),
        wall_time_s=time.perf_counter() - started,
        fans=fan_table(model),
        events=model.events.tables() if model.events is not None else None,
    )


def save_run(out: Path, result: RunResult) -> Path:
    """Write the run directory `<out>/scenario=<name>-<hash8>/seed=<seed>/` atomically."""
    directory = run_directory(out, result.scenario, result.seed)
    write_run(
        directory,
        result.scenario,
        result.daily,
        result.creators,
        result.summary(),
        result.fans,
        result.events,
    )
    return directory
