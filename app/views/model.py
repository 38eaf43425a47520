"""Model: the mechanisms, the levers and the metrics in plain words, and the baseline's
facts table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app import jobs, levers, policies
from sim.analysis.facts import facts_table
from sim.commands.terminal import format_number, format_value
from sim.metrics.catalogue import DAILY_METRICS, RUN_KPIS
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.schema import Scenario

# Where computed facts tables are kept (relative to the working directory, like runs/).
FACTS_DIR = Path("runs") / "facts"
MODEL_DOC = policies.ROOT / "docs" / "model.md"
PUBLISHED_FACTS = policies.ROOT / "docs" / "facts.csv"
FACTS_DAYS = 365
# The facts run the app offers: a year (about 15 s); `ecosim facts` runs 1000 days.

MECHANISMS = """
**One round is one day.** Every day new creators and merchants arrive and idle creators
may leave; creators pick goods to carry, post short videos and go live; the platform
hands out impressions; fans view, follow and buy; money is settled and the day's metrics
are recorded.

**Agents.** *Fans* browse the discovery feed and the follow page, follow creators after
seeing their earlier works, and buy when they trust a creator and the price is right.
*Creators* have followers, content quality and sales skill (persona); commerce creators
carry goods, earn commission or margin, and leave after a long spell without income.
*Merchants* list products (price, quality, commission); *suppliers* in industry belts make
them, normally through a chain of middlemen that each add a markup.

**Climbing traffic.** Every new work gets a base exposure (300 impressions). Works whose
early conversion is high are pushed a second and a third time into larger pools. While
works climb, the platform keeps exposure from polarising: the Gini of impressions per
creator stays under a cap, and at least 70% of impressions go to ordinary (non-head)
creators. Fairness reshapes only the boosts; every new work keeps its base.

**Feeds.** The double-column discovery page shows about four covers per screen and fans
*choose* what to watch; a single-column feed pushes one item at a time, as centralised
platforms do. The follow page shows works of creators a fan follows.

**Commerce.** Content builds followers, followers build trust, trust sells: people first,
then venue and goods. Live streams convert faster than short videos; sales are not
proportional to followers; trust brings repeat purchases, and bad products cost trust and
draw penalties. The source-goods programme lets creators buy straight from suppliers.

**Scale.** A simulated fan stands for `population.scale` users and a simulated creator
for `population.creator_scale` creators: rates, prices, shares and Gini coefficients read
as they are; platform totals (GMV, orders, reach) are shown times `scale` as
*real-equivalent*, a creator's followers, income and GMV times `scale / creator_scale`,
and a creator's standing is its real followers' share of daily users (1M followers on a
200M-DAU platform is 0.5%).
"""


def lever_table() -> pd.DataFrame:
    """Every lever with its baseline value and one-line meaning."""
    baseline = _baseline().model_dump(mode="json")
    return pd.DataFrame(
        [
            {
                "lever": lever.path,
                "baseline": format_value(baseline[group][lever.name]),
                "meaning": lever.description,
            }
            for group, group_levers in levers.levers().items()
            for lever in group_levers
        ]
    )


def meaning_table(meanings: dict[str, str], head: str) -> pd.DataFrame:
    """Names and their one-line meanings as a two-column table."""
    return pd.DataFrame({head: list(meanings), "meaning": list(meanings.values())})


def _baseline() -> Scenario:
    path = policies.shipped().get("baseline")
    return load_scenario(path) if path is not None else Scenario()


def facts_file(scenario: Scenario) -> Path:
    """The cached facts table of one scenario, length and seed."""
    run = scenario.run
    return FACTS_DIR / f"{scenario.name}-{scenario.scenario_hash()[:8]}-seed{run.seed}.csv"


def show_facts_table(table: pd.DataFrame) -> None:
    """A facts table (fact, description, target, value, low, high, passed), readable."""
    shown = table.copy()
    for column in ("value", "low", "high"):
        shown[column] = table[column].map(format_number)
    st.dataframe(shown, hide_index=True, width="stretch")


def measure_facts_here() -> None:
    """The facts on one baseline run of a chosen length: from its cache file, or computed
    (and cached) on request."""
    st.session_state.setdefault("model.facts_days", FACTS_DAYS)
    days = st.number_input(
        "days",
        min_value=1,
        max_value=5000,
        step=1,
        key="model.facts_days",
        help="Length of the baseline run the facts are measured on. F4 (days to 1M "
        "followers) needs more than 800 days; `ecosim facts` runs 1000.",
    )
    try:
        scenario = policies.checked(jobs.with_run(_baseline(), _baseline().run.seed, int(days)))
    except ScenarioError as error:
        policies.show_error(error)
        return
    path = facts_file(scenario)
    if path.is_file():
        table = pd.read_csv(path)
        st.caption(f"From `{path}`.")
    elif st.button("Compute the facts", icon=":material/play_arrow:", key="model.facts_run"):
        with st.spinner("Running the baseline..."):
            result = jobs.run_now(scenario)
        table = facts_table([result])
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False)
        st.caption(f"Computed on a {days}-day run (seed {scenario.run.seed}), saved to `{path}`.")
    else:
        st.info(
            f"No facts table for a {days}-day baseline run yet. Computing it runs the "
            "baseline once (about 15 s for 365 days)."
        )
        return
    show_facts_table(table)


st.title("The model")
st.markdown(MECHANISMS)
st.subheader("Levers")
st.caption(
    "Every setting of a scenario file, grouped like the file; the baseline column is "
    "scenarios/baseline.yaml."
)
st.dataframe(lever_table(), hide_index=True, width="stretch")
st.subheader("Metrics")
st.caption("Daily metrics: one value per simulated day (`daily.parquet`).")
st.dataframe(meaning_table(DAILY_METRICS, "metric"), hide_index=True, width="stretch")
st.caption("Run KPIs: one value per run (`summary.json`), shown as cards and compared.")
st.dataframe(meaning_table(RUN_KPIS, "kpi"), hide_index=True, width="stretch")
if MODEL_DOC.is_file():
    with st.expander("The full model description (docs/model.md)"):
        st.markdown(MODEL_DOC.read_text())
st.subheader("Facts of the seed document, on the baseline")
published = PUBLISHED_FACTS.is_file()
if published:
    st.caption(
        "Measured by `ecosim facts --csv docs/facts.csv` (several seeds, 1000 days each): "
        "value is the mean over seeds, low and high their range; passed means every seed "
        "passed."
    )
    show_facts_table(pd.read_csv(PUBLISHED_FACTS))
with st.expander("Measure the facts on a baseline run here", expanded=not published):
    measure_facts_here()
