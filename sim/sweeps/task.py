"""What a worker does for one run of a sweep: claim it, then adopt it or simulate and save it.

The claim is a lock file per run (``locks/scenario=<name>-<hash8>/seed=<seed>.lock``)
held with ``flock`` while the run directory is written, so two tasks for one run (a retry
racing a straggler from a killed sweep) never write it at once; the kernel drops the lock
when its holder dies. After :func:`~sim.runs.run.save_run` returns, the claim's content becomes the
code version that saved the run: a complete run directory whose claim names the current
code is finished (:func:`is_finished`) and is adopted instead of being run again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sim.runs.directory import RUN_FILES, is_complete
from sim.runs.run import save_run, simulate
from sim.scenario.schema import Scenario
from sim.sweeps.layout import remove_leftovers
from sim.sweeps.ledger import code_version

__all__ = ["RunTask", "TaskResult", "is_finished", "run_task", "saved_by"]


@dataclass(frozen=True)
class RunTask:
    """One run to make; paths are absolute, since a worker may run in another directory."""

    scenario: Scenario
    seed: int
    runs_root: Path
    run_dir: Path
    claim_file: Path


@dataclass(frozen=True)
class TaskResult:
    """What the client records: the code that made the run, and whether it was adopted."""

    code_version: str
    adopted: bool


def run_task(task: RunTask) -> TaskResult:
    """Make one run of a sweep (the function a Dask worker executes)."""
    version = code_version()
    with _claimed(task.claim_file) as claim:
        if is_complete(task.run_dir) and _read(claim) == version:
            return TaskResult(version, adopted=True)
        os.ftruncate(claim, 0)
        remove_leftovers(task.run_dir, RUN_FILES)
        save_run(task.runs_root, simulate(task.scenario, seed=task.seed))
        _sync_directories(task.run_dir, task.runs_root)
        os.pwrite(claim, version.encode("utf-8"), 0)
        os.fsync(claim)
    return TaskResult(version, adopted=False)


def is_finished(run_dir: Path, claim_file: Path, version: str) -> bool:
    """Whether the run directory is complete and was saved by code ``version``.

    Safe without the lock: a claim names a version only once its run is saved, and a
    task never rewrites a run that is finished for its own version.
    """
    return is_complete(run_dir) and saved_by(claim_file) == version


def saved_by(claim_file: Path) -> str | None:
    """The code version that last saved the claimed run (None: unsaved or being saved)."""
    try:
        return claim_file.read_bytes().decode("utf-8", errors="replace") or None
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def _claimed(path: Path) -> Iterator[int]:
    """Hold an exclusive lock on the claim file (waiting for any other holder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield descriptor
    finally:
        os.close(descriptor)


def _read(descriptor: int) -> str:
    return os.pread(descriptor, 256, 0).decode("utf-8", errors="replace")


def _sync_directories(run_dir: Path, runs_root: Path) -> None:
    """Make the run's renames durable (its directory and those above it, up to ``runs/``)
    before the claim says it is saved: after a power cut a finished run is really there."""
    for directory in (run_dir, run_dir.parent, runs_root):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
