"""The Streamlit app, page by page, with Streamlit's AppTest (no browser): set widgets,
submit, and check the KPIs against a direct model run, the chart specs, the downloads,
and that bad input shows the field and the reason instead of a traceback."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import charts, downloads, levers, results_db, runs
from sim.commands.app import command_line
from sim.commands.cli import build_parser
from sim.commands.tables import format_number
from sim.metrics.catalogue import DAILY_METRICS, RUN_KPIS
from sim.model.ecosystem import EcosystemModel
from sim.runs.run import save_run, simulate
from sim.scenario import memory
from sim.scenario.files import load_scenario, parse_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "app" / "main.py")
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = {
    "population.fans": 5000,
    "population.creators": 500,
    "population.merchants": 100,
    "population.suppliers": 30,
}
"""A population small enough that a 30-day run takes well under a second."""
SMALL_EDITS = [f"{path}={value}" for path, value in SMALL.items()]
DAYS = 30
RUN_BUTTON = "FormSubmitter:explore.form-Run"
COMPARE_BUTTON = "FormSubmitter:compare.form-Compare"


# -- helpers -----------------------------------------------------------------------------


def open_app(page: str | None = None) -> AppTest:
    """The app after its first run, on ``page`` (a path like ``pages/compare.py``)."""
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert_no_exception(at)
    return at


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def direct_kpis(scenario: Scenario, seed: int | None = None) -> dict[str, float]:
    """KPIs of a run of the model itself, without the runner or the app."""
    model = EcosystemModel(scenario, seed=seed)
    model.run(scenario.run.days)
    kpis: dict[str, float] = model.kpis()
    return kpis


def vega_charts(at: AppTest) -> dict[str, dict[str, Any]]:
    """The page's Vega-Lite specs by title, each with its datasets as DataFrames."""
    found = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        spec["datasets"] = {
            data.name: pa.ipc.open_stream(data.data.data).read_pandas()
            for data in element.proto.datasets
        }
        found[_title(spec)] = spec
    return found


def _title(spec: dict[str, Any]) -> str:
    title = spec.get("title") or spec.get("layer", [{}])[0].get("title", "")
    return str(title)


def chart(found: dict[str, dict[str, Any]], start: str) -> dict[str, Any]:
    (title,) = [title for title in found if title.startswith(start)]
    return found[title]


def layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The unit specs of a chart: its layers, its faceted spec, or itself."""
    if "layer" in spec:
        return list(spec["layer"])
    if "spec" in spec:
        return [spec["spec"]]
    return [spec]


def folded(spec: dict[str, Any]) -> list[str]:
    return [name for unit in layers(spec) for t in unit.get("transform", []) for name in t["fold"]]


def error_texts(at: AppTest) -> list[str]:
    return [str(error.value) for error in at.error]


# -- Explore -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def explored() -> tuple[AppTest, Scenario]:
    """Explore after running the small baseline with a lower Gini cap and seed 7."""
    st.cache_data.clear()
    at = open_app()
    for path, value in {**SMALL, "run.days": DAYS}.items():
        at.number_input(key=f"explore.{path}").set_value(value)
    at.text_input(key="explore.run.seed").set_value("7")
    at.number_input(key="explore.traffic.gini_cap").set_value(0.5)
    at.button(key=RUN_BUTTON).click().run()
    assert_no_exception(at)
    edits = [*SMALL_EDITS, f"run.days={DAYS}", "run.seed=7", "traffic.gini_cap=0.5"]
    return at, load_scenario(BASELINE, edits)


def test_explore_kpis_match_a_direct_model_run(explored: tuple[AppTest, Scenario]) -> None:
    at, scenario = explored
    assert at.session_state["explore.run"] == scenario
    expected = direct_kpis(scenario)
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown == {card.label: card.format(expected[card.kpi]) for card in runs.KPI_CARDS}
    assert not error_texts(at)


def test_explore_charts_carry_the_metrics_and_policy_bounds(
    explored: tuple[AppTest, Scenario],
) -> None:
    at, _ = explored
    found = vega_charts(at)
    assert len(found) == 7

    gini = chart(found, "Exposure Gini per day (cap 0.5")
    assert folded(gini) == ["exposure_gini", "exposure_gini_plain"]
    line, rule = gini["layer"]
    assert (line["encoding"]["x"]["field"], line["encoding"]["y"]["field"]) == ("day", "value")
    assert rule["mark"]["type"] == "rule" and rule["encoding"]["y"]["field"] == "gini_cap"
    assert list(gini["datasets"][rule["data"]["name"]]["gini_cap"]) == [0.5]
    assert len(gini["datasets"][line["data"]["name"]]) == DAYS

    floor = chart(found, "Ordinary creators' share")
    assert folded(floor) == ["ordinary_share"]
    assert floor["layer"][1]["encoding"]["y"]["field"] == "ordinary_floor"

    lorenz = chart(found, "Lorenz curves")
    assert lorenz["facet"]["column"]["field"] == "measure"
    encoding = lorenz["spec"]["encoding"]
    assert (encoding["x"]["field"], encoding["y"]["field"]) == ("population_share", "value_share")
    curves = next(iter(lorenz["datasets"].values()))
    assert set(curves["measure"]) == {"exposure", "followers", "income"}
    assert set(curves["moment"]) == {"day 1", f"day {DAYS}", "equality"}

    gmv = chart(found, "GMV and orders")
    assert [unit["encoding"]["y"]["field"] for unit in gmv["layer"]] == ["gmv_real", "orders_real"]
    assert gmv["resolve"]["scale"]["y"] == "independent"

    followers = chart(found, "Follower distribution")
    assert followers["encoding"]["x"]["field"] == "followers_real"
    assert followers["encoding"]["x"]["scale"]["type"] == "log"
    assert followers["encoding"]["y"]["scale"]["type"] == "log"

    assert folded(chart(found, "Median monthly income by follower tier")) == list(
        charts.INCOME_TIERS.values()
    )
    assert folded(chart(found, "Creators entering and leaving")) == [
        "entering_creators",
        "leaving_creators",
    ]


def test_explore_offers_the_scenario_and_daily_metrics(
    explored: tuple[AppTest, Scenario],
) -> None:
    at, scenario = explored
    labels = sorted(button.proto.label for button in at.get("download_button"))
    assert labels == ["Daily metrics (CSV)", "Daily metrics (Parquet)", "Scenario (YAML)"]
    yaml_file = downloads.scenario_file(scenario)
    assert parse_scenario(yaml_file.data.decode()) == scenario
    daily = simulate(scenario).daily
    csv, parquet = downloads.daily_files(daily, "x")
    assert pd.read_csv(io.BytesIO(csv.data)).shape == daily.shape
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(parquet.data)), daily)


def test_explore_runs_without_a_cap_or_floor() -> None:
    at = open_app()
    at.selectbox(key="explore.shipped").set_value("centralized").run()
    assert at.number_input(key="explore.traffic.gini_cap").value is None
    for path, value in {**SMALL, "run.days": 5}.items():
        at.number_input(key=f"explore.{path}").set_value(value)
    at.button(key=RUN_BUTTON).click().run()
    assert_no_exception(at)
    assert at.session_state["explore.run"].traffic.gini_cap is None
    found = vega_charts(at)
    assert "layer" not in chart(found, "Exposure Gini per day (no cap)")
    assert "layer" not in chart(found, "Ordinary creators' share of impressions (no floor)")


def test_explore_revisit_is_served_from_the_cache(explored: tuple[AppTest, Scenario]) -> None:
    at, _ = explored
    at.run()
    assert any("from the cache" in caption.value for caption in at.caption)


def test_levers_and_results_survive_a_visit_to_another_page() -> None:
    at = open_app()
    at.radio(key="explore.source").set_value("an uploaded YAML file").run()
    population = "".join(f"  {path.split('.')[1]}: {value}\n" for path, value in SMALL.items())
    text = f"name: mine\npopulation:\n{population}"
    at.file_uploader(key="explore.upload").upload("mine.yaml", text.encode(), "text/yaml").run()
    at.number_input(key="explore.run.days").set_value(5)
    at.number_input(key="explore.traffic.gini_cap").set_value(0.55)
    at.button(key=RUN_BUTTON).click().run()
    kpis = [metric.value for metric in at.metric]
    assert len(kpis) == len(runs.KPI_CARDS)

    at.switch_page("views/compare.py").run()
    at.switch_page("views/explore.py").run()
    assert_no_exception(at)
    assert at.number_input(key="explore.traffic.gini_cap").value == 0.55
    assert at.number_input(key="explore.population.fans").value == SMALL["population.fans"]
    assert at.text_input(key="explore.name").value == "mine"
    assert [metric.value for metric in at.metric] == kpis


def test_explore_defaults_to_a_shortened_baseline() -> None:
    at = open_app()
    baseline = load_scenario(BASELINE)
    assert at.number_input(key="explore.run.days").value == min(baseline.run.days, runs.APP_DAYS)
    assert at.number_input(key="explore.traffic.gini_cap").value == baseline.traffic.gini_cap
    assert at.text_input(key="explore.traffic.stage_quotas").value == ", ".join(
        map(str, baseline.traffic.stage_quotas)
    )
    assert at.checkbox(key="explore.commerce.source_goods").value is False


def test_every_lever_has_a_widget_with_its_description_as_help() -> None:
    at = open_app()
    schema = Scenario.model_json_schema()
    for group, group_levers in levers.levers().items():
        ref = schema["properties"][group]["$ref"].rsplit("/", 1)[-1]
        assert [lever.name for lever in group_levers] == list(schema["$defs"][ref]["properties"])
        for lever in group_levers:
            key = levers.widget_key("explore", lever.path)
            found = [
                widget
                for kind in ("number_input", "text_input", "checkbox", "selectbox")
                for widget in getattr(at, kind)
                if widget.key == key
            ]
            assert len(found) == 1, key
            assert found[0].help.startswith(lever.description), key


BAD_UPLOADS = [
    ("gini.yaml", b"traffic:\n  gini_cap: 2\n", "traffic.gini_cap", "between 0 and 1"),
    ("typo.yaml", b"trafic:\n  gini_cap: 0.5\n", "trafic", "unknown"),
    ("list.yaml", b"- 1\n- 2\n", "list.yaml", "must be a mapping"),
    ("broken.yaml", b"traffic: [1, 2\n", "broken.yaml", "line"),
    ("latin1.yaml", "name: caf\u00e9\n".encode("latin-1"), "latin1.yaml", "not UTF-8"),
    ("huge.yaml", b"#" * (2**20 + 1), "huge.yaml", "larger than 1 MB"),
]


@pytest.mark.parametrize(("file_name", "content", "path", "reason"), BAD_UPLOADS)
def test_a_bad_upload_shows_the_field_and_the_reason(
    file_name: str, content: bytes, path: str, reason: str
) -> None:
    at = open_app()
    at.radio(key="explore.source").set_value("an uploaded YAML file").run()
    at.file_uploader(key="explore.upload").upload(file_name, content, "application/yaml").run()
    assert_no_exception(at)
    (message,) = error_texts(at)
    assert f"`{path}`" in message and reason in message, message
    assert "Traceback" not in message
    assert not at.metric


def test_a_good_upload_loads_its_levers() -> None:
    at = open_app()
    at.radio(key="explore.source").set_value("an uploaded YAML file").run()
    seed = 2**63 - 1  # sweeps draw seeds this large: more than a browser's number box holds
    text = f"name: mine\ntraffic:\n  gini_cap: 0.45\n  feed: single_column\nrun:\n  seed: {seed}\n"
    at.file_uploader(key="explore.upload").upload("mine.yaml", text.encode(), "text/yaml").run()
    assert_no_exception(at)
    assert not error_texts(at)
    assert at.text_input(key="explore.run.seed").value == str(seed)
    assert at.text_input(key="explore.name").value == "mine"
    assert at.number_input(key="explore.traffic.gini_cap").value == 0.45
    assert at.selectbox(key="explore.traffic.feed").value == "single_column"


@pytest.mark.parametrize(
    ("widget", "key", "value", "expected"),
    [
        ("text_input", "traffic.stage_quotas", "5000, lots", "`traffic.stage_quotas`: must be"),
        ("number_input", "population.views_mean", 40.0, "`population.views_mean`: must be"),
        ("text_input", "name", "Not A Slug", "`name`: must be a slug"),
        ("text_input", "run.seed", "12.5", "`run.seed`: must be a whole number"),
        ("text_input", "run.seed", "-1", "`run.seed`: must be"),
    ],
)
def test_a_bad_lever_value_shows_the_field_and_the_reason(
    widget: str, key: str, value: object, expected: str
) -> None:
    at = open_app()
    getattr(at, widget)(key=f"explore.{key}").set_value(value)
    at.button(key=RUN_BUTTON).click().run()
    assert_no_exception(at)
    (message,) = error_texts(at)
    assert expected in message, message
    assert not at.metric


def test_a_scenario_too_big_for_memory_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 4 * 2**30)
    at = open_app()
    at.number_input(key="explore.population.fans").set_value(50_000_000)
    at.button(key=RUN_BUTTON).click().run()
    assert_no_exception(at)
    (message,) = error_texts(at)
    assert "Refused" in message and "memory" in message and "`population`" in message
    assert not at.metric


# -- Compare -----------------------------------------------------------------------------


def set_policy(at: AppTest, index: int, scenario: str, edits: list[str]) -> None:
    at.selectbox(key=f"compare.scenario.{index}").set_value(scenario)
    at.text_area(key=f"compare.edits.{index}").set_value("\n".join(edits))


def test_compare_kpis_match_direct_model_runs() -> None:
    at = open_app("views/compare.py")
    set_policy(at, 0, "baseline", SMALL_EDITS)
    set_policy(at, 1, "baseline", [*SMALL_EDITS, "traffic.gini_cap=0.3"])
    at.text_input(key="compare.seeds").set_value("3, 4")
    at.number_input(key="compare.days").set_value(20)
    at.button(key=COMPARE_BUTTON).click().run()
    assert_no_exception(at)

    (table,) = [frame.value for frame in at.dataframe]
    rows = table.set_index("kpi")
    for policy, column, extra in (("a", "a_mean", []), ("b", "b_mean", ["traffic.gini_cap=0.3"])):
        scenario = load_scenario(BASELINE, [*SMALL_EDITS, *extra, "run.days=20"])
        runs_kpis = [direct_kpis(scenario, seed) for seed in (3, 4)]
        for kpi in ("gmv_real_total", "exposure_gini_mean", "orders_real_total"):
            expected = float(np.mean([k[kpi] for k in runs_kpis]))
            assert rows.loc[kpi, column] == format_number(expected), (policy, kpi)

    overlay = chart(vega_charts(at), "exposure_gini: mean across seeds")
    area, line = overlay["layer"]
    assert (area["encoding"]["y"]["field"], area["encoding"]["y2"]["field"]) == ("low", "high")
    assert line["encoding"]["y"]["field"] == "mean"
    assert line["encoding"]["color"]["field"] == "policy"
    band = next(iter(overlay["datasets"].values()))
    assert band["policy"].nunique() == 2 and len(band) == 2 * 20
    assert (band["low"] <= band["mean"] + 1e-12).all() and (
        band["mean"] <= band["high"] + 1e-12
    ).all()


def test_compare_baseline_vs_centralized_is_one_click() -> None:
    at = open_app("views/compare.py")
    at.text_input(key="compare.seeds").set_value("5")
    at.number_input(key="compare.days").set_value(3)
    at.button(key=COMPARE_BUTTON).click().run()  # keeps seeds and days in state
    at.button[0].click().run()
    assert_no_exception(at)
    assert [at.selectbox(key=f"compare.scenario.{i}").value for i in (0, 1)] == [
        "baseline",
        "centralized",
    ]
    band = next(iter(chart(vega_charts(at), "exposure_gini")["datasets"].values()))
    assert sorted(band["policy"].unique()) == ["baseline", "centralized"]
    assert any("centralized" in markdown.value for markdown in at.markdown)


def test_compare_shows_a_bad_edit_inline() -> None:
    at = open_app("views/compare.py")
    set_policy(at, 1, "baseline", ["traffic.gini_cap=2"])
    at.button(key=COMPARE_BUTTON).click().run()
    assert_no_exception(at)
    (message,) = error_texts(at)
    assert "policy 2: traffic.gini_cap" in message and "between 0 and 1" in message


# -- Results -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs_on_disk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Scenario]]:
    """Two saved runs and a sweep-style index listing one of them."""
    root = tmp_path_factory.mktemp("runs")
    scenarios = [
        load_scenario(BASELINE, [*SMALL_EDITS, "run.days=12"]),
        load_scenario(ROOT / "scenarios" / "centralized.yaml", [*SMALL_EDITS, "run.days=12"]),
    ]
    directories = [save_run(root / "sweep" / "runs", simulate(s)) for s in scenarios]
    index = pd.DataFrame(
        {
            "run": [0, 1],
            "point": [0, 1],
            "seed": [s.run.seed for s in scenarios],
            "traffic.feed": [s.traffic.feed for s in scenarios],
            "scenario_hash": [s.scenario_hash() for s in scenarios],
            "run_dir": [d.relative_to(root / "sweep").as_posix() for d in directories],
        }
    )
    index.to_parquet(root / "sweep" / results_db.SWEEP_INDEX)
    return root, scenarios


def test_results_lists_runs_and_charts_chosen_metrics(
    runs_on_disk: tuple[Path, list[Scenario]],
) -> None:
    root, scenarios = runs_on_disk
    at = open_app("views/results.py")
    at.text_input(key="results.root").set_value(str(root)).run()
    assert_no_exception(at)
    listing = at.dataframe[0].value.set_index("scenario")
    for scenario in scenarios:
        expected = direct_kpis(scenario)
        row = listing.loc[scenario.name]
        assert row["kpi.gmv_real_total"] == pytest.approx(expected["gmv_real_total"], rel=1e-12)
        assert row["traffic.feed"] == scenario.traffic.feed
        assert row["sweep"] == "sweep"

    at.multiselect(key="results.metrics").set_value(["ordinary_share", "orders_real"]).run()
    assert_no_exception(at)
    (spec,) = vega_charts(at).values()
    assert spec["facet"]["row"]["field"] == "metric"
    encoding = spec["spec"]["encoding"]
    assert (encoding["x"]["field"], encoding["y"]["field"], encoding["color"]["field"]) == (
        "day",
        "value",
        "run",
    )
    data = next(iter(spec["datasets"].values()))
    assert set(data["metric"]) == {"ordinary_share", "orders_real"}
    assert data["run"].nunique() == 2 and len(data) == 2 * 2 * 12
    baseline_orders = data[(data["metric"] == "orders_real") & data["run"].str.contains("baseline")]
    expected_orders = simulate(scenarios[0]).daily["orders_real"]
    assert baseline_orders.sort_values("day")["value"].tolist() == expected_orders.tolist()


def test_results_says_when_there_is_nothing_to_show(tmp_path: Path) -> None:
    at = open_app("views/results.py")
    at.text_input(key="results.root").set_value(str(tmp_path)).run()
    assert_no_exception(at)
    assert any("No complete runs" in info.value for info in at.info)


def test_results_query_refuses_unknown_metrics() -> None:
    with pytest.raises(ValueError, match="not daily numeric metrics"):
        results_db.daily_query(["day; DROP TABLE x"])


# -- Model -------------------------------------------------------------------------------


def facts_tables(at: AppTest) -> list[pd.DataFrame]:
    return [frame.value for frame in at.dataframe if "fact" in frame.value.columns]


def test_model_page_explains_levers_and_metrics_and_shows_the_facts() -> None:
    at = open_app("views/model.py")
    tables = {tuple(frame.value.columns): frame.value for frame in at.dataframe}
    lever_table = tables[("lever", "baseline", "meaning")]
    assert list(lever_table["lever"]) == [
        lever.path for group in levers.levers().values() for lever in group
    ]
    metric_table = tables[("metric", "meaning")]
    assert dict(zip(metric_table["metric"], metric_table["meaning"], strict=True)) == DAILY_METRICS
    kpi_table = tables[("kpi", "meaning")]
    assert dict(zip(kpi_table["kpi"], kpi_table["meaning"], strict=True)) == RUN_KPIS
    published = ROOT / "docs" / "facts.csv"
    if published.is_file():
        (shown,) = facts_tables(at)
        assert list(shown["fact"]) == list(pd.read_csv(published)["fact"])


def test_model_page_measures_the_facts_on_a_baseline_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the facts cache lives under ./runs/facts
    at = open_app("views/model.py")
    at.number_input(key="model.facts_days").set_value(4).run()
    at.button(key="model.facts_run").click().run()
    assert_no_exception(at)
    facts = facts_tables(at)[-1].set_index("fact")
    model = EcosystemModel(runs.with_days(load_scenario(BASELINE), 4))
    model.run(4)
    lowest_share = float(model.daily_metrics()["ordinary_share"].min())
    assert facts.loc["F2", "value"] == format_number(lowest_share)
    assert list((tmp_path / "runs" / "facts").glob("baseline-*.csv"))

    again = open_app("views/model.py")  # a new session reads the saved table
    again.number_input(key="model.facts_days").set_value(4).run()
    assert any("From `runs/facts/" in caption.value for caption in again.caption)
    reread = facts_tables(again)[-1].set_index("fact")
    assert str(reread.loc["F2", "value"]) == str(facts.loc["F2", "value"])


# -- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (745_774_082_205.6, "746B"),
        (8_768_799_000.0, "8.77B"),
        (4_015_307.7, "4.02M"),
        (27_217.0, "27.2K"),
        (9_999.0, "9,999"),
        (12.5, "12.50"),
        (0.0, "0"),
        (-1_500_000.0, "-1.50M"),
        (2.5e15, "2,500T"),
    ],
)
def test_kpi_numbers_are_compact_and_right(value: float, shown: str) -> None:
    assert runs.compact(value) == shown


def test_kpi_cards_say_what_they_show() -> None:
    cards = {card.kpi: card for card in runs.KPI_CARDS}
    assert cards["gmv_real_total"].format(36.0e9) == "¥36.0B"
    assert cards["ordinary_share_mean"].format(0.986) == "98.6%"
    assert cards["exposure_gini_mean"].format(0.5974) == "0.597"
    assert cards["active_creators_final"].format(27_217.0) == "27.2K"
    assert all(card.help == RUN_KPIS[card.kpi] for card in runs.KPI_CARDS)


# -- how the app is served ---------------------------------------------------------------


def test_ecosim_app_serves_on_loopback_without_error_details() -> None:
    args = build_parser().parse_args(["app", "--port", "8642", "--headless"])
    command = command_line(args.address, args.port, args.headless)
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4] == MAIN
    for option in (
        "--server.address=127.0.0.1",
        "--server.port=8642",
        "--server.headless=true",
        "--server.maxUploadSize=1",
        "--client.showErrorDetails=false",
    ):
        assert option in command
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] is False
    assert config["server"]["maxUploadSize"] == 1
    assert (config["server"]["address"], config["server"]["port"]) == ("127.0.0.1", 8501)
