"""Scenario schema, strict YAML loading, overrides, hashing and the memory guard."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from sim.scenario.errors import MemoryLimitError, ScenarioError
from sim.scenario.files import (
    MAX_SCENARIO_BYTES,
    apply_overrides,
    dump_scenario,
    load_scenario,
    parse_scenario,
)
from sim.scenario.memory import check_memory, estimate_memory_bytes, memory_breakdown
from sim.scenario.schema import Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def _error(text: str, overrides: list[str] | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, overrides or [])
    return caught.value


# --- shipped scenarios ---------------------------------------------------------------


def test_all_expected_scenarios_are_shipped() -> None:
    names = {path.stem for path in SHIPPED}
    expected = {"baseline", "centralized", "source_goods", "source_goods_launch"}
    assert expected | {"no_fairness", "large"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_validates_and_is_named_after_its_file(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.description.strip()
    check_memory(scenario, limit_bytes=8 * 2**30)


def test_baseline_file_is_the_defaults() -> None:
    from_file = load_scenario(SCENARIOS / "baseline.yaml")
    assert from_file.model_dump(exclude={"description"}) == Scenario().model_dump(
        exclude={"description"}
    )


def test_comparison_scenarios_change_the_levers_they_name() -> None:
    centralized = load_scenario(SCENARIOS / "centralized.yaml").traffic
    assert (centralized.feed, centralized.gini_cap, centralized.ordinary_floor) == (
        "single_column",
        None,
        None,
    )
    no_fairness = load_scenario(SCENARIOS / "no_fairness.yaml").traffic
    assert (no_fairness.feed, no_fairness.gini_cap, no_fairness.ordinary_floor) == (
        "double_column",
        None,
        None,
    )
    assert load_scenario(SCENARIOS / "source_goods.yaml").commerce.source_goods is True
    large = load_scenario(SCENARIOS / "large.yaml").population
    assert (large.fans, large.creators, large.merchants, large.suppliers, large.scale) == (
        1_000_000,
        100_000,
        10_000,
        2500,
        200.0,
    )


# --- bad input names the field --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("bogus: 1\n", "bogus"),
        ("traffic:\n  gini_kap: 0.5\n", "traffic.gini_kap"),
        ("population:\n  fans: lots\n", "population.fans"),
        ("population:\n  fans: 1.5\n", "population.fans"),
        ("population:\n  fans: true\n", "population.fans"),
        ("traffic:\n  method: fastest\n", "traffic.method"),
        ("traffic: 5\n", "traffic"),
        ("traffic:\n  stage_quotas: [3000, 0]\n", "traffic.stage_quotas[1]"),
        ("traffic:\n  stage_quotas: [1, 2, 3, 4, 5, 6, 7]\n", "traffic.stage_quotas"),
        ("traffic:\n  promote_share: 0\n", "traffic.promote_share"),
        ("traffic:\n  gini_cap: .nan\n", "traffic.gini_cap"),
        ("population:\n  views_median: .inf\n", "population.views_median"),
        ("population:\n  views_median: 70\n", "population.views_mean"),
        ("population:\n  categories: [food, food]\n", "population.categories"),
        ("population:\n  categories: []\n", "population.categories"),
        ("commerce:\n  event_days: [-1]\n", "commerce.event_days[0]"),
        ("run:\n  seed: -1\n", "run.seed"),
        ("name: Not A Slug\n", "name"),
    ],
)
def test_bad_value_is_reported_by_its_path(text: str, path: str) -> None:
    error = _error(text)
    assert error.path == path
    assert str(error).startswith(f"{path}: ")


def test_out_of_range_message_gives_the_range_and_the_value() -> None:
    error = _error("traffic:\n  gini_cap: 1.5\n")
    assert str(error) == "traffic.gini_cap: must be between 0 and 1, got 1.5"


def test_unknown_key_suggests_the_closest_setting() -> None:
    assert "did you mean 'gini_cap'" in _error("traffic:\n  gini_kap: 0.5\n").reason


def test_further_problems_are_counted() -> None:
    error = _error("traffic:\n  gini_cap: 2\n  ordinary_floor: 2\n")
    assert error.path == "traffic.gini_cap"
    assert error.reason.endswith("(and 1 more problem)")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x 1\nb: *x\n", "anchors"),
        ("traffic:\n  stage_quotas: *q\n", "aliases"),
        ("name: !!python/object/apply:os.system [echo hi]\n", "tags"),
        ("name: !custom baseline\n", "tags"),
        ("name: !!str baseline\n", "tags"),
        ("name: a\nname: b\n", "duplicate key"),
        ("- name: a\n", "mapping"),
        ("just text\n", "mapping"),
        ("\n", "empty"),
        ("traffic: [\n", "line"),
    ],
)
def test_unsafe_or_malformed_yaml_is_refused(text: str, words: str) -> None:
    error = _error(text)
    assert error.path == "<text>"
    assert words in error.reason


def test_yaml_tag_is_refused_from_a_file_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("name: x\ndescription: !!python/object/apply:os.system [touch pwned]\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.path == str(path)
    assert caught.value.reason.startswith("line 2")
    assert not (tmp_path / "pwned").exists()


def test_file_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("name: huge\n# " + "x" * MAX_SCENARIO_BYTES + "\n")
    with pytest.raises(ScenarioError, match="1 MiB") as caught:
        load_scenario(path)
    assert caught.value.path == str(path)


@pytest.mark.parametrize("make", ["missing", "directory", "binary"])
def test_unreadable_file_is_refused(tmp_path: Path, make: str) -> None:
    path = tmp_path / "scenario.yaml"
    if make == "directory":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.path == str(path)


def test_numbers_in_exponent_notation_are_numbers() -> None:
    scenario = parse_scenario("population:\n  fans: 1e5\n  scale: 2e3\n")
    assert (scenario.population.fans, scenario.population.scale) == (100_000, 2000.0)


def test_scenario_is_immutable() -> None:
    scenario = Scenario()
    with pytest.raises(ValidationError):
        scenario.name = "changed"


# --- overrides ------------------------------------------------------------------------


def test_overrides_set_scalars_null_and_lists() -> None:
    scenario = parse_scenario(
        "name: x\n",
        [
            "traffic.gini_cap=null",
            "population.categories=[a, b]",
            "commerce.source_goods=true",
            "run.days=30",
            "description=two words = one value",
        ],
    )
    assert scenario.traffic.gini_cap is None
    assert scenario.population.categories == ("a", "b")
    assert scenario.commerce.source_goods is True
    assert scenario.run.days == 30
    assert scenario.description == "two words = one value"


def test_overrides_leave_the_input_mapping_alone() -> None:
    data: dict[str, Any] = {"traffic": {"gini_cap": 0.5}}
    result = apply_overrides(data, ["traffic.gini_cap=0.3", "population.fans=10"])
    assert data == {"traffic": {"gini_cap": 0.5}}
    assert result == {"traffic": {"gini_cap": 0.3}, "population": {"fans": 10}}


@pytest.mark.parametrize(
    ("override", "path", "words"),
    [
        ("traffic.gini_cap", "--set", "PATH=VALUE"),
        ("=0.3", "--set", "PATH=VALUE"),
        ("traffic.gini_kap=0.3", "traffic.gini_kap", "unknown setting"),
        ("bogus=1", "bogus", "unknown setting"),
        ("traffic.gini_cap.x=1", "traffic.gini_cap.x", "no sub-settings"),
        ("traffic..gini_cap=1", "traffic..gini_cap", "dotted"),
        ("traffic.gini_cap=[", "traffic.gini_cap", "cannot read value"),
        ("traffic.gini_cap=1.5", "traffic.gini_cap", "between 0 and 1"),
        ("traffic.gini_cap=!!python/name:os.system", "traffic.gini_cap", "tags"),
    ],
)
def test_bad_override_is_reported(override: str, path: str, words: str) -> None:
    error = _error("name: x\n", [override])
    assert error.path == path
    assert words in error.reason


@given(st.floats(min_value=0, max_value=1))
def test_override_then_dump_then_load_round_trips(gini_cap: float) -> None:
    scenario = parse_scenario("name: x\n", [f"traffic.gini_cap={gini_cap!r}"])
    assert scenario.traffic.gini_cap == gini_cap
    assert parse_scenario(dump_scenario(scenario)) == scenario


# --- dump, hash, schema -----------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_dump_then_load_gives_the_same_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    text = dump_scenario(scenario)
    assert load_scenario(text) == scenario
    assert "gini_cap:" in text and "seed:" in text  # every field, resolved


def test_hash_is_stable_and_ignores_only_the_seed() -> None:
    baseline = Scenario()
    assert baseline.scenario_hash() == Scenario().scenario_hash()
    assert len(baseline.scenario_hash()) == 64
    reseeded = parse_scenario("name: baseline\n", ["run.seed=7"])
    relevered = parse_scenario("name: baseline\n", ["traffic.gini_cap=0.5"])
    longer = parse_scenario("name: baseline\n", ["run.days=30"])
    assert reseeded.model_dump(exclude={"description", "run"}) == baseline.model_dump(
        exclude={"description", "run"}
    )
    assert reseeded.scenario_hash() == parse_scenario("name: baseline\n").scenario_hash()
    assert relevered.scenario_hash() != reseeded.scenario_hash()
    assert longer.scenario_hash() != reseeded.scenario_hash()


def test_hash_does_not_depend_on_how_numbers_are_written() -> None:
    as_int = parse_scenario("traffic:\n  conversion_prior: 20\n")
    as_float = parse_scenario("traffic:\n  conversion_prior: 20.0\n")
    assert as_int.scenario_hash() == as_float.scenario_hash()


def test_every_field_is_described_in_the_json_schema() -> None:
    schema = Scenario.model_json_schema()
    groups = [schema, *schema["$defs"].values()]
    for group in groups:
        for name, field in group["properties"].items():
            assert field.get("description"), name


def test_every_group_forbids_unknown_keys_and_non_finite_numbers() -> None:
    models: list[type[BaseModel]] = [Scenario]
    for info in Scenario.model_fields.values():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            models.append(info.annotation)
    assert len(models) == 5
    for model in models:
        assert model.model_config.get("extra") == "forbid"
        assert model.model_config.get("allow_inf_nan") is False
        assert model.model_config.get("frozen") is True


# --- memory guard --------------------------------------------------------------------------


def test_memory_refusal_names_the_population() -> None:
    huge = parse_scenario("name: huge\n", ["population.fans=50_000_000"])
    with pytest.raises(MemoryLimitError) as caught:
        check_memory(huge, limit_bytes=2**30)
    assert isinstance(caught.value, ScenarioError)
    assert caught.value.path == "population"
    assert "MiB" in caught.value.reason


def test_memory_estimate_is_returned_when_it_fits_and_grows_with_fans() -> None:
    baseline = Scenario()
    estimate = check_memory(baseline, limit_bytes=2**40)
    assert estimate == estimate_memory_bytes(baseline) == sum(memory_breakdown(baseline).values())
    bigger = parse_scenario("name: x\n", ["population.fans=2_000_000"])
    assert estimate_memory_bytes(bigger) > estimate


def test_memory_estimate_stays_finite_for_extreme_entry_rates() -> None:
    extreme = parse_scenario("name: x\n", ["population.creator_entry_rate=1", "run.days=5000"])
    assert math.isfinite(estimate_memory_bytes(extreme))
    with pytest.raises(MemoryLimitError):
        check_memory(extreme, limit_bytes=2**34)


def test_every_category_needs_a_merchant_and_a_supplier() -> None:
    with pytest.raises(ScenarioError, match=r"population\.categories: .*suppliers"):
        load_scenario(SCENARIOS / "baseline.yaml", ["population.suppliers=5"])
    with pytest.raises(ScenarioError, match=r"population\.categories: .*merchants"):
        load_scenario(SCENARIOS / "baseline.yaml", ["population.merchants=3"])
