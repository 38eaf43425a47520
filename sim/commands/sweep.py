"""``ecosim sweep``: run every point x seed of a sweep file on a Dask cluster, resumably.

The sweep file is validated, its directory prepared and its ledger locked before any
cluster starts; runs already finished (in the ledger, or complete on disk) are skipped,
and when none is left no cluster is started at all. Progress goes to stderr: a bar on a
terminal, else (a batch job's log) one timestamped line per finished run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sim.commands import (
    Command,
    add_cluster_arguments,
    check_workers_memory,
    cluster_connect,
    parse_workers,
)
from sim.scenario.memory import check_memory
from sim.sweeps.spec import Sweep, load_sweep

if TYPE_CHECKING:
    from sim.sweeps.cluster import Progress, SweepOutcome
    from sim.sweeps.spec import Run


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep", type=Path, metavar="SWEEP", help="sweep YAML file")
    add_cluster_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("sweeps"),
        metavar="DIR",
        help="output root; the sweep goes to DIR/<name>-<hash8> (default: sweeps)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="hide the progress (a bar on a terminal, else a line per finished run)",
    )


def _execute(args: argparse.Namespace) -> int:
    from sim.sweeps.cluster import run_sweep
    from sim.sweeps.layout import prepare
    from sim.sweeps.ledger import Ledger

    sweep = load_sweep(args.sweep)
    connect = cluster_connect(args, parse_workers(args.workers), partial(_check_memory, sweep))
    layout = prepare(sweep, args.out)
    runs = len(sweep.runs())
    try:
        with (
            Ledger.open(layout.ledger_file) as ledger,
            _progress(sweep, quiet=args.quiet) as progress,
        ):
            outcome = run_sweep(sweep, layout, ledger, connect, on_run=progress)
    except KeyboardInterrupt:
        print(
            f"ecosim: interrupted; finished runs are saved in {layout.root}; "
            "run the same command again to finish the sweep",
            file=sys.stderr,
        )
        return 130
    for run, error in outcome.failed[:5]:
        print(f"ecosim: run failed ({run.point.label}, seed {run.seed}): {error}", file=sys.stderr)
    if len(outcome.failed) > 5:
        print(f"ecosim: ... and {len(outcome.failed) - 5} more failed runs", file=sys.stderr)
    print(
        f"sweep {sweep.name}: {len(sweep.points)} points x {len(sweep.seeds)} seeds = {runs} "
        f"runs; {outcome.finished} finished ({outcome.ran} now, {outcome.recorded} before, "
        f"{outcome.adopted} adopted), {len(outcome.failed)} failed"
    )
    print(layout.root)
    return 1 if outcome.failed else 0


def _check_memory(sweep: Sweep, workers: int | None) -> None:
    """Every point must fit alone, and ``workers`` of the largest at once on this machine."""
    from sim.scenario.memory import estimate_memory_bytes

    largest = max((point.scenario for point in sweep.points), key=estimate_memory_bytes)
    check_memory(largest)
    check_workers_memory(largest, workers, len(sweep.runs()))


@contextmanager
def _progress(sweep: Sweep, quiet: bool) -> Iterator[Progress | None]:
    """How the sweep reports its progress on stderr: a bar on a terminal, else one line
    per finished run (:func:`progress_lines`); nothing when ``quiet``."""
    if quiet:
        yield None
    elif sys.stderr.isatty():
        with _progress_bar(len(sweep.runs())) as update:
            yield update
    else:
        yield progress_lines(sweep, sys.stderr)


@contextmanager
def _progress_bar(total: int) -> Iterator[Progress]:
    from tqdm import tqdm  # type: ignore[import-untyped]

    with tqdm(total=total, unit="run", file=sys.stderr, leave=False, dynamic_ncols=True) as bar:

        def update(outcome: SweepOutcome, run: Run | None) -> None:
            bar.update(outcome.finished - bar.n)

        yield update


def progress_lines(sweep: Sweep, stream: TextIO) -> Progress:
    """A progress callback writing one flushed line per finished run to ``stream``, for a
    cluster's log: the time, the time since the sweep started, how many of its runs are
    finished, and which run it was (made, adopted from disk, or failed with its error).
    A first line tells how many runs were finished before."""
    started = time.monotonic()
    total = len(sweep.runs())
    adopted = 0

    def write(outcome: SweepOutcome, run: Run | None) -> None:
        nonlocal adopted
        if run is None:
            left = total - outcome.finished
            text = f"{total} runs, {outcome.finished} finished before, {left} to make"
        else:
            errors = [error for failed, error in outcome.failed if failed is run]
            if errors:
                how = f"failed: {errors[-1]}"
            elif outcome.adopted > adopted:
                how = "adopted"
            else:
                how = "made"
            adopted = outcome.adopted
            failed = f", {len(outcome.failed)} failed" if outcome.failed else ""
            text = (
                f"{outcome.finished}/{total} runs finished{failed}; "
                f"point {run.point.index} ({run.point.label}), seed {run.seed}: {how}"
            )
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        elapsed = _duration(time.monotonic() - started)
        print(f"{stamp} sweep {sweep.name} [{elapsed}]: {text}", file=stream, flush=True)

    return write


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


COMMAND = Command(
    name="sweep",
    help="run a sweep file (levers x seeds) on a local or existing Dask cluster, resumably",
    add_arguments=_add_arguments,
    execute=_execute,
)
