"""``ecosim sensitivity``: Morris screening of the main KPIs over every calibrated parameter
and numeric lever, then Sobol' indices for the most influential, on a Dask cluster.

Writes DIR/morris.parquet, DIR/sobol.parquet and DIR/sensitivity.png, and prints both
tables. Every finished sample point is kept in DIR (``morris-points.jsonl``,
``sobol-points.jsonl``): the same command again resumes an interrupted study, and starts
no cluster when nothing is left to run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sim.commands import (
    Command,
    add_baseline_scenario_arguments,
    add_cluster_arguments,
    check_workers_memory,
    cluster_connect,
    parse_workers,
    positive_int,
    positive_int_or,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.memory import check_memory

if TYPE_CHECKING:
    from sim.analysis.parameters import Parameter
    from sim.analysis.sensitivity import Evaluate, Mapper, Point, Progress
    from sim.sweeps.cluster import Connect


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_baseline_scenario_arguments(parser)
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="where the tables, plot and "
        "finished points go (the same DIR resumes a study)"
    )  # fmt: skip
    parser.add_argument(
        "--parameters",
        default=None,
        metavar="PATH,PATH,...",
        help="only these factors of the screening (default: every calibrated parameter and "
        "numeric lever, sim.analysis.sensitivity.PARAMETERS)",
    )
    parser.add_argument("--trajectories", default="10", metavar="N", help="Morris trajectories")
    parser.add_argument("--levels", default="4", metavar="N", help="Morris grid levels (even)")
    parser.add_argument(
        "--sobol-n", default="32", metavar="N", help="Sobol' base samples (a power of 2)"
    )
    parser.add_argument(
        "--top", default="4", metavar="K", help="Sobol' indices for the K most influential"
    )
    parser.add_argument("--no-sobol", action="store_true", help="Morris screening only")
    parser.add_argument("--seeds", default="2", metavar="N", help="paired seeds per point")
    parser.add_argument("--days", default=None, metavar="N", help="days per run (run.days)")
    add_cluster_arguments(
        parser,
        scheduler_help="use the Dask cluster at ADDRESS",
        scheduler_file_help="use the Dask cluster described by FILE "
        "('dask scheduler --scheduler-file')",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def _execute(args: argparse.Namespace) -> int:
    from sim.analysis.sensitivity import (
        check_levels,
        check_sobol_n,
        model_problem,
        morris,
        morris_markdown,
        most_influential,
        plot,
        sobol,
        sobol_markdown,
        write_table,
    )
    from sim.runs.seeds import spawn_seeds

    scenario = load_scenario(args.scenario, args.set)
    check_memory(scenario)
    trajectories = positive_int("--trajectories", args.trajectories)
    levels = positive_int("--levels", args.levels)
    check_levels(levels, "--levels")
    sobol_n = positive_int("--sobol-n", args.sobol_n)
    check_sobol_n(sobol_n, "--sobol-n")
    top = positive_int("--top", args.top)
    n_seeds = positive_int("--seeds", args.seeds)
    days = positive_int_or("--days", args.days, scenario.run.days)
    workers = parse_workers(args.workers)
    parameters = _parameters(args.parameters)
    problem, evaluation = model_problem(
        scenario, parameters, spawn_seeds(scenario.run.seed, n_seeds), days, field="--parameters"
    )
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ScenarioError("--out", f"{out} is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    seed = scenario.run.seed
    with ExitStack() as stack:
        connect = cluster_connect(args, workers, partial(check_workers_memory, scenario))
        cluster = _LazyCluster(connect, stack)
        try:
            morris_table = morris(
                problem,
                evaluation,
                trajectories=trajectories,
                levels=levels,
                seed=seed,
                mapper=cluster,
                cache=out / "morris-points.jsonl",
                progress=None if args.quiet else _progress_lines("morris"),
            )
            write_table(morris_table, out / "morris.parquet")
            sobol_table = None
            if not args.no_sobol:
                chosen = problem.subset(most_influential(morris_table, top))
                sobol_table = sobol(
                    chosen,
                    evaluation,
                    n=sobol_n,
                    seed=seed,
                    mapper=cluster,
                    cache=out / "sobol-points.jsonl",
                    progress=None if args.quiet else _progress_lines("sobol"),
                )
                write_table(sobol_table, out / "sobol.parquet")
        except KeyboardInterrupt:
            print(
                f"ecosim: interrupted; finished points are saved in {out}; "
                "run the same command again to resume",
                file=sys.stderr,
            )
            return 130
    plot(morris_table, sobol_table, out / "sensitivity.png")
    runs = f"{n_seeds} paired seeds x {days} days per point"
    print(f"Morris screening of {scenario.name}: {trajectories} trajectories, {runs}")
    print("(mu* over the output's largest: 1 = its most influential parameter)\n")
    print(morris_markdown(morris_table))
    if sobol_table is not None:
        print(f"\nSobol' indices (N = {sobol_n}): S1 / ST with 95% half-widths\n")
        print(sobol_markdown(sobol_table))
    print(out)
    return 0


def _parameters(text: str | None) -> list[Parameter]:
    """The screening's factors: all of them, or those named in ``--parameters``."""
    from sim.analysis.sensitivity import PARAMETERS

    if text is None:
        return list(PARAMETERS)
    known = {parameter.path: parameter for parameter in PARAMETERS}
    paths = [path.strip() for path in text.split(",") if path.strip()]
    unknown = [path for path in paths if path not in known]
    if unknown or not paths:
        raise ScenarioError(
            "--parameters",
            f"{', '.join(unknown) or 'nothing'} is not a factor of the screening; "
            f"choose among {', '.join(known)}",
        )
    return [known[path] for path in paths]


class _LazyCluster:
    """A mapper that opens its cluster (into ``stack``) when points are first left to run,
    checking that the workers run this code, and keeps it for the next stage."""

    def __init__(self, connect: Connect, stack: ExitStack) -> None:
        self._connect = connect
        self._stack = stack
        self._mapper: Mapper | None = None

    def __call__(
        self, evaluate: Evaluate, points: Sequence[Point]
    ) -> Iterable[tuple[int, Mapping[str, float]]]:
        from sim.analysis.sensitivity import on_cluster
        from sim.sweeps.cluster import check_workers
        from sim.sweeps.ledger import code_version

        if self._mapper is None:
            client = self._stack.enter_context(self._connect(len(points)))
            check_workers(client, code_version())  # as the sweep: same code everywhere
            self._mapper = on_cluster(client)
        return self._mapper(evaluate, points)


def _progress_lines(stage: str) -> Progress:
    """A line on stderr per finished point: the time since the stage started and how many
    of its points are finished (the first line: how many were finished before)."""
    started = time.monotonic()

    def write(finished: int, total: int) -> None:
        elapsed = int(time.monotonic() - started)
        print(
            f"sensitivity {stage} [{elapsed // 60}:{elapsed % 60:02d}]: "
            f"{finished}/{total} points finished",
            file=sys.stderr,
            flush=True,
        )

    return write


COMMAND = Command(
    name="sensitivity",
    help="Morris screening and Sobol' indices of the main KPIs (SALib, on Dask), resumably",
    add_arguments=_add_arguments,
    execute=_execute,
)
