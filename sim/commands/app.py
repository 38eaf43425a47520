"""``ecosim app``: start the web app (Streamlit) on the loopback interface."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from sim.commands import Command
from sim.scenario.errors import ScenarioError

APP_SCRIPT = Path(__file__).resolve().parents[2] / "app" / "main.py"
"""The app ships in the source tree next to the ``sim`` package, not inside it."""

SERVER_SETTINGS = {
    "server.maxUploadSize": "1",  # MB: scenario files are a few kB
    "client.showErrorDetails": "false",  # fixable errors show inline; never a traceback
    "browser.gatherUsageStats": "false",
    "runner.magicEnabled": "false",  # module docstrings of pages are not page text
    "client.toolbarMode": "minimal",
}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--address", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    parser.add_argument("--headless", action="store_true", help="do not open a browser window")


def command_line(address: str, port: int, headless: bool) -> list[str]:
    """The ``streamlit run`` command line that serves the app."""
    settings = {
        **SERVER_SETTINGS,
        "server.address": address,
        "server.port": str(port),
        "server.headless": str(headless).lower(),
    }
    options = [f"--{name}={value}" for name, value in settings.items()]
    return [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT), *options]


def _execute(args: argparse.Namespace) -> int:
    if not APP_SCRIPT.is_file():
        raise ScenarioError(
            "app", f"{APP_SCRIPT} is missing; run ecosim app from a source checkout"
        )
    if importlib.util.find_spec("streamlit") is None:
        raise ScenarioError(
            "app", "Streamlit is not installed; install the app extra: pip install 'ecosim[app]'"
        )
    print(f"ecosim app: http://{args.address}:{args.port} (Ctrl-C stops it)", file=sys.stderr)
    sys.stderr.flush()
    command = command_line(args.address, args.port, args.headless)
    # Become the server, so Ctrl-C and kill reach Streamlit itself and leave no orphan.
    os.execv(command[0], command)


COMMAND = Command(
    name="app",
    help="start the web app on http://127.0.0.1:8501 (policy levers, runs, comparisons)",
    add_arguments=_add_arguments,
    execute=_execute,
)
