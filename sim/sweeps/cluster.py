"""Run a sweep's unfinished runs on a Dask cluster and record each finished run in the ledger.

The client decides what is left: runs not in the ledger for this code version (or whose
directory has gone since), less complete ones found on disk, which are adopted. It submits
one task per run (:func:`sim.sweeps.task.run_task`: the worker writes the run directory)
and appends a ledger line for a run only after its task returned, that is after the run
directory was saved complete. Killing the client loses at most the ledger lines of runs
in flight; the next sweep adopts those runs.

A local cluster runs one single-threaded worker process per core, each with
``RAYON_NUM_THREADS`` = cores // workers, so the Rust kernels do not oversubscribe the
machine. On an existing cluster (``--scheduler`` with its address, or ``--scheduler-file``
with the file ``dask scheduler --scheduler-file`` and dask-jobqueue write), start workers
the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.runs.directory import is_complete
from sim.scenario.errors import ScenarioError
from sim.sweeps.layout import SweepLayout, write_plan
from sim.sweeps.ledger import Ledger, code_version
from sim.sweeps.spec import Run, Sweep
from sim.sweeps.task import RunTask, TaskResult, is_finished, run_task

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "Progress",
    "SweepOutcome",
    "check_workers",
    "cpu_count",
    "local_cluster",
    "remote_cluster",
    "run_sweep",
    "scheduler_address",
    "scheduler_file_cluster",
    "worker_env",
]

TASK_RETRIES = 2
"""Retries of a run whose task raised (a full disk, a network filesystem hiccup); a worker
that dies is handled by Dask itself, which moves its task to another worker."""
CONNECT_TIMEOUT = "30s"
SCHEDULER_FILE_WAIT = 30.0
"""Seconds to wait for a scheduler file to appear: a batch job may start the scheduler and
the sweep at the same time."""

Connect = Callable[[int], AbstractContextManager["Client"]]
"""Opens a client, given the number of runs left (a local cluster starts no more workers)."""


@dataclass
class SweepOutcome:
    """How a sweep went: runs found finished, adopted from disk, made now, and failed."""

    runs: int
    recorded: int = 0
    adopted: int = 0
    ran: int = 0
    failed: list[tuple[Run, str]] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.recorded + self.adopted + self.ran


Progress = Callable[[SweepOutcome, Run | None], None]
"""Told how the sweep goes: with no run once the runs finished before are counted, then
with each run as soon as it is recorded (made or adopted) or has failed."""


def run_sweep(
    sweep: Sweep,
    layout: SweepLayout,
    ledger: Ledger,
    connect: Connect,
    on_run: Progress | None = None,
) -> SweepOutcome:
    """Write the sweep's plan (``sweep.yaml``, ``runs.parquet``), then make every run
    not yet finished.

    ``connect(runs_left)`` opens a client, only when some run is left; ``on_run`` follows
    the sweep (a progress bar, or a line per run in a cluster's log).
    """
    write_plan(sweep, layout)
    version = code_version()
    runs = sweep.runs()
    outcome = SweepOutcome(runs=len(runs))
    pending = []
    for run in runs:
        run_dir = layout.run_dir(run)
        if (run.point.scenario_hash, run.seed, version) in ledger and is_complete(run_dir):
            outcome.recorded += 1
        elif is_finished(run_dir, layout.claim_file(run_dir), version):
            _record(ledger, layout, run, TaskResult(version, adopted=True), outcome)
        else:
            pending.append(run)
    if on_run is not None:
        on_run(outcome, None)
    if not pending:
        return outcome
    with connect(len(pending)) as client:
        check_workers(client, version)
        _submit_all(client, pending, layout, ledger, version, outcome, on_run)
    return outcome


@contextlib.contextmanager
def local_cluster(workers: int | None = None, runs: int | None = None) -> Iterator[Client]:
    """A client of a new cluster on loopback, closed on exit: ``workers`` processes
    (default: one per core), but no more than the ``runs`` left to make."""
    from distributed import Client, LocalCluster

    workers = workers or cpu_count()
    if runs is not None:
        workers = max(1, min(workers, runs))
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # a free port: no clash with another cluster
        silence_logs=logging.ERROR,
        env=worker_env(workers),
    )
    try:
        with Client(cluster) as client:  # type: ignore[no-untyped-call]
            yield client
    finally:
        cluster.close()


@contextlib.contextmanager
def remote_cluster(
    address: str, runs: int | None = None, option: str = "--scheduler"
) -> Iterator[Client]:
    """A client of the running cluster whose scheduler listens at ``address`` (``runs``
    is ignored: the cluster is what it is); an error names ``option``, where the address
    came from."""
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as error:
        raise ScenarioError(option, f"cannot connect to {address}: {error}") from None
    with client:
        yield client


@contextlib.contextmanager
def scheduler_file_cluster(path: Path, runs: int | None = None) -> Iterator[Client]:
    """A client of the running cluster described by the scheduler file at ``path``."""
    address = scheduler_address(path)
    with remote_cluster(address, runs, option="--scheduler-file") as client:
        yield client


def scheduler_address(path: Path, wait: float = SCHEDULER_FILE_WAIT) -> str:
    """The scheduler's address in a Dask scheduler file: JSON with an ``address``, as
    ``dask scheduler --scheduler-file``, ``Client.write_scheduler_file`` and dask-jobqueue
    write it (and ``Client(scheduler_file=...)`` reads it). Waits up to ``wait`` seconds
    for the file to appear whole; the error names what was wrong with it."""
    deadline = time.monotonic() + wait
    while True:
        try:
            address = json.loads(Path(path).read_text(encoding="utf-8"))["address"]
        except FileNotFoundError:
            problem = "does not exist"
        except OSError as error:
            raise ScenarioError(
                "--scheduler-file", f"cannot read {path}: {error.strerror}"
            ) from None
        except (ValueError, KeyError, TypeError):
            problem = "is not a Dask scheduler file (JSON with the scheduler's address)"
        else:
            if isinstance(address, str) and address:
                return address
            problem = "has no scheduler address"
        if time.monotonic() >= deadline:
            raise ScenarioError("--scheduler-file", f"{path} {problem} (waited {wait:g} s)")
        time.sleep(0.1)


def cpu_count() -> int:
    """Cores this process may use (cgroup quotas and CPU affinity included)."""
    from dask.system import CPU_COUNT

    return int(CPU_COUNT)


def worker_env(workers: int) -> dict[str, str]:
    """Environment of local workers: the machine's cores shared among them."""
    return {"RAYON_NUM_THREADS": str(max(1, cpu_count() // workers))}


def check_workers(client: Client, version: str) -> None:
    """Refuse workers that run other code: their runs would not belong with this client's
    (a sweep's, a calibration's or a sensitivity study's). The error names the workers,
    not an option: they may come from --scheduler or --scheduler-file."""
    try:
        versions = set(client.run(code_version).values())
    except ModuleNotFoundError as error:
        raise ScenarioError(
            "workers", f"cannot import ecosim ({error}); install it where they run"
        ) from None
    others = sorted(versions - {version})
    if others:
        raise ScenarioError(
            "workers",
            f"run ecosim {', '.join(others)} but this client runs {version}; "
            "install the same code on both",
        )


def _submit_all(
    client: Client,
    pending: list[Run],
    layout: SweepLayout,
    ledger: Ledger,
    version: str,
    outcome: SweepOutcome,
    on_run: Progress | None,
) -> None:
    from distributed import as_completed

    futures = {
        client.submit(run_task, _task(layout, run), pure=False, retries=TASK_RETRIES): run
        for run in pending
    }
    for future in as_completed(futures):  # type: ignore[no-untyped-call]
        run = futures.pop(future)
        if future.status != "finished":
            error = future.exception()
            outcome.failed.append((run, f"{type(error).__name__}: {error}"))
        else:
            result: TaskResult = future.result()
            if result.code_version == version:
                _record(ledger, layout, run, result, outcome)
            else:
                outcome.failed.append((run, f"a worker ran it with ecosim {result.code_version}"))
        if on_run is not None:
            on_run(outcome, run)


def _task(layout: SweepLayout, run: Run) -> RunTask:
    run_dir = layout.run_dir(run)
    return RunTask(
        scenario=run.point.scenario,
        seed=run.seed,
        runs_root=layout.runs_root.absolute(),
        run_dir=run_dir.absolute(),
        claim_file=layout.claim_file(run_dir).absolute(),
    )


def _record(
    ledger: Ledger, layout: SweepLayout, run: Run, result: TaskResult, outcome: SweepOutcome
) -> None:
    ledger.record(
        run.point.scenario_hash,
        run.seed,
        result.code_version,
        run.point.index,
        layout.relative(layout.run_dir(run)),
        result.adopted,
    )
    if result.adopted:
        outcome.adopted += 1
    else:
        outcome.ran += 1
