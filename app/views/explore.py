"""Explore: pick a scenario, move its levers, run it, read the KPIs and charts."""

from __future__ import annotations

import hashlib

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import charts, downloads, levers, runs
from sim.scenario.errors import ScenarioError
from sim.scenario.files import dump_scenario
from sim.scenario.schema import Scenario

PREFIX = "explore"
# Session state: the scenario last submitted (its run.seed is the seed).
RUN_KEY = "explore.run"
UPLOADED_KEY = "explore.uploaded"  # (file name, bytes) of the last upload


def choose_source(messages: DeltaGenerator) -> tuple[str, Scenario] | None:
    """The scenario to start from, with an id that changes when the source does; None
    when there is none yet, after a hint or an error naming the field in ``messages``."""
    kind = st.radio(
        "Start from",
        ["a shipped scenario", "an uploaded YAML file"],
        horizontal=True,
        key="explore.source",
    )
    if kind == "a shipped scenario":
        shipped = runs.shipped_scenarios()
        name = st.selectbox("Scenario", list(shipped), key="explore.shipped")
        data, origin = shipped[name].read_bytes(), f"scenarios/{name}.yaml"
    else:
        st.file_uploader(
            f"Scenario file (YAML, at most {runs.MAX_UPLOAD_MB} MB)",
            type=["yaml", "yml"],
            max_upload_size=runs.MAX_UPLOAD_MB,
            key="explore.upload",
            on_change=remember_upload,
            help="A scenario file as `ecosim run` reads it; `ecosim schema` documents it.",
        )
        uploaded: tuple[str, bytes] | None = st.session_state.get(UPLOADED_KEY)
        if uploaded is None:
            messages.info("Choose a scenario file in the sidebar to load its levers.")
            return None
        origin, data = uploaded
        st.caption(f"Using {origin}.")
    try:
        scenario = runs.parse_upload(data, origin)
    except ScenarioError as error:
        with messages:
            runs.show_error(error, f"{origin} is not a valid scenario")
        return None
    return f"{origin}:{hashlib.sha256(data).hexdigest()}", scenario


def remember_upload() -> None:
    """Keep the uploaded file's name and bytes: the uploader itself forgets them when the
    planner visits another page."""
    upload = st.session_state.get("explore.upload")
    if upload is None:
        st.session_state.pop(UPLOADED_KEY, None)
    else:
        st.session_state[UPLOADED_KEY] = (upload.name, upload.getvalue())


def lever_form() -> bool:
    """The form with every lever, grouped like the schema; True when submitted."""
    with st.form("explore.form", border=True):
        st.text_input("name", key=levers.widget_key(PREFIX, "name"), help=_help("name"))
        st.text_area(
            "description",
            key=levers.widget_key(PREFIX, "description"),
            help=_help("description"),
            height=68,
        )
        for group in levers.GROUPS:
            with st.expander(group, expanded=group == "traffic"):
                st.caption(levers.group_description(group))
                levers.render_levers(PREFIX, group)
        return bool(st.form_submit_button("Run", type="primary", icon=":material/play_arrow:"))


def _help(field: str) -> str:
    return str(Scenario.model_fields[field].description)


def show_results(scenario: Scenario) -> None:
    """KPI cards, charts and downloads of the run of ``scenario`` with its run.seed."""
    seed = scenario.run.seed
    (timed,) = runs.run(scenario, [seed])
    result = timed.result
    start = runs.first_day_creators(dump_scenario(scenario), seed)
    daily, creators = result.daily, result.creators
    how = "from the cache" if timed.cached else f"simulated in {result.wall_time_s:.1f} s"
    st.subheader(f"{scenario.name}, seed {seed}: {len(daily)} days")
    st.caption(f"Results {how}. Platform totals are real-equivalent (times population.scale).")
    runs.show_kpis(result.kpis)

    traffic = scenario.traffic
    left, right = st.columns(2)
    left.altair_chart(charts.exposure_gini_chart(daily, traffic.gini_cap), width="stretch")
    right.altair_chart(charts.ordinary_share_chart(daily, traffic.ordinary_floor), width="stretch")
    end = creators.loc[creators["alive"], ["impressions", "followers", "income"]]
    st.altair_chart(charts.lorenz_chart(charts.lorenz_frame(start, end, daily)), width="content")
    st.caption(
        "Start is after day 1 (at day 0 no creator has impressions, followers or income); "
        "exposure is each creator's impressions so far."
    )
    left, right = st.columns(2)
    left.altair_chart(charts.gmv_orders_chart(daily), width="stretch")
    right.altair_chart(
        charts.follower_distribution_chart(charts.follower_distribution(creators)),
        width="stretch",
    )
    left, right = st.columns(2)
    left.altair_chart(charts.income_by_tier_chart(daily), width="stretch")
    right.altair_chart(charts.creator_flow_chart(daily), width="stretch")

    csv, parquet = downloads.daily_files(daily, f"{scenario.name}-seed{seed}-daily")
    left, right = st.columns(2)
    csv.button(left)
    parquet.button(right)


st.title("Explore a policy")
st.markdown(
    "Start from a scenario in the sidebar, move its levers, and press **Run**. "
    f"Runs are shortened to **{runs.APP_DAYS} days** so that a baseline-size run answers "
    "within about 10 s; set `run.days` to 365 (about twice as long) for the whole year, "
    "including the 1106 festival (`commerce.event_days`)."
)
# Errors and hints from the sidebar, which holds the scenario and its levers.
messages = st.container()

with st.sidebar:
    source = choose_source(messages)
    if source is None:
        st.stop()
    source_id, base = source
    if st.session_state.get("explore.loaded") != source_id:
        try:
            levers.load_into_widgets(PREFIX, runs.for_app(base))
        except ScenarioError as error:
            with messages:
                runs.show_error(error)
            st.stop()
        st.session_state["explore.loaded"] = source_id
        st.session_state.pop(RUN_KEY, None)
    submitted = lever_form()

if submitted:
    try:
        edited = runs.checked(levers.scenario_from_widgets(PREFIX))
    except ScenarioError as error:
        runs.show_error(error)
        st.session_state.pop(RUN_KEY, None)
        st.stop()
    st.session_state[RUN_KEY] = edited

last_run: Scenario | None = st.session_state.get(RUN_KEY)
current = last_run or runs.for_app(base)
downloads.scenario_file(current).button(st.sidebar)
if last_run is None:
    st.info("Move the levers in the sidebar and press **Run**.")
else:
    show_results(last_run)
