"""Global sensitivity of the main KPIs to the calibrated parameters and the numeric levers:
Morris screening over all of them, then Sobol indices for the most influential (SALib).

A :class:`Problem` is a list of :class:`~sim.analysis.parameters.Parameter` and the names
of the outputs; an evaluation maps one sample point (``{path: value}``) to its outputs.
SALib samples the unit cube, each coordinate becomes a setting through
:meth:`Parameter.value` (so a log range is sampled on its log), and SALib analyses the
outputs. Morris effects are therefore per whole range of a parameter: comparable across
parameters, and across outputs once divided by the output's largest (``mu_star_norm``).

The points are evaluated through a *mapper*: :func:`in_process` for a cheap function (the
Ishigami test), :func:`on_cluster` for the model on a Dask cluster; the same code runs
both. Each finished point is appended to a JSON-lines cache keyed by the point's index
and a hash of the study (parameters, outputs, sampler settings, seed, and the
evaluation's ``context``: for the model, the scenario, seeds, days and code version), so
an interrupted study resumes where it stopped. The same seed gives the same samples and
the same tables.

`ecosim sensitivity` runs it on the model (:class:`ModelEvaluation`: the scenario with the
point's values, on paired seeds, KPIs averaged over the seeds); `python -m
tools.sensitivity_docs` writes docs/sensitivity.md, .parquet and .png from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.levers import STEPS
from sim.analysis.parameters import Parameter, apply_values, check_parameters
from sim.metrics import DAILY_METRICS, RUN_KPIS
from sim.scenario.errors import ScenarioError

if TYPE_CHECKING:
    from distributed import Client

    from sim.runs.run import RunResult
    from sim.scenario.schema import Scenario

__all__ = [
    "CALIBRATED",
    "LEVERS",
    "OUTPUTS",
    "PARAMETERS",
    "ModelEvaluation",
    "Problem",
    "check_levels",
    "check_sobol_n",
    "in_process",
    "model_problem",
    "morris",
    "morris_markdown",
    "most_influential",
    "on_cluster",
    "plot",
    "sobol",
    "sobol_markdown",
    "write_table",
]

Point = dict[str, float]
"""One sample point: each parameter's path and its value."""
Evaluate = Callable[[Point], Mapping[str, float]]
"""The outputs at a point (at least every output of the problem)."""
Mapper = Callable[[Evaluate, Sequence[Point]], Iterable[tuple[int, Mapping[str, float]]]]
"""Evaluates points, yielding (position in the sequence, outputs) as each one finishes."""
Progress = Callable[[int, int], None]
"""Told (points finished, points in all) once the cache is read and after each point."""

OUTPUTS: dict[str, str] = {
    "gmv_real_per_day": "GMV / day",
    "median_income_tier3_final": "median income >100k",
    "exposure_gini_mean": "exposure Gini",
    "follower_gini_final": "follower Gini",
    "ordinary_share_all": "ordinary share of all views",
    "repeat_purchase_rate": "repeat purchase",
    "complaint_rate": "complaint rate",
}
"""The main results the analysis explains, with their labels: KPIs of a run, or daily
metrics (``ordinary_share_all``, follow page included) averaged over the run."""

RATES = (
    "commerce.buy_rate",
    "commerce.live_multiplier",
    "commerce.trust_gain",
    "population.creator_entry_rate",
    "population.commerce_creator_share",
    "population.video_goods_share",
)
"""Calibrated behaviour known to an order of magnitude: from half to twice its value."""
SPREADS = (
    "population.post_rate",
    "population.live_rate",
    "population.quality_sigma",
    "population.sales_skill_sigma",
)
"""Calibrated behaviour known more closely: +-50% of its value."""


def _around_defaults() -> tuple[Parameter, ...]:
    """The calibrated behaviour that is not a lever, around the baseline's values (the
    schema's defaults, which the baseline file writes out: a new calibration moves the
    ranges with it)."""
    from sim.scenario.schema import Scenario

    defaults = Scenario()
    out = []
    for path in RATES + SPREADS:
        group, name = path.split(".")
        value = float(getattr(getattr(defaults, group), name))
        if path in RATES:
            out.append(Parameter(path, value / 2, value * 2, log=True))
        else:
            out.append(Parameter(path, value * 0.5, value * 1.5))
    return tuple(out)


CALIBRATED: tuple[Parameter, ...] = _around_defaults()
"""Calibrated behaviour that is not a lever, from half to twice the baseline's value (a
rate known to an order of magnitude, on its log) or +-50% of it. The calibrated levers
(follow_rate, follow_page_weight, event_lift) take their lever ranges."""

LOG_LEVERS = frozenset(
    {"traffic.follow_rate", "traffic.head_follower_share", "traffic.conversion_prior"}
)
"""Levers whose documented range spans an order of magnitude or more: sampled on the log."""
OPEN_ENDS: dict[str, tuple[float, float]] = {
    "traffic.gini_cap": (0.4, 0.8),
    "traffic.ordinary_floor": (0.5, 0.85),
}
"""Levers whose documented step switches them off (``None``): the numeric range here."""


def _lever_parameters() -> tuple[Parameter, ...]:
    """Every lever of :data:`~sim.analysis.levers.STEPS` with a numeric range (its
    documented low and high); a switch, a choice or a list of stages is left out."""
    out = []
    for step in STEPS:
        low, high = OPEN_ENDS.get(step.path, (step.low, step.high))
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
        if not numbers or low == high:
            continue
        integer = isinstance(low, int) and isinstance(high, int)
        out.append(Parameter(step.path, low, high, log=step.path in LOG_LEVERS, integer=integer))
    return tuple(out)


LEVERS: tuple[Parameter, ...] = _lever_parameters()
"""The numeric levers, on their documented ranges (docs/levers.md). Left out:
``traffic.stage_quotas`` (a list), ``traffic.method`` and ``traffic.feed`` (choices),
``commerce.external_links``, ``source_goods`` and ``flash_listing`` (switches); their
effects are the lever table's."""
PARAMETERS: tuple[Parameter, ...] = CALIBRATED + LEVERS
"""Every factor of the Morris screening of ``ecosim sensitivity``."""


@dataclass(frozen=True)
class Problem:
    """What a study varies and what it explains: parameters, outputs and what the outputs
    are computed from (``context``, part of the cache key)."""

    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]
    context: str = ""

    def __post_init__(self) -> None:
        if not self.parameters:
            raise ScenarioError("parameters", "a study needs at least one parameter")
        seen: set[str] = set()
        for index, parameter in enumerate(self.parameters):
            where = f"parameters[{index}]"
            if parameter.path in seen:
                raise ScenarioError(where, f"{parameter.path} is listed twice")
            seen.add(parameter.path)
            if not parameter.low < parameter.high:
                raise ScenarioError(
                    where, f"low {parameter.low} must be below high {parameter.high}"
                )
            if parameter.log and parameter.low <= 0:
                raise ScenarioError(where, f"a log range needs low > 0, got {parameter.low}")
        if not self.outputs or len(set(self.outputs)) != len(self.outputs):
            raise ScenarioError("outputs", f"must be distinct names, got {list(self.outputs)}")

    @property
    def paths(self) -> list[str]:
        return [parameter.path for parameter in self.parameters]

    def subset(self, paths: Sequence[str]) -> Problem:
        """The same study over ``paths`` only (in that order)."""
        by_path = {parameter.path: parameter for parameter in self.parameters}
        return Problem(tuple(by_path[path] for path in paths), self.outputs, self.context)

    def point(self, unit: Sequence[float]) -> Point:
        """The settings at a point of the unit cube."""
        return {p.path: p.value(float(u)) for p, u in zip(self.parameters, unit, strict=True)}

    def salib(self) -> dict[str, Any]:
        """SALib's problem: the unit cube, one axis per parameter."""
        return {
            "num_vars": len(self.parameters),
            "names": self.paths,
            "bounds": [[0.0, 1.0]] * len(self.parameters),
        }

    def key(self, method: str, **settings: int) -> str:
        """A hash of everything that decides the points and their outputs."""
        study = {
            "method": method,
            "settings": settings,
            "parameters": [asdict(parameter) for parameter in self.parameters],
            "outputs": list(self.outputs),
            "context": self.context,
        }
        text = json.dumps(study, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def check_levels(levels: int, field: str = "levels") -> None:
    """Morris grid levels must be even and at least 2."""
    if levels < 2 or levels % 2:
        raise ScenarioError(field, f"must be an even number of at least 2, got {levels}")


def check_sobol_n(n: int, field: str = "n") -> None:
    """Sobol' base samples must be a power of 2 (the Sobol' sequence's balance)."""
    if n < 2 or n & (n - 1):
        raise ScenarioError(field, f"must be a power of 2 of at least 2, got {n}")


def _check_positive(value: int, field: str) -> None:
    if value < 1:
        raise ScenarioError(field, f"must be at least 1, got {value}")


def morris(
    problem: Problem,
    evaluate: Evaluate,
    *,
    trajectories: int = 10,
    levels: int = 4,
    seed: int = 0,
    mapper: Mapper | None = None,
    cache: Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Morris screening: ``trajectories`` x (parameters + 1) points on a ``levels`` grid.

    Returns one row per (parameter, output): ``mu``, ``mu_star`` (mean absolute
    elementary effect over the parameter's whole range), ``mu_star_conf`` (95% bootstrap
    half-width), ``sigma`` and ``mu_star_norm`` (``mu_star`` over the output's largest).

    Examples
    --------
    >>> linear = Problem((Parameter("a", 0, 1), Parameter("b", 0, 1)), ("y",))
    >>> table = morris(linear, lambda x: {"y": 3 * x["a"] + x["b"]}, trajectories=4)
    >>> table.set_index("parameter")["mu_star"].round(6).to_dict()
    {'a': 3.0, 'b': 1.0}
    """
    from SALib.analyze import morris as analyze  # type: ignore[import-untyped]
    from SALib.sample import morris as sample  # type: ignore[import-untyped]

    _check_positive(trajectories, "trajectories")
    check_levels(levels)
    salib = problem.salib()
    units = sample.sample(salib, trajectories, num_levels=levels, seed=_salib_seed(seed))
    key = problem.key("morris", trajectories=trajectories, levels=levels, seed=seed)
    outputs = _evaluate(problem, units, evaluate, mapper, cache, key, progress)
    rows = []
    for output in problem.outputs:
        result = analyze.analyze(
            salib, units, outputs[output], num_levels=levels, seed=_salib_seed(seed)
        )
        for index, path in enumerate(problem.paths):
            rows.append(
                {
                    "parameter": path,
                    "output": output,
                    "mu": float(result["mu"][index]),
                    "mu_star": float(result["mu_star"][index]),
                    "mu_star_conf": float(result["mu_star_conf"][index]),
                    "sigma": float(result["sigma"][index]),
                }
            )
    table = pd.DataFrame(rows)
    largest = table.groupby("output")["mu_star"].transform("max")
    table["mu_star_norm"] = (table["mu_star"] / largest.where(largest > 0)).fillna(0.0)
    return table


def sobol(
    problem: Problem,
    evaluate: Evaluate,
    *,
    n: int = 64,
    seed: int = 0,
    mapper: Mapper | None = None,
    cache: Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Sobol' indices from Saltelli's scheme: ``n`` x (parameters + 2) points.

    Returns one row per (parameter, output): first-order ``S1`` and total ``ST`` indices
    with their 95% bootstrap half-widths ``S1_conf`` and ``ST_conf`` (NaN for an output
    that does not vary).
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    check_sobol_n(n)
    salib = problem.salib()
    units = sample.sample(salib, n, calc_second_order=False, seed=_salib_seed(seed))
    key = problem.key("sobol", n=n, seed=seed)
    outputs = _evaluate(problem, units, evaluate, mapper, cache, key, progress)
    rows = []
    for output in problem.outputs:
        with np.errstate(divide="ignore", invalid="ignore"):
            result = analyze.analyze(
                salib, outputs[output], calc_second_order=False, seed=_salib_seed(seed)
            )
        for index, path in enumerate(problem.paths):
            rows.append(
                {"parameter": path, "output": output}
                | {name: float(result[name][index]) for name in ("S1", "S1_conf", "ST", "ST_conf")}
            )
    return pd.DataFrame(rows)


def most_influential(morris_table: pd.DataFrame, k: int) -> list[str]:
    """The ``k`` parameters with the largest ``mu_star_norm`` averaged over the outputs
    (ties in the table's order): what matters across the KPIs, not to one alone."""
    score = morris_table.groupby("parameter", sort=False)["mu_star_norm"].mean()
    return list(score.sort_values(ascending=False, kind="stable").index[:k])


def _salib_seed(seed: int) -> int:
    """A nonzero seed for SALib derived from ``seed`` (SALib's Sobol' analysis treats 0 as
    'no seed')."""
    state = np.random.SeedSequence(seed).generate_state(1, np.uint32)[0]
    return int(state) | 1


# --- Evaluating points: mappers and the cache -------------------------------------------


def in_process(
    evaluate: Evaluate, points: Sequence[Point]
) -> Iterator[tuple[int, Mapping[str, float]]]:
    """Evaluate the points one after the other in this process."""
    for index, point in enumerate(points):
        yield index, evaluate(point)


def on_cluster(client: Client) -> Mapper:
    """A mapper submitting one task per point to a Dask cluster; results as they finish
    (a task that raised is retried like a sweep's run, then its error is raised here)."""

    def run(
        evaluate: Evaluate, points: Sequence[Point]
    ) -> Iterator[tuple[int, Mapping[str, float]]]:
        from distributed import as_completed

        from sim.sweeps.cluster import TASK_RETRIES

        futures = client.map(evaluate, list(points), pure=False, retries=TASK_RETRIES)
        position = {future.key: index for index, future in enumerate(futures)}
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            yield position[future.key], future.result()

    return run


def _evaluate(
    problem: Problem,
    units: np.ndarray,
    evaluate: Evaluate,
    mapper: Mapper | None,
    cache: Path | None,
    key: str,
    progress: Progress | None,
) -> dict[str, np.ndarray]:
    """Each output at every sample point (rows of ``units``), from the cache where it
    holds the point, else evaluated and appended to it."""
    points = [problem.point(unit) for unit in units]
    done = _read_cache(cache, key, points) if cache is not None else {}
    if progress is not None:
        progress(len(done), len(points))
    pending = [index for index in range(len(points)) if index not in done]
    if pending:
        with _cache_writer(cache) as record:
            results = (mapper or in_process)(evaluate, [points[index] for index in pending])
            for position, outputs in results:
                index = pending[position]
                missing = [name for name in problem.outputs if name not in outputs]
                if missing:
                    raise ScenarioError("outputs", f"the evaluation did not return {missing}")
                done[index] = {name: float(outputs[name]) for name in problem.outputs}
                record({"key": key, "index": index, "point": points[index], "outputs": done[index]})
                if progress is not None:
                    progress(len(done), len(points))
    return {
        name: np.array([done[index][name] for index in range(len(points))], dtype=float)
        for name in problem.outputs
    }


def _read_cache(path: Path, key: str, points: Sequence[Point]) -> dict[int, dict[str, float]]:
    """The outputs of the points of study ``key`` finished before. A line cut short by a
    kill, or one whose point differs from today's sample, is ignored."""
    done: dict[int, dict[str, float]] = {}
    if not path.exists():
        return done
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
                if entry["key"] != key:
                    continue
                index = int(entry["index"])
                if 0 <= index < len(points) and entry["point"] == points[index]:
                    done[index] = {name: float(value) for name, value in entry["outputs"].items()}
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
    return done


@contextlib.contextmanager
def _cache_writer(path: Path | None) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Appends one flushed JSON line per finished point (no file when ``path`` is None)."""
    if path is None:
        yield lambda entry: None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        # Start on a fresh line if a kill cut the last one short.
        if handle.seek(0, os.SEEK_END) > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")

        def write(entry: dict[str, Any]) -> None:
            handle.write(json.dumps(entry).encode("utf-8") + b"\n")
            handle.flush()

        yield write


# --- The model as an evaluation ----------------------------------------------------------


@dataclass(frozen=True)
class ModelEvaluation:
    """The model's outputs at a point: the scenario with the point's values, run for
    ``days`` on each of ``seeds`` (the same seeds at every point, so differences between
    points are not seed noise), each output averaged over the seeds."""

    scenario: Scenario
    seeds: tuple[int, ...]
    days: int
    outputs: tuple[str, ...] = tuple(OUTPUTS)

    def __call__(self, point: Point) -> dict[str, float]:
        from sim.runs.run import simulate

        scenario = apply_values(self.scenario, point)
        runs = [simulate(scenario, seed=seed, days=self.days) for seed in self.seeds]
        return {name: float(np.mean([_output(run, name) for run in runs])) for name in self.outputs}

    @property
    def context(self) -> str:
        """What the outputs depend on besides the point: part of the cache key."""
        from sim.sweeps.ledger import code_version

        return json.dumps(
            {
                "scenario": self.scenario.scenario_hash(),
                "seeds": list(self.seeds),
                "days": self.days,
                "code": code_version(),
            },
            sort_keys=True,
        )


def _output(run: RunResult, name: str) -> float:
    """A KPI of the run, or a daily metric's mean over the run."""
    if name in run.kpis:
        return float(run.kpis[name])
    return float(run.daily[name].mean())


def model_problem(
    scenario: Scenario,
    parameters: Sequence[Parameter],
    seeds: Sequence[int],
    days: int,
    outputs: Sequence[str] = tuple(OUTPUTS),
    field: str = "parameters",
) -> tuple[Problem, ModelEvaluation]:
    """The study of ``parameters`` against ``scenario`` and its evaluation, checked: every
    parameter must be a number setting whose range the scenario accepts (the error names
    ``field[i]``), every output a KPI or a daily metric of a run."""
    check_parameters(scenario, parameters, field)
    unknown = [name for name in outputs if name not in RUN_KPIS and name not in DAILY_METRICS]
    if unknown:
        raise ScenarioError("outputs", f"not KPIs or daily metrics of a run: {unknown}")
    _check_positive(len(seeds), "seeds")
    _check_positive(days, "days")
    evaluation = ModelEvaluation(scenario, tuple(seeds), days, tuple(outputs))
    return Problem(tuple(parameters), tuple(outputs), evaluation.context), evaluation


# --- Tables, markdown and the plot -------------------------------------------------------


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as Parquet at ``path`` atomically (a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        table.to_parquet(temporary, index=False)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _label(output: str) -> str:
    return OUTPUTS.get(output, output)


def morris_markdown(table: pd.DataFrame) -> str:
    """Normalised ``mu*`` of every parameter (rows, most influential first) for every
    output (columns): 1 is the output's most influential parameter."""
    outputs = list(dict.fromkeys(table["output"]))
    wide = table.pivot(index="parameter", columns="output", values="mu_star_norm")
    order = most_influential(table, len(wide))
    head = "| parameter | mean | " + " | ".join(_label(o) for o in outputs) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(outputs)]
    for path in order:
        values = wide.loc[path, outputs].to_numpy(dtype=float)
        cells = " | ".join(f"**{v:.2f}**" if v >= 0.5 else f"{v:.2f}" for v in values)
        lines.append(f"| `{path}` | {np.mean(values):.2f} | {cells} |")
    return "\n".join(lines)


def sobol_markdown(table: pd.DataFrame) -> str:
    """First-order and total Sobol' index with 95% half-widths, ``S1 / ST``, one row per
    output and one column per parameter."""
    paths = list(dict.fromkeys(table["parameter"]))
    lines = [
        "| output | " + " | ".join(f"`{p}`" for p in paths) + " |",
        "|---|" + "---:|" * len(paths),
    ]
    for output, part in table.groupby("output", sort=False):
        by_path = part.set_index("parameter")
        cells = " | ".join(_indices(by_path.loc[path]) for path in paths)
        lines.append(f"| {_label(str(output))} | {cells} |")
    return "\n".join(lines)


def _indices(row: pd.Series) -> str:
    if math.isnan(row["S1"]):
        return "-"
    return f"{row['S1']:.2f}±{row['S1_conf']:.2f} / {row['ST']:.2f}±{row['ST_conf']:.2f}"


def plot(morris_table: pd.DataFrame, sobol_table: pd.DataFrame | None, path: Path) -> None:
    """One column per output: Morris ``mu*`` against ``sigma`` (both over the output's
    largest ``mu*``; the three largest named), and below it the Sobol' ``S1`` and ``ST``
    bars with their intervals. Written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(morris_table["output"]))
    rows = 1 if sobol_table is None else 2
    fig, axes = plt.subplots(rows, len(outputs), figsize=(3.2 * len(outputs), 3.4 * rows))
    axes = np.asarray(axes).reshape(rows, len(outputs))
    for column, output in enumerate(outputs):
        part = morris_table[morris_table["output"] == output]
        largest = float(part["mu_star"].max()) or 1.0
        ax = axes[0, column]
        ax.scatter(part["mu_star"] / largest, part["sigma"] / largest, s=14, color="#4c78a8")
        for row in part.nlargest(3, "mu_star").itertuples():
            name = str(row.parameter).split(".")[-1]
            ax.annotate(name, (row.mu_star / largest, row.sigma / largest), fontsize=7)
        ax.set_xlim(-0.05, 1.15)
        ax.set_ylim(bottom=0)
        ax.set_title(_label(output), fontsize=10)
        ax.set_xlabel("mu* (normalised)")
        if column == 0:
            ax.set_ylabel("Morris: sigma (normalised)")
        if sobol_table is None:
            continue
        bars = sobol_table[sobol_table["output"] == output]
        names = [str(p).split(".")[-1] for p in bars["parameter"]]
        where = np.arange(len(names))
        ax = axes[1, column]
        ax.bar(where - 0.2, bars["S1"], 0.4, yerr=bars["S1_conf"], label="S1", color="#4c78a8")
        ax.bar(where + 0.2, bars["ST"], 0.4, yerr=bars["ST_conf"], label="ST", color="#f58518")
        ax.set_xticks(where, names, rotation=45, ha="right", fontsize=7)
        ax.set_ylim(-0.1, 1.1)
        if column == 0:
            ax.set_ylabel("Sobol' index")
            ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
    try:
        fig.savefig(temporary, dpi=80)
        os.replace(temporary, path)
    finally:
        plt.close(fig)
        temporary.unlink(missing_ok=True)
