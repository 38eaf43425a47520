"""Response curves: sweep one lever over a range, over seeds, on a local Dask cluster, and
plot each KPI against it with its 95% band, plus a trade-off across the points."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import sim
from app import charts, curves, jobs, kpis, levers, policies, streaming

RESULT = "curves.result"
DEFAULT_KPIS = ["gmv_real_total", "exposure_gini_mean", "follower_gini_final",
                "ordinary_income_median"]  # fmt: skip
TRADEOFF_X = ["exposure_gini_mean", "follower_gini_final", "follower_top1_share_final"]
state = st.session_state


def lever_choice() -> levers.Lever:
    numeric = [p for p in levers.SLIDERS if p in levers.POLICY_LEVERS]
    state.setdefault("curves.lever", "traffic.gini_cap")
    path = st.selectbox(
        "lever",
        numeric,
        key="curves.lever",
        on_change=_reset_range,
        help="The policy lever to sweep; its channel is in its help on Explore.",
    )
    lever = levers.by_path()[path]
    if "curves.low" not in state:
        _reset_range()
    st.caption(f"{lever.description} **Channel:** {lever.channel}.")
    return lever


def _reset_range() -> None:
    lever = levers.by_path()[state["curves.lever"]]
    span = levers.SLIDERS[lever.path]
    defaults = {"traffic.gini_cap": (0.3, 0.9)}
    low, high = defaults.get(lever.path, (span.low, span.high))
    state["curves.low"], state["curves.high"] = float(low), float(high)
    state["curves.none"] = lever.nullable


st.title("Response curves")
st.markdown(
    "Sweep one lever over a range: every point runs over the same seeds on a local Dask "
    "cluster (the sweep machinery of `ecosim sweep`, so an interrupted sweep resumes and "
    "`ecosim report` reads it), and each KPI is drawn against the lever with its 95% band."
)
state.setdefault("curves.points", 4)
state.setdefault("curves.seeds", 2)
state.setdefault("curves.days", policies.APP_DAYS)
state.setdefault("curves.res", "quarter")
state.setdefault("curves.source", "baseline")
state.setdefault("curves.kpis", DEFAULT_KPIS)
state.setdefault("curves.tradeoff", TRADEOFF_X[0])

URL_FIELDS: dict[str, tuple[str, type]] = {
    "lever": ("curves.lever", str),
    "low": ("curves.low", float),
    "high": ("curves.high", float),
    "points": ("curves.points", int),
    "none": ("curves.none", bool),
    "seeds": ("curves.seeds", int),
    "days": ("curves.days", int),
    "res": ("curves.res", str),
    "src": ("curves.source", str),
}
"""What the link carries: the lever, its range and the run settings."""
for field, reason in policies.restore_from_url("curves.ready", URL_FIELDS).items():
    st.warning(f"The link's `{field}` was not applied: {reason}")
if state.get("curves.lever") not in levers.SLIDERS:
    state["curves.lever"] = "traffic.gini_cap"
streaming.sticky_style()
top = streaming.bar_container("curves")
left, middle, right = st.columns(3)
with left:
    lever = lever_choice()
    options = list(policies.sources())
    if state["curves.source"] not in options:
        state["curves.source"] = "baseline"
    st.selectbox("starting from", options, key="curves.source")
with middle:
    span = levers.SLIDERS[lever.path]
    integer = lever.kind == "int"
    a, b = st.columns(2)
    a.number_input("from", step=float(span.step), key="curves.low", format="%g")
    b.number_input("to", step=float(span.step), key="curves.high", format="%g")
    st.number_input("points", min_value=2, max_value=9, key="curves.points")
    if lever.nullable:
        st.toggle(f"and {lever.none_label}", key="curves.none")
with right:
    st.number_input("seeds per point", min_value=1, max_value=10, key="curves.seeds")
    st.selectbox("days", policies.DAY_CHOICES, key="curves.days")
    st.selectbox(
        "resolution", list(policies.RESOLUTIONS), key="curves.res",
        format_func=lambda name: policies.RESOLUTIONS[name].label, help=policies.RESOLUTION_NOTE,
    )  # fmt: skip

policies.write_url(URL_FIELDS)
values = curves.lever_values(
    float(state["curves.low"]), float(state["curves.high"]), int(state["curves.points"]), integer
)
if lever.nullable and state.get("curves.none"):
    values.append(None)
problems: list[str] = []
text = ""
try:
    base = policies.at_resolution(policies.load(state["curves.source"]), state["curves.res"])
    base = jobs.with_run(base, base.run.seed, int(state["curves.days"]))
    seeds = jobs.seeds_for(base.run.seed, int(state["curves.seeds"]))
    text = curves.sweep_text(base, lever.path, values, seeds)
    sweep = sim.load_sweep(text)
    policies.checked(base)
except sim.ScenarioError as error:
    problems.append(f"`{error.path}`: {error.reason}")
runs_total = len(values) * int(state["curves.seeds"])
estimate = ""
if not problems:
    seconds = jobs.estimate_seconds([point.scenario for point in sweep.points] * len(seeds))
    shown = ", ".join("none" if v is None else f"{v:g}" for v in values)
    estimate = (
        f"{runs_total} runs ({lever.path} = {shown}; {len(seeds)} seeds each); "
        f"estimate: {streaming.duration(seconds)} plus the cluster's start."
    )
RUNNING = "curves.running"
"""The sweep file text of the sweep this session is running (it runs in the page itself)."""


def stop_sweep() -> None:
    state["curves.stopped"] = True


if state.pop("curves.stopped", False) and RUNNING in state:
    state.pop(RUNNING)
    st.warning(
        "Stopped. The runs that had finished are saved in the sweep directory; Sweep again "
        "with the same settings makes only the rest.",
        icon=":material/stop_circle:",
    )
running = state.get(RUNNING)
busy = "a sweep on a local Dask cluster" if running else None
pressed = streaming.run_bar(
    "curves", "Sweep", problems, estimate, None, top, busy=busy, on_stop=stop_sweep
)
if pressed and not problems:
    state[RUNNING] = text
    st.rerun()  # draw the bar again with Stop live, then sweep
if running:
    bar = st.progress(0.0, text="Starting a local Dask cluster")

    def on_run(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"{done} of {total} runs finished")

    # Stop reruns the page, which interrupts this call: the cluster closes, finished runs
    # stay in the sweep directory and its ledger.
    with st.spinner("Sweeping on a local Dask cluster"):
        outcome = curves.run(running, workers=None, on_run=on_run)
    bar.empty()
    state.pop(RUNNING, None)
    state[RESULT] = (str(outcome.root), lever.path)
    state["curves.failed"] = outcome.failed[:5]
    st.rerun()
for failure in state.get("curves.failed", []):
    st.error(f"A run failed: {failure}")

if RESULT not in state:
    st.info("Choose a lever and a range, then press **Sweep**.", icon=":material/show_chart:")
    st.stop()
root, swept = state[RESULT]
table = curves.points(Path(root), swept)
if table.empty:
    st.info("No finished runs in this sweep yet.")
    st.stop()
names = kpis.ordered(list(dict.fromkeys(table["kpi"])))
chosen = st.multiselect(
    "KPIs to plot", names, key="curves.kpis", format_func=lambda n: kpis.display(n).label
)
st.caption(
    f"Sweep directory `{root}`: {table['point'].nunique()} points, "
    f"{int(table['seeds'].max())} seeds each. Bands are 95% intervals over seeds "
    "(Student's t); 'none' is drawn one step past the range."
)
columns = st.columns(2)
for index, name in enumerate(chosen):
    columns[index % 2].altair_chart(charts.response_chart(table, swept, name), width="stretch")
x_kpi = st.selectbox(
    "trade-off against", TRADEOFF_X, key="curves.tradeoff",
    format_func=lambda n: kpis.display(n).label,
)  # fmt: skip
st.altair_chart(charts.tradeoff_chart(table, x_kpi, "gmv_real_total", swept), width="stretch")
with st.expander("The sweep file"):
    st.code(sim.load_sweep(text).to_yaml() if text else "", language="yaml")
