"""The reference docs are generated from the code and must match it."""

from __future__ import annotations

from pathlib import Path

from sim.docs import levers_markdown, metrics_markdown
from sim.metrics.catalogue import CREATOR_COLUMNS, DAILY_METRICS, RUN_KPIS
from sim.model.ecosystem import EcosystemModel
from sim.scenario.files import load_scenario

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_metrics_doc_is_current() -> None:
    assert (DOCS / "metrics.md").read_text(encoding="utf-8") == metrics_markdown(), (
        "run `python -m sim.docs`"
    )


def test_model_doc_lists_every_lever() -> None:
    assert levers_markdown() in (DOCS / "model.md").read_text(encoding="utf-8"), (
        "run `python -m sim.docs`"
    )


def test_every_output_column_is_documented() -> None:
    scenario = load_scenario(
        DOCS.parent / "scenarios/baseline.yaml",
        ["population.fans=2000", "population.creators=200", "population.merchants=40",
         "population.suppliers=12"],
    )  # fmt: skip
    model = EcosystemModel(scenario)
    model.run(3)
    assert list(model.daily_metrics().columns) == list(DAILY_METRICS)
    assert list(model.kpis()) == list(RUN_KPIS)
    assert list(model.creator_table().columns) == list(CREATOR_COLUMNS)
