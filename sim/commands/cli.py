"""The ``ecosim`` command line: parse arguments, dispatch a subcommand, map errors to exits.

Exit codes: 0 success; 2 bad input (one ``ecosim: error: <path>: <reason>`` line on
stderr); 1 a bug (one line; set ``ECOSIM_DEBUG=1`` for the traceback); 130 interrupted;
141 the reader of stdout went away (as for a process killed by SIGPIPE).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from sim.commands import Command
from sim.scenario.errors import ScenarioError

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (
    "run",
    "check",
    "schema",
    "facts",
    "compare",
    "levers",
    "sweep",
    "sensitivity",
    "calibrate",
    "report",
    "app",
)
"""Subcommand modules in :mod:`sim.commands`, in ``--help`` order; add yours here."""

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141


class _UsageError(Exception):
    """A command-line syntax error, reported like any other bad input."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors become one line instead of usage text plus exit."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The ``ecosim`` parser with one sub-parser per module listed in :data:`COMMANDS`."""
    parser = _Parser(
        prog="ecosim",
        description="Agent-based simulator of a short-video and live-stream commerce platform.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module_name in COMMANDS:
        command: Command = importlib.import_module(f"sim.commands.{module_name}").COMMAND
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(execute=command.execute)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (``console_scripts`` entry point)."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.execute(args))
    except (_UsageError, ScenarioError) as error:
        _say(f"error: {error}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        _say("interrupted; nothing was saved")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (e.g. `| head`) left; silence the flush at exit, as the Python docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:
        if os.environ.get("ECOSIM_DEBUG"):
            raise
        _say(
            f"internal error: {type(error).__name__}: {error} "
            "(set ECOSIM_DEBUG=1 to see the traceback)"
        )
        return EXIT_INTERNAL


def _say(message: str) -> None:
    """One line on stderr, prefixed like argparse's own messages."""
    print(f"ecosim: {' '.join(message.split())}", file=sys.stderr)
