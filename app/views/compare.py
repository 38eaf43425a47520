"""Compare: two or more policies over the same seeds, KPIs side by side, series overlaid."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from app import charts, runs
from sim.commands.tables import format_number
from sim.metrics.catalogue import DAILY_METRICS, RUN_KPIS
from sim.runs.run import RunResult
from sim.scenario.errors import ScenarioError
from sim.scenario.files import dump_scenario, parse_scenario
from sim.scenario.schema import Scenario

MAX_POLICIES = 4
# Default run length here: each policy runs once per seed, so runs are kept short.
COMPARE_DAYS = 120
DEFAULT_SEEDS = "2019, 2020"
DEFAULT_METRIC = "exposure_gini"
# The one-click comparison: the 2019 platform against a centralised one (D2).
PRESET = (("baseline", ""), ("centralized", ""))
EXPLORE_OPTION = "the scenario last run on Explore"
# Session state: the (label, scenario) pairs and seeds of the last comparison.
STATE = "compare.policies"


def sources() -> dict[str, str]:
    """Scenario YAML by option name: the shipped files and, if any, Explore's last run."""
    options = {name: path.read_text() for name, path in runs.shipped_scenarios().items()}
    explored: Scenario | None = st.session_state.get("explore.run")
    if explored is not None:
        options[EXPLORE_OPTION] = dump_scenario(explored)
    return options


def parse_seeds(text: str) -> list[int]:
    """``"2019, 2020"`` as ``[2019, 2020]``; ScenarioError for anything else."""
    items = [item for item in re.split(r"[,\s]+", text.strip()) if item]
    if not items or not all(item.isdigit() for item in items):
        raise ScenarioError("seeds", f"must be whole numbers separated by commas, got {text!r}")
    return list(dict.fromkeys(int(item) for item in items))


def parse_edits(text: str) -> list[str]:
    """One ``PATH=VALUE`` per line; blank lines and ``#`` comment lines are skipped."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def preset() -> None:
    """Fill the form with the one-click comparison and ask for a run."""
    st.session_state["compare.count"] = len(PRESET)
    for index, (name, edits) in enumerate(PRESET):
        st.session_state[f"compare.scenario.{index}"] = name
        st.session_state[f"compare.edits.{index}"] = edits
    st.session_state["compare.go"] = True


def policy_form(options: list[str]) -> bool:
    """Scenario and lever edits for each policy, plus the shared seeds and days."""
    count = int(st.session_state.get("compare.count", 2))
    with st.form("compare.form"):
        columns = st.columns(count)
        for index, column in enumerate(columns):
            with column:
                st.markdown(f"**Policy {index + 1}**" + (" (reference)" if index == 0 else ""))
                key = f"compare.scenario.{index}"
                if st.session_state.get(key) not in options:
                    st.session_state[key] = PRESET[min(index, 1)][0]
                st.selectbox("scenario", options, key=key)
                st.text_area(
                    "lever edits",
                    key=f"compare.edits.{index}",
                    placeholder="traffic.gini_cap=0.4\ncommerce.source_goods=true",
                    help="One PATH=VALUE per line, as `ecosim run --set` takes them.",
                    height=90,
                )
        seeds, days = st.columns(2)
        seeds.text_input(
            "seeds", key="compare.seeds", help="Every policy runs with each of these seeds."
        )
        days.number_input(
            "days",
            min_value=1,
            max_value=5000,
            step=1,
            key="compare.days",
            help="Run length for every policy (run.days). Each policy runs once per seed.",
        )
        return bool(st.form_submit_button("Compare", type="primary", icon=":material/play_arrow:"))


def read_policies(options: dict[str, str]) -> tuple[list[tuple[str, Scenario]], list[int]]:
    """Validated scenarios with unique labels, and the seeds; ScenarioError otherwise."""
    state = st.session_state
    seeds = parse_seeds(state["compare.seeds"])
    days = int(state["compare.days"])
    policies: list[tuple[str, Scenario]] = []
    for index in range(int(state["compare.count"])):
        name = state[f"compare.scenario.{index}"]
        edits = parse_edits(state[f"compare.edits.{index}"])
        try:
            scenario = parse_scenario(options[name], [*edits, f"run.days={days}"], origin=name)
            runs.checked(scenario)
        except ScenarioError as error:
            raise ScenarioError(f"policy {index + 1}: {error.path}", error.reason) from None
        label = scenario.name + "".join(f" + {edit}" for edit in edits)
        taken = [existing for existing, _ in policies]
        if label in taken:
            label += f" ({index + 1})"
        policies.append((label, scenario))
    return policies, seeds


def kpi_table(reference: list[RunResult], other: list[RunResult]) -> pd.DataFrame | None:
    """Reference vs other policy: means, difference and its band across seeds."""
    try:
        from sim.analysis.compare import compare_runs
    except ImportError:
        return None
    table = compare_runs(reference, other)
    shown = table.copy()
    for column in ("a_mean", "b_mean", "diff", "ci_low", "ci_high"):
        shown[column] = table[column].map(format_number)
    shown["meaning"] = table["kpi"].map(RUN_KPIS)
    return shown


def show_comparison(policies: list[tuple[str, Scenario]], seeds: list[int]) -> None:
    """KPI tables and the overlaid series of a comparison."""
    results = runs.run_many(policies, seeds)
    labels = list(results)
    st.subheader("KPIs")
    st.caption(
        f"Means over seeds {', '.join(map(str, seeds))}; the difference is policy minus the "
        "reference, and its band (ci_low to ci_high) shows how much it varies across seeds. "
        "'clear' marks differences whose 95% band excludes zero."
    )
    for label in labels[1:]:
        table = kpi_table(results[labels[0]], results[label])
        if table is None:
            st.warning("The comparison statistics (sim.analysis.compare) are not available yet.")
            break
        st.markdown(f"**{label}** (b) vs **{labels[0]}** (a)")
        st.dataframe(
            table,
            hide_index=True,
            column_config=_column_config(),
            width="stretch",
        )
    st.subheader("Series")
    st.session_state.setdefault("compare.metric", DEFAULT_METRIC)
    metric = st.selectbox(
        "metric",
        charts.NUMERIC_METRICS,
        key="compare.metric",
        help="Daily metric to overlay; the band spans the seeds.",
        format_func=lambda name: f"{name}: {DAILY_METRICS[name]}",
    )
    dailies = {label: [result.daily for result in results[label]] for label in labels}
    st.altair_chart(
        charts.overlay_chart(charts.seed_band(dailies, metric), metric), width="stretch"
    )


def _column_config() -> dict[str, Any]:
    return {
        "kpi": st.column_config.TextColumn("KPI"),
        "a_mean": st.column_config.TextColumn("a (mean)"),
        "b_mean": st.column_config.TextColumn("b (mean)"),
        "diff": st.column_config.TextColumn("b - a"),
        "ci_low": st.column_config.TextColumn("95% band low"),
        "ci_high": st.column_config.TextColumn("95% band high"),
        "significant": st.column_config.CheckboxColumn("clear"),
        "meaning": st.column_config.TextColumn("meaning", width="large"),
    }


st.title("Compare policies")
st.markdown(
    "Run two or more policies over the same seeds and see what changed. A policy is a "
    "scenario plus optional lever edits. Runs are cached, so revisiting a comparison is "
    "instant."
)
st.session_state.setdefault("compare.count", 2)
st.session_state.setdefault("compare.seeds", DEFAULT_SEEDS)
st.session_state.setdefault("compare.days", COMPARE_DAYS)
st.button(
    "Baseline vs centralized",
    on_click=preset,
    type="primary",
    icon=":material/bolt:",
    help="The 2019 platform (double column, Gini cap, 70% floor) against a single-column "
    "platform with no cap and no floor (direction D2).",
)
st.number_input("policies", min_value=2, max_value=MAX_POLICIES, step=1, key="compare.count")
options = sources()
submitted = policy_form(list(options))
if submitted or st.session_state.pop("compare.go", False):
    try:
        st.session_state[STATE] = read_policies(options)
    except ScenarioError as error:
        runs.show_error(error)
        st.session_state.pop(STATE, None)
        st.stop()
if STATE in st.session_state:
    show_comparison(*st.session_state[STATE])
