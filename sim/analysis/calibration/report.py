"""What a calibration writes from its study: ``trials.parquet``, ``best.yaml``,
``report.md`` and ``plots/``.

Everything is read from the study (the journal), so the files can be rebuilt at any time.
The report gives the best trial's fit per target fact, the held-out facts apart (the
validation: facts the fit never saw), and how well the good trials pin down each
parameter: the spread of its values among the best ``good_share`` of the trials, on the
scale it was sampled on (its log for a log-uniform prior), as a share of its range. Values
drawn at random over the range would have an interquartile range of half of it; a
parameter is *identified* when the good trials' range is at most a quarter, *loosely* at
most a half, and *not identified* beyond.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.calibration.layout import CalibrationLayout
from sim.analysis.calibration.spec import MISS_CAP, Calibration
from sim.analysis.facts import FACTS
from sim.analysis.parameters import Parameter
from sim.runs.directory import parquet_bytes, write_atomic
from sim.scenario.files import dump_scenario
from sim.sweeps.layout import remove_leftovers

if TYPE_CHECKING:
    import optuna

__all__ = [
    "IDENTIFIED",
    "LOOSE",
    "best_trial",
    "fit_table",
    "spread_table",
    "trials_table",
    "write_outputs",
    "write_report",
]

IDENTIFIED = 0.25
"""Interquartile range of the good trials, as a share of the range, of an identified
parameter (values drawn at random over the range would have 0.5)."""
LOOSE = 0.5
MIN_GOOD = 3
"""The good trials are never fewer than this (or all the complete trials, if fewer)."""


def trials_table(study: optuna.Study, calibration: Calibration) -> pd.DataFrame:
    """One row per trial: number, state, loss, retry_of, session, seconds, error, each
    parameter (by its path), each fact's value (``F5``) and miss (``F5_miss``)."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        facts = attrs.get("facts", {})
        misses = attrs.get("misses", {})
        row: dict[str, Any] = {
            "number": trial.number,
            "state": trial.state.name,
            "loss": math.nan if trial.value is None else float(trial.value),
            "retry_of": attrs.get("retry_of"),
            "session": attrs.get("session"),
            "code_version": attrs.get("code_version"),
            "seconds": attrs.get("seconds", math.nan),
            "error": attrs.get("error"),
        }
        for parameter in calibration.parameters:
            row[parameter.path] = float(trial.params.get(parameter.path, math.nan))
        for fact in FACTS:
            row[fact.key] = _number_or(facts.get(fact.key), math.nan)
            row[f"{fact.key}_miss"] = _number_or(
                misses.get(fact.key), math.inf if facts else math.nan
            )
        rows.append(row)
    table = pd.DataFrame(rows, columns=_columns(calibration))
    table["retry_of"] = table["retry_of"].astype("Int64")
    for column in ("session", "code_version", "error", "state"):
        table[column] = table[column].astype("string")
    return table


def _columns(calibration: Calibration) -> list[str]:
    fixed = ["number", "state", "loss", "retry_of", "session", "code_version", "seconds", "error"]
    facts = [name for fact in FACTS for name in (fact.key, f"{fact.key}_miss")]
    return fixed + [p.path for p in calibration.parameters] + facts


def _number_or(value: object, missing: float) -> float:
    return float(value) if isinstance(value, int | float) else missing


def complete_trials(table: pd.DataFrame) -> pd.DataFrame:
    """The complete trials, best first (ties: the earlier trial)."""
    complete = table[table["state"] == "COMPLETE"]
    return complete.sort_values(["loss", "number"], kind="stable")


def best_trial(table: pd.DataFrame) -> pd.Series | None:
    """The complete trial of least loss (None before any is complete)."""
    complete = complete_trials(table)
    return None if complete.empty else complete.iloc[0]


def good_trials(table: pd.DataFrame, share: float) -> pd.DataFrame:
    """The best ``share`` of the complete trials (at least :data:`MIN_GOOD`)."""
    complete = complete_trials(table)
    count = max(min(MIN_GOOD, len(complete)), math.ceil(share * len(complete)))
    return complete.head(count)


def fit_table(calibration: Calibration, trial: pd.Series) -> pd.DataFrame:
    """Each fact of ``trial``: its role (target, held out, other), band, value, miss, and
    for a target its weight and its part of the loss."""
    weights = {target.fact: target.weight for target in calibration.targets}
    rows = []
    for fact in FACTS:
        role = (
            "target"
            if fact.key in weights
            else "held out"
            if fact.key in calibration.held_out
            else "other"
        )
        miss = float(trial[f"{fact.key}_miss"])
        weight = weights.get(fact.key, math.nan)
        rows.append(
            {
                "fact": fact.key,
                "role": role,
                "description": fact.description,
                "band": fact.target,
                "value": float(trial[fact.key]),
                "miss": miss,
                "in_band": miss == 0,
                "weight": weight,
                "loss": weight * min(miss, MISS_CAP) if role == "target" else math.nan,
            }
        )
    return pd.DataFrame(rows)


def spread_table(calibration: Calibration, table: pd.DataFrame) -> pd.DataFrame:
    """Each parameter: its range, the best value, and the good trials' median and
    quartiles, with the interquartile range as a share of the range and the verdict."""
    best = best_trial(table)
    good = good_trials(table, calibration.good_share)
    rows = []
    for parameter in calibration.parameters:
        units = np.array([parameter.unit(v) for v in good[parameter.path]], dtype=float)
        if units.size:
            low, median, high = (float(q) for q in np.quantile(units, [0.25, 0.5, 0.75]))
        else:
            low = median = high = math.nan
        share = high - low
        rows.append(
            {
                "parameter": parameter.path,
                "low": parameter.low,
                "high": parameter.high,
                "prior": "log-uniform" if parameter.log else "uniform",
                "best": math.nan if best is None else float(best[parameter.path]),
                "median": _at(parameter, median),
                "q25": _at(parameter, low),
                "q75": _at(parameter, high),
                "iqr_share": share,
                "identified": _verdict(share),
                "good_trials": len(good),
            }
        )
    return pd.DataFrame(rows)


def _at(parameter: Parameter, unit: float) -> float:
    if not math.isfinite(unit):
        return math.nan
    plain = Parameter(parameter.path, parameter.low, parameter.high, parameter.log)
    return float(plain.value(unit))


def _verdict(share: float) -> str:
    if not math.isfinite(share):
        return "n/a"
    if share <= IDENTIFIED:
        return "identified"
    return "loosely" if share <= LOOSE else "not identified"


def write_outputs(calibration: Calibration, layout: CalibrationLayout, study: optuna.Study) -> None:
    """``trials.parquet`` and (once a trial is complete) ``best.yaml``, each written to a
    temporary file and renamed into place: kept current after every trial."""
    remove_leftovers(layout.root, (layout.trials.name, layout.best.name))
    table = trials_table(study, calibration)
    write_atomic(layout.trials, parquet_bytes(table))
    best = best_trial(table)
    if best is not None:
        values = _values(calibration, best)
        header = (
            f"# Calibrated by `ecosim calibrate` ({calibration.name}): trial {best['number']}, "
            f"loss {best['loss']:.4g}, of {len(complete_trials(table))} complete trials.\n"
        )
        text = header + dump_scenario(calibration.best_scenario(values))
        write_atomic(layout.best, text.encode("utf-8"))


def _values(calibration: Calibration, trial: pd.Series) -> dict[str, float | int]:
    return {
        p.path: round(float(trial[p.path])) if p.integer else float(trial[p.path])
        for p in calibration.parameters
    }


def write_report(calibration: Calibration, layout: CalibrationLayout, study: optuna.Study) -> None:
    """All outputs: those of :func:`write_outputs`, ``report.md`` and ``plots/``."""
    write_outputs(calibration, layout, study)
    table = trials_table(study, calibration)
    layout.plots.mkdir(exist_ok=True)
    remove_leftovers(layout.root, (layout.report.name,))
    plots = {"loss": _plot_loss(table)}
    for parameter in calibration.parameters:
        plots[parameter.path] = _plot_parameter(parameter, table)
    remove_leftovers(layout.plots, (f"{name}.png" for name in plots))
    for name, png in plots.items():
        write_atomic(layout.plots / f"{name}.png", png)
    write_atomic(layout.report, report_markdown(calibration, table).encode("utf-8"))


def report_markdown(calibration: Calibration, table: pd.DataFrame) -> str:
    """The report: what ran, the best trial's fit, the held-out facts, the spread."""
    complete = complete_trials(table)
    best = best_trial(table)
    scenario = calibration.trial_scenario
    lines = [f"# Calibration {calibration.name}", ""]
    if calibration.description:
        lines += [calibration.description.strip(), ""]
    settings = ", ".join(f"`{k}: {v}`" for k, v in calibration.settings.items()) or "none"
    unfloored = (
        f", and as many {min(calibration.days, 365)}-day runs without the floor (for F2b)"
        if calibration.needs_unfloored
        else ""
    )
    sampler = calibration.sampler
    retried = int(table["retry_of"].notna().sum())
    failed = int((table["state"] == "FAIL").sum()) - retried
    versions = sorted(str(v) for v in complete["code_version"].dropna().unique())
    lines += [
        f"Scenario `{calibration.scenario.name}` calibrated at the trials' settings "
        f"{settings} (scenario hash `{scenario.scenario_hash()[:8]}`): each trial runs "
        f"{_count(len(calibration.seeds), 'seed')} x {calibration.days} days{unfloored}, the same "
        f"seeds for every trial ({', '.join(map(str, calibration.seeds))}).",
        "",
        f"Optuna TPE (multivariate, seed {sampler.seed}, {sampler.startup_trials} random "
        f"trials first), {calibration.in_flight} trials at once: {len(complete)} of "
        f"{calibration.trials} trials complete, {retried} rerun after an interruption, "
        f"{failed} failed. Loss = sum of weight x min(miss, {MISS_CAP:g}) over the targets; "
        f"a miss is 0 inside the band. Code: {', '.join(versions) or 'n/a'}.",
        "",
    ]
    if best is None:
        return "\n".join([*lines, "No trial is complete yet.", ""])
    fit = fit_table(calibration, best)
    spread = spread_table(calibration, table)
    good = int(spread["good_trials"].iloc[0])
    lines += [
        f"## Best trial: {best['number']}, loss {best['loss']:.4g}",
        "",
        f"The spread is over the {good} best trials (the best "
        f"{calibration.good_share:.0%}), on the scale each parameter was sampled on; "
        f"identified: interquartile range at most {IDENTIFIED:.0%} of the range "
        f"(random values: 50%), loosely: at most {LOOSE:.0%}.",
        "",
        _markdown_table(
            ["parameter", "range", "prior", "best", "median (good)", "IQR (good)", "IQR/range", ""],
            [
                [
                    f"`{r['parameter']}`",
                    f"{_number(r['low'])}-{_number(r['high'])}",
                    r["prior"],
                    _number(r["best"]),
                    _number(r["median"]),
                    f"{_number(r['q25'])}-{_number(r['q75'])}",
                    f"{r['iqr_share']:.0%}" if math.isfinite(r["iqr_share"]) else "n/a",
                    r["identified"],
                ]
                for r in spread.to_dict("records")
            ],
        ),
        "",
    ]
    for role, title in (
        ("target", "Fit per target fact"),
        ("held out", "Held-out facts (not fitted: the validation)"),
        ("other", "Other facts (neither fitted nor held out)"),
    ):
        rows = fit[fit["role"] == role]
        if rows.empty:
            continue
        headers = ["fact", "what", "band", "value", "miss", ""]
        if role == "target":
            headers += ["weight", "loss"]
        body = []
        for r in rows.to_dict("records"):
            cells = [
                str(r["fact"]),
                str(r["description"]),
                str(r["band"]),
                _number(r["value"]),
                _number(r["miss"]),
                "in band" if r["in_band"] else "miss",
            ]
            if role == "target":
                cells += [_number(r["weight"]), _number(r["loss"])]
            body.append(cells)
        lines += [f"## {title}", "", _markdown_table(headers, body), ""]
    lines += ["## Plots", "", "![loss by trial](plots/loss.png)", ""]
    lines += [f"![{p.path}](plots/{p.path}.png)" for p in calibration.parameters]
    return "\n".join([*lines, ""])


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _number(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.4g}"


def _plot_loss(table: pd.DataFrame) -> bytes:
    """Each complete trial's loss by trial number, and the best so far."""
    from matplotlib.figure import Figure  # heavy: only when a report is made

    complete = table[table["state"] == "COMPLETE"].sort_values("number")
    figure = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.plot(complete["number"], complete["loss"], "o", alpha=0.6, label="trial")
    axes.step(complete["number"], complete["loss"].cummin(), where="post", label="best so far")
    axes.set_xlabel("trial")
    axes.set_ylabel("loss")
    axes.set_title("loss by trial", fontsize="medium")
    axes.legend(fontsize="small")
    return _png(figure)


def _plot_parameter(parameter: Parameter, table: pd.DataFrame) -> bytes:
    """Each complete trial's loss against the parameter's value; the best trial marked."""
    from matplotlib.figure import Figure

    complete = table[table["state"] == "COMPLETE"]
    figure = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.plot(complete[parameter.path], complete["loss"], "o", alpha=0.6)
    best = best_trial(table)
    if best is not None:
        axes.plot([best[parameter.path]], [best["loss"]], "*", markersize=14, label="best")
        axes.legend(fontsize="small")
    if parameter.log:
        axes.set_xscale("log")
    axes.set_xlim(parameter.low, parameter.high)
    axes.set_xlabel(parameter.path)
    axes.set_ylabel("loss")
    axes.set_title(f"loss against {parameter.path}", fontsize="medium")
    return _png(figure)


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
