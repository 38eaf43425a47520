"""The policy timeline: a lever changed from a given day moves the world from that day and
not before (real runs against the same seed without the change), the hooks of the levers
built into the world at day 0, validation naming the entry's field, ``ecosim check``,
the hash, the calendar, and a sweep over a base scenario with a timeline."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.metrics.summary import daily_frame
from sim.model import EcosystemModel, population
from sim.model.steps.policy import HOOKS
from sim.runs.directory import RUN_GLOB, run_name
from sim.runs.run import save_run, simulate
from sim.scenario import safe_yaml
from sim.scenario.dates import DAY_ZERO, date_of, day_of
from sim.scenario.errors import ScenarioError
from sim.scenario.files import dump_scenario, load_scenario, parse_scenario
from sim.scenario.schema import Scenario, lever_paths
from sim.scenario.timeline import TIMELINE_GROUPS
from sim.sweeps.spec import load_sweep
from tests.conftest import BASELINE, SCENARIOS, SMALL_SET, ecosim, small_scenario

DAYS = 20
CHANGE_DAY = 10


def timeline(day: int, levers: str) -> str:
    """``--set`` for a one-entry timeline: ``timeline=[{day: 10, set: {...}}]``."""
    return f"timeline=[{{day: {day}, set: {{{levers}}}}}]"


def run(*overrides: str) -> EcosystemModel:
    model = EcosystemModel(small_scenario("baseline", f"run.days={DAYS}", *overrides))
    model.run()
    return model


@pytest.fixture(scope="module")
def without() -> EcosystemModel:
    """The small baseline without a timeline: every run here is compared with it."""
    return run()


def assert_same_until(changed: EcosystemModel, control: EcosystemModel, day: int) -> None:
    """Days before ``day`` are the same rows, to the last bit."""
    a, b = daily_frame(changed), daily_frame(control)
    pd.testing.assert_frame_equal(a.iloc[:day], b.iloc[:day], check_exact=True)


# -- a lever from a given day --------------------------------------------------------------


def test_gini_cap_from_day_10_moves_the_exposure_gini_from_day_10(
    without: EcosystemModel,
) -> None:
    changed = run(timeline(CHANGE_DAY, "traffic.gini_cap: 0.3"))
    assert_same_until(changed, without, CHANGE_DAY)
    daily, control = daily_frame(changed), daily_frame(without)
    after = slice(CHANGE_DAY, None)
    assert (daily["exposure_gini"].iloc[after] <= 0.3 + 1e-9).all()
    assert (control["exposure_gini"].iloc[after] > 0.3).all()  # the old cap let it be higher
    assert changed.scenario_on(CHANGE_DAY - 1).traffic.gini_cap == 0.6
    assert changed.scenario_on(CHANGE_DAY).traffic.gini_cap == 0.3
    assert changed.config.traffic.gini_cap == 0.6  # the base scenario is kept


def test_platform_commission_from_day_10_moves_platform_revenue_from_day_10(
    without: EcosystemModel,
) -> None:
    changed = run(timeline(CHANGE_DAY, "commerce.platform_commission: 0.2"))
    assert_same_until(changed, without, CHANGE_DAY)
    daily, control = daily_frame(changed), daily_frame(without)
    assert daily["platform_revenue"].iloc[CHANGE_DAY] > control["platform_revenue"].iloc[CHANGE_DAY]


def test_a_timeline_past_the_run_or_of_unchanged_values_changes_nothing(
    without: EcosystemModel,
) -> None:
    late = run(timeline(DAYS + 5, "traffic.gini_cap: 0.3"))
    same = run(timeline(CHANGE_DAY, "traffic.gini_cap: 0.6, commerce.source_goods: false"))
    for model in (late, same):
        assert_same_until(model, without, DAYS)
        assert np.array_equal(model.world.merchants.price, without.world.merchants.price)


def test_a_day_0_entry_is_the_same_as_setting_the_lever() -> None:
    from_day_0 = run(timeline(0, "commerce.source_goods: true"))
    always = run("commerce.source_goods=true")
    assert_same_until(from_day_0, always, DAYS)


# -- levers built into the world at day 0: their hooks -------------------------------------


def test_source_goods_launch_lowers_prices_from_its_day(without: EcosystemModel) -> None:
    launch = EcosystemModel(
        small_scenario("baseline", f"run.days={DAYS}", timeline(CHANGE_DAY, SOURCE_GOODS))
    )
    launch.run(CHANGE_DAY)
    before = launch.world.merchants.price.copy()
    assert not launch.world.merchants.source_goods.any()
    launch.run(DAYS - CHANGE_DAY)
    merchants = launch.world.merchants
    assert merchants.source_goods.any()
    assert merchants.price.mean() < before.mean()
    assert np.array_equal(merchants.price[~merchants.source_goods], before[~merchants.source_goods])
    # The merchants now are what the programme makes them from day 0.
    always = run("commerce.source_goods=true")
    assert np.array_equal(merchants.price, always.world.merchants.price)
    assert np.array_equal(merchants.source_goods, always.world.merchants.source_goods)
    assert_same_until(launch, without, CHANGE_DAY)
    daily, control = daily_frame(launch), daily_frame(without)
    later = slice(CHANGE_DAY, None)
    assert daily["mean_price"].iloc[later].mean() < control["mean_price"].iloc[later].mean()
    assert daily["value_for_money"].iloc[CHANGE_DAY] > control["value_for_money"].iloc[CHANGE_DAY]


SOURCE_GOODS = "commerce.source_goods: true"


def test_middlemen_change_reprices_goods_and_the_reference_price() -> None:
    changed = run(timeline(CHANGE_DAY, "commerce.middlemen: 1"))
    fewer = run("commerce.middlemen=1")
    # Equal but for rounding: at day 0 the supplier costs are drawn through the chain.
    np.testing.assert_allclose(
        changed.world.merchants.price, fewer.world.merchants.price, rtol=1e-12
    )
    np.testing.assert_allclose(
        changed.world.catalogue.reference_price, fewer.world.catalogue.reference_price, rtol=1e-12
    )


def test_share_levers_move_their_rows_toward_the_new_share() -> None:
    changed = run(
        timeline(
            CHANGE_DAY,
            "commerce.bad_quality_share: 0.5, commerce.external_store_share: 0.9, "
            "commerce.source_goods_share: 0.8, commerce.source_goods: true",
        )
    )
    world = changed.world
    assert 0.35 < world.merchants.bad.mean() < 0.65
    commerce = world.creators.commerce
    assert world.creators.external_store[commerce].mean() > 0.8
    assert not world.creators.external_store[~commerce].any()
    assert 0.65 < world.suppliers.in_programme.mean() < 0.95
    bad = world.merchants.bad
    supplier_quality = world.suppliers.quality[world.merchants.supplier]
    assert np.allclose(world.merchants.quality[bad], 0.3 * supplier_quality[bad])
    assert np.allclose(world.merchants.quality[~bad], supplier_quality[~bad])
    # Prices follow: bad goods are the cheaper ones, through the chain in force.
    m = world.merchants
    layers = np.where(m.source_goods, 0, changed.scenario_on(CHANGE_DAY).commerce.middlemen)
    expected = population.merchant_prices(
        world.suppliers.unit_cost[m.supplier], layers, bad, changed.scenario_on(CHANGE_DAY)
    )
    np.testing.assert_allclose(m.price, expected)
    assert not (m.exposed & ~bad).any()


def test_creator_commission_change_scales_every_merchants_commission() -> None:
    model = EcosystemModel(
        small_scenario("baseline", timeline(CHANGE_DAY, "commerce.creator_commission: 0.4"))
    )
    model.run(CHANGE_DAY)
    before = model.world.merchants.commission.copy()
    model.step()
    assert np.allclose(model.world.merchants.commission, np.clip(before * 2, 0.01, 0.9))


def test_fewer_stages_end_the_climbs_past_the_last_one() -> None:
    model = EcosystemModel(
        small_scenario("baseline", timeline(CHANGE_DAY, "traffic.stage_quotas: [5000]"))
    )
    model.run(CHANGE_DAY)
    assert model.world.pipeline.stage.max() > 1
    model.run(5)
    assert model.world.pipeline.stage.max() <= 1


def test_every_hooked_lever_is_one_a_timeline_may_change() -> None:
    allowed = {p for p in lever_paths().values() if p.split(".")[0] in TIMELINE_GROUPS}
    hooked = set().union(*(family for family, _ in HOOKS))
    assert hooked <= allowed


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        (
            "[{day: 5, set: {traffic.gini_kap: 0.4}}]",
            "timeline[0].set.traffic.gini_kap",
            "gini_cap",
        ),
        ("[{day: 5, set: {population.fans: 10}}]", "timeline[0].set.population.fans", "mid-run"),
        ("[{day: 5, set: {run.days: 10}}]", "timeline[0].set.run.days", "mid-run"),
        ("[{day: 5, set: {traffic.gini_cap: 1.5}}]", "timeline[0].set.traffic.gini_cap", "between"),
        ("[{day: 5, set: {traffic: {gini_cap: 0.4}}}]", "timeline[0].set.traffic", "one lever"),
        ("[{day: -1, set: {traffic.gini_cap: 0.4}}]", "timeline[0].day", "between 0 and"),
        ("[{day: 5, set: {}}]", "timeline[0].set", "at least 1"),
        (
            "[{day: 9, set: {traffic.gini_cap: 0.4}}, {day: 9, set: {traffic.gini_cap: 0.5}}]",
            "timeline[1].day",
            "in order of day",
        ),
        (
            "[{day: 5, set: {commerce.event_days: [3, 3]}}]",
            "timeline[0].set.commerce.event_days",
            "repeat",
        ),
    ],
)
def test_a_bad_entry_names_its_field(value: str, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario("name: x\n", [f"timeline={value}"])
    assert caught.value.path == field, str(caught.value)
    assert words in caught.value.reason


def test_a_bad_entry_exits_2_with_one_line() -> None:
    result = ecosim("run", BASELINE, "--set", timeline(5, "population.fans: 10"), "--days", "3")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "timeline[0].set.population.fans: cannot change mid-run" in line


def test_values_are_kept_as_validated_and_the_hash_includes_the_timeline() -> None:
    plain = parse_scenario("name: x\n")
    as_int = parse_scenario("name: x\n", [timeline(5, "traffic.conversion_prior: 20")])
    as_float = parse_scenario("name: x\n", [timeline(5, "traffic.conversion_prior: 20.0")])
    assert as_int.timeline[0].set == {"traffic.conversion_prior": 20.0}
    assert as_int.scenario_hash() == as_float.scenario_hash() != plain.scenario_hash()
    assert hash(as_int) == hash(as_float)  # frozen and hashable, like any scenario
    assert parse_scenario("name: x\ntimeline: []\n").scenario_hash() == plain.scenario_hash()
    later = parse_scenario("name: x\n", [timeline(6, "traffic.conversion_prior: 20")])
    assert later.scenario_hash() != as_int.scenario_hash()
    assert load_scenario(dump_scenario(as_int)) == as_int
    with_overrides = Scenario(name="x").with_overrides(
        {"timeline": [{"day": 5, "set": {"traffic.conversion_prior": 20}}]}
    )
    assert with_overrides == as_int


def test_a_changed_base_revalidates_the_timeline_on_top() -> None:
    scenario = parse_scenario("name: x\n", [timeline(5, "traffic.gini_cap: 0.4")])
    moved = scenario.with_overrides({"traffic.gini_cap": 0.5})
    assert [(day, s.traffic.gini_cap) for day, s in moved.phases()] == [(0, 0.5), (5, 0.4)]


def test_levers_as_keyword_arguments_take_a_timeline_too() -> None:
    entry = {"day": 3, "set": {"traffic.gini_cap": 0.4}}
    model = EcosystemModel(fans=2000, creators=200, merchants=20, suppliers=6, timeline=[entry])
    assert model.scenario_on(2).traffic.gini_cap == 0.6
    assert model.scenario_on(3).traffic.gini_cap == model.scenario_on(400).traffic.gini_cap == 0.4


# -- the calendar, check, the shipped launch --------------------------------------------------


def test_day_0_is_new_year_2019_and_the_festival_is_on_5_and_6_november() -> None:
    assert date_of(0) == DAY_ZERO == datetime.date(2019, 1, 1)
    festival = [date_of(day) for day in Scenario().commerce.event_days]
    assert festival == [datetime.date(2019, 11, 5), datetime.date(2019, 11, 6)]
    launch = load_scenario(SCENARIOS / "source_goods_launch.yaml")
    assert day_of(datetime.date(2019, 10, 1)) == launch.timeline[0].day == 273
    without_timeline = launch.model_dump(exclude={"name", "description", "timeline"})
    assert without_timeline == Scenario().model_dump(exclude={"name", "description", "timeline"})


def test_check_shows_the_calendar_and_the_timeline() -> None:
    result = ecosim("check", SCENARIOS / "source_goods_launch.yaml", "--set", "run.days=100")
    assert result.returncode == 0, result.stderr
    assert "day 0 is 2019-01-01" in result.stdout
    assert "festival day 308 (2019-11-05), day 309 (2019-11-06)" in result.stdout
    lines = result.stdout.splitlines()
    assert lines[lines.index("timeline:") + 1].split() == [
        *("day", "273", "2019-10-01", "commerce.source_goods", "false", "->", "true"),
        *("(after", "the", "run's", "last", "day)"),
    ]
    plain = ecosim("check", BASELINE)
    assert "timeline: none" in plain.stdout


# -- sweeps --------------------------------------------------------------------------------


def test_a_sweep_over_a_base_with_a_timeline_runs_it(tmp_path: Path) -> None:
    settings: dict[str, Any] = dict(item.split("=", 1) for item in SMALL_SET)
    settings = {path: safe_yaml.parse(value) for path, value in settings.items()}
    settings["run.days"] = 12
    sweep_file = tmp_path / "launch.yaml"
    data = {
        "scenario": {
            "name": "launch",
            "timeline": [{"day": 6, "set": {"commerce.source_goods": True}}],
        },
        "set": settings,
        "sweep": {"traffic.gini_cap": [0.4, 0.6]},
        "seeds": [7],
    }
    sweep_file.write_text(safe_yaml.dump(data), encoding="utf-8")
    sweep = load_sweep(sweep_file)
    assert all(point.scenario.timeline == sweep.scenario.timeline for point in sweep.points)
    result = ecosim("sweep", sweep_file, "--workers", "1", "--out", tmp_path / "out", "--quiet")
    assert result.returncode == 0, result.stderr
    runs = sorted((tmp_path / "out").glob(f"*/runs/{RUN_GLOB}"))
    assert len(runs) == 2
    for point in sweep.points:
        (run_dir,) = (tmp_path / "out").glob(f"*/runs/scenario={run_name(point.scenario)}/seed=7")
        alone = save_run(tmp_path / "alone", simulate(point.scenario, seed=7))
        assert (alone / "daily.parquet").read_bytes() == (run_dir / "daily.parquet").read_bytes()
        assert "commerce.source_goods: true" in (run_dir / "scenario.yaml").read_text()
