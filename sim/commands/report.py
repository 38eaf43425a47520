"""``ecosim report``: summarise a sweep directory: per grid point, each KPI's mean and 95%
confidence interval across seeds, as summary.parquet, report.md and one PNG per KPI."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.commands import Command


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sweep_dir", type=Path, metavar="SWEEP_DIR", help="a directory made by 'ecosim sweep'"
    )


def _execute(args: argparse.Namespace) -> int:
    from sim.sweeps.report import write_report

    results = write_report(args.sweep_dir)
    root = results.layout.root
    missing = results.planned - len(results.runs)
    print(
        f"sweep {results.name}: {len(results.points)} points, {len(results.runs)} of "
        f"{results.planned} runs finished"
        + (f" ({missing} missing: run 'ecosim sweep' again)" if missing else "")
    )
    print(f"wrote summary.parquet, kpis.parquet and {len(results.kpis)} plots in {root}")
    print(root / "report.md")
    return 0


COMMAND = Command(
    name="report",
    help="summarise a sweep: per grid point, each KPI's mean and confidence interval, with plots",
    add_arguments=_add_arguments,
    execute=_execute,
)
