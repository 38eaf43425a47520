"""Compare: N policies over the same seeds, in one side-by-side table against the first,
with charts and a self-contained HTML report."""

from __future__ import annotations

import re

import streamlit as st

import sim
from app import charts, jobs, kpis, levers, policies, report, streaming
from sim.metrics.display import daily_display

MAX_POLICIES = 4
JOB = "compare.job"
EXPLORE_OPTION = "Explore's edited policy"
DEFAULT_SERIES = ["exposure_gini", "gmv_real"]
PRESET = (("baseline", "", "baseline"), ("centralized", "", "centralized"))
state = st.session_state


def sources() -> dict[str, sim.Scenario | None]:
    """Scenario by option: the shipped and saved ones, and Explore's current policy."""
    options: dict[str, sim.Scenario | None] = dict.fromkeys(policies.sources())
    try:
        explored, _ = levers.validate(*levers.widget_data("explore"))
    except KeyError:  # Explore has not been opened in this session
        explored = None
    if explored is not None:
        options[EXPLORE_OPTION] = explored
    return options


def parse_edits(text: str) -> list[str]:
    """One ``PATH=VALUE`` per line; blank lines and ``#`` comment lines are skipped."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def preset() -> None:
    """Fill the form with the one-click comparison."""
    state["compare.count"] = len(PRESET)
    for index, (source, edits, name) in enumerate(PRESET):
        state[f"compare.scenario.{index}"] = source
        state[f"compare.edits.{index}"] = edits
        state[f"compare.name.{index}"] = name


def policy_slots(options: list[str]) -> None:
    count = int(state["compare.count"])
    for index, column in enumerate(st.columns(count)):
        with column:
            st.markdown(f"**Policy {index + 1}**" + (" (reference)" if index == 0 else ""))
            key = f"compare.scenario.{index}"
            if state.get(key) not in options:
                unknown = state.get(key)
                state[key] = options[0] if index == 0 else options[min(index, len(options) - 1)]
                if unknown is not None:
                    st.warning(f"There is no scenario or saved policy {unknown!r}.")
            source = st.selectbox("scenario", options, key=key)
            _default_name(index, source)
            st.text_input(
                "name", key=f"compare.name.{index}", help="How tables and charts call it."
            )
            st.text_area(
                "lever edits",
                key=f"compare.edits.{index}",
                placeholder="traffic.gini_cap=0.4\ncommerce.source_goods=true",
                help="One PATH=VALUE per line, as `ecosim run --set` takes them.",
                height=90,
            )


def _default_name(index: int, source: str) -> None:
    """Name a policy after its scenario until the planner types a name of their own."""
    key, named = f"compare.name.{index}", f"compare.named_from.{index}"
    previous = state.get(named)
    if previous != source and state.get(key, "") in ("", _short(previous)):
        state[key] = _short(source)
    state[named] = source


def _short(source: str | None) -> str:
    return "" if source is None else source.removeprefix(policies.SAVED_PREFIX)


def read_policies(
    options: dict[str, sim.Scenario | None], resolution: str
) -> tuple[dict[str, sim.Scenario], list[str]]:
    """Validated scenarios by unique name, and the problems (policy n: path: reason)."""
    found: dict[str, sim.Scenario] = {}
    problems: list[str] = []
    for index in range(int(state["compare.count"])):
        option = state[f"compare.scenario.{index}"]
        edits = parse_edits(state[f"compare.edits.{index}"])
        name = state[f"compare.name.{index}"].strip() or option
        try:
            given = options[option]
            text = sim.dump_scenario(given) if given is not None else None
            path = policies.sources().get(option)
            base = (
                sim.parse_scenario(text, edits, origin=option)
                if text is not None
                else sim.load_scenario(path, edits)  # type: ignore[arg-type]
            )
            found_scenario = policies.checked(policies.at_resolution(base, resolution))
        except sim.ScenarioError as error:
            problems.append(f"policy {index + 1}: `{error.path}`: {error.reason}")
            continue
        if name in found:
            problems.append(f"policy {index + 1}: the name {name!r} is taken; rename it")
            continue
        found[name] = found_scenario
    return found, problems


def show_job(job: jobs.Job, series: list[str]) -> None:
    paired = job.paired()
    if paired == 0:
        st.info("Running the first seed of every policy; its results appear here first.")
        return
    reference = next(iter(job.policies))
    rows = streaming.comparison_rows(job, reference)
    st.subheader(f"{len(job.policies)} policies against {reference}")
    st.caption(
        f"{paired} of {len(job.seeds)} seeds, {job.days} days each. Values are means over "
        "seeds; each change is paired by seed with its 95% interval (Student's t); green "
        "is a clear improvement, red a clear worsening, uncoloured within noise."
    )
    streaming.kpi_table(rows, reference)
    if paired >= 2:
        table = kpis.long_table(rows)
        key = table[table["kpi"].isin(kpis.KEY_KPIS)]
        st.altair_chart(charts.change_chart(key, reference, list(job.policies)), width="stretch")
    streaming.series_charts(job, series, {})


st.title("Compare policies")
st.markdown(
    "Up to four policies over the same seeds, side by side, each against the first. A "
    "policy is a scenario (shipped, saved, or the one you are editing on Explore) plus "
    "optional lever edits; name it as you like."
)
state.setdefault("compare.count", 3)
state.setdefault("compare.seeds", 3)
state.setdefault("compare.days", policies.APP_DAYS)
state.setdefault("compare.res", "full")
state.setdefault("compare.series", DEFAULT_SERIES)
URL_FIELDS: dict[str, tuple[str, type]] = {
    "seeds": ("compare.seeds", int),
    "days": ("compare.days", int),
    "res": ("compare.res", str),
    "count": ("compare.count", int),
    **{
        f"{name}{i + 1}": (f"compare.{key}.{i}", str)
        for i in range(MAX_POLICIES)
        for name, key in (("p", "scenario"), ("e", "edits"), ("n", "name"))
    },
}
"""What the link carries: the settings and each policy's source (p1), edits (e1), name (n1)."""


def _slot(parameter: str) -> int:
    """The policy a link parameter belongs to (``e2``: 1), or -1 for the settings."""
    return int(parameter[1:]) - 1 if parameter[1:].isdigit() else -1


for field, reason in policies.restore_from_url("compare.ready", URL_FIELDS).items():
    st.warning(f"The link's `{field}` was not applied: {reason}")
for index in range(MAX_POLICIES):  # a name from the link counts as the planner's own
    if f"compare.name.{index}" in state and f"compare.scenario.{index}" in state:
        state.setdefault(f"compare.named_from.{index}", state[f"compare.scenario.{index}"])
options = sources()
streaming.sticky_style()
top = streaming.bar_container("compare")
st.button(
    "Baseline vs centralized",
    on_click=preset,
    icon=":material/bolt:",
    help="The 2019 platform (double column, Gini cap, 70% floor) against a single-column "
    "platform with no cap and no floor (direction D2).",
)
settings = st.columns(4)
settings[0].number_input("policies", min_value=2, max_value=MAX_POLICIES, key="compare.count")
settings[1].number_input("seeds", min_value=1, max_value=10, key="compare.seeds")
settings[2].selectbox("days", policies.DAY_CHOICES, key="compare.days")
settings[3].selectbox(
    "resolution", list(policies.RESOLUTIONS), key="compare.res", help=policies.RESOLUTION_NOTE
)
policy_slots(list(options))
shown_policies = int(state["compare.count"])
policies.write_url(
    {name: field for name, field in URL_FIELDS.items() if _slot(name) < shown_policies}
)
chosen, problems = read_policies(options, state["compare.res"])
seed_base = next(iter(chosen.values())).run.seed if chosen else 2019
seeds = jobs.seeds_for(seed_base, int(state["compare.seeds"]))
days = int(state["compare.days"])
job: jobs.Job | None = state.get(JOB)
missing = jobs.missing(chosen, seeds, days) if not problems else []
estimate = streaming.estimate_text(missing, len(chosen) * len(seeds))
if streaming.run_bar("compare", "Compare", problems, estimate, job, top) and not problems:
    state[JOB] = jobs.start(chosen, seeds, days)
    st.rerun()  # draw the bar again: Stop is live while the job runs
series = st.multiselect(
    "series to chart",
    charts.NUMERIC_METRICS,
    key="compare.series",
    format_func=lambda name: daily_display(name).title,
)
if job is not None:
    was_running = not job.done
    streaming.follow(job, lambda j: show_job(j, series))
    if was_running:
        st.rerun()
    if job.done and job.paired():
        reference = next(iter(job.policies))
        paired = job.paired()
        results = {p: job.results(p)[:paired] for p in job.policies}
        html_text = report.comparison_html(
            streaming.comparison_rows(job, reference),
            reference,
            results,
            series,
            note=f"{paired} seeds, {job.days} days each; changes paired by seed with 95% "
            "intervals (Student's t).",
        )
        slug = re.sub(r"[^a-z0-9]+", "-", "-vs-".join(job.policies).lower()).strip("-")
        st.download_button(
            "Export the comparison (HTML report)",
            html_text.encode("utf-8"),
            file_name=f"comparison-{slug[:80]}.html",
            mime="text/html",
            icon=":material/download:",
            on_click="ignore",
            help="The table and the charts in one self-contained HTML file.",
        )
