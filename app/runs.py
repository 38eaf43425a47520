"""Simulations for the app: scenario sources, cached runs with a progress bar, KPI cards.

Every run goes through :func:`sim.runs.run.simulate`, the one entry point the CLI and the
sweeps use too, and is cached by the scenario's canonical YAML (which determines its
hash) plus the seed, so revisiting a run is instant.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import streamlit as st
from pydantic import ValidationError

import sim.model.ecosystem  # noqa: F401  (imported now, while the page loads, not on the first Run)
from sim.metrics.catalogue import RUN_KPIS
from sim.runs.run import RunResult, simulate
from sim.scenario.errors import MemoryLimitError, ScenarioError, from_validation_error
from sim.scenario.files import MAX_SCENARIO_BYTES, dump_scenario, parse_scenario
from sim.scenario.memory import check_memory
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
APP_DAYS = 180
"""Days an app run simulates unless told otherwise: a baseline-size run of 180 days shows
its results within 10 s on a 2-core machine; the full 365-day year takes about twice as
long. Planners can set ``run.days`` back to 365."""
MAX_UPLOAD_MB = 1


def shipped_scenarios() -> dict[str, Path]:
    """The scenario files shipped under ``scenarios/``, by name, baseline first."""
    paths = sorted(SCENARIO_DIR.glob("*.yaml"), key=lambda p: (p.stem != "baseline", p.stem))
    return {path.stem: path for path in paths}


def parse_upload(data: bytes, filename: str) -> Scenario:
    """A scenario from an uploaded file's bytes; ScenarioError for anything wrong."""
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(filename, f"is larger than {MAX_UPLOAD_MB} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(filename, f"is not UTF-8 text (byte {error.start})") from None
    return parse_scenario(text, origin=filename)


def for_app(scenario: Scenario, days: int = APP_DAYS) -> Scenario:
    """The scenario shortened to at most ``days`` days, so a run answers quickly."""
    return scenario if scenario.run.days <= days else with_days(scenario, days)


def with_days(scenario: Scenario, days: int) -> Scenario:
    """The scenario with ``run.days`` set to ``days`` (validated like any other value)."""
    data = scenario.model_dump(mode="json")
    data["run"]["days"] = days
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, Scenario) from None


def show_error(error: ScenarioError, context: str = "") -> None:
    """One inline error naming the field and the reason; never a traceback."""
    prefix = f"{context}: " if context else ""
    if isinstance(error, MemoryLimitError):
        st.error(
            f"{prefix}Refused: this scenario is too big for this machine's memory. "
            f"`{error.path}`: {error.reason}",
            icon=":material/memory:",
        )
    else:
        st.error(f"{prefix}`{error.path}`: {error.reason}", icon=":material/error:")


def checked(scenario: Scenario) -> Scenario:
    """The scenario, once its memory estimate fits this machine (MemoryLimitError if not)."""
    check_memory(scenario)
    return scenario


class _ProgressBar:
    """Feeds ``simulate``'s ``progress(done, total)`` into a Streamlit progress bar that
    can span several runs."""

    def __init__(self, runs: int = 1, label: str = "Simulating") -> None:
        self.runs = runs
        self.finished = 0
        self.label = label
        self.bar = st.progress(0.0, text=label)

    def __call__(self, done: int, total: int) -> None:
        share = (self.finished + done / max(total, 1)) / self.runs
        self.bar.progress(min(share, 1.0), text=f"{self.label}: day {done} of {total}")

    def next_run(self) -> None:
        self.finished += 1

    def close(self) -> None:
        self.bar.empty()


class _NotCached(LookupError):
    """The run is not in the cache yet."""


@st.cache_data(show_spinner=False, max_entries=48)
def _stored(scenario_yaml: str, seed: int, _fresh: RunResult | None = None) -> RunResult:
    """The cache of runs, keyed by the scenario's canonical YAML and the seed.

    Called without ``_fresh`` it looks a run up (raising _NotCached, which is not cached,
    when it is missing); called with ``_fresh`` it stores that run. The simulation itself
    runs outside: Streamlit would replay the progress bar's updates on every cache hit.
    """
    if _fresh is None:
        raise _NotCached
    return _fresh


def _run_or_recall(scenario_yaml: str, seed: int, bar: _ProgressBar) -> tuple[RunResult, bool]:
    """The run from the cache, or simulated now (and cached); True when it was cached."""
    try:
        return _stored(scenario_yaml, seed), True
    except _NotCached:
        scenario = parse_scenario(scenario_yaml, origin="scenario")
        result = simulate(scenario, seed=seed, progress=bar)
        return _stored(scenario_yaml, seed, result), False


@dataclass(frozen=True)
class Timed:
    """A run and how it was obtained: simulated now, or taken from the cache."""

    result: RunResult
    cached: bool
    seconds: float


def run(scenario: Scenario, seeds: Sequence[int] | None = None, label: str = "") -> list[Timed]:
    """Runs of ``scenario`` for each seed (default its run.seed), with a progress bar."""
    seeds = [scenario.run.seed] if seeds is None else list(seeds)
    scenario_yaml = dump_scenario(scenario)
    bar = _ProgressBar(len(seeds), label or f"Simulating {scenario.name}")
    results = []
    try:
        for seed in seeds:
            started = time.perf_counter()
            result, cached = _run_or_recall(scenario_yaml, seed, bar)
            results.append(Timed(result, cached, time.perf_counter() - started))
            bar.next_run()
    finally:
        bar.close()
    return results


def run_many(
    policies: Sequence[tuple[str, Scenario]], seeds: Sequence[int]
) -> dict[str, list[RunResult]]:
    """Every policy over the same seeds, under one progress bar."""
    bar = _ProgressBar(len(policies) * len(seeds), "Simulating")
    results: dict[str, list[RunResult]] = {}
    try:
        for label, scenario in policies:
            scenario_yaml = dump_scenario(scenario)
            bar.label = f"Simulating {label}"
            results[label] = []
            for seed in seeds:
                results[label].append(_run_or_recall(scenario_yaml, seed, bar)[0])
                bar.next_run()
    finally:
        bar.close()
    return results


@st.cache_data(show_spinner=False, max_entries=48)
def first_day_creators(scenario_yaml: str, seed: int) -> pd.DataFrame:
    """Active creators' impressions, followers and income after day 1: the 'start' of
    Lorenz curves (at day 0 every creator has none of any)."""
    scenario = parse_scenario(scenario_yaml, origin="scenario")
    creators = simulate(scenario, seed=seed, days=1).creators
    columns = ["impressions", "followers", "income"]
    return creators.loc[creators["alive"], columns].reset_index(drop=True)


# -- KPI cards ---------------------------------------------------------------------------

Unit = Literal["yuan", "count", "ratio", "share"]


@dataclass(frozen=True)
class KpiCard:
    """One headline number: which KPI of the run, how to show it, what it means."""

    label: str
    kpi: str
    unit: Unit

    @property
    def help(self) -> str:
        """The KPI's one-line meaning, from :data:`sim.metrics.catalogue.RUN_KPIS`."""
        return RUN_KPIS.get(self.kpi, "")

    def format(self, value: float) -> str:
        """The value as the card shows it: ``¥746B``, ``8.77B``, ``0.598``, ``91.6%``."""
        if not math.isfinite(value):
            return "n/a"
        match self.unit:
            case "yuan":
                return f"¥{compact(value)}"
            case "count":
                return compact(value)
            case "ratio":
                return f"{value:.3f}"
            case "share":
                return f"{value:.1%}"


KPI_CARDS = (
    KpiCard("GMV (real-equivalent)", "gmv_real_total", "yuan"),
    KpiCard("Orders (real-equivalent)", "orders_real_total", "count"),
    KpiCard("Exposure Gini", "exposure_gini_mean", "ratio"),
    KpiCard("Ordinary share", "ordinary_share_mean", "share"),
    KpiCard("Median income, >100k fans", "median_income_tier3_final", "yuan"),
    KpiCard("Active creators", "active_creators_final", "count"),
)


def compact(value: float) -> str:
    """Three significant digits: ``745774082205.6`` as ``746B``, ``27217`` as ``27.2K``;
    below ten thousand in full."""
    magnitude = abs(value)
    if magnitude >= 1e4:
        for unit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if magnitude >= unit:
                return f"{value / unit:,.{_decimals(magnitude / unit)}f}{suffix}"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _decimals(mantissa: float) -> int:
    """Three significant digits: 7.46, 74.6, 746."""
    return 2 if mantissa < 10 else 1 if mantissa < 100 else 0


def show_kpis(kpis: dict[str, float], per_row: int = 3) -> None:
    """The KPI cards, ``per_row`` to a row."""
    for first in range(0, len(KPI_CARDS), per_row):
        cards = KPI_CARDS[first : first + per_row]
        for column, card in zip(st.columns(per_row), cards, strict=False):
            value = kpis.get(card.kpi, math.nan)
            column.metric(card.label, card.format(value), help=card.help, border=True)
