"""`ecosim calibrate`: bad calibration files, a smoke calibration on a real local Dask
cluster, and resuming after SIGKILL without redoing finished trials.

The smoke calibration (scenarios/calibrations/smoke.yaml) runs a tiny platform (2,000 fans)
for 120 days: a trial takes about a second on two workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.analysis.calibration import load_calibration
from sim.commands.cli import main
from sim.scenario import safe_yaml
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from tests.conftest import ROOT, SCENARIOS

SMOKE = SCENARIOS / "calibrations" / "smoke.yaml"
SHIPPED = sorted((SCENARIOS / "calibrations").glob("*.yaml"))


def smoke_data(**changes: Any) -> dict[str, Any]:
    """The smoke calibration's data, with the scenario path made absolute."""
    data = safe_yaml.parse(SMOKE.read_text(encoding="utf-8"))
    data["scenario"] = str(SCENARIOS / "baseline.yaml")
    data.update(changes)
    return dict(data)


def write_calibration(folder: Path, data: dict[str, Any], name: str = "cal") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(safe_yaml.dump(data), encoding="utf-8")
    return path


def start_ecosim(*args: str | Path) -> subprocess.Popen[str]:
    """``python -m sim`` in its own process group, to kill it with its Dask workers."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ECOSIM_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def journal_trials(out: Path) -> pd.DataFrame:
    """The trials as the journal has them (read with Optuna, not with our code)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    path = str(out / "journal.log")
    storage = JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
    study = optuna.load_study(study_name="calibration", storage=storage)
    return pd.DataFrame(
        {
            "number": t.number,
            "state": t.state.name,
            "loss": t.value,
            "params": tuple(sorted(t.params.items())),
            "session": t.user_attrs.get("session"),
            "retry_of": t.user_attrs.get("retry_of"),
        }
        for t in study.get_trials()
    )


def complete_sequence(table: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The complete trials' (parameters, loss), in trial order: numbers aside, what an
    uninterrupted and a resumed calibration must agree on."""
    complete = table[table["state"] == "COMPLETE"].sort_values("number")
    params = ["commerce.buy_rate", "traffic.follow_page_weight"]
    return [tuple(row) for row in complete[[*params, "loss"]].itertuples(index=False)]


def session_runs(out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in (out / "runs.log").read_text(encoding="utf-8").splitlines():
        session = next(f for f in line.split() if f.startswith("session=")).split("=")[1]
        counts[session] = counts.get(session, 0) + 1
    return counts


# --- calibration files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"trial": 5}, "trial", "did you mean 'trials'"),
        ({"targets": [{"fact": "F99"}]}, "targets[0].fact", "is not a fact"),
        ({"targets": [{"fact": "F7", "weight": 0}]}, "targets[0].weight", "greater than 0"),
        ({"held_out": ["F7"]}, "held_out[0]", "already a target"),
        ({"targets": [{"fact": "F7"}, {"fact": "F7"}]}, "targets[1].fact", "already"),
        (
            {"parameters": [{"path": "commerce.buy_rate", "low": 0.001, "high": 0.0001}]},
            "parameters[0]",
            "must be below high",
        ),
        (
            {
                "parameters": [
                    {"path": "commerce.buy_rate", "low": 0, "high": 1e-4, "prior": "log-uniform"}
                ]
            },
            "parameters[0]",
            "log range needs low > 0",
        ),
        (
            {"parameters": [{"path": "commerce.buy_rat", "low": 0, "high": 1}]},
            "parameters[0]",
            "not a setting",
        ),
        (
            {"parameters": [{"path": "commerce.buy_rate", "low": 0, "high": 1, "prior": "normal"}]},
            "parameters[0].prior",
            "'uniform' or 'log-uniform'",
        ),
        (
            {"parameters": [{"path": "population.fans", "low": 10, "high": 20}]},
            "parameters[0]",
            "fixed under set.population.fans",
        ),
        ({"set": {"population.fanz": 10}}, "set.population.fanz", "did you mean 'fans'"),
        ({"set": {"population.fans": -1}}, "set.population.fans", "between"),
        ({"seeds": 0}, "seeds", "between 1 and"),
        ({"scenario": "missing.yaml"}, "scenario", "no such file"),
    ],
)
def test_bad_calibration_file_exits_2_naming_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    path = write_calibration(tmp_path, smoke_data(**changes))
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ecosim: error: {field}: "), err
    assert words in err
    assert not out.exists()


def test_a_missing_key_is_named() -> None:
    with pytest.raises(ScenarioError, match=r"^trials: is required"):
        load_calibration(safe_yaml.dump({k: v for k, v in smoke_data().items() if k != "trials"}))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_calibrations_are_valid(path: Path) -> None:
    calibration = load_calibration(path)
    assert calibration.name == path.stem
    assert calibration.description.strip()


def test_the_loss_caps_each_miss() -> None:
    calibration = load_calibration(SMOKE)
    from sim.analysis.facts import RunFacts

    nothing = RunFacts(values={})  # every fact missing: each target misses by infinity
    fit = calibration.fit([nothing, nothing])
    assert fit.loss == 5.0 * len(calibration.targets)


# --- on a real local cluster --------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke calibration, uninterrupted, in this process (its cluster closed after)."""
    pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("smoke") / "out"
    assert main(["calibrate", str(SMOKE), "--workers", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_smoke_calibration_writes_trials_best_scenario_and_report(smoke_run: Path) -> None:
    calibration = load_calibration(SMOKE)
    trials = pd.read_parquet(smoke_run / "trials.parquet")
    assert list(trials["number"]) == list(range(calibration.trials))
    assert set(trials["state"]) == {"COMPLETE"}
    assert {"loss", "commerce.buy_rate", "F7", "F7_miss", "F2b", "F10a"} <= set(trials.columns)
    assert trials["F2b"].notna().all()  # held out, so its companion runs were made
    # the loss is the capped, weighted sum of the targets' misses
    targets = [target.fact for target in calibration.targets]
    expected = trials[[f"{fact}_miss" for fact in targets]].clip(upper=5).sum(axis=1)
    assert trials["loss"].to_numpy() == pytest.approx(expected.to_numpy())
    # best.yaml is the base scenario (its own resolution, not the trials') with the best values
    best = trials.sort_values(["loss", "number"]).iloc[0]
    scenario = load_scenario(smoke_run / "best.yaml")
    assert scenario.commerce.buy_rate == pytest.approx(best["commerce.buy_rate"])
    assert scenario.traffic.follow_page_weight == pytest.approx(best["traffic.follow_page_weight"])
    assert scenario.population.fans == load_scenario(SCENARIOS / "baseline.yaml").population.fans
    report = (smoke_run / "report.md").read_text(encoding="utf-8")
    assert f"## Best trial: {best['number']}," in report
    assert "## Held-out facts" in report and "| F10a |" in report
    assert "`commerce.buy_rate`" in report and "identified" in report
    assert (smoke_run / "plots" / "loss.png").stat().st_size > 0
    assert (smoke_run / "plots" / "commerce.buy_rate.png").stat().st_size > 0
    assert sum(session_runs(smoke_run).values()) == calibration.trials * 2
    assert not list(smoke_run.glob(".*.tmp"))


def test_killed_calibration_resumes_without_redoing_finished_trials(
    smoke_run: Path, tmp_path: Path
) -> None:
    calibration = load_calibration(SMOKE)
    out = tmp_path / "out"
    args = ("calibrate", SMOKE, "--workers", "2", "--out", out, "--quiet")
    first = start_ecosim(*args)
    deadline = time.monotonic() + 120
    while first.poll() is None:
        assert time.monotonic() < deadline, "the calibration made no progress"
        try:
            if (pd.read_parquet(out / "trials.parquet")["state"] == "COMPLETE").any():
                break
        except (FileNotFoundError, OSError):
            pass
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL
    before = journal_trials(out)
    finished = before[before["state"] == "COMPLETE"]
    assert 1 <= len(finished) < calibration.trials, "the kill came too late to test a resume"

    second = start_ecosim(*args)
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    assert stdout.splitlines()[-1] == str(out)
    after = journal_trials(out)
    complete = after[after["state"] == "COMPLETE"]
    assert len(complete) == calibration.trials
    # the trials finished before the kill are kept as they were (numbers, points, losses,
    # the session that made them) ...
    kept = complete.set_index("number").loc[finished["number"]]
    assert list(kept["params"]) == list(finished["params"])
    assert list(kept["loss"]) == list(finished["loss"])
    assert list(kept["session"]) == list(finished["session"])
    # ... and not run again: the rerun made the runs of the other trials only
    (first_session,) = set(finished["session"])
    runs = session_runs(out)
    (second_session,) = set(runs) - {first_session}
    assert runs[second_session] == (calibration.trials - len(finished)) * 2
    # every trial left running was failed; its point was rerun once in its place, or drawn
    # again there when the kill came while the point was being drawn (some parameters only)
    stale = after[(after["state"] == "FAIL")]
    whole = stale[[len(p) == len(calibration.parameters) for p in stale["params"]]]
    assert sorted(after["retry_of"].dropna().astype(int)) == sorted(whole["number"])
    # so the resumed calibration made the same trials as the uninterrupted one
    table = pd.read_parquet(out / "trials.parquet")
    assert complete_sequence(table) == complete_sequence(
        pd.read_parquet(smoke_run / "trials.parquet")
    )


def test_a_changed_calibration_is_refused_unless_restarted(
    smoke_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    subprocess.run(["cp", "-a", str(smoke_run), str(out)], check=True)
    data = smoke_data()
    data["parameters"][0]["high"] = 0.0003
    changed = write_calibration(tmp_path, data)
    assert main(["calibrate", str(changed), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("ecosim: error: parameters: differs from")

    data["trials"] = 2
    shorter = write_calibration(tmp_path, data)
    assert main(["calibrate", str(shorter), "--out", str(out), "--restart", "--quiet"]) == 0
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 2 and (trials["commerce.buy_rate"] <= 0.0003).all()
    assert len(session_runs(out)) == 1  # the old runs' log went with the old trials


def test_a_trial_killed_while_drawing_its_point_is_drawn_again_in_its_place() -> None:
    import optuna

    from sim.analysis.calibration.study import STALE, next_place, retry_stale

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    whole = study.ask()
    whole.suggest_float("a", 0, 1)
    whole.suggest_float("b", 0, 1)
    partial = study.ask()
    partial.suggest_float("a", 0, 1)  # killed before "b" was drawn
    assert next_place(study) == 2
    assert retry_stale(study, ["a", "b"]) == [0, 1]
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["FAIL", "FAIL", "WAITING"]
    assert all(t.user_attrs.get(STALE) for t in trials[:2])
    assert trials[2].user_attrs["retry_of"] == 0
    assert trials[2].system_attrs["fixed_params"] == whole.params
    assert next_place(study) == 1  # the retry of 0 stands at place 0; 1 is drawn again next
