"""Invariant 7: same input, identical output, whatever the number of Rayon threads.

A fixed, large input (large enough for the parallel code paths) is saved to an .npz file;
fresh interpreters run the kernels under RAYON_NUM_THREADS = 1, 2, 4 (and unset), each
writing every output (impressions bytes and the float diagnostics bit for bit) to a file.
The files must be byte-identical, and equal to what this process computes.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from sim.allocation import FairnessPolicy, allocate_exposure
from sim.fairness import gini
from tests.conftest import ROOT
from tests.rounds import realistic_round

N_WORKS = 1_000_000

# Runs in a fresh interpreter: argv[1] = input .npz, argv[2] = output file.
WORKER = """
import struct, sys
import numpy as np
from sim.fairness import gini
from sim.allocation import FairnessPolicy, allocate_exposure
from tests.rounds import realistic_round

inp = np.load(sys.argv[1])
out = bytearray()
for method in ("blend", "cap"):
    for cap, floor in ((0.3, 0.7), (0.05, None), (None, 0.9)):
        a = allocate_exposure(
            inp["work_creator"], inp["demand"], inp["is_new"], inp["creator_ordinary"],
            int(inp["budget"]), FairnessPolicy(gini_cap=cap, ordinary_floor=floor, method=method),
        )
        out += a.impressions.tobytes()
        out += struct.pack(
            "<dddd?", a.gini_before, a.gini_after, a.ordinary_share_before,
            a.ordinary_share_after, a.feasible,
        )
out += struct.pack("<dd", gini(inp["float_values"]), gini(inp["demand"]))
with open(sys.argv[2], "wb") as f:
    f.write(bytes(out))
"""

POLICIES: list[tuple[float | None, float | None]] = [(0.3, 0.7), (0.05, None), (None, 0.9)]
METHODS: tuple[Literal["blend", "cap"], ...] = ("blend", "cap")


def make_input(seed: int = 2024) -> dict[str, Any]:
    """A realistic round (see :func:`tests.rounds.realistic_round`) and float values."""
    work_creator, demand, is_new, ordinary, budget = realistic_round(N_WORKS, seed)
    return {
        "work_creator": work_creator,
        "demand": demand,
        "is_new": is_new,
        "creator_ordinary": ordinary,
        "budget": np.int64(budget),
        "float_values": np.random.default_rng(seed + 1).lognormal(5.0, 2.0, size=N_WORKS),
    }


def compute_here(inp: dict[str, Any]) -> bytes:
    """The same as WORKER, in this process."""
    out = bytearray()
    for method in METHODS:
        for cap, floor in POLICIES:
            a = allocate_exposure(
                inp["work_creator"],
                inp["demand"],
                inp["is_new"],
                inp["creator_ordinary"],
                int(inp["budget"]),
                FairnessPolicy(gini_cap=cap, ordinary_floor=floor, method=method),
            )
            out += a.impressions.tobytes()
            out += struct.pack(
                "<dddd?",
                a.gini_before,
                a.gini_after,
                a.ordinary_share_before,
                a.ordinary_share_after,
                a.feasible,
            )
    out += struct.pack("<dd", gini(inp["float_values"]), gini(inp["demand"]))
    return bytes(out)


@pytest.fixture(scope="module")
def saved_input(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    inp = make_input()
    path = tmp_path_factory.mktemp("determinism") / "input.npz"
    np.savez(path, **inp)
    return path, inp


def run_worker(inp_path: Path, out_path: Path, threads: str | None) -> bytes:
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    if threads is not None:
        env["RAYON_NUM_THREADS"] = threads
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, str(inp_path), str(out_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out_path.read_bytes()


@pytest.fixture(scope="module")
def output_here(saved_input: tuple[Path, dict[str, Any]]) -> bytes:
    return compute_here(saved_input[1])


def test_identical_output_for_any_thread_count(
    saved_input: tuple[Path, dict[str, Any]], output_here: bytes, tmp_path: Path
) -> None:
    inp_path, inp = saved_input
    # The input must make the constraints bind, or the parallel fairness code is idle.
    plain = allocate_exposure(
        inp["work_creator"],
        inp["demand"],
        inp["is_new"],
        inp["creator_ordinary"],
        int(inp["budget"]),
        FairnessPolicy(),
    )
    assert plain.gini_after > 0.3 and plain.ordinary_share_after < 0.7

    outputs = {
        threads or "default": run_worker(inp_path, tmp_path / f"out-{threads}.bin", threads)
        for threads in ("1", "2", "4", None)
    }
    for threads, blob in outputs.items():
        assert len(blob) == len(output_here), threads
        if blob != output_here:
            first = next(
                i for i, (x, y) in enumerate(zip(blob, output_here, strict=True)) if x != y
            )
            pytest.fail(f"RAYON_NUM_THREADS={threads}: output differs from byte {first}")


def test_repeated_calls_identical(
    saved_input: tuple[Path, dict[str, Any]], output_here: bytes
) -> None:
    assert compute_here(saved_input[1]) == output_here


def test_input_copy_gives_identical_output(
    saved_input: tuple[Path, dict[str, Any]], output_here: bytes
) -> None:
    copied = {k: np.array(v, copy=True) for k, v in saved_input[1].items()}
    assert compute_here(copied) == output_here
