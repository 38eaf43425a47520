"""Shared pytest configuration: Hypothesis profiles and the import path.

Profiles (select with ``HYPOTHESIS_PROFILE=<name>``; ``ci`` is the default):

- ``ci``: derandomized (the same examples every run), no deadline, 100 examples per
  property, no example database. Keeps the allocation suite well under a minute on 2 cores.
- ``dev``: randomized and longer (1000 examples), for hunting bugs locally.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
# ``tests.reference`` and ``benchmarks`` are imported as packages of the repository root,
# whichever way pytest was started (``pytest`` or ``python -m pytest``).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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
