"""``ecosim compare``: two scenarios (or one with different levers) over the same seeds,
KPIs side by side with the difference and its 95% confidence interval."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.commands import Command, positive_int_or
from sim.scenario.files import load_scenario
from sim.scenario.memory import check_memory


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario_a", type=Path, metavar="SCENARIO_A", help="policy A (YAML)")
    parser.add_argument("scenario_b", type=Path, metavar="SCENARIO_B", help="policy B (YAML)")
    for flag, meaning in (
        ("--set", "both"),
        ("--set-a", "policy A only"),
        ("--set-b", "policy B only"),
    ):
        parser.add_argument(
            flag,
            dest=flag.removeprefix("--").replace("-", "_"),
            action="append",
            default=[],
            metavar="PATH=VALUE",
            help=f"override a setting for {meaning} (repeatable)",
        )
    parser.add_argument("--seeds", default="3", help="number of seeds (default 3)")
    parser.add_argument("--days", default=None, help="days per run (default: run.days of A)")
    parser.add_argument("--csv", type=Path, default=None, help="also write the table as CSV")


def _execute(args: argparse.Namespace) -> int:
    from sim.analysis.compare import compare_runs, format_comparison
    from sim.runs.pool import simulate_seeds
    from sim.runs.seeds import spawn_seeds

    a = load_scenario(args.scenario_a, [*args.set, *args.set_a])
    b = load_scenario(args.scenario_b, [*args.set, *args.set_b])
    check_memory(a)
    check_memory(b)
    seeds = spawn_seeds(a.run.seed, positive_int_or("--seeds", args.seeds, 3))
    days = positive_int_or("--days", args.days, a.run.days)
    table = compare_runs(simulate_seeds(a, seeds, days), simulate_seeds(b, seeds, days))
    name_a, name_b = a.name, b.name if b.name != a.name else f"{b.name} (B)"
    print(f"{name_a} vs {name_b}: {len(seeds)} seeds x {days} days (* : CI excludes 0)")
    print(format_comparison(table, name_a, name_b))
    if args.csv is not None:
        table.to_csv(args.csv, index=False)
    return 0


COMMAND = Command(
    name="compare",
    help="compare the KPIs of two policies over the same seeds, with 95%% CIs",
    add_arguments=_add_arguments,
    execute=_execute,
)
