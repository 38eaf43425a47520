"""The lever-effects table (`ecosim levers`, sim.analysis.levers): every policy lever has a
documented low/high change and a channel, the table is paired on seeds, and a run of the
command writes it."""

from __future__ import annotations

from pathlib import Path

from sim.analysis import levers
from sim.runs.seeds import spawn_seeds
from sim.scenario.schema import lever_paths
from tests.conftest import SMALL_SET, ecosim, small_scenario

POLICY_GROUPS = ("traffic.", "commerce.")


def test_every_policy_lever_has_a_step_and_a_channel() -> None:
    policy = {p for p in lever_paths().values() if p.startswith(POLICY_GROUPS)}
    stepped = {step.path for step in levers.STEPS}
    assert policy - stepped == set(levers.OMITTED)
    assert stepped <= policy
    assert all(levers.CHANNELS.get(path) for path in stepped)


def test_variants_skip_the_scenarios_own_value() -> None:
    scenario = small_scenario("baseline", "commerce.middlemen=1")
    moved = levers.variants(scenario, [levers.LeverStep("commerce.middlemen", 1, 5)])
    assert [(path, value) for path, value, _ in moved] == [("commerce.middlemen", 5)]
    assert moved[0][2].commerce.middlemen == 5


def test_the_table_pairs_seeds_and_sees_the_commission_move_the_shop_share() -> None:
    scenario = small_scenario()
    steps = [levers.LeverStep("commerce.platform_commission", 0.2, 0.4)]
    table = levers.effects(scenario, spawn_seeds(3, 3), 60, steps)
    assert set(table["value"]) == {"0.2", "0.4"}
    assert set(table["kpi"]) == set(levers.KPIS)
    revenue = table[(table["kpi"] == "platform_revenue_real_total") & (table["value"] == "0.4")]
    assert revenue["clear"].all() and (revenue["diff"] > 0).all()
    shop = table[(table["kpi"] == "shop_share") & (table["value"] == "0.4")]
    assert (shop["diff"] < 0).all()
    text = levers.markdown(table, scenario, 3, 60)
    assert "`commerce.platform_commission` = 0.4" in text


def test_the_command_writes_the_table_and_refuses_an_unknown_lever(tmp_path: Path) -> None:
    target = tmp_path / "levers.md"
    sets = [arg for setting in SMALL_SET for arg in ("--set", setting)]
    args = ["levers", "scenarios/baseline.yaml", *sets]
    done = ecosim(*args, "--seeds", "2", "--days", "15", "--only", "commerce.external_links",
                  "--markdown", target)  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    assert "`commerce.external_links` = false" in target.read_text()
    bad = ecosim(*args, "--only", "commerce.nothing")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "ecosim: error: --only: 'commerce.nothing' is not a lever of the table (24)"
    ]


def test_the_shipped_lever_table_covers_every_lever() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "levers.md").read_text()
    for step in levers.STEPS:
        assert f"`{step.path}` = " in text, step.path
    assert "Levers with no clear effect on any KPI at this size and horizon: none." in text
