"""Sweeps: sweep files, a real local Dask cluster, resuming after kills, and the report.

Scenarios are tiny (2,000 fans, 200 creators, a few weeks), so a run takes well under a
second; every cluster is closed by its fixture, and all addresses are loopback.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.commands.cli import main
from sim.runs.directory import RUN_FILES, RUN_GLOB, is_complete
from sim.runs.run import save_run, simulate
from sim.scenario import safe_yaml
from sim.scenario.errors import ScenarioError
from sim.sweeps.cluster import SweepOutcome, run_sweep
from sim.sweeps.layout import SweepLayout, prepare
from sim.sweeps.ledger import Ledger, code_version, read_ledger
from sim.sweeps.spec import Run, Sweep, load_sweep
from tests.conftest import BASELINE, ROOT

if TYPE_CHECKING:
    from distributed import Client

TINY = {
    "population.fans": 2000,
    "population.creators": 200,
    "population.merchants": 50,
    "population.suppliers": 20,
    "population.scale": 100_000,
    "run.days": 15,
}
"""The baseline's platform (200M DAU) at a hundredth of its resolution."""
SLOWER = {
    **TINY,
    "population.fans": 20000,
    "population.creators": 2000,
    "population.scale": 10_000,
    "run.days": 60,
}
"""About 0.3 s a run: slow enough to kill a sweep in the middle."""


def write_sweep(
    folder: Path,
    grid: dict[str, list[Any]],
    seeds: int | list[int] = 2,
    settings: dict[str, Any] = TINY,
    name: str = "tiny",
) -> Path:
    """A sweep file over the baseline with ``settings`` applied."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    data = {"scenario": str(BASELINE), "set": settings, "sweep": grid, "seeds": seeds}
    path.write_text(safe_yaml.dump(data), encoding="utf-8")
    return path


def start_ecosim(*args: str | Path, **popen: Any) -> subprocess.Popen[str]:
    """Start ``python -m sim`` in its own process group (to kill it with its workers),
    without waiting (``tests.conftest.ecosim`` runs it to the end)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ECOSIM_DEBUG", None)
    streams: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=ROOT,
        env=env,
        text=True,
        start_new_session=True,
        **streams,
    )


def complete_runs(sweep_dir: Path) -> list[Path]:
    return [path for path in (sweep_dir / "runs").glob(RUN_GLOB) if is_complete(path)]


def assert_sweep_complete(sweep: Sweep, layout: SweepLayout) -> None:
    """Every run complete and recorded once, every Parquet file readable, no leftovers."""
    entries = read_ledger(layout.ledger_file)
    keys = [entry.key for entry in entries]
    assert len(keys) == len(set(keys)) == len(sweep.runs())
    for run in sweep.runs():
        assert (run.point.scenario_hash, run.seed, code_version()) in set(keys)
        run_dir = layout.run_dir(run)
        assert is_complete(run_dir)
        assert sorted(path.name for path in run_dir.iterdir()) == sorted(RUN_FILES)
    assert len(list(layout.runs_root.glob(RUN_GLOB))) == len(sweep.runs())
    for parquet in layout.root.rglob("*.parquet"):
        assert pq.read_table(parquet).num_rows > 0
    assert not [path for path in layout.root.rglob("*") if path.name.endswith(".tmp")]


def no_cluster(runs: int) -> contextlib.AbstractContextManager[Client]:
    raise AssertionError("no run was left, so no cluster should have been started")


# --- sweep files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("sweep: {traffic.gini_kap: [0.3]}", "sweep.traffic.gini_kap", "did you mean 'gini_cap'"),
        ("sweep: {traffic.gini_cap: []}", "sweep.traffic.gini_cap", "at least one value"),
        ("sweep: {traffic.gini_cap: 0.3}", "sweep.traffic.gini_cap", "must be a list"),
        ("sweep: {traffic.gini_cap: [0.3, high]}", "sweep.traffic.gini_cap[1]", "a number"),
        ("sweep: {traffic.gini_cap: [0.3, 1.5]}", "sweep.traffic.gini_cap[1]", "between 0 and 1"),
        ("sweep: {traffic.method: [blend, fair]}", "sweep.traffic.method[1]", "'blend' or 'cap'"),
        ("sweep: {run.seed: [1, 2]}", "sweep.run.seed", "under 'seeds'"),
        ("set: {traffic.gini_cap: yes}", "set.traffic.gini_cap", "must be a number"),
        ("seeds: 0", "seeds", "between 1 and"),
        ("seeds: [1, -2]", "seeds[1]", "whole number"),
        ("seeds: five", "seeds", "number of seeds"),
        ("sweeps: {}", "sweeps", "did you mean 'sweep'"),
    ],
)
def test_bad_sweep_file_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, field: str, words: str
) -> None:
    data = {"scenario": str(BASELINE), "sweep": {"traffic.gini_cap": [0.3]}, "seeds": 2}
    data.update(safe_yaml.parse(text))
    path = tmp_path / "bad.yaml"
    path.write_text(safe_yaml.dump(data), encoding="utf-8")
    code = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(f"ecosim: error: {field}: "), lines
    assert words in lines[0]
    assert not (tmp_path / "out").exists()


def test_scenario_errors_name_the_field_of_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("traffic:\n  gini_cap: 2\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("scenario: base.yaml\nseeds: 2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"^scenario\.traffic\.gini_cap: .*base\.yaml"):
        load_sweep(tmp_path / "s.yaml")
    with pytest.raises(ScenarioError, match=r"^scenario: .*missing\.yaml: no such file"):
        load_sweep("scenario: missing.yaml\nseeds: 2\n")


def test_grid_is_the_product_in_file_order_and_runs_go_seed_by_seed(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path, {"traffic.gini_cap": [0.3, None], "traffic.method": ["blend", "cap"]}
    )
    sweep = load_sweep(path)
    assert sweep.name == "tiny"
    assert [point.label for point in sweep.points] == [
        "traffic.gini_cap=0.3, traffic.method=blend",
        "traffic.gini_cap=0.3, traffic.method=cap",
        "traffic.gini_cap=null, traffic.method=blend",
        "traffic.gini_cap=null, traffic.method=cap",
    ]
    assert sweep.points[3].scenario.traffic.gini_cap is None
    assert sweep.points[3].scenario.population.fans == 2000  # `set` applies to every point
    runs = sweep.runs()
    assert [(run.seed, run.point.index) for run in runs[:5]] == [
        (sweep.seeds[0], 0),
        (sweep.seeds[0], 1),
        (sweep.seeds[0], 2),
        (sweep.seeds[0], 3),
        (sweep.seeds[1], 0),
    ]


def test_seeds_are_spawned_from_the_scenario_seed(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, {}, seeds=4, settings={"run.seed": 7}))
    children = np.random.SeedSequence(7).spawn(4)
    assert sweep.seeds == tuple(int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children)
    assert all(0 <= seed < 2**63 for seed in sweep.seeds)
    explicit = load_sweep(write_sweep(tmp_path, {}, seeds=[3, 1, 2]))
    assert explicit.seeds == (3, 1, 2) and len(explicit.points) == 1


def test_resolved_copy_is_the_same_sweep(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, {"traffic.stage_quotas": [[3000], [3000, 9000]]}))
    copy = tmp_path / "copy" / "sweep.yaml"
    copy.parent.mkdir()
    copy.write_text(sweep.to_yaml(), encoding="utf-8")
    assert load_sweep(copy).sweep_hash() == sweep.sweep_hash()
    assert load_sweep(copy).directory_name == f"tiny-{sweep.sweep_hash()[:8]}"


def test_shipped_sweeps_are_valid() -> None:
    shipped = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
    assert {path.stem for path in shipped} >= {"gini_cap", "base_exposure", "follow_page_weight"}
    gini = load_sweep(ROOT / "scenarios" / "sweeps" / "gini_cap.yaml")
    assert [point.scenario.traffic.gini_cap for point in gini.points] == [0.3, 0.4, 0.5, 0.6, None]
    assert len(gini.seeds) == 5
    for path in shipped:
        assert load_sweep(path).points


# --- the ledger -------------------------------------------------------------------------


def test_ledger_cuts_a_torn_last_line_and_is_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with Ledger.open(path) as ledger:
        ledger.record("abc", 1, "v1", 0, "runs/scenario=x/seed=1", adopted=False)
        ledger.record("abc", 2, "v1", 0, "runs/scenario=x/seed=2", adopted=True)
        with pytest.raises(ScenarioError, match="another 'ecosim sweep'"), Ledger.open(path):
            pass
    with path.open("ab") as stream:
        stream.write(b'{"scenario_hash":"abc","seed":3,"code_ver')  # killed mid-append
    with Ledger.open(path) as ledger:
        assert len(ledger) == 2 and ("abc", 2, "v1") in ledger
        ledger.record("abc", 3, "v1", 0, "runs/scenario=x/seed=3", adopted=False)
    assert [entry.seed for entry in read_ledger(path)] == [1, 2, 3]
    assert path.read_bytes().count(b"\n") == 3


# --- on a real cluster ------------------------------------------------------------------


def test_cli_killed_mid_sweep_then_rerun_completes_without_duplicates(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    path = write_sweep(tmp_path, {"traffic.gini_cap": [0.3, 0.5, None]}, 5, SLOWER)
    sweep = load_sweep(path)
    layout = SweepLayout(tmp_path / "out" / sweep.directory_name)
    args = ("sweep", path, "--workers", "2", "--out", tmp_path / "out", "--quiet")
    first = start_ecosim(*args)
    deadline = time.monotonic() + 120
    while len(complete_runs(layout.root)) < 3 and first.poll() is None:
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL
    # runs saved but not yet recorded (killed in between) are adopted by the rerun
    assert len(read_ledger(layout.ledger_file)) < len(sweep.runs())

    second = start_ecosim(*args)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert out.splitlines()[-1] == str(layout.root)
    assert "0 failed" in out and "before" in out
    assert_sweep_complete(sweep, layout)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A real two-worker cluster on loopback, made exactly as ``ecosim sweep`` makes it."""
    pytest.importorskip("distributed")
    from sim.sweeps.cluster import local_cluster

    with local_cluster(2) as client:
        yield client


@pytest.fixture(scope="module")
def tiny_sweep(client: Client, tmp_path_factory: pytest.TempPathFactory) -> SweepLayout:
    """A finished 2-point x 3-seed sweep (shared: tests copy it before changing it)."""
    folder = tmp_path_factory.mktemp("tiny")
    # Without the floor the cap is always feasible, so the report's cap check is exact
    # (at this resolution one follow makes a head creator, and the floor can conflict).
    settings = {**TINY, "traffic.ordinary_floor": None}
    sweep = load_sweep(
        write_sweep(folder, {"traffic.gini_cap": [0.3, None]}, seeds=3, settings=settings)
    )
    layout = prepare(sweep, folder / "out")
    with Ledger.open(layout.ledger_file) as ledger:
        outcome = run_sweep(sweep, layout, ledger, lambda runs: contextlib.nullcontext(client))
    assert (outcome.ran, outcome.failed) == (6, [])
    return layout


def test_workers_share_the_cores_without_oversubscribing(client: Client) -> None:
    from sim import _core

    expected = max(1, (os.cpu_count() or 1) // 2)
    assert set(client.run(lambda: os.environ["RAYON_NUM_THREADS"]).values()) == {str(expected)}
    assert set(client.run(_core.thread_count).values()) == {expected}


def test_each_run_equals_the_same_run_alone(tiny_sweep: SweepLayout, tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep.sweep_file)
    assert_sweep_complete(sweep, tiny_sweep)
    for run in sweep.runs():
        alone = save_run(tmp_path / "alone", simulate(run.point.scenario, seed=run.seed))
        swept = tiny_sweep.run_dir(run)
        assert alone.relative_to(tmp_path / "alone") == swept.relative_to(tiny_sweep.runs_root)
        for name in ("scenario.yaml", "daily.parquet", "creators.parquet", "fans.parquet"):
            assert (alone / name).read_bytes() == (swept / name).read_bytes(), name
        summaries = [json.loads((d / "summary.json").read_text()) for d in (alone, swept)]
        assert summaries[0]["kpis"] == summaries[1]["kpis"]
    # and as `ecosim run` makes it, for one run
    run = sweep.runs()[-1]
    overrides = [f"--set={path}={value}" for path, value in TINY.items()]
    overrides.append("--set=traffic.ordinary_floor=null")
    cli = start_ecosim(
        "run", BASELINE, *overrides, "--set=traffic.gini_cap=null", "--seed", str(run.seed),
        "--out", tmp_path / "cli", "--quiet",
    )  # fmt: skip
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, err
    directory = Path(out.splitlines()[-1])
    assert directory.relative_to(tmp_path / "cli") == tiny_sweep.run_dir(run).relative_to(
        tiny_sweep.runs_root
    )
    for name in ("scenario.yaml", "daily.parquet", "creators.parquet"):
        assert (directory / name).read_bytes() == (tiny_sweep.run_dir(run) / name).read_bytes()


def test_rerun_skips_finished_runs_and_adopts_unrecorded_ones(
    client: Client, tiny_sweep: SweepLayout, tmp_path: Path
) -> None:
    sweep = load_sweep(tiny_sweep.sweep_file)
    with Ledger.open(tiny_sweep.ledger_file) as ledger:
        again = run_sweep(sweep, tiny_sweep, ledger, no_cluster)
    assert (again.recorded, again.adopted, again.ran) == (6, 0, 0)

    copy = SweepLayout(tmp_path / tiny_sweep.root.name)
    subprocess.run(["cp", "-a", str(tiny_sweep.root), str(copy.root)], check=True)
    copy.ledger_file.unlink()  # as if killed after the runs were saved, before recording
    torn = copy.run_dir(sweep.runs()[4])  # and one run killed while it was being written
    (torn / "summary.json").unlink()
    (torn / ".daily.parquet.12345.tmp").write_bytes(b"PAR1 half a file")
    with Ledger.open(copy.ledger_file) as ledger:
        resumed = run_sweep(sweep, copy, ledger, lambda runs: contextlib.nullcontext(client))
    assert (resumed.recorded, resumed.adopted, resumed.ran, resumed.failed) == (0, 5, 1, [])
    assert_sweep_complete(sweep, copy)


def test_a_killed_worker_does_not_stop_the_sweep(client: Client, tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, {"traffic.gini_cap": [0.4, 0.6]}, 4, SLOWER))
    layout = prepare(sweep, tmp_path / "out")
    address, victim = min(client.run(os.getpid).items(), key=lambda item: item[1])
    busy_when_killed: list[object] = []
    killed: list[int] = []

    def kill_a_worker(outcome: SweepOutcome, run: Run | None) -> None:
        # Once: a run the victim saved before dying is adopted on the rerun, and that
        # reports again with the same count of runs made.
        if outcome.ran == 1 and not killed:
            busy_when_killed.extend(client.processing()[address])  # type: ignore[no-untyped-call]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    try:
        with Ledger.open(layout.ledger_file) as ledger:
            outcome = run_sweep(
                sweep, layout, ledger, lambda runs: contextlib.nullcontext(client), kill_a_worker
            )
    finally:
        client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for later tests
    assert busy_when_killed, "the worker should have been killed in the middle of a run"
    # A run the victim had saved but not reported is adopted when its task runs again.
    assert (outcome.ran + outcome.adopted, outcome.failed) == (len(sweep.runs()), [])
    assert victim not in client.run(os.getpid).values()
    assert_sweep_complete(sweep, layout)


def dask_cli(*args: str | Path) -> subprocess.Popen[bytes]:
    """Start ``dask <args>`` as an operator would on a cluster (in its own process group)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAYON_NUM_THREADS": "1"}
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("dask")), *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_sweep_on_a_cluster_found_by_its_scheduler_file_logs_each_run(tmp_path: Path) -> None:
    """The cluster of the README: ``dask scheduler --scheduler-file`` and a ``dask worker``
    started beside the sweep (which waits for the file); stderr is a pipe, not a terminal,
    so progress is one line per finished run."""
    pytest.importorskip("distributed")
    path = write_sweep(tmp_path, {"traffic.gini_cap": [0.3, None]}, seeds=2)
    sweep = load_sweep(path)
    scheduler_file = tmp_path / "scheduler.json"
    sweep_process = start_ecosim(
        "sweep", path, "--scheduler-file", scheduler_file, "--out", tmp_path
    )
    loopback = ("--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0")
    cluster = [
        dask_cli("scheduler", "--scheduler-file", scheduler_file, "--port", "0", *loopback),
        dask_cli("worker", "--scheduler-file", scheduler_file, "--nthreads", "1", *loopback),
    ]
    try:
        out, err = sweep_process.communicate(timeout=180)
    finally:
        for process in cluster:
            os.killpg(process.pid, signal.SIGTERM)
        for process in cluster:
            process.wait(timeout=60)
    assert sweep_process.returncode == 0, err
    assert "4 finished (4 now, 0 before, 0 adopted), 0 failed" in out
    layout = SweepLayout(tmp_path / sweep.directory_name)
    assert_sweep_complete(sweep, layout)
    lines = err.splitlines()
    assert len(lines) == 1 + len(sweep.runs()), err
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 sweep tiny \[\d+:\d\d:\d\d\]: "
    assert re.fullmatch(stamp + "4 runs, 0 finished before, 4 to make", lines[0]), lines[0]
    seen = set()
    for count, line in enumerate(lines[1:], start=1):
        match = re.fullmatch(
            stamp + rf"{count}/4 runs finished; point (\d) \((.+)\), seed (\d+): made", line
        )
        assert match, line
        point = sweep.points[int(match[1])]
        assert match[2] == point.label
        seen.add((point.index, int(match[3])))
    assert seen == {(run.point.index, run.seed) for run in sweep.runs()}


def test_progress_lines_name_adopted_and_failed_runs(tiny_sweep: SweepLayout) -> None:
    from sim.commands.sweep import progress_lines

    sweep = load_sweep(tiny_sweep.sweep_file)
    runs = sweep.runs()
    stream = io.StringIO()
    write = progress_lines(sweep, stream)
    outcome = SweepOutcome(runs=len(runs), recorded=2)
    write(outcome, None)
    outcome.adopted += 1
    write(outcome, runs[2])
    outcome.ran += 1
    write(outcome, runs[3])
    outcome.failed.append((runs[4], "OSError: disk full"))
    write(outcome, runs[4])
    ends = [line.split("]: ", 1)[1] for line in stream.getvalue().splitlines()]
    label = sweep.points[0].label
    assert ends == [
        "6 runs, 2 finished before, 4 to make",
        f"3/6 runs finished; point 0 ({label}), seed {runs[2].seed}: adopted",
        f"4/6 runs finished; point 1 (traffic.gini_cap=null), seed {runs[3].seed}: made",
        f"4/6 runs finished, 1 failed; point 0 ({label}), seed {runs[4].seed}: "
        "failed: OSError: disk full",
    ]


def test_progress_is_a_bar_on_a_terminal(tiny_sweep: SweepLayout, tmp_path: Path) -> None:
    """With stderr a terminal, the progress is a bar (here of a finished sweep: no cluster
    starts), not lines; ``--quiet`` silences both."""
    subprocess.run(["cp", "-a", str(tiny_sweep.root), str(tmp_path)], check=True)
    sweep_file = tmp_path / tiny_sweep.root.name / "sweep.yaml"
    outputs = []
    for quiet in ((), ("--quiet",)):
        controller, terminal = pty.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns
        process = start_ecosim("sweep", sweep_file, "--out", tmp_path, *quiet, stderr=terminal)
        os.close(terminal)
        written = b""
        with contextlib.suppress(OSError):  # EIO once the process has closed the terminal
            while chunk := os.read(controller, 4096):
                written += chunk
        os.close(controller)
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0 and "6 finished (0 now, 6 before" in out
        outputs.append(written.decode("utf-8", errors="replace"))
    bar, quiet_output = outputs
    assert re.search(r"\| \d/6 \[.*run/s\]", bar) and "finished before" not in bar, bar
    assert quiet_output == ""


def test_scheduler_file_errors_name_the_option(tmp_path: Path) -> None:
    from sim.sweeps.cluster import scheduler_address

    path = tmp_path / "scheduler.json"
    with pytest.raises(ScenarioError, match=r"^--scheduler-file: .*scheduler.json does not exist"):
        scheduler_address(path, wait=0.2)
    path.write_text('{"type": "Scheduler", "addr', encoding="utf-8")  # being written
    with pytest.raises(ScenarioError, match="is not a Dask scheduler file"):
        scheduler_address(path, wait=0.2)
    path.write_text('{"address": "tcp://127.0.0.1:8786"}', encoding="utf-8")
    assert scheduler_address(path, wait=0) == "tcp://127.0.0.1:8786"


def test_scheduler_and_scheduler_file_exclude_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_sweep(tmp_path, {}, seeds=1)
    code = main(["sweep", str(path), "--scheduler", "tcp://x:1", "--scheduler-file", "f.json"])
    assert code == 2
    assert "--scheduler-file: not allowed with argument --scheduler" in capsys.readouterr().err


# --- the report -------------------------------------------------------------------------


def test_report_gives_mean_and_t_interval_per_point(
    tiny_sweep: SweepLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    stats = pytest.importorskip("scipy.stats")
    assert main(["report", str(tiny_sweep.root)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == str(tiny_sweep.root / "report.md")
    summary = pd.read_parquet(tiny_sweep.root / "summary.parquet")
    kpis = pd.read_parquet(tiny_sweep.root / "kpis.parquet")
    assert list(summary["point"]) == [0, 1] and list(summary["runs"]) == [3, 3]
    assert summary["traffic.gini_cap"].iloc[0] == 0.3 and pd.isna(summary["traffic.gini_cap"][1])
    for point in (0, 1):
        values = kpis.loc[kpis["point"] == point, "exposure_gini_mean"].to_numpy()
        half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
        row = summary.iloc[point]
        assert row["exposure_gini_mean_mean"] == pytest.approx(values.mean())
        assert row["exposure_gini_mean_ci_low"] == pytest.approx(values.mean() - half, rel=1e-3)
        assert row["exposure_gini_mean_ci_high"] == pytest.approx(values.mean() + half, rel=1e-3)
    # the cap holds at point 0 (0.3); with no cap, exposure is more concentrated
    assert summary["exposure_gini_max_mean"][0] <= 0.3 + 1e-9
    assert summary["exposure_gini_mean_mean"][1] > summary["exposure_gini_mean_mean"][0]
    report = (tiny_sweep.root / "report.md").read_text(encoding="utf-8")
    assert "## exposure_gini_mean" in report and "| null | 3 |" in report
    plots = {path.stem for path in (tiny_sweep.root / "plots").glob("*.png")}
    assert plots == {c.removesuffix("_mean") for c in summary.columns if c.endswith("_mean")}
    assert (tiny_sweep.root / "plots" / "gmv_real_total.png").read_bytes()[:4] == b"\x89PNG"


def test_parquet_files_of_a_sweep_join_in_duckdb(tiny_sweep: SweepLayout) -> None:
    duckdb = pytest.importorskip("duckdb")
    root = tiny_sweep.root.as_posix()
    query = f"""
        select r."traffic.gini_cap" as gini_cap, count(distinct d.seed) as seeds,
               max(d.day) + 1 as days
        from '{root}/runs.parquet' r
        join read_parquet('{root}/runs/*/*/daily.parquet', hive_partitioning = true) d
          on r.run_dir = format('runs/scenario={{}}/seed={{}}', d.scenario, d.seed)
        group by all order by gini_cap nulls last
    """
    assert duckdb.sql(query).fetchall() == [(0.3, 3, 15), (None, 3, 15)]


def test_report_of_a_directory_that_is_no_sweep_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "SWEEP_DIR: " in capsys.readouterr().err


def test_help_lists_sweep_and_report(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "sweep" in out and "report" in out
