"""``ecosim schema``: print the scenario JSON schema (for editors and validators)."""

from __future__ import annotations

import argparse
import json

from sim.commands import Command
from sim.scenario.schema import Scenario


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments: the schema is fixed by the code."""


def _execute(args: argparse.Namespace) -> int:
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


COMMAND = Command(
    name="schema",
    help="print the JSON schema of scenario files",
    add_arguments=_add_arguments,
    execute=_execute,
)
