"""The ``ecosim`` command line and run directories: exit codes, one-line errors, atomic
and byte-reproducible output, nothing written on failure."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from sim.commands.cli import main
from sim.runs import directory as rundir
from sim.runs.directory import is_complete, run_directory, run_summary, write_run
from sim.scenario import memory
from sim.scenario.files import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import BASELINE, ecosim

FANS = pd.DataFrame({"fan": [0, 1], "views": [40, 70]})

TINY = [
    "--set",
    "population.fans=2000",
    "--set",
    "population.creators=200",
    "--set",
    "population.merchants=50",
    "--set",
    "population.suppliers=20",
    "--set",
    "population.scale=100000",
]


def assert_one_line_error(stderr: str, *words: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("ecosim: error: ")
    assert "Traceback" not in stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture
def bad_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ntraffic:\n  gini_cap: 1.5\n")
    return path


# --- subprocess: the real entry point ----------------------------------------------------


def test_schema_prints_valid_json_schema() -> None:
    result = ecosim("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) == {
        "name",
        "description",
        "traffic",
        "commerce",
        "population",
        "run",
        "timeline",
    }
    assert schema["$defs"]["TrafficPolicy"]["properties"]["gini_cap"]["description"]
    assert set(schema["$defs"]["TimelineEntry"]["properties"]) == {"day", "set"}


def test_check_summarises_a_scenario() -> None:
    result = ecosim("check", BASELINE, "--set", "traffic.gini_cap=0.5")
    assert result.returncode == 0, result.stderr
    scenario = load_scenario(BASELINE, ["traffic.gini_cap=0.5"])
    assert scenario.scenario_hash()[:8] in result.stdout
    assert "MiB" in result.stdout
    assert "200,000 fans" in result.stdout
    assert "traffic.gini_cap" in result.stdout and "(baseline 0.6)" in result.stdout
    assert "commerce.event_days" in result.stdout


def test_bad_scenario_exits_2_with_one_line_naming_the_field(bad_scenario: Path) -> None:
    result = ecosim("check", bad_scenario)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "traffic.gini_cap", "between 0 and 1")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("check", "no/such/file.yaml"), ("no/such/file.yaml", "no such file")),
        (("check", BASELINE, "--set", "traffic.gini_cap"), ("--set", "PATH=VALUE")),
        (("check", BASELINE, "--set", "traffic.nope=1"), ("traffic.nope", "unknown")),
        (("run", BASELINE, "--seed", "minus one"), ("run.seed",)),
        (("run",), ("SCENARIO", "ecosim run --help")),
        (("bogus",), ("invalid choice",)),
        ((), ("COMMAND",)),
    ],
)
def test_bad_input_exits_2_with_one_line(args: tuple[str | Path, ...], words: tuple[str]) -> None:
    result = ecosim(*args)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, *words)


def test_failing_run_writes_nothing(tmp_path: Path, bad_scenario: Path) -> None:
    out = tmp_path / "runs"
    result = ecosim("run", bad_scenario, "--out", out, "--quiet")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "traffic.gini_cap")
    assert not out.exists()


def test_help_lists_the_commands() -> None:
    result = ecosim("--help")
    assert result.returncode == 0
    for command in ("run", "check", "schema"):
        assert command in result.stdout


def test_run_end_to_end_with_the_model(tmp_path: Path) -> None:
    pytest.importorskip("sim.model.ecosystem")
    out = tmp_path / "runs"
    result = ecosim("run", BASELINE, "--days", "3", "--seed", "5", "--out", out, "--quiet", *TINY)
    assert result.returncode == 0, result.stderr
    directory = Path(result.stdout.strip().splitlines()[-1])
    assert directory.parent.parent == out and directory.name == "seed=5"
    assert is_complete(directory)
    daily = pd.read_parquet(directory / "daily.parquet")
    assert daily.columns[0] == "day" and len(daily) == 3
    summary = json.loads((directory / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["kpis"]


# --- in-process: the run command around a stand-in model -----------------------------------


class FakeModel:
    """The model's public surface, with trivial numbers: enough to test the plumbing."""

    fail = False

    def __init__(self, scenario: Scenario, seed: int, events: bool = False) -> None:
        self.scenario, self.seed, self.days_run = scenario, seed, 0
        self.events = None
        self.world = types.SimpleNamespace(
            catalogue=types.SimpleNamespace(initial_commerce_creators=1)
        )

    def run(
        self,
        days: int,
        progress: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        for day in range(days):
            if self.fail:
                raise RuntimeError("the model broke")
            self.days_run += 1
            if progress is not None:
                progress(day + 1, days)

    def daily_metrics(self) -> pd.DataFrame:
        return pd.DataFrame({"day": range(self.days_run), "gmv": [1.5] * self.days_run})

    def creator_table(self) -> pd.DataFrame:
        return pd.DataFrame({"creator": [0, 1], "followers": [10, 20]})

    def kpis(self) -> dict[str, float]:
        return {"gmv_real_yuan": 123456.0, "exposure_gini": 0.42, "missing": float("nan")}


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> type[FakeModel]:
    module = types.ModuleType("sim.model.ecosystem")
    module.EcosystemModel = FakeModel  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sim.model.ecosystem", module)
    summary = types.ModuleType("sim.metrics.summary")
    summary.daily_frame = FakeModel.daily_metrics  # type: ignore[attr-defined]
    summary.creator_table = FakeModel.creator_table  # type: ignore[attr-defined]
    summary.run_kpis = lambda daily, initial: FakeModel.kpis(None)  # type: ignore[attr-defined, arg-type]
    summary.fan_table = lambda model: pd.DataFrame({"fan": [0], "views": [3]})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sim.metrics.summary", summary)
    monkeypatch.setattr(FakeModel, "fail", False)
    return FakeModel


def test_run_prints_kpis_and_writes_a_complete_directory(
    tmp_path: Path, fake_model: type[FakeModel], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(BASELINE), "--days", "4", "--seed", "9", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    scenario = load_scenario(BASELINE, ["run.days=4", "run.seed=9"])
    directory = run_directory(tmp_path, scenario, 9)
    assert lines[-1] == str(directory)
    assert any("gmv_real_yuan" in line and "123,456" in line for line in lines)
    assert is_complete(directory)
    assert load_scenario(directory / "scenario.yaml") == scenario
    assert len(pd.read_parquet(directory / "daily.parquet")) == 4
    summary = json.loads((directory / "summary.json").read_text())
    assert summary["kpis"]["missing"] is None  # NaN is not JSON
    assert set(summary["versions"]) >= {"ecosim", "numpy", "mesa", "pandas", "pyarrow"}
    assert "git_commit" in summary and summary["wall_time_s"] >= 0


def test_model_failure_exits_1_with_a_hint_and_writes_nothing(
    tmp_path: Path, fake_model: type[FakeModel], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_model.fail = True
    code = main(["run", str(BASELINE), "--days", "2", "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.splitlines()) == 1 and "ECOSIM_DEBUG=1" in err and "the model broke" in err
    assert not (tmp_path / "runs").exists()


def test_debug_mode_lets_the_traceback_through(
    tmp_path: Path, fake_model: type[FakeModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_model.fail = True
    monkeypatch.setenv("ECOSIM_DEBUG", "1")
    with pytest.raises(RuntimeError, match="the model broke"):
        main(["run", str(BASELINE), "--days", "2", "--out", str(tmp_path)])


def test_memory_refusal_exits_2_before_the_model_is_built(
    tmp_path: Path,
    fake_model: type[FakeModel],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 2**30)
    monkeypatch.setattr(fake_model, "__init__", _must_not_be_called)
    out = tmp_path / "runs"
    code = main(["run", str(BASELINE), "--set", "population.fans=50_000_000", "--out", str(out)])
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, "population", "MiB")
    assert not out.exists()


def test_unwritable_output_is_refused_before_running(
    tmp_path: Path, fake_model: type[FakeModel], capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["run", str(BASELINE), "--days", "1", "--out", str(blocker / "runs")])
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, "--out", "not a directory")


def _must_not_be_called(*args: object) -> None:
    raise AssertionError("the model was built despite the memory refusal")


# --- run directories ---------------------------------------------------------------------------


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = pd.DataFrame(
        {"day": range(5), "gmv": [0.1 * d for d in range(5)], "label": list("abcde")}
    )
    creators = pd.DataFrame({"creator": [3, 1, 2], "income": [1.0, 2.0, float("nan")]})
    # A non-default index must not leak into the file.
    return daily, creators.set_index(pd.Index([10, 11, 12]))


def test_run_directory_layout() -> None:
    scenario = Scenario()
    path = run_directory(Path("out"), scenario, 7)
    assert path == Path("out") / f"scenario=baseline-{scenario.scenario_hash()[:8]}" / "seed=7"


def test_write_run_is_complete_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    scenario = Scenario()
    daily, creators = _frames()
    directory = tmp_path / "run"
    assert not is_complete(directory)
    write_run(directory, scenario, daily, creators, run_summary(scenario, 1, {"k": 1.0}, 0.5), FANS)
    assert sorted(p.name for p in directory.iterdir()) == sorted(rundir.RUN_FILES)
    assert is_complete(directory)
    pd.testing.assert_frame_equal(pd.read_parquet(directory / "daily.parquet"), daily)
    read_back = pd.read_parquet(directory / "creators.parquet")
    pd.testing.assert_frame_equal(read_back, creators.reset_index(drop=True))


def test_same_data_gives_byte_identical_parquet(tmp_path: Path) -> None:
    scenario = Scenario()
    daily, creators = _frames()
    for name in ("a", "b"):
        summary = run_summary(scenario, 1, {}, 0.0)
        write_run(tmp_path / name, scenario, daily.copy(), creators.copy(), summary, FANS)
    for file in ("daily.parquet", "creators.parquet", "scenario.yaml"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_interrupted_rewrite_is_not_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = Scenario()
    daily, creators = _frames()
    write_run(tmp_path, scenario, daily, creators, {}, FANS)
    assert is_complete(tmp_path)

    def crash(frame: pd.DataFrame) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(rundir, "parquet_bytes", crash)
    with pytest.raises(OSError, match="disk full"):
        write_run(tmp_path, scenario, daily, creators, {}, FANS)
    assert not is_complete(tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
