"""The reference docs are generated from the code and must match it, and every output
column is documented."""

from __future__ import annotations

from sim.metrics import CREATOR_COLUMNS, DAILY_METRICS, RUN_KPIS
from sim.runs import simulate
from tests.conftest import ROOT, small_scenario
from tools.reference_docs import levers_markdown, metrics_markdown

DOCS = ROOT / "docs"


def test_metrics_doc_is_current() -> None:
    assert (DOCS / "metrics.md").read_text(encoding="utf-8") == metrics_markdown(), (
        "run `make docs`"
    )


def test_model_doc_lists_every_lever() -> None:
    assert levers_markdown() in (DOCS / "model.md").read_text(encoding="utf-8"), "run `make docs`"


def test_every_output_column_is_documented() -> None:
    result = simulate(small_scenario("baseline", "population.fans=2000"), days=3)
    assert list(result.daily.columns) == list(DAILY_METRICS)
    assert list(result.kpis) == list(RUN_KPIS)
    assert list(result.creators.columns) == list(CREATOR_COLUMNS)
