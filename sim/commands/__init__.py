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

__all__ = ["Command", "add_scenario_arguments"]


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
