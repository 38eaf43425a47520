"""Sweeps on a local Dask cluster: 20 small runs on 1 worker and on 2 workers.

Both clusters are made exactly as ``ecosim sweep`` makes them (one single-threaded process
per worker, ``RAYON_NUM_THREADS`` = cores // workers) and warmed up with one tiny run per
worker, so that imports are not timed; then the whole sweep (submit, run, save every run
directory, record the ledger) into a fresh directory is timed, alternating 1 and 2
workers, a few times; the speed-up is the median ratio of each 1-worker time to the
2-worker time that follows it. Cluster start-up is reported apart. Target: 2 workers at
least 1.7x faster than 1."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.results import write_section
from sim.scenario import safe_yaml
from sim.sweeps.cluster import cpu_count, local_cluster, run_sweep, worker_env
from sim.sweeps.layout import prepare
from sim.sweeps.ledger import Ledger
from sim.sweeps.spec import Sweep, load_sweep

if TYPE_CHECKING:
    from distributed import Client

SECTION = "Sweeps on a local Dask cluster"
ROOT = Path(__file__).resolve().parent.parent
SMALL = {
    "population.fans": 20000,
    "population.creators": 2000,
    "population.merchants": 200,
    "population.suppliers": 50,
    "run.days": 60,
}
GRID = {"traffic.gini_cap": [0.3, 0.4, 0.5, 0.6]}
SEEDS = 5
TARGET = 1.7


def small_sweep(folder: Path, days: int, seeds: int) -> Sweep:
    """The baseline at 20,000 fans, ``len(GRID) x seeds`` runs."""
    data = {
        "name": "bench",
        "scenario": str(ROOT / "scenarios" / "baseline.yaml"),
        "set": {**SMALL, "run.days": days},
        "sweep": GRID,
        "seeds": seeds,
    }
    path = folder / "bench.yaml"
    path.write_text(safe_yaml.dump(data), encoding="utf-8")
    return load_sweep(path)


def warm_up() -> None:
    """One tiny run in a worker: imports and first calls, outside the timing."""
    from sim.runs.run import simulate
    from sim.scenario.schema import Scenario

    tiny = {"fans": 500, "creators": 50, "merchants": 20, "suppliers": 20}
    simulate(Scenario.model_validate({"population": tiny, "run": {"days": 2}}))


def time_sweep(client: Client, sweep: Sweep) -> float:
    """Seconds to make the whole sweep into a fresh directory."""
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as out:
        layout = prepare(sweep, Path(out))
        begin = time.perf_counter()
        with Ledger.open(layout.ledger_file) as ledger:
            outcome = run_sweep(sweep, layout, ledger, lambda runs: contextlib.nullcontext(client))
        seconds = time.perf_counter() - begin
    if outcome.ran != len(sweep.runs()) or outcome.failed:
        raise RuntimeError(f"the benchmark sweep did not complete: {outcome}")
    return seconds


def run(*, quick: bool = False, write: bool = True) -> None:
    days, seeds, repeats = (20, 2, 1) if quick else (SMALL["run.days"], SEEDS, 5)
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as folder:
        sweep = small_sweep(Path(folder), days, seeds)
    runs = len(sweep.runs())
    start_up: dict[int, float] = {}
    times: dict[int, list[float]] = {1: [], 2: []}
    with contextlib.ExitStack() as stack:
        clients = {}
        for workers in (1, 2):
            began = time.perf_counter()
            clients[workers] = stack.enter_context(local_cluster(workers))
            start_up[workers] = time.perf_counter() - began
            clients[workers].run(warm_up)
        for _ in range(repeats):  # alternated, so background load hits both alike
            for workers in (1, 2):
                times[workers].append(time_sweep(clients[workers], sweep))
                print(f"  {workers} worker(s): {times[workers][-1]:.2f} s", flush=True)
    median = {workers: statistics.median(seconds) for workers, seconds in times.items()}
    # each 2-worker sweep ran right after a 1-worker one: their ratio cancels slow drifts in
    # the machine's background load, so the speed-up is the median of those ratios
    ratios = [one / two for one, two in zip(times[1], times[2], strict=True)]
    speedup = statistics.median(ratios)
    rows = [
        f"| {workers} | {worker_env(workers)['RAYON_NUM_THREADS']} | {median[workers]:.2f} s | "
        f"{runs / median[workers]:.2f} | {start_up[workers]:.2f} s | "
        f"{1.0 if workers == 1 else speedup:.2f}× |"
        for workers in (1, 2)
    ]
    verdict = "met" if speedup >= TARGET else "NOT met"
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = "\n".join(
        [
            f"Machine: {cpu_count()} cores ({os.cpu_count()} online), "
            f"{platform.processor() or platform.machine()}; Python {platform.python_version()}; "
            f"{date}.",
            "",
            f"{runs} runs: the baseline at {SMALL['population.fans']:,} fans and "
            f"{SMALL['population.creators']:,} creators for {days} days, "
            f"`traffic.gini_cap` in {GRID['traffic.gini_cap']} x {seeds} seeds. Time of the "
            "whole sweep (submit, run, write each run directory, record the ledger) on a warm "
            f"cluster, median of {repeats}; 1 and 2 workers alternate, and the speed-up is the "
            "median of the ratios of each pair. Cluster start-up apart.",
            "",
            "| workers | Rust threads each | sweep | runs / s | cluster start | speed-up |",
            "|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Target: 2 workers ≥ {TARGET}× faster than 1: {verdict} ({speedup:.2f}×; pairs: "
            + ", ".join(f"{ratio:.2f}×" for ratio in ratios)
            + ").",
        ]
    )
    print(table)
    if write:
        write_section(SECTION, table)
