"""The Streamlit app, page by page, with Streamlit's AppTest (no browser): levers and their
checks, links that restore a view, saved and pinned policies, runs against the baseline
with intervals, Compare for three policies and its report, response curves through the
sweep machinery, Results listing the app's runs, and the Model page.

Runs use the baseline at the app's ``tiny`` resolution (5k fans) for 30 days."""

from __future__ import annotations

import json
import math
import os
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import sim
from app import jobs, kpis, levers, policies, report, streaming
from sim.commands.app import command_line
from sim.commands.cli import build_parser
from sim.metrics.display import kpi_display

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "app" / "main.py")
BASELINE = ROOT / "scenarios" / "baseline.yaml"
DAYS = 30
TINY = {"res": "tiny", "days": str(DAYS), "seeds": "2"}
RUN = "btn.explore.run"


@pytest.fixture(scope="module", autouse=True)
def app_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Runs, policies and sweeps of the app go to a temporary directory."""
    root = tmp_path_factory.mktemp("app")
    paths = {
        jobs.RUNS_ENV: root / "runs",
        policies.POLICIES_ENV: root / "policies",
        "ECOSIM_APP_SWEEPS": root / "sweeps",
    }
    previous = {name: os.environ.get(name) for name in [*paths, jobs.PREWARM_ENV]}
    os.environ.update({name: str(path) for name, path in paths.items()})
    os.environ[jobs.PREWARM_ENV] = "0"  # most tests open the full-size baseline
    yield paths
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def open_app(page: str | None = None, **params: str) -> AppTest:
    """The app after its first run with the link's query parameters, on ``page``."""
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.query_params.update(params)
    if page is not None:  # open the link on that page, as a browser would
        at.switch_page(page)
    at.run()
    assert_no_exception(at)
    return at


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def errors(at: AppTest) -> list[str]:
    return [str(error.value) for error in at.error]


def tiny_baseline(days: int = DAYS) -> sim.Scenario:
    return policies.at_resolution(sim.load_scenario(BASELINE), "tiny")


def direct(scenario: sim.Scenario, seeds: tuple[int, ...]) -> list[sim.RunResult]:
    return [sim.simulate(jobs.with_run(scenario, seed, DAYS)) for seed in seeds]


def vega_specs(at: AppTest) -> dict[str, dict[str, Any]]:
    """The page's Vega-Lite specs by title, each with its datasets as DataFrames."""
    found = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        spec["datasets"] = {
            data.name: pa.ipc.open_stream(data.data.data).read_pandas()
            for data in element.proto.datasets
        }
        title = spec.get("title") or spec.get("layer", [{}])[0].get("title", "")
        found[str(title)] = spec
    return found


def button(at: AppTest, label: str) -> Any:
    (found,) = [b for b in at.button if b.label == label]
    return found


# -- levers ------------------------------------------------------------------------------


def test_policy_levers_are_sliders_and_toggles_whose_help_names_the_channel() -> None:
    at = open_app()
    sliders = {s.key: s for s in at.slider}
    for path in levers.POLICY_LEVERS:
        lever = levers.by_path()[path]
        assert lever.channel, path
        key = levers.widget_key("explore", path)
        if path in levers.SLIDERS:
            assert sliders[key].help.count(f"**Channel:** {lever.channel}") == 1, path
    assert at.toggle(key="explore.commerce.source_goods").value is False
    assert at.toggle(key="explore.traffic.gini_cap.none").label == "no cap"
    assert at.toggle(key="explore.traffic.ordinary_floor.none").label == "no floor"
    world = at.number_input(key="explore.population.views_mean")
    assert "Not a policy lever" in world.help
    assert any("baseline: **0.6**" in c.value for c in at.caption)


def test_clearing_the_cap_gives_no_cap_and_a_run_without_one() -> None:
    at = open_app(**TINY)
    at.toggle(key="explore.traffic.gini_cap.none").set_value(True).run()
    assert at.slider(key="explore.traffic.gini_cap").disabled
    assert "traffic.gini_cap=none" in "&".join(f"{k}={v}" for k, v in at.query_params.items())
    at.button(key=RUN).click().run()
    assert_no_exception(at)
    job: jobs.Job = at.session_state["explore.job"]
    edited = job.policies["baseline (edited)"]
    assert edited.traffic.gini_cap is None and job.policies["baseline"].traffic.gini_cap == 0.6
    cards = {m.label: m.value for m in at.metric}
    assert cards[streaming.CARD_TITLES["cap_binding_days"]] == f"0 of {DAYS} days"


def test_reset_puts_a_lever_back_to_the_baseline() -> None:
    at = open_app()
    at.slider(key="explore.traffic.gini_cap").set_value(0.42).run()
    assert any("changed" in c.value for c in at.caption)
    at.button(key="btn.explore.reset.traffic.gini_cap").click().run()
    assert at.slider(key="explore.traffic.gini_cap").value == pytest.approx(0.6)
    assert at.button(key="btn.explore.reset.traffic.gini_cap").disabled


@pytest.mark.parametrize(
    ("widget", "key", "value", "expected"),
    [
        ("number_input", "population.views_mean", 40.0, "must be greater than"),
        ("text_input", "traffic.stage_quotas", "5000, lots", "must be whole numbers"),
        ("text_input", "name", "Not A Slug", "must be a slug"),
    ],
)
def test_an_invalid_value_blocks_run_with_a_message_where_it_was_typed(
    widget: str, key: str, value: object, expected: str
) -> None:
    at = open_app()
    getattr(at, widget)(key=f"explore.{key}").set_value(value).run()
    assert_no_exception(at)
    assert at.button(key=RUN).disabled
    found = errors(at)
    assert any(m.startswith(f"`{key}`: {expected}") for m in found), found  # under the widget
    assert any(m.startswith("Run is blocked") and f"`{key}`" in m for m in found), found


def test_a_scenario_too_big_for_memory_blocks_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.scenario import memory

    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 4 * 2**30)
    at = open_app()
    at.number_input(key="explore.population.fans").set_value(50_000_000).run()
    assert at.button(key=RUN).disabled
    assert any("Refused" in m and "memory" in m for m in errors(at))


# -- links, saved and pinned policies -------------------------------------------------------


def test_a_url_with_levers_restores_them() -> None:
    link = {
        "traffic.gini_cap": "0.45",
        "traffic.ordinary_floor": "none",
        "commerce.source_goods": "true",
        "name": "cap-045",
        **TINY,
    }
    at = open_app(**link)
    assert at.slider(key="explore.traffic.gini_cap").value == pytest.approx(0.45)
    assert at.toggle(key="explore.traffic.ordinary_floor.none").value is True
    assert at.toggle(key="explore.commerce.source_goods").value is True
    assert at.number_input(key="explore.seeds").value == 2
    assert at.selectbox(key="explore.days").value == DAYS
    assert at.radio(key="explore.res").value == "tiny"
    assert at.text_input(key="explore.name").value == "cap-045"
    assert {k: at.query_params[k] for k in link} == link  # the page writes the same link
    assert not at.warning


def test_a_bad_value_in_a_link_is_named_not_applied() -> None:
    at = open_app(**{"traffic.gini_cap": "1.5", "traffic.nonsense": "1"})
    warnings = [w.value for w in at.warning]
    assert any("`traffic.gini_cap`" in w and "between 0 and 1" in w for w in warnings)
    assert any("`traffic.nonsense`" in w for w in warnings)
    assert at.slider(key="explore.traffic.gini_cap").value == pytest.approx(0.6)


def test_a_saved_policy_reloads_and_can_be_pinned(app_dirs: dict[str, Path]) -> None:
    at = open_app()
    at.text_input(key="explore.name").set_value("cap-042")
    at.slider(key="explore.traffic.gini_cap").set_value(0.42).run()
    button(at, "Save policy").click().run()
    saved = app_dirs[policies.POLICIES_ENV] / "cap-042.yaml"
    assert sim.load_scenario(saved).traffic.gini_cap == pytest.approx(0.42)

    again = open_app()
    again.selectbox(key="explore.source").set_value("saved: cap-042").run()
    assert again.slider(key="explore.traffic.gini_cap").value == pytest.approx(0.42)
    assert again.text_input(key="explore.name").value == "cap-042"
    button(again, "Pin as baseline").click().run()
    assert again.session_state["explore.pin"] == "saved: cap-042"
    assert again.query_params["pin"] == "saved: cap-042"
    assert any("baseline: **0.42**" in c.value for c in again.caption)


BAD_UPLOADS = [
    ("gini.yaml", b"traffic:\n  gini_cap: 2\n", "traffic.gini_cap", "between 0 and 1"),
    ("typo.yaml", b"trafic:\n  gini_cap: 0.5\n", "trafic", "unknown"),
    ("latin1.yaml", "name: caf\u00e9\n".encode("latin-1"), "latin1.yaml", "not UTF-8"),
    ("huge.yaml", b"#" * (2**20 + 1), "huge.yaml", "larger than 1 MB"),
]


@pytest.mark.parametrize(("file_name", "content", "path", "reason"), BAD_UPLOADS)
def test_a_bad_upload_shows_the_field_and_the_reason(
    file_name: str, content: bytes, path: str, reason: str
) -> None:
    at = open_app()
    at.file_uploader(key="explore.upload").upload(file_name, content, "application/yaml").run()
    assert_no_exception(at)
    (message,) = errors(at)
    assert f"`{path}`" in message and reason in message, message
    assert at.slider(key="explore.traffic.gini_cap").value == pytest.approx(0.6)


def test_a_good_upload_loads_its_levers() -> None:
    at = open_app()
    text = b"name: mine\ntraffic:\n  gini_cap: 0.45\n  feed: single_column\n"
    at.file_uploader(key="explore.upload").upload("mine.yaml", text, "text/yaml").run()
    assert_no_exception(at)
    assert not errors(at)
    assert at.text_input(key="explore.name").value == "mine"
    assert at.slider(key="explore.traffic.gini_cap").value == pytest.approx(0.45)
    assert at.selectbox(key="explore.traffic.feed").value == "single_column"


def test_a_scenario_with_a_timeline_runs_with_it_and_lists_it() -> None:
    at = open_app(**{**TINY, "seeds": "1"})
    text = (
        b"name: launch\ntimeline:\n  - day: 5\n    set: {commerce.source_goods: true}\n"
        b"  - day: 400\n    set: {traffic.gini_cap: 0.5}\n"
    )
    at.file_uploader(key="explore.upload").upload("launch.yaml", text, "text/yaml").run()
    assert_no_exception(at)
    assert not errors(at)
    (expander,) = [e for e in at.expander if e.label.startswith("Timeline")]
    assert expander.label == "Timeline: 2 changes"
    listed = " ".join(m.value for m in expander.markdown)
    assert "day 5 (2019-01-06): `commerce.source_goods` false → true" in listed
    assert f"after a {DAYS}-day run" in listed
    at.slider(key="explore.traffic.gini_cap").set_value(0.45).run()  # an edit keeps it
    at.button(key=RUN).click().run()
    assert_no_exception(at)
    job = at.session_state["explore.job"]
    while not job.done:
        job.wait(60)
        job.poll()
    (result,) = job.results("launch")
    assert result.scenario.traffic.gini_cap == pytest.approx(0.45)
    assert [entry.day for entry in result.scenario.timeline] == [5, 400]
    value_for_money = result.daily["value_for_money"]
    assert value_for_money.iloc[5:].mean() > value_for_money.iloc[:5].mean()  # source goods


# -- running against the baseline -----------------------------------------------------------


@pytest.fixture(scope="module")
def explored(app_dirs: dict[str, Path]) -> AppTest:
    """Explore after running a Gini cap of 0.45 against the tiny baseline over 2 seeds."""
    at = open_app(**TINY)
    at.slider(key="explore.traffic.gini_cap").set_value(0.45).run()
    at.button(key=RUN).click().run()
    assert_no_exception(at)
    return at


def test_explore_shows_value_change_and_interval_against_the_baseline(explored: AppTest) -> None:
    job: jobs.Job = explored.session_state["explore.job"]
    seeds = jobs.seeds_for(2019, 2)
    assert job.seeds == seeds and job.done and job.paired() == 2
    base = tiny_baseline()
    edited_scenario = base.model_copy(
        update={"traffic": base.traffic.model_copy(update={"gini_cap": 0.45})}
    )
    baseline_runs, edited_runs = direct(base, seeds), direct(edited_scenario, seeds)
    table = explored.dataframe[0].value.set_index("KPI")
    assert list(table.columns) == [
        "baseline",
        "baseline (edited)",
        "baseline (edited) vs baseline",
        "baseline (edited): verdict",
    ]
    gmv = kpi_display("gmv_real_total")
    row = table.loc[gmv.label]
    expected = [
        np.mean([r.kpis["gmv_real_total"] for r in runs]) for runs in (baseline_runs, edited_runs)
    ]
    assert row["baseline"] == gmv.format(expected[0])
    assert row["baseline (edited)"] == gmv.format(expected[1])
    change = [b.kpis["gmv_real_total"] - a.kpis["gmv_real_total"]
              for a, b in zip(baseline_runs, edited_runs, strict=True)]  # fmt: skip
    mean, low, high = kpis.interval(change)
    assert row["baseline (edited) vs baseline"].startswith(gmv.format_change(mean))
    assert (
        f"({gmv.format_change(low)} … {gmv.format_change(high)})"
        in row["baseline (edited) vs baseline"]
    )
    assert list(table.index[:3]) == [
        gmv.label,
        kpi_display("orders_real_total").label,
        kpis.display("ordinary_income_median").label,
    ]
    verdicts = set(table["baseline (edited): verdict"])
    assert verdicts <= {"clear, better", "clear, worse", "clear", "within noise",
                        "too few seeds for an interval"}  # fmt: skip


def test_explore_cards_say_what_binds_and_who_earns(explored: AppTest) -> None:
    cards = {m.label: m for m in explored.metric}
    assert set(cards) == set(streaming.CARD_TITLES.values())
    assert all(kpis.meaning(name) in cards[title].help
               for name, title in streaming.CARD_TITLES.items())  # fmt: skip
    job: jobs.Job = explored.session_state["explore.job"]
    first = job.results("baseline (edited)")
    days = np.mean([kpis.binding_days(r)["cap_binding_days"] for r in first])
    assert cards[streaming.CARD_TITLES["cap_binding_days"]].value == f"{days:.0f} of {DAYS} days"


def test_explore_charts_have_titles_units_formats_and_distinct_colours(explored: AppTest) -> None:
    found = vega_specs(explored)
    change = next(spec for title, spec in found.items() if title.startswith("Change against"))
    dots = change["layer"][2]
    assert dots["encoding"]["x"]["axis"]["format"] == "+.0%"
    gini = next(spec for title, spec in found.items() if title.startswith("Exposure Gini"))
    _, line, rule = gini["layer"]
    assert line["encoding"]["y"]["axis"]["title"] == "Exposure Gini (after fairness)"
    colour = line["encoding"]["color"]
    assert colour["scale"]["domain"] == ["baseline", "baseline (edited)"]
    assert len(set(colour["scale"]["range"])) == 2
    assert colour["legend"]["labelLimit"] == 0
    assert list(gini["datasets"][rule["data"]["name"]]["gini_cap"]) == [0.45]
    gmv = next(spec for title, spec in found.items() if title.startswith("GMV"))
    assert gmv["layer"][1]["encoding"]["y"]["axis"]["format"] == "~s"
    assert any(title.startswith("Lorenz curves") for title in found)


def test_every_app_run_is_saved_and_listed_in_results_with_its_levers(
    explored: AppTest, app_dirs: dict[str, Path]
) -> None:
    summaries = list(app_dirs[jobs.RUNS_ENV].rglob("summary.json"))
    assert len(summaries) >= 4  # two policies x two seeds
    at = open_app("views/results.py")
    listing = at.dataframe[0].value
    assert {"traffic.gini_cap", "traffic.ordinary_floor", "population.fans"} <= set(listing)
    assert {"0.45", "0.6"} <= set(listing["traffic.gini_cap"])
    assert (listing["population.fans"] == "5000").any()


def test_a_revisit_is_served_from_the_store_with_an_estimate_first(explored: AppTest) -> None:
    at = open_app(**TINY, **{"traffic.gini_cap": "0.45"})
    assert any("runs are cached" in c.value for c in at.caption)
    at.button(key=RUN).click().run()
    assert any("0 runs made and 4 from the cache" in c.value for c in at.caption)
    fresh = open_app(**TINY, **{"traffic.gini_cap": "0.35"})
    assert any(c.value.startswith("Estimate: ") and "2 of 4 runs to make" in c.value
               for c in fresh.caption)  # fmt: skip


def test_stop_ends_running_runs_cleanly_and_saves_none_of_them(
    app_dirs: dict[str, Path],
) -> None:
    long = jobs.with_run(tiny_baseline(), 1, 400)
    policy = long.model_copy(update={"name": "to-stop"})
    job = jobs.start({"to-stop": policy}, (11, 12, 13), 400)
    deadline = time.monotonic() + 60
    while not any(job.day(task) > 0 for task in job.tasks) and time.monotonic() < deadline:
        time.sleep(0.05)
    job.stop()
    while not job.done and time.monotonic() < deadline:
        job.wait(0.5)
        job.poll()
    assert job.done and job.stopped
    stopped = [task.error for task in job.tasks]
    assert all(e is not None and (e.startswith("stopped after day") or e == "cancelled")
               for e in stopped), stopped  # fmt: skip
    assert not list(app_dirs[jobs.RUNS_ENV].glob("**/to-stop-*/**/summary.json"))


def test_a_lone_first_run_takes_the_sprint_worker_only_while_it_is_free(
    app_dirs: dict[str, Path],
) -> None:
    """The first seed's single run goes to the worker with a Rust thread per core; queued
    behind another run there it would wait longer than on a one-thread worker."""
    from concurrent.futures import Future

    workers = jobs.pool()
    assert workers.sprint is not None, "these tests run on 2 cores"
    deadline = time.monotonic() + 120
    while not workers.sprint_free() and time.monotonic() < deadline:
        time.sleep(0.1)  # an earlier test's run may still hold it
    policy = tiny_baseline().model_copy(update={"name": "sprinter"})
    alone = jobs.start({"sprinter": policy}, (31, 32), DAYS)
    first, second = alone.tasks
    assert first.future in workers.sprinting and second.future not in workers.sprinting
    busy: Future[sim.RunResult] = Future()  # the sprint worker taken by another job's run
    workers.sprinting.append(busy)
    try:
        queued = jobs.start({"sprinter": policy}, (33,), DAYS)
        assert queued.tasks[0].future not in workers.sprinting
    finally:
        busy.cancel()
    for job in (alone, queued):
        while not job.done:
            job.wait(0.5)
            job.poll()
    assert all(task.result is not None for job in (alone, queued) for task in job.tasks)


# -- Compare -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(app_dirs: dict[str, Path]) -> AppTest:
    at = open_app("views/compare.py")
    at.selectbox(key="compare.days").set_value(DAYS)
    at.selectbox(key="compare.res").set_value("tiny")
    at.number_input(key="compare.seeds").set_value(2).run()
    for index, (source, edits) in enumerate(
        [("baseline", ""), ("baseline", "traffic.gini_cap=0.4"), ("centralized", "")]
    ):
        at.selectbox(key=f"compare.scenario.{index}").set_value(source)
        at.text_area(key=f"compare.edits.{index}").set_value(edits)
    at.run()
    at.text_input(key="compare.name.1").set_value("cap 0.4").run()
    at.button(key="btn.compare.run").click().run()
    assert_no_exception(at)
    return at


def test_compare_shows_three_policies_in_one_table(compared: AppTest) -> None:
    (frame,) = compared.dataframe
    table = frame.value.set_index("KPI")
    assert list(table.columns[:3]) == ["baseline", "cap 0.4", "centralized"]
    assert "cap 0.4 vs baseline" in table.columns and "centralized vs baseline" in table.columns
    seeds = jobs.seeds_for(2019, 2)
    central = policies.at_resolution(sim.load_scenario(ROOT / "scenarios/centralized.yaml"),
                                      "tiny")  # fmt: skip
    expected = np.mean([r.kpis["exposure_gini_mean"] for r in direct(central, seeds)])
    shown = kpi_display("exposure_gini_mean")
    assert table.loc[shown.label, "centralized"] == shown.format(expected)
    assert str(table.loc[kpi_display("ordinary_share_mean").label, "baseline"]).endswith("%")
    assert str(table.loc[gmv_label(), "baseline"]).startswith("¥")


def gmv_label() -> str:
    return kpi_display("gmv_real_total").label


def test_compare_exports_a_self_contained_html_report(compared: AppTest) -> None:
    (download,) = compared.get("download_button")
    assert download.proto.label == "Export the comparison (HTML report)"
    job: jobs.Job = compared.session_state["compare.job"]
    rows = kpis.compare(
        {p: [kpis.planner_kpis(r) for r in job.results(p)] for p in job.policies}, "baseline"
    )
    text = report.comparison_html(rows, "baseline", {p: job.results(p) for p in job.policies},
                                  ["exposure_gini"])  # fmt: skip
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 2
    assert "<script" not in text and "http" not in text.split("<svg", 1)[0].lower()
    assert gmv_label() in text and "cap 0.4 vs baseline" in text


def test_compare_series_chart_has_full_legends_and_formatted_axes(compared: AppTest) -> None:
    found = vega_specs(compared)
    gmv = next(spec for title, spec in found.items() if title.startswith("GMV"))
    line = gmv["layer"][1]
    assert line["encoding"]["color"]["scale"]["domain"] == ["baseline", "cap 0.4", "centralized"]
    assert line["encoding"]["color"]["legend"]["labelLimit"] == 0
    axis = line["encoding"]["y"]["axis"]
    assert (axis["format"], axis["title"]) == ("~s", "GMV, real-equivalent (¥)")
    assert axis["labelExpr"] == "'¥' + replace(datum.label, 'G', 'B')"


def test_compare_one_click_preset_and_its_link() -> None:
    at = open_app("views/compare.py")
    button(at, "Baseline vs centralized").click().run()
    assert [at.selectbox(key=f"compare.scenario.{i}").value for i in (0, 1)] == [
        "baseline",
        "centralized",
    ]
    assert at.query_params["p2"] == "centralized" and "p3" not in at.query_params
    link = {
        "count": "3",
        "p3": "source_goods",
        "n3": "my pick",
        "e3": "traffic.feed=single_column",
    }
    again = open_app("views/compare.py", **link, **TINY)
    assert again.selectbox(key="compare.scenario.2").value == "source_goods"
    assert again.text_input(key="compare.name.2").value == "my pick"
    assert again.text_area(key="compare.edits.2").value == "traffic.feed=single_column"
    assert again.selectbox(key="compare.res").value == "tiny"


def test_compare_refuses_a_bad_edit_with_its_field() -> None:
    at = open_app("views/compare.py")
    at.text_area(key="compare.edits.1").set_value("traffic.gini_cap=2").run()
    assert at.button(key="btn.compare.run").disabled
    assert any("policy 2: `traffic.gini_cap`" in m and "between 0 and 1" in m for m in errors(at))


# -- Response curves -----------------------------------------------------------------------


def test_response_curves_sweep_a_lever_on_a_local_dask_cluster(app_dirs: dict[str, Path]) -> None:
    at = open_app("views/curves.py")
    at.selectbox(key="curves.days").set_value(DAYS)
    at.selectbox(key="curves.res").set_value("tiny")
    at.number_input(key="curves.low").set_value(0.3)
    at.number_input(key="curves.high").set_value(0.9)
    at.number_input(key="curves.points").set_value(2)
    at.number_input(key="curves.seeds").set_value(2).run()
    assert at.toggle(key="curves.none").value is True  # 0.3, 0.9 and no cap
    at.button(key="btn.curves.run").click().run()
    assert_no_exception(at)
    (sweep_dir,) = list(app_dirs["ECOSIM_APP_SWEEPS"].glob("app-traffic-gini-cap-*"))
    ledger = (sweep_dir / "ledger.jsonl").read_text().splitlines()
    assert len(ledger) == 3 * 2
    index = pd.read_parquet(sweep_dir / "runs.parquet")
    assert sorted(index["traffic.gini_cap"].dropna().unique()) == [0.3, 0.9]
    found = vega_specs(at)
    curve = next(spec for title, spec in found.items() if title.startswith("GMV"))
    data = next(iter(curve["datasets"].values()))
    assert list(data["value"]) == ["0.3", "0.9", "none"] and (data["seeds"] == 2).all()
    assert (data["ci_low"] <= data["mean"] + 1e-9).all()
    tradeoff = next(spec for title, spec in found.items() if title.startswith("Trade-off"))
    assert tradeoff["layer"][3]["encoding"]["x"]["axis"]["format"] == ".2f"
    assert len(found) == len(at.multiselect(key="curves.kpis").value) + 1


# -- Model, display, statistics -------------------------------------------------------------


def test_model_page_explains_levers_and_metrics() -> None:
    at = open_app("views/model.py")
    tables = {tuple(frame.value.columns): frame.value for frame in at.dataframe}
    lever_table = tables[("lever", "baseline", "meaning")]
    assert list(lever_table["lever"]) == [
        lever.path for group in levers.levers().values() for lever in group
    ]
    assert dict(zip(*tables[("kpi", "meaning")].T.values, strict=True)) == sim.RUN_KPIS


def test_model_page_measures_the_facts_on_a_baseline_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the facts table is kept under ./runs/facts
    at = open_app("views/model.py")
    at.number_input(key="model.facts_days").set_value(4).run()
    at.button(key="model.facts_run").click().run()
    assert_no_exception(at)
    facts = [frame.value for frame in at.dataframe if "fact" in frame.value.columns][-1]
    assert "F2" in set(facts["fact"])
    assert list((tmp_path / "runs" / "facts").glob("baseline-*.csv"))


def test_every_metric_has_a_plain_title_and_unit() -> None:
    from sim.metrics import display

    assert display.missing() == []
    assert kpi_display("gmv_real_total").format(53.8e9) == "¥53.8B"
    assert kpi_display("ordinary_share_mean").format(0.9937) == "99.4%"
    assert kpi_display("complaint_rate").format_change(-0.0004) == "−0.04 pp"
    assert kpi_display("exposure_gini_mean").is_better(-0.01) is True
    assert kpi_display("average_order_value").is_better(5.0) is None


def test_intervals_are_students_t_and_clear_excludes_zero() -> None:
    from scipy import stats  # type: ignore[import-untyped]

    values = [1.0, 2.0, 4.0]
    _, low, high = kpis.interval(values)
    expected = stats.t.interval(0.95, 2, loc=np.mean(values), scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected)
    assert math.isnan(kpis.interval([3.0])[1])
    rows = kpis.compare(
        {"a": [{"x": 1.0}, {"x": 2.0}], "b": [{"x": 3.0}, {"x": 4.1}]}, reference="a"
    )
    assert [r.clear for r in rows if r.policy == "b"] == [True]


def test_binding_days_read_the_cap_against_the_plain_allocation() -> None:
    result = sim.simulate(jobs.with_run(tiny_baseline(), 5, 12))
    daily = result.daily
    counted = kpis.binding_days(result)
    assert counted["cap_binding_days"] == int((daily["exposure_gini_plain"] > 0.6 + 1e-6).sum())
    at_floor = (daily["ordinary_share"] <= 0.7 + 1e-4) | (daily["head_throttle"] < 1.0)
    assert counted["floor_binding_days"] == int(at_floor.sum())


def test_ecosim_app_serves_on_loopback_without_error_details() -> None:
    args = build_parser().parse_args(["app", "--port", "8642", "--headless"])
    command = command_line(args.address, args.port, args.headless)
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4] == MAIN
    for option in ("--server.address=127.0.0.1", "--server.port=8642",
                   "--client.showErrorDetails=false"):  # fmt: skip
        assert option in command
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] is False
