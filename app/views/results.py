"""Results: browse run and sweep directories on disk, choose runs and metrics, chart them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import charts, jobs, results_db
from sim.metrics.catalogue import DAILY_METRICS
from sim.metrics.display import daily_display

DEFAULT_METRICS = ["exposure_gini", "gmv_real"]

st.title("Results on disk")
st.markdown(
    "Every run the app makes is saved here, as are runs of `ecosim run` and of sweeps: "
    "every directory holding a `summary.json` is a complete run, listed with its policy "
    "levers as columns. The daily metrics are read with DuckDB straight from their "
    "Parquet files."
)
st.session_state.setdefault("results.root", str(jobs.runs_dir()))
st.session_state.setdefault("results.metrics", DEFAULT_METRICS)
root_text = st.text_input(
    "directory",
    key="results.root",
    help="A run output root (`runs`, the default of `ecosim run --out`) or a sweep directory; "
    "searched at any depth.",
)
root = Path(root_text).expanduser()
if not root.is_dir():
    st.info(
        f"`{root}` is not a directory yet. Run a policy on Explore, or save one with `ecosim run`."
    )
    st.stop()
found = results_db.find_runs(root)
if found.empty:
    st.info(f"No complete runs under `{root}`. Save one with `make run` or `ecosim run`.")
    st.stop()

st.dataframe(
    found.drop(columns=["path"]),
    hide_index=True,
    width="stretch",
    height=min(400, 38 + 35 * len(found)),
)
labels = found["run"].tolist()
# Runs chosen under another directory are dropped; a new directory starts with two.
kept = [label for label in st.session_state.get("results.runs", []) if label in labels]
st.session_state["results.runs"] = kept or labels[:2]
chosen = st.multiselect("runs", labels, key="results.runs")
metrics = st.multiselect(
    "metrics",
    charts.NUMERIC_METRICS,
    key="results.metrics",
    help="Daily metrics; hover a name in the Model page's table for its meaning.",
    format_func=lambda name: daily_display(name).label,
)
if not chosen or not metrics:
    st.info("Choose at least one run and one metric.")
    st.stop()

paths = found.set_index("run").loc[chosen, "path"].tolist()
long = results_db.daily_long(paths, metrics)
long["run"] = long["directory"].map(dict(zip(found["path"], found["run"], strict=True)))
st.altair_chart(charts.runs_chart(long[["run", "day", "metric", "value"]]), width="content")
for metric in metrics:
    st.caption(f"**{daily_display(metric).label}** (`{metric}`): {DAILY_METRICS[metric]}")
with st.expander("The DuckDB query"):
    st.code(results_db.daily_query(metrics), language="sql")
    st.caption("`$files` is the list of the chosen runs' daily.parquet files.")
