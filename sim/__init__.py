"""ecosim: an agent-based simulator of a short-video and live-stream commerce platform.

The public API, importable from ``sim`` itself (loaded on first use, so that
``python -m sim --help`` and scenario checks stay fast)::

    >>> import sim
    >>> scenario = sim.Scenario().with_overrides(
    ...     {"population.fans": 2000, "population.creators": 200, "population.merchants": 20,
    ...      "population.suppliers": 6, "run.days": 5})
    >>> result = sim.simulate(scenario, seed=1)
    >>> len(result.daily)
    5

Stages of the flow, one subpackage each: :mod:`sim.scenario` (file to validated
scenario), :mod:`sim.model` (state, agents, the day's steps), :mod:`sim.metrics`,
:mod:`sim.runs` (one run, many, the run directory), :mod:`sim.analysis` (facts,
comparisons, sensitivity), :mod:`sim.sweeps` (grids on Dask), :mod:`sim.commands` (CLI).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sim.allocation import Allocation, FairnessPolicy, allocate_exposure
    from sim.analysis.compare import compare_runs
    from sim.analysis.stats import mean_ci
    from sim.fairness import gini, lorenz, top_share
    from sim.metrics import CREATOR_COLUMNS, DAILY_METRICS, RUN_KPIS
    from sim.model.agents import Creator, Fan, Merchant, Supplier
    from sim.model.ecosystem import EcosystemModel
    from sim.runs import (
        RunResult,
        RunStopped,
        save_run,
        simulate,
        simulate_many,
        simulate_seeds,
        spawn_seeds,
    )
    from sim.scenario import (
        Scenario,
        ScenarioError,
        dump_scenario,
        load_scenario,
        parse_scenario,
    )
    from sim.sweeps.spec import Sweep, load_sweep

_EXPORTS = {
    "Allocation": "sim.allocation",
    "FairnessPolicy": "sim.allocation",
    "allocate_exposure": "sim.allocation",
    "compare_runs": "sim.analysis.compare",
    "mean_ci": "sim.analysis.stats",
    "gini": "sim.fairness",
    "lorenz": "sim.fairness",
    "top_share": "sim.fairness",
    "CREATOR_COLUMNS": "sim.metrics",
    "DAILY_METRICS": "sim.metrics",
    "RUN_KPIS": "sim.metrics",
    "Creator": "sim.model.agents",
    "Fan": "sim.model.agents",
    "Merchant": "sim.model.agents",
    "Supplier": "sim.model.agents",
    "EcosystemModel": "sim.model.ecosystem",
    "RunResult": "sim.runs",
    "RunStopped": "sim.runs",
    "save_run": "sim.runs",
    "simulate": "sim.runs",
    "simulate_many": "sim.runs",
    "simulate_seeds": "sim.runs",
    "spawn_seeds": "sim.runs",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "dump_scenario": "sim.scenario",
    "load_scenario": "sim.scenario",
    "parse_scenario": "sim.scenario",
    "Sweep": "sim.sweeps.spec",
    "load_sweep": "sim.sweeps.spec",
}

__all__ = [
    "CREATOR_COLUMNS",
    "DAILY_METRICS",
    "RUN_KPIS",
    "Allocation",
    "Creator",
    "EcosystemModel",
    "FairnessPolicy",
    "Fan",
    "Merchant",
    "RunResult",
    "RunStopped",
    "Scenario",
    "ScenarioError",
    "Supplier",
    "Sweep",
    "__version__",
    "allocate_exposure",
    "compare_runs",
    "dump_scenario",
    "gini",
    "load_scenario",
    "load_sweep",
    "lorenz",
    "mean_ci",
    "parse_scenario",
    "save_run",
    "simulate",
    "simulate_many",
    "simulate_seeds",
    "spawn_seeds",
    "top_share",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
