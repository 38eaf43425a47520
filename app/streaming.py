"""What every page that runs policies shares: the Run/Stop bar that stays in view, the
time estimate, following a job while its seeds finish, and the results of a job.

A job's runs go on in worker processes while the page re-renders: pressing Stop, moving a
lever or visiting another page interrupts only the page, which picks the job up again from
session state on its next run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import charts, jobs, kpis
from sim.metrics.display import compact

STICKY_CSS = """
<style>
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-runbar"]) {
  position: sticky; top: 0; z-index: 99; background: var(--background-color, #fff);
  padding: 0.25rem 0 0.5rem 0; border-bottom: 1px solid rgba(49, 51, 63, 0.2);
}
</style>
"""
"""Keeps the Run bar at the top of the sidebar however far its levers are scrolled."""
POLL_S = 0.4


def sticky_style() -> None:
    st.html(STICKY_CSS)


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "unknown"
    if seconds < 1:
        return "under 1 s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def estimate_text(missing: list[jobs.Task], total: int) -> str:
    """``About 14 s (6 of 6 runs to make, 320 MB each)`` or ``All runs are cached``."""
    if not missing:
        return f"All {total} runs are cached: results at once."
    seconds = jobs.estimate_seconds([task.scenario for task in missing])
    memory = jobs.memory_text(missing[0].scenario)
    size = f"{len(missing)} of {total} runs to make, about {memory} each"
    if seconds is None:
        return f"Time: measured on the first run ({size})."
    return f"Estimate: {duration(seconds)} ({size}, {jobs.pool_workers()} at a time)."


def run_bar(
    key: str,
    label: str,
    blocked: list[str],
    estimate: str,
    job: jobs.Job | None,
    where: DeltaGenerator,
    busy: str | None = None,
    on_stop: Callable[[], None] | None = None,
) -> bool:
    """The Run and Stop buttons, the estimate and why Run is blocked, drawn in ``where``
    (a container made with :func:`bar_container`, which stays in view); True on Run.

    Stop ends ``job``; a page that runs something else passes ``busy`` (what is running)
    and ``on_stop`` instead."""
    running = busy is not None or (job is not None and not job.done)
    with where:
        left, right = st.columns(2)
        pressed = left.button(
            label,
            type="primary",
            icon=":material/play_arrow:",
            disabled=bool(blocked) or running,
            key=f"btn.{key}.run",
            width="stretch",
        )
        right.button(
            "Stop",
            icon=":material/stop:",
            disabled=not running,
            key=f"btn.{key}.stop",
            on_click=on_stop or _stop,
            args=() if on_stop else (job,),
            width="stretch",
        )
        if blocked:
            st.error(
                "Run is blocked until these are fixed: " + "; ".join(blocked),
                icon=":material/block:",
            )
        elif busy is not None:
            st.caption(f"Running: {busy}")
        elif running and job is not None:
            st.caption(f"Running: {job_status(job)}")
        else:
            st.caption(estimate)
    return bool(pressed)


def bar_container(key: str) -> DeltaGenerator:
    """The place of a page's Run bar: sticky, so scrolling never hides it."""
    return st.container(key=f"runbar_{key}")


def _stop(job: jobs.Job | None) -> None:
    if job is not None:
        job.stop()


def job_status(job: jobs.Job) -> str:
    finished = sum(task.finished for task in job.tasks)
    text = f"{finished} of {len(job.tasks)} runs done, {job.elapsed:.1f} s"
    if job.estimate_s is not None and not job.done:
        text += f" (estimate {duration(job.estimate_s)})"
    return text


def follow(job: jobs.Job, render: Callable[[jobs.Job], None]) -> None:
    """Show the job's progress and, each time more seeds are paired, its results, until
    every run has finished (or stopped)."""
    status = st.empty()
    results = st.empty()
    shown = -1
    while True:
        job.poll()
        status.empty()
        with status.container():
            progress(job)
        if job.paired() != shown or job.done:
            shown = job.paired()
            results.empty()
            with results.container():
                render(job)
        if job.done:
            break
        job.wait(POLL_S)


def progress(job: jobs.Job) -> None:
    """One bar per policy while the job runs; afterwards one line saying how it went."""
    stopped = [task for task in job.tasks if task.error is not None]
    if job.done:
        made = sum(not task.cached for task in job.tasks if task.result is not None)
        cached = sum(task.cached for task in job.tasks)
        line = f"{made} runs made and {cached} from the cache in {job.elapsed:.1f} s."
        if stopped:
            background = sum("background" in str(task.error) for task in stopped)
            line += f" {len(stopped) - background} runs stopped before they finished."
            if background:
                line += f" {background} runs of the pinned baseline finish in the background."
            st.warning(f"Stopped. {line}", icon=":material/stop_circle:")
        else:
            st.caption(line)
        return
    for policy in job.policies:
        tasks = [task for task in job.tasks if task.policy == policy]
        days = sum(job.day(task) for task in tasks)
        share = days / max(1, job.days * len(tasks))
        done = sum(task.finished for task in tasks)
        st.progress(
            min(1.0, share),
            text=f"{policy}: {done} of {len(tasks)} seeds done, day {days:,} of "
            f"{job.days * len(tasks):,} in all",
        )
    st.caption(job_status(job))


def comparison_rows(job: jobs.Job, reference: str) -> list[kpis.Row]:
    """The KPIs of every policy over the seeds all of them have finished."""
    paired = job.paired()
    per_policy = {
        policy: [kpis.planner_kpis(run) for run in job.results(policy)[:paired]]
        for policy in job.policies
    }
    return kpis.compare(per_policy, reference)


def kpi_table(rows: list[kpis.Row], reference: str) -> None:
    """The side-by-side table, coloured by verdict."""
    table = kpis.side_by_side(rows, reference)
    styled = table.style.apply(lambda _: kpis.colours(table), axis=None)
    st.dataframe(styled, hide_index=True, width="stretch", height=38 + 35 * len(table))


CARD_TITLES = {
    "cap_binding_days": "Gini cap bound",
    "floor_binding_days": "Ordinary floor bound",
    "ordinary_income_median": "Ordinary creators: median income a month",
    "ordinary_with_income_share": "Ordinary creators earning anything",
    "head_income_median": "Head creators: median income a month",
}
"""Card titles short enough for a card; the full title is in the table."""


def binding_cards(job: jobs.Job, reference: str, edited: str) -> None:
    """What binds and what ordinary creators earn, for the edited policy against the
    reference (means over the paired seeds)."""
    rows = {(r.policy, r.kpi): r for r in comparison_rows(job, reference)}
    if not rows:
        return
    groups = (
        ("What binds", ("cap_binding_days", "floor_binding_days")),
        ("Who earns", ("ordinary_income_median", "ordinary_with_income_share",
                       "head_income_median")),
    )  # fmt: skip
    for heading, names in groups:
        st.markdown(f"**{heading}**")
        for column, name in zip(st.columns(3), names, strict=False):
            row, base = rows.get((edited, name)), rows.get((reference, name))
            if row is None or base is None:
                continue
            shown = kpis.display(name)
            value = shown.format(row.mean)
            if name.endswith("_days"):
                value = f"{row.mean:.0f} of {job.days} days"
            delta = None
            if edited != reference and math.isfinite(row.change) and row.change != 0:
                # an ASCII minus: Streamlit reads the arrow's direction from it
                delta = f"{shown.format_change(row.change)} vs {reference}".replace("−", "-")
            column.metric(
                CARD_TITLES[name],
                value,
                delta=delta,
                delta_color="off" if shown.better is None else "normal",
                help=f"{kpis.meaning(name)} {reference}: {shown.format(base.mean)}.",
                border=True,
            )


def series_charts(
    job: jobs.Job, metrics: list[str], bounds: dict[str, tuple[str, float] | None]
) -> None:
    """Each chosen daily metric for every policy: mean over finished seeds, with a band."""
    dailies = {policy: [r.daily for r in job.results(policy)] for policy in job.policies}
    dailies = {policy: runs for policy, runs in dailies.items() if runs}
    if not dailies:
        return
    policies = list(job.policies)
    columns = st.columns(2)
    for index, metric in enumerate(metrics):
        band = charts.seed_band(dailies, metric)
        chart = charts.overlay_chart(band, metric, policies, bounds.get(metric))
        columns[index % 2].altair_chart(chart, width="stretch")


def first_seed_charts(job: jobs.Job) -> None:
    """Distribution charts of each policy's first seed: Lorenz curves, followers of the
    last policy, its income by follower tier."""
    firsts = {policy: job.results(policy)[0] for policy in job.policies if job.results(policy)}
    if not firsts:
        return
    columns = ["impressions", "followers", "income"]
    ends = {p: r.creators.loc[r.creators["alive"], columns] for p, r in firsts.items()}
    st.altair_chart(charts.lorenz_chart(charts.lorenz_frame(ends)), width="content")
    last = list(firsts.values())[-1]
    left, right = st.columns(2)
    left.altair_chart(
        charts.follower_distribution_chart(charts.follower_distribution(last.creators)),
        width="stretch",
    )
    right.altair_chart(charts.income_by_tier_chart(last.daily), width="stretch")


def money(value: float) -> str:
    return f"¥{compact(value)}"
