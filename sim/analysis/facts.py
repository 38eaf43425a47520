"""The facts of the seed document (DESIGN.md §7) as two-sided bands judged on simulated runs.

Each fact names what is measured, the seed's phrase it stands for and the band a run must
fall in. A run is reduced to its :class:`RunFacts` (a few numbers and the days to 1M
followers of the accounts that got there), small enough to travel back from a Dask worker;
:func:`judge` pools the seeds' facts into the table `ecosim facts` prints and the
calibration fits. Facts about 2019 are read on days 0-364 (day 0 is 1 January 2019).

F2 has two parts: the share of all traffic that ordinary creators get with the floor in
force, and the same share on the same seeds with the floor removed, which must fall below
the floor (else the floor never binds and the fact would hold by itself).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.runs.run import RunResult
from sim.scenario.files import override_scenario
from sim.scenario.schema import Scenario

__all__ = [
    "FACTS",
    "FACTS_DAYS",
    "UNFLOORED_DAYS",
    "Fact",
    "RunFacts",
    "facts_table",
    "format_facts",
    "judge",
    "run_facts",
    "unfloored",
]

FACTS_DAYS = 1000
"""Days a facts run needs: F4 (1M followers in 700-800 days) takes more than 800."""
UNFLOORED_DAYS = 365
"""Days of the companion runs without the floor: F2 is a fact about 2019."""
YEAR = 365
POOLED_1M_ACCOUNTS = 20
"""Accounts reaching 1M followers, pooled over seeds, that F4's median needs."""
INF = math.inf


@dataclass(frozen=True)
class Fact:
    """One fact: its band, the seed's phrase, and how a miss is measured.

    ``log`` facts are judged by how many times too big or too small a value is (their
    bands span a factor); the others by the distance to the band over ``spread``.
    ``seed_band`` is a looser band each seed must meet when the verdict is on the pool.
    """

    key: str
    description: str
    seed: str
    band: tuple[float, float]
    log: bool = False
    spread: float = 1.0
    seed_band: tuple[float, float] | None = None
    pooled: bool = False
    needs_unfloored: bool = False

    @property
    def target(self) -> str:
        """The band as text: ``50,000-150,000``, ``>= 2``, ``<= 0``."""
        low, high = self.band
        if high == INF:
            return f">= {_number(low)}"
        if low == -INF:
            return f"<= {_number(high)}"
        text = f"{_number(low)}-{_number(high)}"
        if self.seed_band is not None:
            text += f" (each seed {_number(self.seed_band[0])}-{_number(self.seed_band[1])})"
        return text

    def miss(self, value: float) -> float:
        """0 inside the band; outside, the distance to it (in e-folds for ``log`` facts,
        in ``spread`` units for the others); infinite when the value is missing."""
        if not math.isfinite(value):
            return INF
        low, high = self.band
        if low <= value <= high:
            return 0.0
        bound = low if value < low else high
        if self.log:
            return abs(math.log(max(value, 1e-300) / bound))
        return abs(value - bound) / self.spread


@dataclass(frozen=True)
class RunFacts:
    """What the facts need of one run: a value per fact and the crossings of 1M followers."""

    values: dict[str, float]
    days_to_1m: np.ndarray = field(default_factory=lambda: np.zeros(0))


FACTS: tuple[Fact, ...] = (
    Fact("F1", "new works short of the 300 base (budget permitting), all days",
         "300 base impressions", (0, 0), spread=1),
    Fact("F2", "share of all traffic to ordinary creators, with the floor, 2019",
         "70%的流量给了普通人", (0.65, 0.75), spread=0.05),
    Fact("F2b", "the same share on the same seeds without the floor (the floor binds)",
         "70%的流量给了普通人", (-INF, 0.70), spread=0.05, needs_unfloored=True),
    Fact("F3", "highest daily exposure Gini minus the cap", "no Matthew effect",
         (-INF, 0), spread=0.01),
    Fact("F4", "median days to 1M followers (0.5% of DAU), accounts that get there, "
         f"seeds pooled (>= {POOLED_1M_ACCOUNTS} accounts)", "需要700~800天", (700, 800),
         spread=100, seed_band=(600, 900), pooled=True),
    Fact("F5", "median monthly income, commerce creators > 100k followers, Dec 2019 (yuan)",
         "月收入中位数在5万元以上", (50_000, 150_000), log=True),
    Fact("F6a", "monthly growth of active commerce creators, 2019", "月增长率保持在10%以上",
         (0.10, 0.15), spread=0.05),
    Fact("F6b", "active commerce creators at the end of 2019 (real-equivalent)", "超过100万",
         (1e6, 3e6), log=True),
    Fact("F7", "consumers who viewed commerce content, a day in 2019 (real-equivalent)",
         "每天吸引超过1亿消费者", (100e6, 140e6), log=True),
    Fact("F8a", "orders of magnitude of GMV per follower (p5-p95), creators >= 10k followers",
         "粉丝的数量和创造的收入并不是成正比的", (2.0, 3.5), spread=0.5),
    Fact("F8b", "best one-day live GMV, creator with 0.1-0.5% of DAU as followers that day",
         "一次直播中卖出了超过1000万元", (10e6, 50e6), log=True),
    Fact("F9a", "platform orders over the two festival days (real-equivalent)",
         "2天内创造了超过5000万的订单", (50e6, 100e6), log=True),
    Fact("F9b", "GMV of the best creator over the festival (yuan)", "销售额突破8000万",
         (80e6, INF), log=True),
    Fact("F9c", "orders of the best creator over the festival", "订单突破100万",
         (1e6, INF), log=True),
    Fact("F9d", "average order value on the festival days (yuan)", "客单价约80元",
         (60, 100), spread=20),
    Fact("F9e", "festival orders over those of the two weeks before", "a clear spike",
         (2.0, INF), spread=1),
    Fact("F10a", "median views per fan per day, realized", "KuaiRec ~42", (38, 46), spread=4),
    Fact("F10b", "mean views per fan per day, realized", "KuaiRec ~66", (59, 73), spread=7),
    Fact("F11", "platform GMV in 2019 (real-equivalent yuan)", "prospectus: 59.6B",
         (40e9, 80e9), log=True),
)  # fmt: skip
"""DESIGN.md §7's table: F1 and F3 are invariants, the rest facts to reproduce."""

FACT_KEYS = tuple(fact.key for fact in FACTS)


def unfloored(scenario: Scenario) -> Scenario:
    """The scenario without the ordinary floor (F2b's companion runs), on every day of
    its timeline."""
    plain = override_scenario(scenario, {"traffic.ordinary_floor": None})
    timeline = tuple(
        entry.model_copy(update={"set": dict(kept)})
        for entry in plain.timeline
        if (kept := [(k, v) for k, v in entry.set.items() if k != "traffic.ordinary_floor"])
    )
    return plain.model_copy(update={"timeline": timeline})


def run_facts(run: RunResult) -> RunFacts:
    """The facts of one run (F2b is left to :func:`judge`, from the companion run)."""
    daily, creators = run.daily, run.creators
    population = run.scenario.population
    year = daily[daily["day"] < YEAR]
    event = daily[daily["event_day"]]
    values = {
        "F1": float(daily["new_works_below_base"].sum()),
        "F2": _mean(year["ordinary_share_all"]),
        "F3": _gini_over_cap(run),
        "F4": _median(creators["days_to_1m"]),
        "F5": _mean(year[year["day"] >= YEAR - 31]["median_income_tier3"]),
        "F6a": run.kpis.get("commerce_creator_growth_monthly", math.nan),
        "F6b": float(year["active_commerce_creators"].iloc[-1]) * population.creator_scale
        if len(year)
        else math.nan,
        "F7": _mean(year["commerce_reach"]) * population.scale,
        "F8a": _gmv_per_follower_span(creators),
        "F8b": _live_gmv_mid_tier(creators),
        "F9a": float(event["orders_real"].sum()) if len(event) else math.nan,
        "F9b": float(creators["event_gmv_real"].max()) if len(event) else math.nan,
        "F9c": float(creators["event_orders_real"].max()) if len(event) else math.nan,
        "F9d": float(event["gmv"].sum() / event["orders"].sum())
        if len(event) and event["orders"].sum()
        else math.nan,
        "F9e": _event_spike(daily),
        "F10a": _mean(daily["views_per_fan_median"]),
        "F10b": _mean(daily["views_per_fan_mean"]),
        "F11": float(year["gmv_real"].sum()) if len(daily) >= YEAR else math.nan,
    }
    days = creators["days_to_1m"].dropna().to_numpy(dtype=float)
    return RunFacts(values=values, days_to_1m=days)


def judge(runs: Sequence[RunFacts], unfloored_runs: Sequence[RunFacts] = ()) -> pd.DataFrame:
    """One row per fact: band, value (the mean over seeds, or the pooled value), range over
    seeds, ``miss`` (0 inside the band) and PASS when every seed passes (F4: the pool,
    with each seed in its looser band). F2b without companion runs is not judged (NaN)."""
    rows = []
    for fact in FACTS:
        source = unfloored_runs if fact.needs_unfloored else runs
        key = "F2" if fact.needs_unfloored else fact.key
        values = np.array([run.values.get(key, math.nan) for run in source], dtype=float)
        finite = values[np.isfinite(values)]
        if fact.pooled:
            pool = np.concatenate([run.days_to_1m for run in source]) if source else np.zeros(0)
            value = float(np.median(pool)) if len(pool) >= POOLED_1M_ACCOUNTS else math.nan
            seed_low, seed_high = fact.seed_band or fact.band
            passed = fact.miss(value) == 0 and all(seed_low <= v <= seed_high for v in values)
            count = len(pool)
        else:
            value = float(finite.mean()) if finite.size else math.nan
            passed = bool(values.size) and all(fact.miss(float(v)) == 0 for v in values)
            count = len(values)
        rows.append(
            {
                "fact": fact.key,
                "description": fact.description,
                "seed": fact.seed,
                "target": fact.target,
                "band_low": fact.band[0],
                "band_high": fact.band[1],
                "value": value,
                "low": float(finite.min()) if finite.size else math.nan,
                "high": float(finite.max()) if finite.size else math.nan,
                "count": count,
                "miss": fact.miss(value),
                "passed": bool(passed) and bool(source),
            }
        )
    return pd.DataFrame(rows)


def facts_table(
    runs: Sequence[RunResult], unfloored_runs: Sequence[RunResult] = ()
) -> pd.DataFrame:
    """:func:`judge` on full runs (the facts of each run taken here)."""
    return judge([run_facts(r) for r in runs], [run_facts(r) for r in unfloored_runs])


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else math.nan


def _median(values: pd.Series) -> float:
    finite = values.dropna()
    return float(finite.median()) if len(finite) else math.nan


def _event_spike(daily: pd.DataFrame) -> float:
    """Festival orders over the mean of the 14 days before the festival."""
    event = daily[daily["event_day"]]
    if event.empty:
        return math.nan
    start = int(event["day"].min())
    before = daily[(daily["day"] >= start - 14) & (daily["day"] < start)]
    return float(event["orders"].mean() / max(before["orders"].mean(), 1e-9))


def _gmv_per_follower_span(creators: pd.DataFrame) -> float:
    """Orders of magnitude between the 95th and 5th percentile of GMV per follower, commerce
    creators with at least 10k real followers who sold."""
    c = creators
    chosen = c["commerce"] & (c["followers_real"] >= 10_000) & (c["gmv"] > 0)
    values = c.loc[chosen, "gmv_per_follower"].to_numpy(dtype=float)
    if len(values) < 20:
        return math.nan
    low, high = np.percentile(values, [5, 95])
    return float(np.log10(high / low))


def _live_gmv_mid_tier(creators: pd.DataFrame) -> float:
    """Best one-day live GMV (real yuan) of a creator with 0.1%-0.5% of fans as followers
    on the day of that live ("粉丝大约50万的时候")."""
    c = creators
    share = c["max_live_follower_share"]
    mid = c[(share >= 0.001) & (share <= 0.005)]
    return float(mid["max_live_gmv_real"].max()) if len(mid) else math.nan


def _gini_over_cap(run: RunResult) -> float:
    """The highest daily exposure Gini minus the cap in force that day (a timeline may
    move the cap; no cap counts as 1)."""
    days = run.daily["day"].to_numpy()
    if days.size == 0:
        return math.nan
    cap = np.ones(len(days))
    for first, scenario in run.scenario.phases():
        value = scenario.traffic.gini_cap
        cap[days >= first] = 1.0 if value is None else value
    return float((run.daily["exposure_gini"].to_numpy() - cap).max())


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1e9:
        return f"{value / 1e9:.3g}B"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def with_roles(table: pd.DataFrame, fitted: Sequence[str], held_out: Sequence[str]) -> pd.DataFrame:
    """The table with a ``role`` column: ``fitted`` (a calibration target), ``held out``
    (validation: never seen by the fit) or ``invariant``/``not fitted``."""
    invariants = {"F1", "F3"}

    def role(key: str) -> str:
        if key in fitted:
            return "fitted"
        if key in held_out:
            return "invariant" if key in invariants else "held out"
        return "invariant" if key in invariants else "not fitted"

    return table.assign(role=[role(key) for key in table["fact"]])


def format_facts(table: pd.DataFrame) -> str:
    """The facts table as aligned text: fact, what, band, simulated mean [range], verdict
    (and the fact's role in the calibration, when the table has one)."""
    roles = "role" in table.columns
    rows = [("fact", "what", "band", "simulated (mean [min, max])", "", "role" if roles else "")]
    for r in table.to_dict("records"):
        spread = f"{_number(r['value'])} [{_number(r['low'])}, {_number(r['high'])}]"
        if r["fact"] == "F4":
            spread += f", {r['count']} accounts"
        verdict = "PASS" if r["passed"] else "FAIL"
        role = str(r["role"]) if roles else ""
        rows.append(
            (str(r["fact"]), str(r["description"]), str(r["target"]), spread, verdict, role)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def fact_jobs(scenario: Scenario, seeds: Sequence[int], days: int) -> list[tuple[Scenario, int]]:
    """The runs the facts need: the scenario for ``days`` on each seed, then its companion
    without the floor for a year on the same seeds (F2b)."""
    main = _with_days(scenario, days)
    plain = _with_days(unfloored(scenario), min(days, UNFLOORED_DAYS))
    return [(main, seed) for seed in seeds] + [(plain, seed) for seed in seeds]


def split_facts(facts: Sequence[RunFacts]) -> tuple[list[RunFacts], list[RunFacts]]:
    """The facts of :func:`fact_jobs`' runs, as (runs, companion runs without the floor)."""
    half = len(facts) // 2
    return list(facts[:half]), list(facts[half:])


def _with_days(scenario: Scenario, days: int) -> Scenario:
    return scenario.model_copy(update={"run": scenario.run.model_copy(update={"days": days})})
