"""Speed of the whole model: the baseline and the large scenario over 365 days (wall time,
fan-days per second, peak memory), and one day against a plain per-agent Mesa model."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.results import write_section
from sim.scenario.files import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["population.fans=2000", "population.creators=200", "population.merchants=40",
         "population.suppliers=12"]  # fmt: skip

_CHILD = """
import json, sys, time
from sim.model.ecosystem import EcosystemModel
from sim.scenario.files import load_scenario
scenario = load_scenario(sys.argv[1], sys.argv[3:])
days = int(sys.argv[2])
start = time.perf_counter()
model = EcosystemModel(scenario)
model.run(days)
wall = time.perf_counter() - start
# VmHWM: this process's peak resident memory (ru_maxrss would carry the parent's peak
# over the exec, so a parent that ran a large benchmark would inflate it).
status = open("/proc/self/status").read().split("VmHWM:")[1].split()
peak = int(status[0]) * 1024
world = model.world
print(json.dumps({"wall": wall, "peak": peak, "fans": len(world.fans),
                  "relations": world.audience.relation_count(),
                  "audience_bytes": world.audience.memory_bytes()}))
"""


def timed_run(scenario: str, days: int, overrides: list[str]) -> dict[str, float]:
    """Run a scenario in a fresh process: wall time and peak resident memory."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT / scenario), str(days), *overrides],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def day_versus_mesa(repeats: int) -> tuple[float, float]:
    """Median seconds for one day at 2k fans: the vectorised model vs plain Mesa."""
    from benchmarks.mesa_day import MesaDayModel
    from sim.model.ecosystem import EcosystemModel

    scenario = load_scenario(ROOT / "scenarios/baseline.yaml", SMALL)
    ours, theirs = [], []
    for seed in range(repeats):
        model = EcosystemModel(scenario, seed=seed)
        model.step()  # warm the caches
        start = time.perf_counter()
        model.step()
        ours.append(time.perf_counter() - start)
        mesa_model = MesaDayModel(scenario, seed=seed)
        start = time.perf_counter()
        mesa_model.step()
        theirs.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def run(*, quick: bool = False, write: bool = True) -> None:
    days = 30 if quick else 365
    rows = []
    per_fan_day: dict[str, float] = {}
    for name, scenario, run_days, target in (
        ("baseline", "scenarios/baseline.yaml", days, "≤ 30 s"),
        ("large", "scenarios/large.yaml", days, "≤ 180 s, ≤ 4 GB"),
        ("baseline, 1000 days", "scenarios/baseline.yaml", 1000 if not quick else 60, "bounded"),
    ):
        r = timed_run(scenario, run_days, [])
        fan_days = r["fans"] * run_days / r["wall"]
        per_fan_day.setdefault(name, r["wall"] / (r["fans"] * run_days))
        rows.append(
            f"| {name} | {int(r['fans']):,} | {run_days} | {r['wall']:.1f} s | {fan_days:,.0f} | "
            f"{r['peak'] / 2**30:.2f} GiB | {int(r['relations']):,} | "
            f"{r['audience_bytes'] / 2**20:.0f} MiB | {target} |"
        )
        print(rows[-1], flush=True)
    ours, theirs = day_versus_mesa(3 if quick else 5)
    table = "\n".join(
        [
            f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
            f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d')}. Each run in a "
            "fresh process; peak memory is the process's maximum resident set. `relations` "
            "and `fans' engine` are the follow graph's (fan, creator) relations and "
            "`Audience.memory_bytes()` at the end: bounded by 64 relations of 12 bytes a fan.",
            "",
            "| scenario | fans | days | wall time | fan-days / s | peak memory | relations | "
            "fans' engine | target |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
            *rows,
            "",
            f"One day at 2,000 fans and 200 creators (median of {3 if quick else 5} seeds, day 1):",
            "",
            "| implementation | one day | per fan-day | ratio |",
            "|---|---:|---:|---:|",
            f"| ecosim (columns + Rust) | {ours * 1e3:.1f} ms | {ours / 2000 * 1e6:.2f} µs | 1× |",
            f"| plain Mesa, a Python step per agent (`benchmarks/mesa_day.py`) | "
            f"{theirs * 1e3:.1f} ms | {theirs / 2000 * 1e6:.2f} µs | {theirs / ours:.1f}× |",
            "",
            "The plain Mesa day does less than the model (no fairness, no climbing, no "
            "settlement), so the ratio understates the gap. At the baseline's size the model "
            f"costs {per_fan_day['baseline'] * 1e6:.2f} µs per fan-day, "
            f"{theirs / 2000 / per_fan_day['baseline']:.0f}× less than the plain Mesa day per "
            "fan-day (the plain Mesa cost per fan-day does not fall with size: every view is "
            "a Python call).",
        ]
    )
    print(table)
    if write:
        write_section("Whole model", table)
