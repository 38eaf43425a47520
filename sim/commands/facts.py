"""``ecosim facts``: run a scenario long enough to judge the seed's facts (F1-F11) over
several seeds and print target vs simulated, PASS or FAIL."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim.commands import (
    DEFAULT_SCENARIO,
    Command,
    add_baseline_scenario_arguments,
    parse_workers,
    positive_int_or,
)
from sim.scenario.files import load_scenario
from sim.scenario.memory import check_memory

DEFAULT_CALIBRATION = Path("scenarios/calibrations/baseline.yaml")


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_baseline_scenario_arguments(
        parser,
        scenario_help=f"scenario YAML file (default: {DEFAULT_SCENARIO})",
        set_help="override a setting (repeatable)",
        set_dest="overrides",
    )
    parser.add_argument("--seeds", default="3", help="number of seeds (default 3)")
    parser.add_argument(
        "--days", default=None, help="days per run (default: enough for every fact, 1000)"
    )
    parser.add_argument("--workers", default=None, help="parallel processes (default: cores)")
    parser.add_argument("--csv", type=Path, default=None, help="also write the table as CSV")
    parser.add_argument(
        "--calibration",
        type=Path,
        default=DEFAULT_CALIBRATION,
        metavar="FILE",
        help="calibration file whose fitted and held-out facts the table marks "
        f"(default: {DEFAULT_CALIBRATION}, when it exists)",
    )


def _execute(args: argparse.Namespace) -> int:
    from sim.analysis.facts import (
        FACTS_DAYS,
        fact_jobs,
        format_facts,
        judge,
        run_facts,
        split_facts,
    )
    from sim.runs.pool import simulate_many
    from sim.runs.seeds import spawn_seeds

    scenario = load_scenario(args.scenario, args.overrides)
    check_memory(scenario)
    seeds = spawn_seeds(scenario.run.seed, positive_int_or("--seeds", args.seeds, 3))
    days = positive_int_or("--days", args.days, FACTS_DAYS)
    workers = parse_workers(args.workers or None)  # an empty --workers as not given
    results = simulate_many(fact_jobs(scenario, seeds, days), workers=workers)
    runs, plain = split_facts([run_facts(result) for result in results])
    table = judge(runs, plain)
    if args.calibration is not None and (
        args.calibration.is_file() or args.calibration != DEFAULT_CALIBRATION
    ):
        from sim.analysis.calibration import load_calibration
        from sim.analysis.facts import with_roles

        calibration = load_calibration(args.calibration)
        fitted = [target.fact for target in calibration.targets]
        table = with_roles(table, fitted, calibration.held_out)
    print(
        f"facts of {scenario.name}: {len(seeds)} seeds x {days} days "
        f"(and {len(seeds)} x {min(days, 365)} days without the floor, for F2b)"
    )
    print(format_facts(table))
    if args.csv is not None:
        write_table(table, args.csv)
    return 0 if bool(table["passed"].all()) else 3


def write_table(table: pd.DataFrame, path: Path) -> None:
    """The table as CSV, written beside its final name and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    table.to_csv(partial, index=False)
    partial.replace(path)


COMMAND = Command(
    name="facts",
    help="check the seed's facts (F1-F11) on a scenario over several seeds",
    add_arguments=_add_arguments,
    execute=_execute,
)
