"""The contract every ``ecosim`` subcommand follows, and the arguments (with their checks)
several of them share.

A subcommand is a module in this package exposing ``COMMAND = Command(...)``; list its
module name in :data:`sim.commands.cli.COMMANDS`. Modules are imported whenever the CLI starts, so
they import heavy libraries (the model, pandas, Streamlit) inside ``execute`` only.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sim.scenario.errors import MemoryLimitError, ScenarioError
from sim.scenario.memory import MEMORY_SHARE_LIMIT, available_memory_bytes, estimate_memory_bytes

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario
    from sim.sweeps.cluster import Connect

__all__ = [
    "DEFAULT_SCENARIO",
    "Command",
    "add_baseline_scenario_arguments",
    "add_cluster_arguments",
    "add_scenario_arguments",
    "check_workers_memory",
    "cluster_connect",
    "parse_workers",
    "positive_int",
    "positive_int_or",
]

DEFAULT_SCENARIO = Path("scenarios/baseline.yaml")
"""The scenario of the commands whose SCENARIO is optional (relative to the working
directory: the repository's root)."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, its arguments and what it does."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    execute: Callable[[argparse.Namespace], int]
    """Returns the exit code; raises ScenarioError for anything the user can fix."""


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """``SCENARIO`` and repeatable ``--set PATH=VALUE`` (into ``args.scenario/overrides``)."""
    parser.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario YAML file")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a setting, e.g. --set traffic.gini_cap=0.3 (repeatable; VALUE is YAML)",
    )


def add_baseline_scenario_arguments(
    parser: argparse.ArgumentParser,
    *,
    scenario_help: str = f"scenario YAML file (default {DEFAULT_SCENARIO})",
    set_help: str = "override a setting",
    set_dest: str = "set",
) -> None:
    """An optional ``SCENARIO`` (default :data:`DEFAULT_SCENARIO`, which the facts and the
    studies of the levers are about) and repeatable ``--set PATH=VALUE`` (into
    ``args.scenario`` and ``args.<set_dest>``)."""
    parser.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        default=DEFAULT_SCENARIO,
        metavar="SCENARIO",
        help=scenario_help,
    )
    parser.add_argument(
        "--set", dest=set_dest, action="append", default=[], metavar="PATH=VALUE", help=set_help
    )


def positive_int(field: str, text: str) -> int:
    """A count given on the command line (seeds, days, trajectories): a whole number of at
    least 1, else a :class:`ScenarioError` naming the flag ``field``, so that bad input
    exits 2 with one line."""
    try:
        number = int(text)
    except ValueError:
        raise ScenarioError(field, f"must be a whole number, got {text!r}") from None
    if number < 1:
        raise ScenarioError(field, f"must be at least 1, got {number}")
    return number


def positive_int_or(field: str, text: str | None, default: int) -> int:
    """:func:`positive_int`, or ``default`` when the flag was not given (its default
    depends on the scenario, say ``run.days``)."""
    return default if text is None else positive_int(field, text)


def parse_workers(text: str | None) -> int | None:
    """``--workers``: None when not given (the pool or cluster takes one per core), else a
    whole number of at least 1."""
    return None if text is None else positive_int("--workers", text)


def add_cluster_arguments(
    parser: argparse.ArgumentParser,
    *,
    scheduler_help: str = "use the running Dask cluster at ADDRESS (tcp://HOST:PORT) instead",
    scheduler_file_help: str = "use the running Dask cluster described by FILE, as written by "
    "'dask scheduler --scheduler-file FILE' or dask-jobqueue, instead",
) -> None:
    """Where the runs go, one at most of: ``--workers N`` processes of a local cluster, the
    running cluster at ``--scheduler ADDRESS`` or the one ``--scheduler-file FILE`` names
    (into ``args.workers/scheduler/scheduler_file``, for :func:`cluster_connect`)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=str,
        default=None,
        metavar="N",
        help="worker processes of a local cluster (default: one per core)",
    )
    where.add_argument("--scheduler", default=None, metavar="ADDRESS", help=scheduler_help)
    where.add_argument(
        "--scheduler-file", type=Path, default=None, metavar="FILE", help=scheduler_file_help
    )


def cluster_connect(
    args: argparse.Namespace, workers: int | None, check_local: Callable[[int | None], None]
) -> Connect:
    """How to open the cluster :func:`add_cluster_arguments` parsed (``workers`` from
    :func:`parse_workers`). A running cluster's memory is its own; before a local one is
    chosen, ``check_local(workers)`` refuses what this machine cannot hold."""
    from sim.sweeps.cluster import local_cluster, remote_cluster, scheduler_file_cluster

    if args.scheduler is not None:
        return partial(remote_cluster, args.scheduler)
    if args.scheduler_file is not None:
        return partial(scheduler_file_cluster, args.scheduler_file)
    check_local(workers)
    return partial(local_cluster, workers)


def check_workers_memory(scenario: Scenario, workers: int | None, runs: int | None = None) -> None:
    """``workers`` runs of ``scenario`` at once (default: one per core; no more than the
    ``runs`` there are) must fit in this machine's share of memory, else a
    :class:`MemoryLimitError` naming ``--workers`` and a count that fits."""
    from sim.sweeps.cluster import cpu_count

    parallel = workers or cpu_count()
    if runs is not None:
        parallel = min(parallel, runs)
    limit = int(available_memory_bytes() * MEMORY_SHARE_LIMIT)
    need = estimate_memory_bytes(scenario) * parallel
    if need > limit:
        fit = max(1, limit // estimate_memory_bytes(scenario))
        raise MemoryLimitError(
            "--workers",
            f"{parallel} runs at once need about {need / 2**20:,.0f} MiB but only "
            f"{limit / 2**20:,.0f} MiB may be used; use --workers {fit}",
        )
