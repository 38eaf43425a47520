"""``ecosim levers``: every policy lever moved to its documented low and high value against
a scenario on paired seeds; the effect on the main KPIs with 95% intervals, and the
levers that moved nothing (docs/levers.md is this command's output)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from sim.commands import Command, add_baseline_scenario_arguments, positive_int_or
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.memory import check_memory


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_baseline_scenario_arguments(parser)
    parser.add_argument("--seeds", default="3", help="paired seeds (default 3)")
    parser.add_argument("--days", default=None, help="days per run (default: run.days)")
    parser.add_argument(
        "--only", action="append", default=[], metavar="PATH", help="only this lever (repeatable)"
    )
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    parser.add_argument("--csv", type=Path, default=None, help="also write the rows as CSV")


def _execute(args: argparse.Namespace) -> int:
    from sim.analysis.levers import STEPS, effects, markdown, without_effect
    from sim.runs.seeds import spawn_seeds

    scenario = load_scenario(args.scenario, args.set)
    check_memory(scenario)
    known = {step.path for step in STEPS}
    for path in args.only:
        if path not in known:
            raise ScenarioError("--only", f"{path!r} is not a lever of the table ({len(known)})")
    steps = [s for s in STEPS if not args.only or s.path in args.only]
    n_seeds = positive_int_or("--seeds", args.seeds, 3)
    days = positive_int_or("--days", args.days, scenario.run.days)
    table = effects(scenario, spawn_seeds(scenario.run.seed, n_seeds), days, steps)
    text = markdown(table, scenario, n_seeds, days)
    print(text)
    for target, content in ((args.markdown, text), (args.csv, None)):
        if target is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if content is None:
                table.to_csv(handle, index=False)
            else:
                handle.write(content)
        os.replace(temp, target)
    return 3 if without_effect(table) else 0


COMMAND = Command(
    name="levers",
    help="measure every policy lever's effect on the main KPIs on paired seeds",
    add_arguments=_add_arguments,
    execute=_execute,
)
