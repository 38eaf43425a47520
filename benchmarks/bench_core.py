"""Core kernels: ``sim.allocation.allocate_exposure`` and ``sim.fairness.gini``.

First the allocation on the rounds the model really makes: a baseline run of the model
(``EcosystemModel``, about 2·10^4 works and 1.6·10^4 active creators a day, with the Gini
cap and the ordinary floor both requested) is recorded by wrapping
``sim._core.allocate_exposure`` (the wrapper looks it up on the module at each call), and
every recorded round is timed again, beside the least any implementation pays on it: a
``np.bincount`` of demand per creator and a ``np.sort`` of the creators' totals. The
rounds are regenerated at each run (nothing large is stored);
``python -m benchmarks.bench_core --save-round DIR`` saves one for the Rust profiler
(``cargo run --release -p ecosim-core --example profile_allocate DIR``).

Then synthetic rounds of 10^4 … 10^7 works (see :func:`realistic_round`), each kernel
timed three ways on the same input:
- Rust: the ``sim._core`` extension through its Python wrapper;
- NumPy: the plain NumPy reference of the test suite (``tests.reference``);
- Python loop: dict/list loops over agents, the way an idiomatic Mesa model computes it.

Synthetic input: 10 works per creator, 5% head creators whose climbing works ask for 40x
the demand, lognormal demand, 30% new works with base demand 300, budget = base layer +
half the climbing demand; policy gini_cap = 0.3, ordinary_floor = 0.7, both binding.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from benchmarks.results import write_section
from sim import _core
from sim.allocation import FairnessPolicy, allocate_exposure
from sim.fairness import gini
from tests import rounds
from tests.reference import allocate_ref, gini_ref

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

ROOT = Path(__file__).resolve().parent.parent
SECTION = "Core kernels"
MODEL_SEED = 2019
MODEL_DAYS = 150  # days of the recorded baseline run
QUICK_MODEL_DAYS = 40
MODEL_FIRST_DAY = 30  # rounds from this day on: the climbing stages have filled
MODEL_RUNS = 7  # timed calls per recorded round (Rust and floor alternate)
QUICK_MODEL_RUNS = 3
REFERENCE_EVERY = 10  # the NumPy reference runs on every 10th recorded round
SIZES = (10**4, 10**5, 10**6, 10**7)
QUICK_SIZES = (10**4, 10**5)
RUST_RUNS = 5
NUMPY_RUNS = 5
NUMPY_RUNS_SLOW = 3  # when one NumPy run is predicted to take over NUMPY_SLOW_S
NUMPY_SLOW_S = 2.0
NUMPY_LIMIT_S = 60.0  # a NumPy run predicted above this is extrapolated instead
LOOP_MAX = 10**5  # the Python loop runs at 1e4 and 1e5 only, larger n is extrapolated
LOOP_RUNS = {10**4: 3, 10**5: 1}
GINI_CAP = 0.3
ORDINARY_FLOOR = 0.7
METHOD: Literal["blend", "cap"] = "blend"


# --------------------------------------------------------------------------- input


Round = rounds.Round


def realistic_round(n_works: int, seed: int = 0) -> Round:
    return Round(*rounds.realistic_round(n_works, seed))


POLICY = FairnessPolicy(gini_cap=GINI_CAP, ordinary_floor=ORDINARY_FLOOR, method=METHOD)


def run_rust(r: Round) -> I64:
    out = allocate_exposure(
        r.work_creator, r.demand, r.is_new, r.creator_ordinary, r.budget, POLICY
    )
    return out.impressions


def run_numpy(r: Round) -> I64:
    ref = allocate_ref(
        r.work_creator,
        r.demand,
        r.is_new,
        r.creator_ordinary,
        r.budget,
        GINI_CAP,
        ORDINARY_FLOOR,
        METHOD,
    )
    impressions: I64 = ref["impressions"]
    return impressions


# ------------------------------------------------------------ the Python-loop baseline


def gini_loop(values: list[int] | list[float]) -> float:
    """Gini by the sorted formula, one Python loop over the sorted values."""
    ordered = sorted(values)
    n = len(ordered)
    total = 0.0
    weighted = 0.0
    for i, x in enumerate(ordered, start=1):
        total += x
        weighted += i * x
    if n == 0 or total == 0:
        return 0.0
    return 2.0 * weighted / (n * total) - (n + 1) / n


def loop_args(r: Round) -> tuple[Any, ...]:
    """The Python loop's arguments: the round as plain lists, and the policy."""
    return (
        r.work_creator.tolist(),
        r.demand.tolist(),
        r.is_new.tolist(),
        r.creator_ordinary.tolist(),
        r.budget,
        GINI_CAP,
        ORDINARY_FLOOR,
    )


def allocate_loop(
    work_creator: list[int],
    demand: list[int],
    is_new: list[bool],
    creator_ordinary: list[bool],
    budget: int,
    gini_cap: float | None,
    ordinary_floor: float | None,
) -> list[int]:
    """Base layer, proportional boost, floor by rescaling the groups' boosts, cap by a
    bisection on blending each group's boosts toward the group mean: per-agent loops."""
    n = len(demand)
    impressions = [0] * n
    base_total = 0
    for i in range(n):
        if is_new[i]:
            base_total += demand[i]
    if budget < base_total:  # the base layer alone exhausts the budget
        cum = given = 0
        for i in range(n):
            if is_new[i]:
                cum += demand[i]
                target = budget * cum // base_total
                impressions[i] = target - given
                given = target
        return impressions

    base: dict[int, int] = {}
    boost_demand: dict[int, int] = {}
    works: dict[int, list[int]] = {}
    for i in range(n):
        c = work_creator[i]
        if is_new[i]:
            impressions[i] = demand[i]
            base[c] = base.get(c, 0) + demand[i]
        else:
            boost_demand[c] = boost_demand.get(c, 0) + demand[i]
            works.setdefault(c, []).append(i)
    creators = sorted(set(base) | set(boost_demand))
    climbing_total = sum(boost_demand.values())
    boost_total = min(budget - base_total, climbing_total)
    if boost_total <= 0:
        return impressions
    boost = {c: boost_total * d / climbing_total for c, d in boost_demand.items()}

    if ordinary_floor is not None:
        total = base_total + boost_total
        ord_base = sum(v for c, v in base.items() if creator_ordinary[c])
        ord_boost = sum(v for c, v in boost.items() if creator_ordinary[c])
        head_boost = boost_total - ord_boost
        if ord_base + ord_boost < ordinary_floor * total and ord_boost > 0:
            ord_target = min(ordinary_floor * total - ord_base, float(boost_total))
            up = ord_target / ord_boost
            down = (boost_total - ord_target) / head_boost if head_boost > 0 else 0.0
            for c in boost:
                boost[c] *= up if creator_ordinary[c] else down

    if gini_cap is not None:
        group_sum = {True: 0.0, False: 0.0}
        group_n = {True: 0, False: 0}
        for c, b in boost.items():
            group_sum[creator_ordinary[c]] += b
            group_n[creator_ordinary[c]] += 1
        mean = {g: group_sum[g] / group_n[g] if group_n[g] else 0.0 for g in (True, False)}

        def totals(lam: float) -> list[float]:
            out = []
            for c in creators:
                b = boost.get(c)
                t = float(base.get(c, 0))
                if b is not None:
                    t += (1.0 - lam) * b + lam * mean[creator_ordinary[c]]
                out.append(t)
            return out

        if gini_loop(totals(0.0)) > gini_cap:
            lo, hi = 0.0, 1.0
            for _ in range(40):
                mid = (lo + hi) / 2
                if gini_loop(totals(mid)) > gini_cap:
                    lo = mid
                else:
                    hi = mid
            for c in boost:
                boost[c] = (1.0 - hi) * boost[c] + hi * mean[creator_ordinary[c]]

    # Integer boosts per creator (cumulative rounding keeps the total), then per work.
    cum_f = 0.0
    given_total = 0
    last = 0
    int_boost: dict[int, int] = {}
    for c in sorted(boost):
        cum_f += boost[c]
        target = min(round(cum_f), boost_total)
        int_boost[c] = target - given_total
        given_total = target
        last = c
    int_boost[last] += boost_total - given_total
    for c, b in int_boost.items():
        idx = works[c]
        d_sum = boost_demand[c]
        cum = given = 0
        for k, i in enumerate(idx, start=1):
            cum += demand[i]
            target = b * cum // d_sum if d_sum else b * k // len(idx)
            impressions[i] = target - given
            given = target
    return impressions


# ------------------------------------------------------------------ the model's rounds


@dataclass(frozen=True)
class ModelRound:
    """One call of the allocation kernel as the model made it."""

    day: int
    round: Round
    gini_cap: float | None
    ordinary_floor: float | None
    method: Literal["blend", "cap"]

    def args(self) -> tuple[Any, ...]:
        r = self.round
        return (
            r.work_creator,
            r.demand,
            r.is_new,
            r.creator_ordinary,
            r.budget,
            self.gini_cap,
            self.ordinary_floor,
            self.method,
        )

    @property
    def active_creators(self) -> int:
        return int(np.count_nonzero(np.bincount(self.round.work_creator)))


def baseline_model(seed: int) -> Any:
    """The model of the baseline scenario, imported only when needed (the model is heavy,
    and its package layout is ``sim.model`` / ``sim.scenario``)."""
    from sim.model import EcosystemModel
    from sim.scenario import Scenario

    scenario: Any = Scenario()  # the schema's defaults are the baseline
    try:
        from sim.scenario import load_scenario

        scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    except ImportError:
        pass
    return EcosystemModel(scenario, seed=seed)


def record_model_rounds(days: int, seed: int = MODEL_SEED) -> list[ModelRound]:
    """Run the baseline model for `days` days and keep every call of the allocation
    kernel (``sim._core.allocate_exposure``, which the wrapper looks up at each call)."""
    recorded: list[ModelRound] = []
    original = _core.allocate_exposure
    model = baseline_model(seed)

    def recording(*args: Any, **kwargs: Any) -> Any:
        names = ("gini_cap", "ordinary_floor", "method")
        policy = dict(zip(names, args[5:], strict=False)) | kwargs
        work_creator, demand, is_new, ordinary = (np.array(a, copy=True) for a in args[:4])
        round_ = Round(work_creator, demand, is_new, ordinary, int(args[4]))
        recorded.append(
            ModelRound(
                model.day,
                round_,
                policy.get("gini_cap"),
                policy.get("ordinary_floor"),
                policy.get("method", "blend"),
            )
        )
        return original(*args, **kwargs)

    name = "allocate_exposure"
    setattr(_core, name, recording)
    try:
        for _ in range(days):
            model.step()
    finally:
        setattr(_core, name, original)
    return recorded


def floor_kernel(r: Round) -> None:
    """The least any allocation pays: demand per creator, and the creators' totals sorted."""
    totals = np.bincount(r.work_creator, weights=r.demand, minlength=r.creator_ordinary.size)
    np.sort(totals)


@dataclass
class ModelRow:
    rounds: int
    days: tuple[int, int]
    works: float
    active: float
    rust: float
    floor: float
    reference_checked: int
    reference_same: bool
    reference: float

    def markdown(self) -> str:
        ratio = self.rust / self.floor
        return (
            f"| {self.rounds} (days {self.days[0]}–{self.days[1]}) | {self.works:,.0f} | "
            f"{self.active:,.0f} | {fmt_time(Timing(self.rust, 1))} | "
            f"{fmt_time(Timing(self.floor, 1))} | {ratio:.1f}× | "
            f"{self.rust / self.works * 1e9:.0f} ns | {fmt_time(Timing(self.reference, 1))} | "
            f"{fmt_ratio(Timing(self.reference, 1), Timing(self.rust, 1))} |"
        )


MODEL_HEAD = (
    "| rounds | works (median) | active creators (median) | Rust | floor: bincount + sort "
    "| Rust / floor | per work (Rust) | NumPy ref | NumPy / Rust |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def bench_model_rounds(days: int, runs: int) -> ModelRow:
    """Time every recorded round from MODEL_FIRST_DAY on: per round the median of `runs`
    calls of the kernel and of the floor, alternating; then the medians over rounds. The
    NumPy reference runs on every REFERENCE_EVERY-th round and must agree exactly."""
    recorded = [m for m in record_model_rounds(days) if m.day >= MODEL_FIRST_DAY]
    rust_times, floor_times, reference_times = [], [], []
    same = True
    for k, m in enumerate(recorded):
        args = m.args()
        _core.allocate_exposure(*args)  # warm-up
        rust, floor = [], []
        for _ in range(runs):
            start = time.perf_counter()
            _core.allocate_exposure(*args)
            rust.append(time.perf_counter() - start)
            start = time.perf_counter()
            floor_kernel(m.round)
            floor.append(time.perf_counter() - start)
        rust_times.append(statistics.median(rust))
        floor_times.append(statistics.median(floor))
        if k % REFERENCE_EVERY == 0:
            start = time.perf_counter()
            ref = allocate_ref(*args)
            reference_times.append(time.perf_counter() - start)
            same &= bool(np.array_equal(ref["impressions"], _core.allocate_exposure(*args)[0]))
    row = ModelRow(
        rounds=len(recorded),
        days=(recorded[0].day, recorded[-1].day),
        works=statistics.median(m.round.n_works for m in recorded),
        active=statistics.median(m.active_creators for m in recorded),
        rust=statistics.median(rust_times),
        floor=statistics.median(floor_times),
        reference_checked=len(reference_times),
        reference_same=same,
        reference=statistics.median(reference_times),
    )
    print(f"  model rounds       {row.markdown()}", flush=True)
    return row


def save_round(directory: Path, day: int = 120) -> None:
    """Save the recorded round of `day` as the Rust profiler reads it (raw little-endian
    arrays, the budget and the policy as text)."""
    recorded = record_model_rounds(day + 1)
    m = next(m for m in recorded if m.day == day)
    directory.mkdir(parents=True, exist_ok=True)
    r = m.round
    r.work_creator.astype("<i8").tofile(directory / "work_creator")
    r.demand.astype("<i8").tofile(directory / "demand")
    r.is_new.astype(np.uint8).tofile(directory / "is_new")
    r.creator_ordinary.astype(np.uint8).tofile(directory / "ordinary")
    (directory / "budget").write_text(f"{r.budget}\n")
    cap, floor = ("none" if v is None else repr(v) for v in (m.gini_cap, m.ordinary_floor))
    policy = f"{cap} {floor} {m.method}\n"
    (directory / "policy").write_text(policy)
    print(f"saved day {day}: {r.n_works:,} works, {m.active_creators:,} active creators")


# ------------------------------------------------------------------------- timing


@dataclass
class Timing:
    seconds: float
    runs: int  # 0 when extrapolated
    note: str = ""

    @property
    def extrapolated(self) -> bool:
        return self.runs == 0


def time_it(fn: Callable[[], object], runs: int) -> Timing:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(statistics.median(samples), runs)


def extrapolate(known_n: int, known: Timing, n: int) -> Timing:
    return Timing(known.seconds * n / known_n, 0, f"linear from n={known_n:.0e}")


def fmt_time(t: Timing | None) -> str:
    if t is None:
        return "–"
    s = t.seconds
    text = (
        f"{s * 1e6:.0f} µs"
        if s < 1e-3
        else f"{s * 1e3:.1f} ms"
        if s < 1.0
        else f"{s:.2f} s"
        if s < 100
        else f"{s:.0f} s"
    )
    return f"{text} *" if t.extrapolated else text


def fmt_ratio(num: Timing | None, den: Timing) -> str:
    if num is None:
        return "–"
    text = (
        f"{num.seconds / den.seconds:,.0f}×"
        if num.seconds / den.seconds >= 10
        else (f"{num.seconds / den.seconds:.1f}×")
    )
    return f"{text} *" if num.extrapolated else text


def fmt_rate(per_second: float) -> str:
    if per_second >= 1e9:
        return f"{per_second / 1e9:.2f} G"
    if per_second >= 1e6:
        return f"{per_second / 1e6:.1f} M"
    return f"{per_second / 1e3:.0f} k"


@dataclass
class Row:
    n: int
    rust: Timing
    numpy: Timing | None
    loop: Timing | None

    def markdown(self) -> str:
        rate = self.n / self.rust.seconds
        return (
            f"| {self.n:,} | {fmt_time(self.rust)} | {fmt_time(self.numpy)} | "
            f"{fmt_time(self.loop)} | {fmt_ratio(self.numpy, self.rust)} | "
            f"{fmt_ratio(self.loop, self.rust)} | {fmt_rate(rate)} |"
        )


TABLE_HEAD = (
    "| n works | Rust | NumPy ref | Python loop | NumPy / Rust | loop / Rust | works/s (Rust) |\n"
    "|---:|---:|---:|---:|---:|---:|---:|"
)


def numpy_plan(prev: tuple[int, Timing] | None, n: int) -> int:
    """How many NumPy runs at size n (0: too slow, extrapolate)."""
    if prev is None:
        return NUMPY_RUNS
    predicted = prev[1].seconds * n / prev[0] * 1.2
    if predicted > NUMPY_LIMIT_S:
        return 0
    return NUMPY_RUNS_SLOW if predicted > NUMPY_SLOW_S else NUMPY_RUNS


def bench_kernel(
    name: str,
    sizes: tuple[int, ...],
    loop_max: int,
    make: Callable[[int], Any],
    rust: Callable[[Any], object],
    numpy_ref: Callable[[Any], object],
    loop_input: Callable[[Any], Any],
    loop: Callable[[Any], object],
) -> list[Row]:
    rows: list[Row] = []
    last_numpy: tuple[int, Timing] | None = None
    last_loop: tuple[int, Timing] | None = None
    for n in sizes:
        data = make(n)
        rust(data)  # warm-up: thread pool, page faults
        t_rust = time_it(partial(rust, data), RUST_RUNS)

        runs = numpy_plan(last_numpy, n)
        if runs:
            t_np = time_it(partial(numpy_ref, data), runs)
            last_numpy = (n, t_np)
        else:
            assert last_numpy is not None
            t_np = extrapolate(*last_numpy, n)

        if n <= loop_max:
            args = loop_input(data)
            t_loop = time_it(partial(loop, args), LOOP_RUNS.get(n, 1))
            last_loop = (n, t_loop)
        else:
            assert last_loop is not None
            t_loop = extrapolate(*last_loop, n)

        row = Row(n, t_rust, t_np, t_loop)
        rows.append(row)
        print(f"  {name:18s} {row.markdown()}", flush=True)
    return rows


# --------------------------------------------------------------------------- runs


def machine_info() -> str:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = os.cpu_count() or 0
    threads = os.environ.get("RAYON_NUM_THREADS", "default (one per CPU)")
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Machine: nproc {affinity} ({os.cpu_count()} online), CPU {cpu}; "
        f"Python {platform.python_version()}, NumPy {np.__version__}; "
        f"RAYON_NUM_THREADS {threads}; {date}."
    )


def check_agreement(r: Round) -> str:
    """Rust and the NumPy reference give the same impressions; the constraints bind; what
    the Python loop baseline reaches on the same input."""
    out = allocate_exposure(
        r.work_creator, r.demand, r.is_new, r.creator_ordinary, r.budget, POLICY
    )
    same = np.array_equal(out.impressions, run_numpy(r))
    loop = np.array(
        allocate_loop(*loop_args(r)),
        dtype=np.int64,
    )
    n_creators = r.creator_ordinary.shape[0]
    per_creator = np.zeros(n_creators, dtype=np.int64)
    np.add.at(per_creator, r.work_creator, loop)
    active = np.bincount(r.work_creator, minlength=n_creators) > 0
    loop_gini = gini(per_creator[active])
    loop_share = float(loop[r.creator_ordinary[r.work_creator]].sum() / loop.sum())
    return (
        f"At n = {r.n_works:,}: Gini {out.gini_before:.3f} → {out.gini_after:.3f} "
        f"(cap {GINI_CAP}), ordinary share {out.ordinary_share_before:.3f} → "
        f"{out.ordinary_share_after:.3f} (floor {ORDINARY_FLOOR}), feasible "
        f"{out.feasible}; Rust impressions identical to the NumPy reference: "
        f"{'yes' if same else 'NO'}. The Python loop reaches Gini {loop_gini:.3f}, "
        f"ordinary share {loop_share:.3f}, total {int(loop.sum()):,} of {r.budget:,}."
    )


def run(*, quick: bool = False, write: bool = True) -> None:
    sizes = QUICK_SIZES if quick else SIZES
    loop_max = 10**4 if quick else LOOP_MAX
    model_days = QUICK_MODEL_DAYS if quick else MODEL_DAYS
    model_runs = QUICK_MODEL_RUNS if quick else MODEL_RUNS
    rounds: dict[int, Round] = {}

    def make_round(n: int) -> Round:
        rounds.clear()  # keep one size in memory at a time
        rounds[n] = realistic_round(n, seed=n)
        return rounds[n]

    def make_impressions(n: int) -> I64:
        return run_rust(realistic_round(n, seed=n))

    load_start = os.getloadavg()[0]
    model_row = bench_model_rounds(model_days, model_runs)

    agreement = check_agreement(realistic_round(sizes[-1] if quick else 10**5, seed=1))
    print(f"  {agreement}", flush=True)

    alloc_rows = bench_kernel(
        "allocate_exposure",
        sizes,
        loop_max,
        make_round,
        rust=run_rust,
        numpy_ref=run_numpy,
        loop_input=loop_args,
        loop=lambda args: allocate_loop(*args),
    )
    rounds.clear()
    gini_rows = bench_kernel(
        "gini",
        sizes,
        loop_max,
        make_impressions,
        rust=gini,
        numpy_ref=gini_ref,
        loop_input=lambda x: x.tolist(),
        loop=gini_loop,
    )

    extrapolated = any(
        row.numpy is not None and row.numpy.extrapolated for row in gini_rows + alloc_rows
    )
    loop_runs = ", ".join(f"{runs} at n = {n:.0e}" for n, runs in LOOP_RUNS.items())
    ratio = model_row.rust / model_row.floor
    load = (
        f"Load average (1 min) at the start and the end of this run: {load_start:.1f} and "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (the machine is shared: "
        "a load above the CPU count slows the longer calls most)."
    )
    lines = [
        machine_info(),
        "",
        load,
        "",
        "### allocate_exposure on the model's rounds (baseline, gini_cap 0.6, "
        "ordinary_floor 0.7, blend)",
        "",
        f"Every call of the kernel in a baseline run of the model (seed {MODEL_SEED}, "
        f"{model_days} days, recorded by wrapping `sim._core.allocate_exposure`), from day "
        f"{MODEL_FIRST_DAY} on. Per round the median of {model_runs} calls, the kernel "
        "(called directly, without the Python wrapper's checks) alternating with the floor "
        "any implementation pays on the same round: `np.bincount` of demand per creator "
        "and `np.sort` of the creators' totals; the table gives the medians over rounds. "
        f"The NumPy reference ran on every {REFERENCE_EVERY}th round "
        f"({model_row.reference_checked} rounds, one call each): Rust impressions "
        f"identical: {'yes' if model_row.reference_same else 'NO'}.",
        "",
        MODEL_HEAD,
        model_row.markdown(),
        "",
        f"Target: a round within 5× of the floor: "
        f"{'met' if ratio <= 5.0 else 'not met'} ({ratio:.1f}×).",
        "",
        "### allocate_exposure, synthetic rounds (gini_cap 0.3, ordinary_floor 0.7, blend)",
        "",
        f"Median of {RUST_RUNS} runs for Rust (after one warm-up call); NumPy reference "
        f"median of {NUMPY_RUNS} runs ({NUMPY_RUNS_SLOW} when one run takes over "
        f"{NUMPY_SLOW_S:.0f} s); the Python loop is slow, so fewer runs: {loop_runs}. "
        f"Values marked * are extrapolated linearly from the largest measured size "
        f"(the Python loop beyond n = {loop_max:.0e}"
        + (", the NumPy reference where a run would exceed 60 s" if extrapolated else "")
        + "). Times exclude building the input (for the loop: converting arrays to lists).",
        "",
        "Input: 10 works per creator, 5% head creators whose climbing works ask for 40× "
        "more, lognormal demand (median 2000), 30% new works with base demand 300, budget = "
        "base layer + half the climbing demand; both constraints bind. Python loop: dict "
        "and list loops over works and creators (base layer, proportional boost, floor by "
        "rescaling the groups' boosts, cap by bisection over a loop Gini on blending toward "
        "the group means, integer split per work); it approximates the same policy, it is "
        "not bit-identical.",
        "",
        TABLE_HEAD,
        *(row.markdown() for row in alloc_rows),
        "",
        agreement,
        "",
        "### gini (int64 impressions)",
        "",
        "Input: the per-work impressions of the synthetic allocation above (n values). "
        "Python loop: `sorted()` then one loop accumulating the sorted formula.",
        "",
        TABLE_HEAD,
        *(row.markdown() for row in gini_rows),
    ]
    markdown = "\n".join(lines)
    print(markdown)
    if write:
        path = write_section(SECTION, markdown)
        print(f"  wrote section '{SECTION}' of {path}")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.bench_core --save-round DIR [--day N]``: save a recorded
    model round for the Rust profiler (the benchmark itself runs with ``python -m
    benchmarks --only core``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_core")
    parser.add_argument("--save-round", type=Path, required=True, metavar="DIR")
    parser.add_argument("--day", type=int, default=120)
    args = parser.parse_args(argv)
    save_round(args.save_round, args.day)
    return 0


if __name__ == "__main__":
    sys.exit(main())
