"""Run directories as data sets: Hive partitions read by DuckDB, polars, pyarrow and Dask;
nullable columns that come back as nullable; bytes that depend only on the data; and every
query of the README's "Querying runs" and "Querying a sweep" sections, run as written
against real run and sweep directories, so the README cannot drift from the layout."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.runs.directory import RUN_GLOB, parquet_bytes, run_directory
from sim.runs.run import RunResult, save_run, simulate
from sim.scenario import safe_yaml
from sim.sweeps.layout import SweepLayout, prepare, write_plan
from sim.sweeps.report import write_report
from sim.sweeps.spec import load_sweep
from tests.conftest import BASELINE, ROOT, small_scenario

TINY = [
    "population.fans=2000",
    "population.creators=200",
    "population.merchants=50",
    "population.suppliers=20",
    "run.days=12",
    "commerce.event_days=[10, 11]",
]
"""A few seconds for all the runs below, with the festival inside the run."""
SEEDS = (7, 2**62 + 1)
"""A small seed, and one of the 63-bit size a sweep spawns (no int32 can hold it)."""
NULLABLE = ("exit_day", "days_to_10k", "days_to_100k", "days_to_1m")


@dataclass(frozen=True)
class Runs:
    """``root/runs/`` holding three runs: two seeds of one scenario, one of another."""

    root: Path
    results: tuple[RunResult, ...]

    def partitions(self) -> set[tuple[str, int]]:
        """(scenario, seed) of every run, as its directory names them."""
        return {(_partition(result), result.seed) for result in self.results}

    def daily(self) -> pd.DataFrame:
        """Every run's daily table with its partition columns, made without any reader."""
        frames = [
            result.daily.assign(scenario=_partition(result), seed=result.seed)
            for result in self.results
        ]
        return pd.concat(frames, ignore_index=True)


def _partition(result: RunResult) -> str:
    directory = run_directory(Path(), result.scenario, result.seed)
    return directory.parent.name.removeprefix("scenario=")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("outputs")
    baseline = small_scenario("baseline", *TINY)
    capped = small_scenario("baseline", *TINY, "traffic.gini_cap=0.4")
    results = [simulate(baseline, seed=seed) for seed in SEEDS]
    results.append(simulate(capped, seed=SEEDS[0]))
    for result in results:
        save_run(root / "runs", result)
    return Runs(root, tuple(results))


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> SweepLayout:
    """A finished 2-point x 2-seed sweep with its report, made without a cluster: each run
    saved as a worker saves it (:func:`sim.sweeps.task.run_task` calls ``save_run``)."""
    folder = tmp_path_factory.mktemp("sweep")
    settings = dict(item.split("=", 1) for item in TINY)
    data = {
        "scenario": str(BASELINE),
        "set": {path: safe_yaml.parse(value) for path, value in settings.items()},
        "sweep": {"traffic.gini_cap": [0.4, None]},
        "seeds": 2,
    }
    (folder / "tiny.yaml").write_text(safe_yaml.dump(data), encoding="utf-8")
    sweep = load_sweep(folder / "tiny.yaml")
    layout = prepare(sweep, folder / "out")
    write_plan(sweep, layout)
    for run in sweep.runs():
        save_run(layout.runs_root, simulate(run.point.scenario, seed=run.seed))
    write_report(layout.root)
    return layout


# --- the layout and the files -----------------------------------------------------------


def test_run_directories_are_hive_partitions(runs: Runs) -> None:
    found = sorted(
        path.relative_to(runs.root / "runs") for path in (runs.root / "runs").glob(RUN_GLOB)
    )
    assert found == sorted(Path(f"scenario={name}/seed={seed}") for name, seed in runs.partitions())
    assert len(runs.partitions()) == 3
    assert all(re.fullmatch(r"baseline-[0-9a-f]{8}", name) for name, _ in runs.partitions())


def test_nullable_columns_read_back_as_nullable_integers(runs: Runs) -> None:
    for path in (runs.root / "runs").glob(f"{RUN_GLOB}/creators.parquet"):
        creators = pd.read_parquet(path)
        assert {name: str(creators[name].dtype) for name in NULLABLE} == dict.fromkeys(
            NULLABLE, "Int64"
        )
        assert creators["days_to_1m"].isna().any()  # nobody gets there in 12 days
        assert str(creators["followers"].dtype) == "int64"


def test_parquet_bytes_round_trip_and_depend_only_on_the_data(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    creators = runs.results[0].creators
    encoded = parquet_bytes(creators)
    back = pd.read_parquet(io.BytesIO(encoded))
    pd.testing.assert_frame_equal(back, creators)
    assert parquet_bytes(back) == encoded
    # Another install: pyarrow would record its other version in its pandas metadata.
    monkeypatch.setattr(pa, "__version__", "1.0.0")
    assert b"1.0.0" in pa.Table.from_pandas(creators).schema.metadata[b"pandas"]
    assert parquet_bytes(creators) == encoded
    # Only the nullable columns' entries are kept, with no versions.
    metadata = pq.read_schema(io.BytesIO(encoded)).metadata
    assert set(metadata) == {b"pandas"}
    pandas = json.loads(metadata[b"pandas"])
    assert pandas == {
        "index_columns": [],
        "column_indexes": [],
        "columns": [
            {
                "name": name,
                "field_name": name,
                "pandas_type": "int64",
                "numpy_type": "Int64",
                "metadata": None,
            }
            for name in NULLABLE
        ],
    }


def test_daily_files_carry_no_schema_metadata(runs: Runs) -> None:
    """The daily table has no nullable column: its file is exactly Arrow's data and schema."""
    for path in (runs.root / "runs").glob(f"{RUN_GLOB}/daily.parquet"):
        assert pq.read_schema(path).metadata is None
        table = pq.read_table(path, partitioning=None)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        assert sink.getvalue().to_pybytes() == path.read_bytes()


# --- the README's queries ---------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    section: str
    language: str
    engine: str
    code: str


def readme_queries() -> list[Query]:
    """Every ``sql`` and ``python`` block of the README's query sections, named by the
    engine its first comment names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    queries = []
    section = ""
    for match in re.finditer(
        r"^(#{2,3}) ([^\n]+)$|^```(sql|python)\n(.*?)^```$", text, re.M | re.S
    ):
        if match[2]:
            section = match[2]
        elif section in QUERY_SECTIONS:
            code = match[4]
            engine = re.match(r"(?:--|#) ([\w.]+)", code)
            assert engine, f"a query block of {section!r} must start with its engine: {code}"
            queries.append(Query(section, match[3], engine[1], code))
    return queries


QUERY_SECTIONS = {
    "Querying runs": {"DuckDB", "polars", "pyarrow", "dask.dataframe", "pandas"},
    "Querying a sweep": {"DuckDB", "polars"},
}


def test_the_readme_has_a_query_for_every_engine() -> None:
    found: dict[str, set[str]] = {section: set() for section in QUERY_SECTIONS}
    for query in readme_queries():
        found[query.section].add(query.engine)
    assert found == QUERY_SECTIONS


def only(section: str, engine: str) -> Query:
    [query] = [q for q in readme_queries() if q.section == section and q.engine == engine]
    return query


def run_sql(code: str) -> list[pd.DataFrame]:
    duckdb = pytest.importorskip("duckdb")
    statements = [part for part in code.split(";") if part.strip(" \n") and "SELECT" in part]
    return [duckdb.sql(statement).df() for statement in statements]


def run_python(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


@pytest.fixture
def in_runs(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runs]:
    monkeypatch.chdir(runs.root)
    yield runs


def test_readme_duckdb_query_of_runs(in_runs: Runs) -> None:
    [result] = run_sql(only("Querying runs", "DuckDB").code)
    daily = in_runs.daily()
    expected = daily[daily["event_day"]].sort_values(["scenario", "seed", "day"])
    columns = ["scenario", "seed", "day", "gmv_real", "exposure_gini", "ordinary_share"]
    assert list(result.columns) == columns
    assert len(expected) == 2 * len(in_runs.results)  # the two festival days of each run
    pd.testing.assert_frame_equal(
        result, expected[columns].reset_index(drop=True), check_dtype=False
    )


def test_readme_polars_query_of_runs(in_runs: Runs) -> None:
    pl = pytest.importorskip("polars")
    found = run_python(only("Querying runs", "polars").code)
    daily, last_days = found["daily"], found["last_days"]
    assert daily.schema["scenario"] == pl.String and daily.schema["seed"] == pl.Int64
    assert daily.height == sum(len(result.daily) for result in in_runs.results)
    assert set(last_days.select("scenario", "seed").iter_rows()) == in_runs.partitions()
    assert set(last_days["day"]) == {11}


def test_readme_pyarrow_query_of_runs(in_runs: Runs) -> None:
    found = run_python(only("Querying runs", "pyarrow").code)
    daily: pa.Table = found["daily"]
    assert daily.schema.field("scenario").type == pa.string()
    assert daily.schema.field("seed").type == pa.int64()
    pairs = set(zip(daily["scenario"].to_pylist(), daily["seed"].to_pylist(), strict=True))
    assert pairs == in_runs.partitions()
    assert daily.num_rows == sum(len(result.daily) for result in in_runs.results)


def test_readme_dask_query_of_runs(in_runs: Runs) -> None:
    pytest.importorskip("dask.dataframe")
    found = run_python(only("Querying runs", "dask.dataframe").code)
    assert str(found["daily"].dtypes["seed"]) == "int64"
    gmv: pd.Series[float] = found["gmv"]
    expected = in_runs.daily().groupby(["scenario", "seed"])["gmv_real"].sum()
    pd.testing.assert_series_equal(gmv.sort_index(), expected, check_index_type=False)


def test_readme_pandas_query_of_runs(in_runs: Runs) -> None:
    found = run_python(only("Querying runs", "pandas").code)
    creators: pd.DataFrame = found["creators"]
    assert {str(creators[name].dtype) for name in NULLABLE} == {"Int64"}
    expected_runs = {f"runs/scenario={name}/seed={seed}" for name, seed in in_runs.partitions()}
    assert set(creators["run"]) == expected_runs
    assert len(creators) == sum(len(result.creators) for result in in_runs.results)
    leavers = found["leavers"]
    assert leavers["exit_day"].notna().all() and len(leavers) == creators["exit_day"].count()


@pytest.fixture
def in_sweep(sweep_dir: SweepLayout, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweepLayout]:
    monkeypatch.chdir(sweep_dir.root)
    yield sweep_dir


def test_readme_duckdb_queries_of_a_sweep(in_sweep: SweepLayout) -> None:
    per_point, series = run_sql(only("Querying a sweep", "DuckDB").code)
    kpis = pd.read_parquet(in_sweep.root / "kpis.parquet")
    assert per_point["gini_cap"].tolist()[0] == 0.4 and pd.isna(per_point["gini_cap"][1])
    assert per_point["runs"].tolist() == [2, 2]
    means = kpis.groupby("traffic.gini_cap", dropna=False)["follower_gini_final"].mean()
    assert per_point["follower_gini"].tolist() == pytest.approx(means.tolist())
    assert len(series) == 2 * 12
    expected = _daily_means(in_sweep)
    assert series["exposure_gini"].to_numpy() == pytest.approx(expected, nan_ok=True)


def test_readme_polars_query_of_a_sweep(in_sweep: SweepLayout) -> None:
    pytest.importorskip("polars")
    series = run_python(only("Querying a sweep", "polars").code)["series"]
    assert series.columns == ["traffic.gini_cap", "day", "exposure_gini"]
    assert series["traffic.gini_cap"].to_list()[::12] == [0.4, None]
    assert series["exposure_gini"].to_numpy() == pytest.approx(_daily_means(in_sweep), nan_ok=True)


def _daily_means(layout: SweepLayout) -> np.ndarray:
    """The exposure Gini per (point, day), averaged over seeds: read run by run from the
    index's run_dir, in point order."""
    index = pd.read_parquet(layout.index_file)
    frames = [
        pd.read_parquet(layout.root / run_dir / "daily.parquet").assign(point=point)
        for point, run_dir in zip(index["point"], index["run_dir"], strict=True)
    ]
    daily = pd.concat(frames)
    return daily.groupby(["point", "day"])["exposure_gini"].mean().to_numpy()
