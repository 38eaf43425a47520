"""The ecosystem model: one `step()` is one day of the platform (DESIGN.md §3).

The day is one pipeline over whole populations, one step module each
(:mod:`sim.model.steps`): entry and exit, supply, content, allocation (Rust), viewing
(Rust), buying (Rust), settlement, promotion; then the day is measured. Every step and
the measurement read the scenario in force that day: the scenario with its timeline's
entries up to that day applied (:mod:`sim.scenario.timeline`); on a day an entry comes,
the levers built into the world change first (:mod:`sim.model.steps.policy`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from sim.metrics.catalogue import DAILY_METRICS
from sim.metrics.daily import measure
from sim.model.agents import Creator, Fan, Merchant, RowAgent, Supplier
from sim.model.events import EventLog
from sim.model.population import build_world
from sim.model.randomness import CONTENT, FILL, LIFECYCLE, POLICY, SETTLE, SUPPLY, day_rng
from sim.model.state import I64, Works, World
from sim.model.steps import (
    allocation,
    buying,
    content,
    entry_exit,
    policy,
    promotion,
    settlement,
    supply,
    viewing,
)
from sim.model.stopping import RunStopped
from sim.scenario.schema import Scenario, lever_paths


def _reporter(name: str) -> Callable[[EcosystemModel], Any]:
    return lambda model: model.today[name]


class EcosystemModel(mesa.Model):  # type: ignore[misc]
    """A short-video and live-stream commerce platform, simulated day by day.

    Parameters
    ----------
    scenario : Scenario, optional
        Every lever and population size; the baseline when omitted.
    seed : int, optional
        Seed of all random draws; `scenario.run.seed` when omitted. ``rng`` (Mesa's name)
        is accepted instead, as an integer.
    events : bool, optional
        Keep every order and every follow and unfollow (``model.events``): the event logs
        of ``ecosim run --events``.
    **levers
        Any setting of the scenario by its name, e.g. ``gini_cap=0.4, fans=20000,
        days=90`` (names are unique across the scenario's groups; see
        :func:`sim.scenario.schema.lever_paths`), and ``timeline``. Validated like a
        scenario file.

    Examples
    --------
    >>> model = EcosystemModel(fans=2000, creators=200, merchants=20, suppliers=6, days=3)
    >>> model.run_model()
    >>> model.steps, model.running
    (3, False)
    >>> len(model.agents_by_type[Creator]) == int(model.world.creators.alive.sum())
    True
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int | None = None,
        rng: int | None = None,
        events: bool = False,
        **levers: Any,
    ) -> None:
        scenario = scenario if scenario is not None else Scenario()
        if levers:
            scenario = scenario.with_overrides(_lever_overrides(levers))
        seed = _seed(scenario, seed, rng)
        if seed != scenario.run.seed:
            scenario = scenario.with_overrides({"run.seed": seed})
        super().__init__(rng=seed)
        # Mesa 3.5 reserves `Model.scenario` for its own experiment objects.
        self.config = scenario
        """The scenario as given, with its timeline (see `scenario_on` for a day's)."""
        phases = scenario.phases()
        self._phase_days = [day for day, _ in phases]
        self._phases = [in_force for _, in_force in phases]
        self.seed = seed
        self.day = 0
        self.world = build_world(self.rng, self.scenario_on(0))
        self.today: dict[str, Any] = {}
        self.events = EventLog() if events else None
        """The day's orders and follows, one row each, when asked for (``events=True``)."""
        self._creators: dict[int, Creator] = {}
        self._add_creators(np.arange(len(self.world.creators)))
        self._merchants = [Merchant(self, row) for row in range(len(self.world.merchants))]
        self._suppliers = [Supplier(self, row) for row in range(len(self.world.suppliers))]
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in DAILY_METRICS}
        )

    # -- the day -----------------------------------------------------------------------
    def scenario_on(self, day: int) -> Scenario:
        """The scenario in force on `day`: `config` with every timeline entry up to that
        day applied (it has no timeline of its own)."""
        return self._phases[bisect.bisect_right(self._phase_days, day) - 1]

    def step(self) -> None:
        """Simulate one day."""
        world, seed, day = self.world, self.seed, self.day
        scenario = self.scenario_on(day)
        if day > 0 and day in self._phase_days:
            policy.apply_changes(
                world, self.scenario_on(day - 1), scenario, day_rng(seed, day, POLICY)
            )
        turnover = entry_exit.update(world, scenario, day, day_rng(seed, day, LIFECYCLE))
        supply.choose_goods(world, scenario, day, day_rng(seed, day, SUPPLY))
        served = serve_feed(world, scenario, seed, day)
        works, feed, planned, allocated = (
            served.works,
            served.feed,
            served.planned,
            served.allocated,
        )
        seen = viewing.view(world, scenario, seed, day, feed, served.impressions)
        view_share = allocation.ordinary_view_share(world, scenario, feed.creator, seen.views)
        world.head_throttle = allocation.steer_head_throttle(
            scenario, world.head_throttle, view_share
        )
        settle_rng = day_rng(seed, day, SETTLE)
        orders = buying.buy(world, scenario, seed, day, feed, settle_rng)
        settled = settlement.settle(world, scenario, day, feed, orders, settle_rng)
        world.income_window.record(world.creators, day, settled.income)
        settlement.record_milestones(world.creators, scenario, day)
        climbing = slice(0, len(works))
        works.gmv = works.gmv + settled.work_gmv[climbing]
        promotion.record_lives(world.creators, works, settled.work_gmv[climbing])
        # A decision to buy later converts as an order does (the platform sees the click).
        score = promotion.conversion(
            seen.engaged[climbing],
            settled.work_orders[climbing] + orders.seeded_by_work[climbing],
            seen.views[climbing],
            scenario.traffic.conversion_prior,
        )
        world.pipeline = promotion.promote(world.creators, scenario, day, works, score)
        world.recent = promotion.keep_recent(world.recent, served.posted, day)
        self._update_agents(turnover)
        self.today = measure(
            world, scenario, day, feed, allocated, planned, seen, orders, settled, turnover
        )
        if self.events is not None:
            self.events.record(day, world, feed, orders)
        self.datacollector.collect(self)
        self.day += 1
        if self.day >= scenario.run.days:
            self.running = False

    def run(
        self,
        days: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Simulate `days` days (the scenario's run.days when omitted); `progress(done,
        total)` after each day; when `stop()` turns true, raise :class:`RunStopped` before
        the next day (the days done stay in the model)."""
        total = self.config.run.days if days is None else days
        for done in range(1, total + 1):
            if stop is not None and stop():
                raise RunStopped(done - 1)
            self.step()
            if progress is not None:
                progress(done, total)

    # -- agents ------------------------------------------------------------------------
    def _add_creators(self, rows: np.ndarray) -> None:
        for row in rows.tolist():  # entrants only: tens a day
            self._creators[row] = Creator(self, row)

    def _update_agents(self, turnover: entry_exit.Turnover) -> None:
        """Creators on the platform are exactly the registered Creator agents."""
        for row in turnover.left.tolist():
            self._creators[row].remove()
        self._add_creators(turnover.joined)

    def _row(self, table: str, row: int) -> int:
        size = len(getattr(self.world, table))
        if not 0 <= row < size:
            raise IndexError(f"{table}: row {row} is outside [0, {size})")
        return row

    def creator(self, row: int) -> Creator:
        """The Mesa agent of creator `row` (kept after it left, for inspection)."""
        return self._creators[self._row("creators", row)]

    def fan(self, row: int) -> Fan:
        """A handle over fan `row` (fans are not registered agents; see sim.model.agents)."""
        return Fan(self, self._row("fans", row))

    def merchant(self, row: int) -> Merchant:
        """The Mesa agent of merchant `row`."""
        return self._merchants[self._row("merchants", row)]

    def supplier(self, row: int) -> Supplier:
        """The Mesa agent of supplier `row`."""
        return self._suppliers[self._row("suppliers", row)]


@dataclass(frozen=True)
class ServedFeed:
    """Today's works with their discovery impressions, before the fans view them."""

    posted: Works
    """Works posted today."""
    works: Works
    """The allocation's works: today's and yesterday's promoted ones (climbing)."""
    feed: Works
    """`works`, then the recent videos that fill the feed and the follow pages."""
    planned: viewing.DayPlan
    allocated: allocation.DayAllocation
    impressions: I64
    """Discovery impressions per work of `feed`: the allocation's, then the filler's."""


def serve_feed(world: World, scenario: Scenario, seed: int, day: int) -> ServedFeed:
    """Steps 3 to 5 of the day: creators post, the fans plan their views, the platform
    allocates the discovery screens and fills what is left with recent videos."""
    posted = content.post(world, scenario, day, day_rng(seed, day, CONTENT))
    works = posted.concat(world.pipeline)
    # Recent videos fill the feed and the follow pages; those climbing today are in `works`.
    recent = world.recent.take(~np.isin(world.recent.uid, works.uid))
    feed = works.concat(recent)
    planned = viewing.plan(world, scenario, seed, day, feed)
    allocated = allocation.allocate(world, scenario, day, works, planned.screens)
    filler = allocation.fill(allocated, recent, day_rng(seed, day, FILL))
    impressions = np.concatenate([allocated.impressions, filler])
    return ServedFeed(posted, works, feed, planned, allocated, impressions)


def _lever_overrides(levers: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments named by setting (``gini_cap``) as dotted paths."""
    paths = {**lever_paths(), "timeline": "timeline"}
    overrides = {}
    for name, value in levers.items():
        if name not in paths:
            raise TypeError(
                f"EcosystemModel() got an unexpected keyword argument {name!r} "
                "(levers are named by their setting, e.g. gini_cap, fans, days)"
            )
        overrides[paths[name]] = value
    return overrides


def _seed(scenario: Scenario, seed: int | None, rng: int | None) -> int:
    """The run's integer seed: ``seed``, else Mesa's ``rng``, else the scenario's."""
    if seed is not None and rng is not None:
        raise ValueError("seed, rng: give one of them, not both")
    value = seed if seed is not None else rng
    if value is None:
        return scenario.run.seed
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"seed: must be an integer (draws are keyed by seed, day and entity), "
            f"got {type(value).__name__}"
        )
    return int(value)


__all__ = ["EcosystemModel", "RowAgent"]
