"""The sensitivity analysis: SALib's wiring checked on the Ishigami function (known Sobol'
indices), resuming from the cache, reproducibility, errors, and `ecosim sensitivity` end
to end on a real Dask cluster."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami  # type: ignore[import-untyped]

from sim.analysis.parameters import Parameter
from sim.analysis.sensitivity import (
    PARAMETERS,
    Point,
    Problem,
    model_problem,
    morris,
    most_influential,
    sobol,
)
from sim.commands.cli import main
from sim.scenario.errors import ScenarioError
from tests.conftest import BASELINE, small_scenario

ISHIGAMI = Problem(tuple(Parameter(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)), ("y",))
TINY = [
    "population.fans=2000",
    "population.creators=200",
    "population.merchants=20",
    "population.suppliers=6",
    "population.scale=100000",
    "population.creator_scale=100",
]
MORRIS_COLUMNS = {"parameter", "output", "mu", "mu_star", "mu_star_conf", "sigma", "mu_star_norm"}
SOBOL_COLUMNS = {"parameter", "output", "S1", "S1_conf", "ST", "ST_conf"}


def ishigami(point: Point) -> dict[str, float]:
    x = np.array([[point["x1"], point["x2"], point["x3"]]])
    return {"y": float(Ishigami.evaluate(x)[0])}


class Counting:
    """Ishigami, counting its evaluations; interrupted (as by Ctrl-C) after ``stop``."""

    def __init__(self, stop: int | None = None) -> None:
        self.calls = 0
        self.stop = stop

    def __call__(self, point: Point) -> Mapping[str, float]:
        if self.stop is not None and self.calls == self.stop:
            raise KeyboardInterrupt
        self.calls += 1
        return ishigami(point)


def test_sobol_recovers_the_ishigami_indices() -> None:
    table = sobol(ISHIGAMI, ishigami, n=1024, seed=3).set_index("parameter")
    assert set(table.reset_index().columns) == SOBOL_COLUMNS
    np.testing.assert_allclose(table["S1"], [0.314, 0.442, 0.0], atol=0.05)
    np.testing.assert_allclose(table["ST"], [0.558, 0.442, 0.244], atol=0.05)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()


def test_morris_ranks_x1_and_x2_above_x3() -> None:
    table = morris(ISHIGAMI, ishigami, trajectories=100, levels=4, seed=3)
    assert set(table.columns) == MORRIS_COLUMNS
    mu_star = table.set_index("parameter")["mu_star"]
    assert min(mu_star["x1"], mu_star["x2"]) > mu_star["x3"]
    assert table["mu_star_norm"].max() == 1.0
    assert most_influential(table, 2) == list(mu_star.sort_values(ascending=False).index[:2])
    assert "x3" not in most_influential(table, 2)


def test_an_interrupted_study_resumes_from_its_cache(tmp_path: Path) -> None:
    cache = tmp_path / "points.jsonl"
    total = 8 * (3 + 2)
    with pytest.raises(KeyboardInterrupt):
        sobol(ISHIGAMI, Counting(stop=15), n=8, seed=1, cache=cache)
    with cache.open("a", encoding="utf-8") as handle:
        handle.write('{"key": "cut short by a ki')  # a kill mid-line
    rerun = Counting()
    resumed = sobol(ISHIGAMI, rerun, n=8, seed=1, cache=cache)
    assert rerun.calls == total - 15
    again = Counting()
    pd.testing.assert_frame_equal(sobol(ISHIGAMI, again, n=8, seed=1, cache=cache), resumed)
    assert again.calls == 0
    pd.testing.assert_frame_equal(resumed, sobol(ISHIGAMI, ishigami, n=8, seed=1))
    # Another study (here another seed) in the same file shares none of its points.
    other = Counting()
    sobol(ISHIGAMI, other, n=8, seed=2, cache=cache)
    assert other.calls == total
    keys = {json.loads(line)["key"] for line in cache.read_text().splitlines()[-total:]}
    assert len(keys) == 1


def test_the_same_seed_gives_the_same_tables_and_another_seed_others() -> None:
    studies = [
        partial(morris, ISHIGAMI, ishigami, trajectories=6),
        partial(sobol, ISHIGAMI, ishigami, n=16),
    ]
    for study in studies:
        first = study(seed=7)
        pd.testing.assert_frame_equal(first, study(seed=7))
        assert not first.equals(study(seed=8))


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Problem((), ("y",)), "parameters"),
        (lambda: Problem((Parameter("a", 0, 1), Parameter("a", 0, 2)), ("y",)), "parameters[1]"),
        (lambda: Problem((Parameter("a", 1, 1),), ("y",)), "parameters[0]"),
        (lambda: Problem((Parameter("a", 0, 1, log=True),), ("y",)), "parameters[0]"),
        (lambda: Problem((Parameter("a", 0, 1),), ()), "outputs"),
        (lambda: morris(ISHIGAMI, ishigami, trajectories=0), "trajectories"),
        (lambda: morris(ISHIGAMI, ishigami, levels=3), "levels"),
        (lambda: sobol(ISHIGAMI, ishigami, n=12), "n"),
        (lambda: sobol(ISHIGAMI, lambda point: {"z": 1.0}, n=2), "outputs"),
        (
            lambda: model_problem(small_scenario(), [Parameter("traffic.nope", 0, 1)], [1], 3),
            "parameters[0]",
        ),
        (
            lambda: model_problem(
                small_scenario(), [Parameter("traffic.promote_share", 0.1, 2.0)], [1], 3
            ),
            "parameters[0]",
        ),
        (lambda: model_problem(small_scenario(), PARAMETERS, [1], 3, ("nope",)), "outputs"),
    ],
)
def test_a_bad_study_names_the_field(make: object, field: str) -> None:
    with pytest.raises(ScenarioError) as error:
        make()  # type: ignore[operator]
    assert error.value.path == field


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--trajectories", "0"], "--trajectories"),
        (["--levels", "3"], "--levels"),
        (["--sobol-n", "12"], "--sobol-n"),
        (["--top", "none"], "--top"),
        (["--seeds", "0"], "--seeds"),
        (["--workers", "0"], "--workers"),
        (["--parameters", "commerce.buy_rate,traffic.nope"], "--parameters"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    flags: list[str], field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sensitivity", str(BASELINE), "--out", str(tmp_path / "out"), *flags]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"ecosim: error: {field}")
    assert not (tmp_path / "out").exists()


def test_sensitivity_end_to_end_on_a_dask_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "study"
    sets = [part for setting in TINY for part in ("--set", setting)]
    args = ["sensitivity", str(BASELINE), "--out", str(out), *sets, "--days", "30"]
    args += ["--seeds", "1", "--trajectories", "2", "--sobol-n", "2", "--top", "2"]
    args += ["--parameters", "commerce.buy_rate,traffic.gini_cap,commerce.event_lift"]
    assert main([*args, "--workers", "2", "--quiet"]) == 0
    morris_table = pd.read_parquet(out / "morris.parquet")
    sobol_table = pd.read_parquet(out / "sobol.parquet")
    assert set(morris_table.columns) == MORRIS_COLUMNS
    assert set(sobol_table.columns) == SOBOL_COLUMNS
    assert len(morris_table) == 3 * 7 and len(sobol_table) == 2 * 7
    assert set(sobol_table["parameter"]) == set(most_influential(morris_table, 2))
    assert morris_table["mu_star"].notna().all()
    assert (out / "sensitivity.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "`commerce.buy_rate`" in printed and "GMV / day" in printed
    # Nothing is left to run: the same study finishes without reaching any cluster.
    assert main([*args, "--scheduler", "tcp://127.0.0.1:9", "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "morris.parquet"), morris_table)


def test_the_screening_covers_every_calibrated_parameter_around_the_baseline() -> None:
    from sim.analysis.calibration import load_calibration
    from sim.analysis.sensitivity import CALIBRATED
    from sim.scenario.schema import Scenario

    calibration = load_calibration(BASELINE.parent / "calibrations" / "baseline.yaml")
    screened = {parameter.path for parameter in PARAMETERS}
    assert {parameter.path for parameter in calibration.parameters} <= screened
    defaults = Scenario()
    for parameter in CALIBRATED:
        group, name = parameter.path.split(".")
        value = getattr(getattr(defaults, group), name)
        assert parameter.low < value < parameter.high, parameter.path
