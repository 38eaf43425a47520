"""Shared pytest configuration: the import path, the repository root, the small
populations the tests run, the command-line runner, and the Hypothesis profiles.

Profiles (select with ``HYPOTHESIS_PROFILE=<name>``; ``ci`` is the default):

- ``ci``: derandomized (the same examples every run), no deadline, 100 examples per
  property, no example database. Keeps the allocation suite well under a minute on 2 cores.
- ``dev``: randomized and longer (1000 examples), for hunting bugs locally.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, settings

from sim.scenario.resolutions import TENTH as TENTH  # re-exported: the tests take it from here

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel, ServedFeed
    from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
# ``tests.reference`` and ``benchmarks`` are imported as packages of the repository root,
# whichever way pytest was started (``pytest`` or ``python -m pytest``).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
SMALL: dict[str, object] = {
    "population.fans": 5000,
    "population.creators": 500,
    "population.merchants": 100,
    "population.suppliers": 30,
    "population.scale": 40_000,
    "population.creator_scale": 40,
    "run.days": 40,
    "commerce.event_days": [30, 31],
}
"""The baseline's platform (200M DAU) at a resolution small enough for a test, with the
festival inside its 40 days."""
SMALL_SET = [f"{path}={value}" for path, value in SMALL.items()]
"""The same as ``--set`` overrides (``PATH=VALUE``)."""


def small_scenario(name: str = "baseline", *overrides: str) -> Scenario:
    """A shipped scenario at the small population, with further ``PATH=VALUE`` overrides."""
    from sim.scenario.files import load_scenario

    return load_scenario(SCENARIOS / f"{name}.yaml", [*SMALL_SET, *overrides])


def ecosim(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sim`` as a user would, with the repository importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ECOSIM_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=100,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "dev",
    derandomize=False,
    deadline=None,
    database=None,
    max_examples=1000,
    suppress_health_check=_SLOW_OK,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def warm_model(days: int = 20, *overrides: str) -> EcosystemModel:
    """A small baseline model after `days` days: followers, goods and works in the pipeline."""
    from sim.model.ecosystem import EcosystemModel

    model = EcosystemModel(small_scenario("baseline", *overrides))
    model.run(days)
    return model


def begin_day(model: EcosystemModel) -> ServedFeed:
    """Today's works and their impressions, the way `EcosystemModel.step` makes them
    before the fans view: posting, the fans' plan, the allocation and the filler."""
    from sim.model.ecosystem import serve_feed

    return serve_feed(model.world, model.config, model.seed, model.day)
