"""``ecosim run``: simulate one scenario and seed, print KPIs, save the run directory.

Everything that can fail on the user's input (the file, ``--set``, the memory budget, the
output location) is checked before the model is built, and nothing is written until the
run has finished, so a failed run leaves no half-made directory behind.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.commands import Command, add_scenario_arguments
from sim.commands.terminal import format_kpis
from sim.runs.run import save_run, simulate
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.memory import check_memory

Progress = Callable[[int, int], None]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scenario_arguments(parser)
    parser.add_argument("--seed", help="random seed (overrides run.seed)")
    parser.add_argument("--days", help="days to simulate (overrides run.days)")
    parser.add_argument(
        "--out", type=Path, default=Path("runs"), metavar="DIR", help="output root (default: runs)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--events",
        action="store_true",
        help="also write every order and follow (orders.parquet, follows.parquet)",
    )


def _execute(args: argparse.Namespace) -> int:
    # --seed/--days go through the scenario's validation so errors name run.seed / run.days.
    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    if args.days is not None:
        overrides.append(f"run.days={args.days}")
    scenario = load_scenario(args.scenario, overrides)
    check_memory(scenario)
    _check_writable(args.out)
    with progress_bar(scenario.run.days, enabled=not args.quiet and sys.stderr.isatty()) as bar:
        result = simulate(scenario, progress=bar, events=args.events)
    directory = save_run(args.out, result)
    print(format_kpis(result.kpis))
    print(directory)
    return 0


@contextmanager
def progress_bar(total: int, enabled: bool) -> Iterator[Progress | None]:
    """A ``progress(done, total)`` callback drawing a bar on stderr, or None when disabled."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm  # type: ignore[import-untyped]

    with tqdm(total=total, unit="day", file=sys.stderr, leave=False, dynamic_ncols=True) as bar:

        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield update


def _check_writable(out: Path) -> None:
    """Fail before a long run, not after it, when results could not be saved."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ScenarioError("--out", f"{existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ScenarioError("--out", f"{existing} is not writable")


COMMAND = Command(
    name="run",
    help="simulate a scenario, print its KPIs and save the run directory",
    add_arguments=_add_arguments,
    execute=_execute,
)
