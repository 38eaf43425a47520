"""A rough memory budget for a scenario, checked before anything is allocated.

A scenario with 50M fans would otherwise start, allocate for minutes and then be killed by
the OS; refusing up front with a clear message is kinder. The estimate is deliberately
simple: a few bytes-per-entity constants (tune them against measured peaks) times the
largest populations the run can reach, times a safety factor for a day's temporaries.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sim.scenario.errors import MemoryLimitError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

__all__ = [
    "MEMORY_SHARE_LIMIT",
    "available_memory_bytes",
    "check_memory",
    "estimate_memory_bytes",
    "memory_breakdown",
]

BYTES_PER_FAN = 64
"""Columnar fan state: interests, activity, price sensitivity, budget, counters."""
FOLLOWS_PER_FAN = 20
"""Typical creators followed per fan; each follow edge also carries a trust level."""
BYTES_PER_FOLLOW = 12
"""One follow edge: creator id (4) + trust (4) + index overhead (4)."""
BYTES_PER_VIEW = 16
"""A view event kept while a day is processed: fan id, work id, flags."""
BYTES_PER_CREATOR = 200
"""Columnar creator state plus per-creator metric accumulators."""
BYTES_PER_MERCHANT = 64
BYTES_PER_SUPPLIER = 64
BYTES_PER_WORK = 48
"""One work alive in the climbing stages: creator, stage, demand, views, orders."""
WORKS_PER_CREATOR_PER_DAY = 1.0
BYTES_PER_DAY_RECORD = 4096
"""One row of daily metrics (about a hundred float columns plus Lorenz points)."""
DAILY_TEMPORARIES_FACTOR = 2.0
"""Peak-to-steady ratio: the daily pipeline holds copies while it sorts and allocates."""
BASE_OVERHEAD_BYTES = 300 * 2**20
"""Python, NumPy, pandas, pyarrow, Mesa and the Rust extension once imported."""
MAX_GROWTH = 1e6
"""Cap on the creator growth factor so absurd entry rates give a huge number, not inf."""
MEMORY_SHARE_LIMIT = 0.8
"""Refuse scenarios estimated above this share of the machine's memory."""


def memory_breakdown(scenario: Scenario) -> dict[str, int]:
    """Estimated bytes per component at the run's peak (see the constants above).

    Commerce creators grow by ``creator_entry_rate`` a day; churn is ignored, so the
    estimate errs on the high side for long runs.
    """
    population = scenario.population
    days = scenario.run.days
    growth = math.exp(min(days * math.log1p(population.creator_entry_rate), math.log(MAX_GROWTH)))
    commerce = population.creators * population.commerce_creator_share
    peak_creators = population.creators - commerce + commerce * growth
    stages = 1 + len(scenario.traffic.stage_quotas)
    views_per_day = population.fans * population.views_mean
    steady = {
        "fans": population.fans * (BYTES_PER_FAN + FOLLOWS_PER_FAN * BYTES_PER_FOLLOW),
        "creators": peak_creators * BYTES_PER_CREATOR,
        "merchants": population.merchants * growth * BYTES_PER_MERCHANT,
        "suppliers": population.suppliers * BYTES_PER_SUPPLIER,
        "works": peak_creators * WORKS_PER_CREATOR_PER_DAY * stages * BYTES_PER_WORK,
        "views": views_per_day * BYTES_PER_VIEW,
        "daily_metrics": days * BYTES_PER_DAY_RECORD,
    }
    breakdown = {name: int(size * DAILY_TEMPORARIES_FACTOR) for name, size in steady.items()}
    breakdown["interpreter"] = BASE_OVERHEAD_BYTES
    return breakdown


def estimate_memory_bytes(scenario: Scenario) -> int:
    """Rough peak resident memory of a run of ``scenario``, in bytes."""
    return sum(memory_breakdown(scenario).values())


def available_memory_bytes() -> int:
    """Physical memory, or the container's cgroup limit when that is lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return min(physical, _cgroup_limit_bytes() or physical)


def _cgroup_limit_bytes() -> int | None:
    """The cgroup v2 (or v1) memory limit, if one is set: containers report host memory."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return int(text)
    return None


def check_memory(scenario: Scenario, limit_bytes: int | None = None) -> int:
    """Return the estimate, or raise :class:`MemoryLimitError` when it exceeds the limit.

    ``limit_bytes`` defaults to ``MEMORY_SHARE_LIMIT`` of :func:`available_memory_bytes`.
    """
    if limit_bytes is None:
        limit_bytes = int(available_memory_bytes() * MEMORY_SHARE_LIMIT)
    estimate = estimate_memory_bytes(scenario)
    if estimate > limit_bytes:
        population = scenario.population
        raise MemoryLimitError(
            "population",
            f"needs about {_mib(estimate)} MiB but only {_mib(limit_bytes)} MiB may be used "
            f"(fans={population.fans}, creators={population.creators}); "
            "lower population.fans or population.creators and raise population.scale "
            "to keep platform totals",
        )
    return estimate


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f}"
