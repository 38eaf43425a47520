"""``ecosim check``: validate a scenario and show what it would run, without running it."""

from __future__ import annotations

import argparse
from typing import Any

from sim.commands import Command, add_scenario_arguments
from sim.commands.terminal import format_number, format_table, format_value
from sim.runs.directory import run_name
from sim.scenario.dates import DAY_ZERO, date_of
from sim.scenario.files import load_scenario
from sim.scenario.memory import (
    MEMORY_SHARE_LIMIT,
    available_memory_bytes,
    check_memory,
    estimate_memory_bytes,
)
from sim.scenario.schema import Scenario
from sim.scenario.timeline import changes


def _execute(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    print(describe(scenario))
    check_memory(scenario)
    return 0


def describe(scenario: Scenario) -> str:
    """Name, hash, populations, memory estimate, every lever (marking changed ones) and
    the timeline (each change with its day, its date and the value it replaces)."""
    population = scenario.population
    platform_users = population.fans * population.scale
    memory = estimate_memory_bytes(scenario)
    limit = int(available_memory_bytes() * MEMORY_SHARE_LIMIT)
    head = [
        ("scenario", scenario.name),
        ("description", " ".join(scenario.description.split())),
        (
            "hash",
            f"{scenario.scenario_hash()[:16]}  "
            f"(run directory scenario={run_name(scenario)}/seed=<seed>)",
        ),
        (
            "population",
            f"{population.fans:,} fans, {population.creators:,} creators, "
            f"{population.merchants:,} merchants, {population.suppliers:,} suppliers",
        ),
        ("scale", f"x{format_number(population.scale)} = {platform_users:,.0f} platform users"),
        (
            "creator_scale",
            f"x{format_number(population.creator_scale)} = "
            f"{population.creators * population.creator_scale:,.0f} creators; a creator's "
            f"followers, income and GMV read x{format_number(population.per_creator_scale)}",
        ),
        ("memory", f"~{memory / 2**20:,.0f} MiB estimated (limit {limit / 2**20:,.0f} MiB)"),
        ("run", f"{scenario.run.days} days, seed {scenario.run.seed}"),
        (
            "calendar",
            f"day 0 is {DAY_ZERO.isoformat()}, day {scenario.run.days - 1} "
            f"{date_of(scenario.run.days - 1).isoformat()}; festival "
            + (", ".join(_day(d) for d in scenario.commerce.event_days) or "none"),
        ),
    ]
    baseline = dict(_levers(Scenario()))
    levers = [
        (
            path,
            format_value(value),
            "" if value == baseline[path] else f"(baseline {format_value(baseline[path])})",
        )
        for path, value in _levers(scenario)
    ]
    return "\n".join(
        [
            format_table(head, "ll"),
            "levers:",
            format_table(levers, "lll", indent=2),
            *timeline_lines(scenario),
        ]
    )


def _day(day: int) -> str:
    return f"day {day} ({date_of(day).isoformat()})"


def timeline_lines(scenario: Scenario) -> list[str]:
    """``timeline:`` and one row per lever change: day, date, lever, old and new value."""
    found = changes(scenario)
    if not found:
        return ["timeline: none (every lever holds for the whole run)"]
    rows = [
        (
            f"day {change.day}",
            change.date,
            change.path,
            f"{format_value(change.before)} -> {format_value(change.after)}"
            + ("" if change.in_run else "  (after the run's last day)"),
        )
        for change in found
    ]
    return ["timeline:", format_table(rows, "rlll", indent=2)]


def _levers(scenario: Scenario) -> list[tuple[str, Any]]:
    """``(dotted path, value)`` for every setting of every group."""
    data = scenario.model_dump(mode="json", exclude={"name", "description", "timeline"})
    return [
        (f"{group}.{key}", value)
        for group, settings in data.items()
        for key, value in settings.items()
    ]


COMMAND = Command(
    name="check",
    help="validate a scenario and summarise it (populations, memory, every lever, the timeline)",
    add_arguments=add_scenario_arguments,
    execute=_execute,
)
