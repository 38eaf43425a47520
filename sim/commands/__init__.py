"""The contract every ``ecosim`` subcommand follows, and arguments several of them share.

A subcommand is a module in this package exposing ``COMMAND = Command(...)``; list its
module name in :data:`sim.commands.cli.COMMANDS`. Modules are imported whenever the CLI starts, so
they import heavy libraries (the model, pandas, Streamlit) inside ``execute`` only.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.scenario.errors import ScenarioError

__all__ = [
    "Command",
    "add_scenario_arguments",
    "parse_workers",
    "positive_int",
    "positive_int_or",
]


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, its arguments and what it does."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    execute: Callable[[argparse.Namespace], int]
    """Returns the exit code; raises ScenarioError for anything the user can fix."""


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """``SCENARIO`` and repeatable ``--set PATH=VALUE`` (into ``args.scenario/overrides``)."""
    parser.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario YAML file")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a setting, e.g. --set traffic.gini_cap=0.3 (repeatable; VALUE is YAML)",
    )


def positive_int(field: str, text: str) -> int:
    """A count given on the command line (seeds, days, trajectories): a whole number of at
    least 1, else a :class:`ScenarioError` naming the flag ``field``, so that bad input
    exits 2 with one line."""
    try:
        number = int(text)
    except ValueError:
        raise ScenarioError(field, f"must be a whole number, got {text!r}") from None
    if number < 1:
        raise ScenarioError(field, f"must be at least 1, got {number}")
    return number


def positive_int_or(field: str, text: str | None, default: int) -> int:
    """:func:`positive_int`, or ``default`` when the flag was not given (its default
    depends on the scenario, say ``run.days``)."""
    return default if text is None else positive_int(field, text)


def parse_workers(text: str | None) -> int | None:
    """``--workers``: None when not given (the pool or cluster takes one per core), else a
    whole number of at least 1."""
    return None if text is None else positive_int("--workers", text)
