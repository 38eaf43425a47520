"""``ecosim calibrate``: fit a scenario's free parameters to the seed's facts with Optuna,
on a local or existing Dask cluster, resumably.

The calibration file is validated before anything is written or any cluster starts. The
study lives in ``<out>/journal.log``: run the same command again after an interruption
(a kill, Ctrl-C, a lost machine) and it carries on, keeping every finished trial;
``--restart`` starts over. Progress goes to stderr, one line per trial; the last line on
stdout is the output directory.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sim.commands import (
    Command,
    add_cluster_arguments,
    check_workers_memory,
    cluster_connect,
    parse_workers,
)
from sim.scenario.memory import check_memory

if TYPE_CHECKING:
    import optuna

    from sim.analysis.calibration import Calibration, CalibrationOutcome
    from sim.analysis.calibration.study import TrialProgress

DEFAULT_ROOT = Path("runs/calibration")


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "calibration", type=Path, metavar="CALIBRATION", help="calibration YAML file"
    )
    add_cluster_arguments(
        parser,
        scheduler_file_help="use the running Dask cluster described by FILE (as 'dask "
        "scheduler --scheduler-file FILE' or dask-jobqueue write it) instead",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"output directory (default: {DEFAULT_ROOT}/<name>); rerun with the same "
        "DIR to resume",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="discard the trials in DIR and start the calibration over",
    )
    parser.add_argument("--quiet", action="store_true", help="hide the line per trial")


def _execute(args: argparse.Namespace) -> int:
    from sim.analysis.calibration import (
        CalibrationLayout,
        load_calibration,
        run_calibration,
        write_outputs,
        write_report,
    )

    calibration = load_calibration(args.calibration)
    connect = cluster_connect(
        args, parse_workers(args.workers), partial(_check_memory, calibration)
    )
    layout = CalibrationLayout(args.out or DEFAULT_ROOT / calibration.name)
    progress = None if args.quiet else progress_lines(calibration)
    try:
        outcome = run_calibration(
            calibration,
            layout,
            connect,
            write=partial(write_outputs, calibration, layout),
            finish=partial(write_report, calibration, layout),
            restart=args.restart,
            on_trial=progress,
        )
    except KeyboardInterrupt:
        print(
            f"ecosim: interrupted; finished trials are saved in {layout.root}; "
            "run the same command again to carry on",
            file=sys.stderr,
        )
        return 130
    for number, error in outcome.failed:
        print(f"ecosim: trial {number} failed: {error}", file=sys.stderr)
    best = f"; best: trial {outcome.best[0]}, loss {outcome.best[1]:.4g}" if outcome.best else ""
    print(
        f"calibration {calibration.name}: {outcome.complete}/{calibration.trials} trials "
        f"complete ({outcome.made} now, {outcome.complete_before} before, "
        f"{len(outcome.retried)} rerun after an interruption), "
        f"{len(outcome.failed)} failed{best}"
    )
    print(layout.root)
    return 1 if outcome.failed or outcome.complete < calibration.trials else 0


def _check_memory(calibration: Calibration, workers: int | None) -> None:
    """A trial's run must fit alone, and as many at once as the local cluster runs."""
    scenario = calibration.trial_scenario
    check_memory(scenario)
    check_workers_memory(scenario, workers, calibration.runs_per_trial * calibration.in_flight)


def progress_lines(calibration: Calibration) -> TrialProgress:
    """One flushed line per trial told: the time, the time since the start, how many
    trials are complete, and the trial's loss (or its failure)."""
    started = time.monotonic()

    def line(outcome: CalibrationOutcome, trial: optuna.trial.FrozenTrial | None) -> None:
        if trial is None:
            rerun = f", {len(outcome.retried)} to rerun" if outcome.retried else ""
            text = f"{outcome.complete_before}/{calibration.trials} trials complete before{rerun}"
            if outcome.other_code:
                text += f" (some made by other code: {', '.join(outcome.other_code)})"
        elif trial.value is None:
            text = f"trial {trial.number} failed: {trial.user_attrs.get('error', '')}"
        else:
            retry = trial.user_attrs.get("retry_of")
            again = f" (rerun of {retry})" if retry is not None else ""
            seconds = trial.user_attrs.get("seconds", 0.0)
            text = (
                f"{outcome.complete}/{calibration.trials} trials complete; trial "
                f"{trial.number}{again}: loss {trial.value:.4g} in {seconds:.0f} s"
            )
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        minutes, seconds_left = divmod(int(time.monotonic() - started), 60)
        elapsed = f"{minutes // 60}:{minutes % 60:02d}:{seconds_left:02d}"
        print(f"{stamp} calibrate {calibration.name} [{elapsed}]: {text}", file=sys.stderr)
        sys.stderr.flush()

    return line


COMMAND = Command(
    name="calibrate",
    help="fit a scenario's free parameters to the seed's facts (Optuna, Dask), resumably",
    add_arguments=_add_arguments,
    execute=_execute,
)
