"""Explore: edit a policy, run it and the pinned baseline over the same seeds, and read
every KPI as value, change against the baseline and its 95% interval."""

from __future__ import annotations

from typing import Any

import streamlit as st

import sim
from app import charts, downloads, jobs, kpis, levers, policies, streaming
from app.policies import query_text
from sim.metrics.display import daily_display
from sim.scenario.timeline import changes

PREFIX = "explore"
JOB = "explore.job"
WARM = "explore.warm"
DEFAULT_SERIES = ["exposure_gini", "ordinary_share", "gmv_real", "follower_gini"]
URL_KEYS = ("src", "pin", "seeds", "days", "res", "name")
state = st.session_state


# -- state: sources, the URL ---------------------------------------------------------------


def load_source() -> None:
    """Put the chosen source's levers into the widgets (on choosing a source)."""
    try:
        scenario = policies.load(state["explore.source"])
    except sim.ScenarioError as error:
        state["explore.load_error"] = error
        return
    state.pop("explore.load_error", None)
    levers.load_into_widgets(PREFIX, scenario)


def remember_upload() -> None:
    """Load an uploaded scenario file's levers (the uploader forgets its file on other
    pages, the widgets keep the values)."""
    upload = state.get("explore.upload")
    if upload is None:
        return
    try:
        scenario = policies.parse_upload(upload.getvalue(), upload.name)
    except sim.ScenarioError as error:
        state["explore.load_error"] = error
        return
    state.pop("explore.load_error", None)
    levers.load_into_widgets(PREFIX, scenario)


def start_from_url() -> None:
    """On a session's first visit, restore the view a link describes: the source, the
    pinned baseline, the run settings and every lever edit (refused ones are listed)."""
    if state.get("explore.ready"):
        return
    params = dict(st.query_params.to_dict())
    options = policies.sources()
    source = query_text(params, "src") or "baseline"
    refused: dict[str, str] = {}
    if source not in options:
        refused["src"] = f"there is no scenario or saved policy {source!r}"
        source = "baseline"
    pin = query_text(params, "pin") or policies.DEFAULT_PIN
    if pin not in options:
        refused["pin"] = f"there is no scenario or saved policy {pin!r}"
        pin = policies.DEFAULT_PIN
    state["explore.source"], state["explore.pin"] = source, pin
    state["explore.seeds"] = _int(params, "seeds", 3, 1, 10, refused)
    state["explore.days"] = _int(params, "days", policies.APP_DAYS, 1, 5000, refused)
    resolution = query_text(params, "res") or "full"
    state["explore.res"] = resolution if resolution in policies.RESOLUTIONS else "full"
    edits = {k: query_text(params, k) or "" for k in params if k not in URL_KEYS}
    scenario, bad = levers.apply_edits(policies.load(source), edits)
    name = query_text(params, "name")
    if name:
        try:
            scenario = sim.Scenario.model_validate({**scenario.model_dump(), "name": name})
        except ValueError:
            bad["name"] = f"must be a slug, got {name!r}"
    levers.load_into_widgets(PREFIX, scenario)
    state["explore.refused"] = {**refused, **bad}
    state["explore.ready"] = True


def _int(
    params: dict[str, Any], name: str, default: int, low: int, high: int, refused: dict[str, str]
) -> int:
    text = query_text(params, name)
    if text is None:
        return default
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    refused[name] = f"must be a whole number from {low} to {high}, got {text!r}"
    return default


def write_url(source: str, edited: sim.Scenario | None, base: sim.Scenario) -> None:
    """The URL carries the source, the pin, the run settings and the lever edits."""
    params: dict[str, str] = {
        "src": source,
        "pin": state["explore.pin"],
        "seeds": str(state["explore.seeds"]),
        "days": str(state["explore.days"]),
        "res": state["explore.res"],
    }
    if edited is not None:
        for path, value in levers.edits_between(base, edited).items():
            params[path] = levers.edit_text(value)
        if edited.name != base.name:
            params["name"] = edited.name
    if dict(st.query_params.to_dict()) != params:
        st.query_params.from_dict(params)


# -- the page --------------------------------------------------------------------------------


def sidebar_sources() -> None:
    options = list(policies.sources())
    if state.get("explore.source") not in options:
        state["explore.source"] = "baseline"
    st.selectbox(
        "Start from",
        options,
        key="explore.source",
        on_change=load_source,
        help="A shipped scenario or a policy you saved; its levers fill the form below.",
    )
    with st.expander("Or upload a scenario file"):
        st.file_uploader(
            f"Scenario file (YAML, at most {policies.MAX_UPLOAD_MB} MB)",
            type=["yaml", "yml"],
            max_upload_size=policies.MAX_UPLOAD_MB,
            key="explore.upload",
            on_change=remember_upload,
            help="A scenario file as `ecosim run` reads it; `ecosim schema` documents it.",
        )
    if state.get("explore.pin") not in options:
        state["explore.pin"] = policies.DEFAULT_PIN
    st.selectbox(
        "Pinned baseline",
        options,
        key="explore.pin",
        help="Every answer is shown against this policy, run over the same seeds. "
        "Pin another with 'Pin as baseline' below.",
    )


def run_settings() -> None:
    left, right = st.columns(2)
    left.number_input(
        "seeds", min_value=1, max_value=10, step=1, key="explore.seeds",
        help="Seeds each policy runs with (the same for both, in parallel processes); "
        "95% intervals need at least 2.",
    )  # fmt: skip
    right.selectbox(
        "days", sorted({*policies.DAY_CHOICES, int(state["explore.days"])}), key="explore.days",
        help="Days each run simulates from 1 January 2019 (day 0). The 1106 festival "
        "is on days 308-309 (5-6 November).",
    )  # fmt: skip
    st.radio(
        "resolution",
        list(policies.RESOLUTIONS),
        format_func=lambda name: policies.RESOLUTIONS[name].label,
        key="explore.res",
        help=policies.RESOLUTION_NOTE,
    )


def save_and_pin(edited: sim.Scenario | None, problems: dict[str, str]) -> None:
    st.text_input(
        "policy name", key=levers.widget_key(PREFIX, "name"),
        help="A slug: it names the saved file and the run directories.",
    )  # fmt: skip
    if "name" in problems:
        st.error(f"`name`: {problems['name']}", icon=":material/error:")
    st.text_area("description", key=levers.widget_key(PREFIX, "description"), height=68)
    if "description" in problems:
        st.error(f"`description`: {problems['description']}", icon=":material/error:")
    left, right = st.columns(2)
    if left.button("Save policy", icon=":material/save:", disabled=edited is None):
        assert edited is not None
        label = policies.save(edited)
        st.toast(f"Saved as {label}")
        state["explore.saved"] = label
    if right.button("Pin as baseline", icon=":material/push_pin:", disabled=edited is None):
        assert edited is not None
        label = policies.save(edited)
        state["explore.pin_next"] = label
        st.rerun()


def lever_widgets(reference: sim.Scenario, problems: dict[str, str]) -> None:
    for group in levers.POLICY_GROUPS:
        paths = [p for p in levers.POLICY_LEVERS if p.startswith(group + ".")]
        with st.expander(f"{group} levers", expanded=group == "traffic"):
            st.caption(levers.group_description(group))
            levers.render_group(PREFIX, paths, reference, problems)
    world = [lever.path for lever in levers.world_levers()]
    with st.expander("World and calibration parameters"):
        st.caption(
            "Not policy levers: the population the scenario simulates and the parameters "
            "calibrated to the seed document's facts."
        )
        levers.render_group(PREFIX, world, reference, problems)


def timeline_summary(edited: sim.Scenario | None, days: int, problems: dict[str, str]) -> None:
    """The timeline the scenario brought from its file, which runs with it: each change
    applies from its day on top of the levers above (those apply from day 0)."""
    if "timeline" in problems:
        st.error(f"`timeline`: {problems['timeline']}", icon=":material/error:")
    found = changes(edited) if edited is not None else []
    if not found:
        return
    with st.expander(f"Timeline: {len(found)} change{'s' if len(found) > 1 else ''}"):
        st.caption(
            "From the scenario file (day 0 is 1 January 2019). Each change applies from "
            "its day on, on top of the levers above, which apply from day 0; edit the "
            "file to change the timeline."
        )
        lines = [
            f"- day {c.day} ({c.date}): `{c.path}` {levers.edit_text(c.before)} → "
            f"{levers.edit_text(c.after)}"
            + ("" if c.day < days else f" *(after a {days}-day run)*")
            for c in found
        ]
        st.markdown("\n".join(lines))


def policy_labels(reference: sim.Scenario, edited: sim.Scenario) -> tuple[str, str]:
    """Names for the pinned baseline and the edited policy, never the same."""
    pin = state["explore.pin"].removeprefix(policies.SAVED_PREFIX)
    name = edited.name
    if name == pin or name == reference.name:
        name = f"{name} (edited)"
    return pin, name


def show_job(job: jobs.Job, reference: str, edited: str) -> None:
    """The results so far: a line on the seeds, the KPI table, the cards, the charts."""
    paired = job.paired()
    if paired == 0:
        st.info("Running the first seed of each policy; its results appear here first.")
        return
    seeds = len(job.seeds)
    more = "" if paired == seeds else f" ({seeds - paired} more running: numbers will move)"
    st.subheader(f"{edited} against {reference}")
    st.caption(
        f"{paired} of {seeds} seeds{more}; {job.days} days each. Each value is the mean "
        "over seeds; the change is paired by seed, with its 95% interval (Student's t); "
        "'clear' only when the interval excludes zero. Platform totals are "
        "real-equivalent (times population.scale)."
    )
    rows = streaming.comparison_rows(job, reference)
    streaming.binding_cards(job, reference, edited)
    streaming.kpi_table(rows, reference)
    if paired >= 2:
        table = kpis.long_table(rows)
        key = table[table["kpi"].isin(kpis.KEY_KPIS)]
        st.altair_chart(charts.change_chart(key, reference, list(job.policies)), width="stretch")
    edited_scenario = job.policies[edited]
    bounds: dict[str, tuple[str, float] | None] = {}
    if edited_scenario.traffic.gini_cap is not None:
        bounds["exposure_gini"] = ("gini_cap", edited_scenario.traffic.gini_cap)
    if edited_scenario.traffic.ordinary_floor is not None:
        bounds["ordinary_share"] = ("ordinary_floor", edited_scenario.traffic.ordinary_floor)
    streaming.series_charts(job, list(state.get("explore.series", DEFAULT_SERIES)), bounds)
    streaming.first_seed_charts(job)


@st.fragment(run_every=1.0)
def watch_prewarm() -> None:
    """While the pinned baseline runs in the background, say so; when it is done, draw
    the page again (the estimate then counts only the edited policy's runs)."""
    warm: jobs.Job | None = state.get(WARM)
    if warm is None:
        return
    warm.poll()
    if warm.done:
        del state[WARM]
        st.rerun(scope="app")
    st.caption(
        f"Running the pinned baseline's {len(warm.seeds)} seeds in the background "
        f"({streaming.job_status(warm)}), so that Run only has the edited policy left."
    )


st.title("Explore a policy")
st.markdown(
    "Move the levers in the sidebar and press **Run**: the edited policy and the pinned "
    "baseline run over the same seeds in parallel, and every KPI shows its change against "
    "the baseline with a 95% interval. The first seed's results appear while the others "
    "run. The link in the address bar reproduces this view."
)
streaming.sticky_style()
if "explore.pin_next" in state:
    state["explore.pin"] = state.pop("explore.pin_next")
start_from_url()
messages = st.container()
for field, reason in state.get("explore.refused", {}).items():
    messages.warning(f"The link's `{field}` was not applied: {reason}", icon=":material/link:")
if "explore.load_error" in state:
    with messages:
        policies.show_error(state["explore.load_error"], "Not loaded")

try:
    pinned = policies.load(state["explore.pin"])
except sim.ScenarioError as error:
    with messages:
        policies.show_error(error, "Pinned baseline")
    st.stop()
days, resolution = int(state["explore.days"]), state["explore.res"]
seeds = jobs.seeds_for(pinned.run.seed, int(state["explore.seeds"]))
edited, problems = levers.validate(*levers.widget_data(PREFIX))
blocked = [f"`{path}`: {reason}" for path, reason in problems.items()]
runnable: sim.Scenario | None = None
reference = policies.at_resolution(pinned, resolution)
if edited is not None:
    try:
        runnable = policies.checked(policies.at_resolution(edited, resolution))
        policies.checked(reference)
    except sim.ScenarioError as error:
        blocked.append(f"`{error.path}`: {error.reason}")
        with messages:
            policies.show_error(error)
job: jobs.Job | None = state.get(JOB)
labels = policy_labels(pinned, edited) if edited is not None else ("", "")
wanted = {labels[0]: reference, labels[1]: runnable} if runnable is not None else {}
missing = jobs.missing(wanted, seeds, days) if runnable is not None else []
estimate = streaming.estimate_text(missing, len(seeds) * 2)

with st.sidebar:
    bar = streaming.bar_container("explore")
    sidebar_sources()
    run_settings()
    lever_widgets(pinned, problems)
    timeline_summary(edited, days, problems)
    save_and_pin(edited, problems)
    downloads.scenario_file(edited or pinned).button(st.sidebar)
pressed = streaming.run_bar("explore", "Run", blocked, estimate, job, bar)

source = state["explore.source"]
write_url(source, edited, policies.load(source) if source in policies.sources() else pinned)
if resolution != "full":
    st.caption(f"**Resolution: {resolution}.** {policies.RESOLUTION_NOTE}")

if pressed and runnable is not None:
    state[JOB] = jobs.start({labels[0]: reference, labels[1]: runnable}, seeds, days)
    state["explore.labels"] = labels
    st.rerun()  # draw the Run bar again: Stop is live while the job runs

state.setdefault("explore.series", DEFAULT_SERIES)
st.multiselect(
    "series to chart",
    charts.NUMERIC_METRICS,
    key="explore.series",
    format_func=lambda name: daily_display(name).title,
    help="Daily metrics drawn for every policy: mean over seeds, band from lowest to highest.",
)
if job is None or job.done:
    jobs.pool()  # start the workers while the planner reads
    if not blocked and edited is not None and WARM not in state:
        warm = jobs.prewarm({labels[0]: reference}, seeds, days)
        if warm is not None:
            state[WARM] = warm
    watch_prewarm()
if job is None:
    st.info("Move the levers in the sidebar and press **Run**.", icon=":material/tune:")
else:
    reference_label, edited_label = state["explore.labels"]
    was_running = not job.done
    streaming.follow(job, lambda j: show_job(j, reference_label, edited_label))
    if job.done and job.paired():
        first = job.results(edited_label)[0]
        csv, parquet = downloads.daily_files(first.daily, f"{edited_label}-seed{first.seed}")
        left, right = st.columns(2)
        csv.button(left)
        parquet.button(right)
    if was_running:
        st.rerun()  # the job ended: Run again, Stop off, the estimate back
