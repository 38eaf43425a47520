"""Runs for the app: a warm pool of worker processes, a store of finished runs, and jobs
that stream seed by seed, stop cleanly and say beforehand how long they will take.

Every run goes through :func:`sim.simulate`, the one entry point the CLI and the sweeps use,
in a worker process (one Rust thread each, so parallel seeds do not fight for cores), and
is written as a run directory with :func:`sim.save_run` under :func:`runs_dir` (``runs/``,
as ``ecosim run`` writes it), so the Results page lists it. Finished runs are kept in memory
and found again on disk after a restart, keyed by what determines the run (every setting
but the name and description, and the seed).

Stopping uses only the public API: a worker passes the job's stop event to ``simulate``
as its ``stop`` check, which ends that run between two days with :class:`sim.RunStopped`;
runs not started yet are cancelled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import sim
from sim.scenario.memory import estimate_memory_bytes

RUNS_ENV = "ECOSIM_APP_RUNS"
"""Where the app writes its run directories (default ``runs``, relative to where it runs)."""
SUMMARY_FILE = "summary.json"
MEMORY_RUNS = 160
"""Finished runs kept in memory (a baseline-size run holds a few MB)."""
RESCAN_S = 5.0
"""Seconds between two searches of the runs directory for runs saved by others."""
PROGRESS_EVERY = 5
"""Days between progress reports of a worker."""


def runs_dir() -> Path:
    """The directory app runs are saved under (``$ECOSIM_APP_RUNS``, default ``runs``)."""
    return Path(os.environ.get(RUNS_ENV, "runs"))


def run_key(scenario: sim.Scenario, seed: int) -> str:
    """What determines a run: every setting except the name and description, and the seed."""
    data = scenario.model_dump(mode="json")
    data.pop("name")
    data.pop("description")
    if not data["timeline"]:  # as before timelines existed: the saved runs still match
        del data["timeline"]
    data["run"]["seed"] = seed
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def with_run(scenario: sim.Scenario, seed: int, days: int) -> sim.Scenario:
    """The scenario as one run of it records itself: ``run.seed`` and ``run.days`` set."""
    run = scenario.run.model_copy(update={"seed": seed, "days": days})
    return scenario.model_copy(update={"run": run})


# -- the worker side -----------------------------------------------------------------------


def _start_worker(threads: int) -> None:
    """Pin the Rust thread count before the kernels start, and import the model once."""
    os.environ["RAYON_NUM_THREADS"] = str(threads)
    import sim.model.ecosystem  # noqa: F401


def _ready() -> int:
    return os.getpid()


def run_in_worker(
    scenario: sim.Scenario, key: str, out: str | None, progress: Any, stop: Any
) -> sim.RunResult:
    """Simulate one run (its seed and days are in ``scenario.run``), report its day to
    ``progress[key]``, stop when ``stop`` is set, save it under ``out``."""

    def report(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            progress[key] = done

    result = sim.simulate(scenario, progress=report, stop=stop.is_set)
    if out is not None:
        sim.save_run(Path(out), result)
    return result


# -- the pool and the store ----------------------------------------------------------------


@dataclass
class Pool:
    """Worker processes started once per server, and the manager holding progress."""

    executor: ProcessPoolExecutor
    manager: Any
    progress: Any
    workers: int
    sprint: ProcessPoolExecutor | None = None
    """One more worker, with a Rust thread per core, for a job's first run when that run is
    the only one its first seed needs (the baseline cached): alone on the machine it
    finishes about 1.5 times sooner on every core than on one (results are the same for any
    thread count). None on a single core."""
    sprinting: list[Future[Any]] = field(default_factory=list)
    """The runs given to the sprint worker: a run waits for it only while it is free."""

    def sprint_free(self) -> bool:
        """Whether the sprint worker has nothing to run (else a run queued behind another
        would wait longer than on a one-thread worker)."""
        self.sprinting[:] = [f for f in self.sprinting if not f.done()]
        return self.sprint is not None and not self.sprinting


def cpu_count() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pool_workers() -> int:
    """Runs the pool makes at a time."""
    return cpu_count()


@st.cache_resource(show_spinner=False)
def pool() -> Pool:
    """The app's worker processes: one per core, each with one Rust thread, and the sprint
    worker with one thread per core."""
    context = get_context("spawn")
    workers = cpu_count()
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(1,)
    )
    for _ in range(workers):
        executor.submit(_ready)  # start the processes now, not on the first Run
    sprint = None
    if workers > 1:
        sprint = ProcessPoolExecutor(
            max_workers=1, mp_context=context, initializer=_start_worker, initargs=(workers,)
        )
        sprint.submit(_ready)
    manager = context.Manager()
    return Pool(executor, manager, manager.dict(), workers, sprint)


@dataclass
class Measured:
    """How long a run of some size took: the rate estimates use these."""

    fan_days: float
    seconds: float


class RunStore:
    """Finished runs by :func:`run_key`: in memory, else read back from a run directory."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, sim.RunResult] = OrderedDict()
        self._on_disk: dict[str, Path] = {}
        self._scanned: set[Path] = set()
        self._inflight: dict[str, Future[sim.RunResult]] = {}
        self._measured: list[Measured] = []
        self._scan_time = -math.inf
        self._lock = threading.Lock()

    def get(self, key: str) -> sim.RunResult | None:
        with self._lock:
            if key in self._runs:
                self._runs.move_to_end(key)
                return self._runs[key]
        path = self._find(key)
        if path is None:
            return None
        try:
            result = read_run(path)
        except (OSError, ValueError, KeyError, sim.ScenarioError):
            return None
        self.put(key, result, measured=False)
        return result

    def put(self, key: str, result: sim.RunResult, measured: bool = True) -> None:
        with self._lock:
            self._runs[key] = result
            self._runs.move_to_end(key)
            while len(self._runs) > MEMORY_RUNS:
                self._runs.popitem(last=False)
            self._inflight.pop(key, None)
            if measured:
                self._measured.append(Measured(_fan_days(result.scenario), result.wall_time_s))

    def inflight(self, key: str) -> Future[sim.RunResult] | None:
        with self._lock:
            future = self._inflight.get(key)
        if future is not None and future.done() and future.exception() is not None:
            return None
        return future

    def track(self, key: str, future: Future[sim.RunResult]) -> None:
        with self._lock:
            self._inflight[key] = future

    def forget(self, key: str) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    def seconds_per_fan_day(self) -> float | None:
        """The median rate of the latest runs made here, else of the runs saved on disk."""
        with self._lock:
            recent = self._measured[-12:]
        if not recent:
            self._find("")  # reads the saved runs' summaries too
            with self._lock:
                recent = self._measured[-12:]
        rates = [m.seconds / m.fan_days for m in recent if m.fan_days > 0 and m.seconds > 0]
        return statistics.median(rates) if rates else None

    def _find(self, key: str) -> Path | None:
        root = runs_dir()
        if key in self._on_disk:
            return self._on_disk[key]
        if not root.is_dir() or time.monotonic() - self._scan_time < RESCAN_S:
            return None
        self._scan_time = time.monotonic()
        for summary_path in root.rglob(SUMMARY_FILE):
            directory = summary_path.parent
            if directory in self._scanned:
                continue
            self._scanned.add(directory)
            try:
                scenario = sim.load_scenario(directory / "scenario.yaml")
                summary = json.loads(summary_path.read_text())
                seed = int(summary["seed"])
            except (OSError, ValueError, KeyError, TypeError, sim.ScenarioError):
                continue
            self._on_disk[run_key(scenario, seed)] = directory
            seconds = summary.get("wall_time_s")
            if isinstance(seconds, int | float):
                with self._lock:
                    self._measured.append(Measured(_fan_days(scenario), float(seconds)))
        return self._on_disk.get(key)


def _fan_days(scenario: sim.Scenario) -> float:
    return float(scenario.population.fans) * scenario.run.days


def read_run(directory: Path) -> sim.RunResult:
    """A saved run directory as a RunResult (NaN where summary.json wrote null)."""
    summary = json.loads((directory / SUMMARY_FILE).read_text())
    kpis = {k: math.nan if v is None else float(v) for k, v in summary["kpis"].items()}
    return sim.RunResult(
        scenario=sim.load_scenario(directory / "scenario.yaml"),
        seed=int(summary["seed"]),
        daily=pd.read_parquet(directory / "daily.parquet"),
        creators=pd.read_parquet(directory / "creators.parquet"),
        kpis=kpis,
        wall_time_s=float(summary.get("wall_time_s") or 0.0),
        fans=pd.read_parquet(directory / "fans.parquet"),
    )


@st.cache_resource(show_spinner=False)
def store() -> RunStore:
    """The runs of this server, shared by every session."""
    return RunStore()


# -- jobs ----------------------------------------------------------------------------------


@dataclass
class Task:
    """One run of a job: a policy's scenario with one seed."""

    policy: str
    scenario: sim.Scenario
    seed: int
    key: str
    future: Future[sim.RunResult] | None = None
    result: sim.RunResult | None = None
    error: str | None = None
    cached: bool = False
    owned: bool = False
    """Submitted by this job (not a run another job already had going)."""

    @property
    def finished(self) -> bool:
        return self.result is not None or self.error is not None


@dataclass
class Job:
    """Runs of several policies over the same seeds, submitted together."""

    policies: dict[str, sim.Scenario]
    seeds: tuple[int, ...]
    days: int
    tasks: list[Task]
    stop_event: Any
    started: float = field(default_factory=time.monotonic)
    estimate_s: float | None = None
    stopped: bool = False
    ended: float | None = None

    def poll(self) -> bool:
        """Collect finished runs; True when something new finished."""
        changed = False
        for task in self.tasks:
            if task.finished or task.future is None or not task.future.done():
                continue
            changed = True
            if task.future.cancelled():
                task.error = "cancelled"
                store().forget(task.key)
                continue
            error = task.future.exception()
            if error is None:
                task.result = task.future.result()
            else:
                task.error = str(error) if isinstance(error, sim.RunStopped) else repr(error)
                store().forget(task.key)
        if self.done and self.ended is None:
            self.ended = time.monotonic()
        return changed

    @property
    def done(self) -> bool:
        return all(task.finished for task in self.tasks)

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def stop(self) -> None:
        """End the job: running runs stop at their next day, waiting ones never start."""
        self.stopped = True
        self.stop_event.set()
        for task in self.tasks:
            if task.future is not None and task.owned:
                task.future.cancel()
            elif not task.finished:  # another job's run (the prewarmed baseline) goes on
                task.error = "left to finish in the background for the pinned baseline"

    def day(self, task: Task) -> int:
        if task.result is not None:
            return self.days
        try:
            return int(pool().progress.get(task.key, 0))
        except (OSError, EOFError, BrokenPipeError):
            return 0

    def results(self, policy: str) -> list[sim.RunResult]:
        """The policy's finished runs, in seed order."""
        return [t.result for t in self.tasks if t.policy == policy and t.result is not None]

    def paired(self) -> int:
        """How many leading seeds every policy has finished (comparisons pair seeds)."""
        count = 0
        for seed in self.seeds:
            if all(t.result is not None for t in self.tasks if t.seed == seed):
                count += 1
            else:
                break
        return count

    def wait(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds, or until some run finishes."""
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_futures

        pending = [t.future for t in self.tasks if t.future is not None and not t.finished]
        if pending:
            wait_futures(pending, timeout=timeout, return_when=FIRST_COMPLETED)


def seeds_for(base_seed: int, count: int) -> tuple[int, ...]:
    """The seeds every policy runs with: ``count`` children of ``base_seed``, as a sweep
    with ``seeds: count`` draws them (common random numbers across the app's pages)."""
    return tuple(sim.spawn_seeds(base_seed, count))


def plan(policies: dict[str, sim.Scenario], seeds: Sequence[int], days: int) -> list[Task]:
    """Every (policy, seed) run, seed by seed so the first seed of each finishes first."""
    tasks = []
    for seed in seeds:
        for label, scenario in policies.items():
            resolved = with_run(scenario, seed, days)
            tasks.append(Task(label, resolved, seed, run_key(resolved, seed)))
    return tasks


def start(policies: dict[str, sim.Scenario], seeds: Sequence[int], days: int) -> Job:
    """Submit every run not in the store (reusing runs another job already has going).

    The first seed's runs go first and alone: a run that has the machine to itself
    finishes sooner than two sharing it, so the first answer comes as early as it can (a
    single first run goes to the sprint worker, on every core, when that is free); the
    other seeds are submitted once the first seed's runs are done.
    """
    workers = pool()
    runs = store()
    tasks = plan(policies, seeds, days)
    stop_event = workers.manager.Event()
    out = str(runs_dir().resolve())

    def submit(task: Task, executor: ProcessPoolExecutor) -> Future[sim.RunResult]:
        return executor.submit(
            run_in_worker, task.scenario, task.key, out, workers.progress, stop_event
        )

    to_run: list[Task] = []
    first: list[Future[sim.RunResult]] = []
    for task in tasks:
        found = runs.get(task.key)
        if found is not None:
            task.result, task.cached = found, True
            continue
        future = runs.inflight(task.key)
        if future is None:
            task.owned = True
            to_run.append(task)
            continue
        if task.seed == seeds[0]:
            first.append(future)
        task.future = future
    leading = [task for task in to_run if task.seed == seeds[0]]
    if not leading and not first and to_run:
        leading = [to_run[0]]  # nothing to wait for: the first run still goes alone
    sprint = workers.sprint if len(leading) == 1 and workers.sprint_free() else None
    executor = sprint or workers.executor
    deferred: list[tuple[Task, Future[sim.RunResult]]] = []
    alone = {id(task) for task in leading}
    for task in to_run:
        if id(task) in alone:
            future = submit(task, executor)
            first.append(future)
            if sprint is not None:
                workers.sprinting.append(future)
        else:
            future = Future()  # stands for the run until it is submitted
            deferred.append((task, future))
        runs.track(task.key, future)
        future.add_done_callback(partial(_keep, task.key))
        task.future = future
    if deferred:
        rest = partial(submit, executor=workers.executor)
        _after(first, partial(_submit_deferred, deferred, rest))
    job = Job(dict(policies), tuple(seeds), days, tasks, stop_event)
    job.estimate_s = estimate_seconds([t.scenario for t in tasks if t.future is not None])
    job.poll()
    return job


def _after(futures: Sequence[Future[sim.RunResult]], then: Callable[[], None]) -> None:
    """Call ``then`` once, when every one of ``futures`` is done (at once if none)."""
    left = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Future[sim.RunResult]) -> None:
        with lock:
            left[0] -= 1
            ready = left[0] == 0
        if ready:
            then()

    if not futures:
        then()
    for future in futures:
        future.add_done_callback(one_done)


def _submit_deferred(
    deferred: Sequence[tuple[Task, Future[sim.RunResult]]],
    submit: Callable[[Task], Future[sim.RunResult]],
) -> None:
    """Submit the runs held back behind the first seed; each one's stand-in future takes
    the real run's outcome (a stand-in cancelled by Stop is never submitted)."""
    for task, stand_in in deferred:
        if stand_in.cancelled():
            continue
        submit(task).add_done_callback(partial(_settle, stand_in))


def _settle(stand_in: Future[sim.RunResult], real: Future[sim.RunResult]) -> None:
    if stand_in.done():
        return
    if real.cancelled():
        stand_in.cancel()
    elif real.exception() is not None:
        stand_in.set_exception(real.exception())
    else:
        stand_in.set_result(real.result())


PREWARM_ENV = "ECOSIM_APP_PREWARM"


def prewarm(policies: dict[str, sim.Scenario], seeds: Sequence[int], days: int) -> Job | None:
    """Start the runs of ``policies`` nobody has made yet (the pinned baseline, while the
    planner is still moving levers), unless ``$ECOSIM_APP_PREWARM`` is ``0``."""
    if os.environ.get(PREWARM_ENV, "1") == "0" or not missing(policies, seeds, days):
        return None
    return start(policies, seeds, days)


def _keep(key: str, future: Future[sim.RunResult]) -> None:
    """Store a finished run whoever waits for it (a prewarm job nobody follows)."""
    if future.cancelled() or future.exception() is not None:
        store().forget(key)
    else:
        store().put(key, future.result())


def missing(policies: dict[str, sim.Scenario], seeds: Sequence[int], days: int) -> list[Task]:
    """The runs a job would have to make (not stored, not in flight)."""
    runs = store()
    return [
        task
        for task in plan(policies, seeds, days)
        if runs.get(task.key) is None and runs.inflight(task.key) is None
    ]


def estimate_seconds(scenarios: Iterable[sim.Scenario]) -> float | None:
    """How long these runs take on the pool: each run's fan-days times the measured rate,
    packed onto the workers longest first. None until some run has been measured."""
    rate = store().seconds_per_fan_day()
    sizes = sorted((_fan_days(s) for s in scenarios), reverse=True)
    if not sizes:
        return 0.0
    if rate is None:
        return None
    lanes = [0.0] * max(1, cpu_count())
    for size in sizes:
        lanes[lanes.index(min(lanes))] += size * rate
    return max(lanes)


def memory_text(scenario: sim.Scenario) -> str:
    """The memory one run of ``scenario`` needs, from the scenario's size estimate."""
    return f"{estimate_memory_bytes(scenario) / 2**20:,.0f} MB"


def run_now(scenario: sim.Scenario) -> sim.RunResult:
    """One run in this process (stored, and saved like the others): for small, rare
    runs such as the Model page's facts."""
    key = run_key(scenario, scenario.run.seed)
    found = store().get(key)
    if found is not None:
        return found
    result = sim.simulate(scenario)
    sim.save_run(runs_dir(), result)
    store().put(key, result)
    return result
