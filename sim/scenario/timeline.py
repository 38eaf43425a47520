"""A policy timeline: lever changes from given days on, and the scenario in force each day.

A scenario's ``timeline`` lists entries ``{day: D, set: {PATH: VALUE, ...}}`` in order of
day, one entry a day. The scenario in force on day ``d`` is the scenario with every entry
of day ``<= d`` applied, in order; each entry is validated like ``--set`` on top of the
scenario in force before it, and an error names the entry's field
(``timeline[0].set.traffic.gini_cap: ...``). Only traffic and commerce levers may change:
the population and the run's settings hold for the whole run. An entry may lie past
``run.days`` (a timeline can outlast a short run): it then never comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.scenario.dates import date_of
from sim.scenario.errors import ScenarioError, unknown_key_reason

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario, TimelineEntry

__all__ = [
    "FIXED_GROUPS",
    "TIMELINE_GROUPS",
    "Change",
    "changes",
    "check_path",
    "normalised",
    "phases",
]

TIMELINE_GROUPS = ("traffic", "commerce")
"""The groups whose levers a timeline may change."""

FIXED_GROUPS = {
    "population": "cannot change mid-run: the population settings size and draw the world "
    "at day 0 (agent counts, resolution, the agents' traits and calibrated rates); a "
    "timeline changes traffic and commerce levers only",
    "run": "cannot change mid-run: the run's length and seed belong to the whole run",
}
"""Why the other groups cannot be changed by a timeline."""


def check_path(path: object) -> None:
    """Raise, naming ``path``, unless it is the dotted path of one lever a timeline may
    change (``traffic.gini_cap``, ``commerce.source_goods``, ...)."""
    from sim.scenario.schema import lever_paths

    if not isinstance(path, str):
        raise ScenarioError(str(path), "must be a lever path (like traffic.gini_cap)")
    group, _, name = path.partition(".")
    if group in FIXED_GROUPS:
        raise ScenarioError(path, FIXED_GROUPS[group])
    if group not in TIMELINE_GROUPS:
        reason = unknown_key_reason(list(TIMELINE_GROUPS), group)
        raise ScenarioError(
            path,
            "must be a lever path (like traffic.gini_cap): "
            + reason.replace("unknown setting", "unknown group"),
        )
    if not name:
        raise ScenarioError(path, "must name one lever (like traffic.gini_cap), not a group")
    levers = [p.partition(".")[2] for p in lever_paths().values() if p.startswith(group + ".")]
    if name not in levers:
        raise ScenarioError(path, unknown_key_reason(levers, name))


def _apply(
    index: int, entry: TimelineEntry, before: Scenario, previous_day: int | None
) -> Scenario:
    """The scenario in force from ``entry.day``: ``before`` with the entry's levers set."""
    from sim.scenario.files import override_scenario

    if previous_day is not None and entry.day <= previous_day:
        raise ScenarioError(
            f"[{index}].day",
            f"must be after the day of timeline[{index - 1}] ({previous_day}): entries go "
            f"in order of day, one entry a day, got {entry.day}",
        )
    try:
        return override_scenario(before, entry.set)
    except ScenarioError as error:
        culprit = next((p for p in entry.set if _is_under(error.path, p)), None)
        if culprit is not None:
            raise ScenarioError(f"[{index}].set.{culprit}", error.reason) from None
        raise ScenarioError(
            f"[{index}].set", f"makes {error.path} invalid: {error.reason}"
        ) from None


def _is_under(found: str, path: str) -> bool:
    return found == path or found.startswith((f"{path}.", f"{path}["))


def _without_timeline(scenario: Scenario) -> Scenario:
    return scenario.model_copy(update={"timeline": ()})


def _resolve(base: Scenario, timeline: tuple[TimelineEntry, ...]) -> list[tuple[int, Scenario]]:
    """Every entry applied in turn on top of ``base`` (which has no timeline)."""
    found: list[tuple[int, Scenario]] = [(0, base)]
    previous: int | None = None
    for index, entry in enumerate(timeline):
        scenario = _apply(index, entry, found[-1][1], previous)
        if entry.day == 0:
            found[0] = (0, scenario)
        else:
            found.append((entry.day, scenario))
        previous = entry.day
    return found


def normalised(base: Scenario, timeline: tuple[TimelineEntry, ...]) -> tuple[TimelineEntry, ...]:
    """The timeline validated on top of ``base``, each value as the scenario holds it
    (so ``20`` and ``20.0`` for a float lever give one scenario and one hash).

    Raises :class:`ScenarioError` with a path relative to the timeline (``[0].set.x``).
    """
    found = _resolve(_without_timeline(base), timeline)
    in_force = {day: scenario for day, scenario in found}
    entries = []
    for entry in timeline:
        data = in_force[entry.day].model_dump(mode="json")
        values: dict[str, Any] = {}
        for path in entry.set:
            group, _, name = path.partition(".")
            values[path] = data[group][name]
        entries.append(entry.model_copy(update={"set": values}))
    return tuple(entries)


def phases(scenario: Scenario) -> tuple[tuple[int, Scenario], ...]:
    """``(first day, scenario in force)`` for day 0 and each later entry, in order of day
    (see :meth:`sim.scenario.schema.Scenario.phases`)."""
    return tuple(_resolve(_without_timeline(scenario), scenario.timeline))


@dataclass(frozen=True)
class Change:
    """One lever changed by a timeline: from which day, and from what to what."""

    day: int
    path: str
    before: Any
    after: Any
    """Both as JSON data (``null``, lists), as a scenario file writes them."""
    in_run: bool
    """Whether the day comes in the scenario's run (``day < run.days``)."""

    @property
    def date(self) -> str:
        """The day's date, ``2019-10-01`` (day 0 is 1 January 2019)."""
        return date_of(self.day).isoformat()


def changes(scenario: Scenario) -> list[Change]:
    """Every lever change of the timeline, in order: what ``ecosim check`` and the app
    show."""
    found: list[Change] = []
    before = scenario.model_dump(mode="json")
    in_force = dict(phases(scenario))
    for entry in scenario.timeline:
        for path, value in entry.set.items():
            group, _, name = path.partition(".")
            old = before[group][name]
            found.append(Change(entry.day, path, old, value, entry.day < scenario.run.days))
        before = in_force[entry.day].model_dump(mode="json")
    return found
