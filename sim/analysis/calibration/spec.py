"""Calibration files: the free parameters, the facts to fit and those held out, validated.

A calibration file is YAML with the keys of :class:`CalibrationFile`; ``scenario`` is a
scenario file relative to the calibration file, and ``set`` overrides applied to every
trial (a coarser resolution, say), not to the calibrated scenario written at the end.
Every problem is a :class:`~sim.scenario.errors.ScenarioError` naming the field, as for
scenario and sweep files, and is found before anything runs.

The loss of a trial is ``sum(weight * min(miss, MISS_CAP))`` over the targets, where
``miss`` is the fact's distance to its band (:meth:`sim.analysis.facts.Fact.miss`: 0
inside, e-folds for a fact whose band spans a factor, else in the fact's spread). The cap
keeps one fact that cannot be measured (a NaN, an infinite miss) or is off by orders of
magnitude from drowning out all the others.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.analysis.facts import FACT_KEYS, FACTS, FACTS_DAYS, RunFacts, fact_jobs, judge
from sim.analysis.parameters import Parameter, apply_values, check_parameters
from sim.runs.seeds import spawn_seeds
from sim.scenario.errors import (
    ScenarioError,
    from_validation_error,
    show_value,
    unknown_key_reason,
)
from sim.scenario.files import load_scenario, override_scenario, parse_yaml_text, read_scenario_text
from sim.scenario.schema import SLUG_PATTERN, Float, Int, Scenario

__all__ = [
    "MISS_CAP",
    "Calibration",
    "CalibrationFile",
    "Fit",
    "Target",
    "load_calibration",
]

MISS_CAP = 5.0
"""A fact's miss counts at most this much in the loss (see the module doc)."""
MAX_TRIALS = 10_000
MAX_SEEDS = 100


def _check_fact(key: str) -> str:
    if key not in FACT_KEYS:
        raise ValueError(f"is not a fact; the facts are {', '.join(FACT_KEYS)}, got {key!r}")
    return key


FactKey = Annotated[str, AfterValidator(_check_fact)]
_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class ParameterEntry(BaseModel):
    """A free parameter: a scalar setting, its range and its prior on that range."""

    model_config = _CONFIG

    path: str = Field(description="Dotted setting path, as in --set (commerce.buy_rate).")
    low: Float = Field(description="Lowest value a trial may take.")
    high: Float = Field(description="Highest value a trial may take.")
    prior: Literal["uniform", "log-uniform"] = Field(
        "uniform", description="uniform on [low, high], or on its logarithm (log-uniform)."
    )
    integer: bool = Field(False, description="Whether the setting takes whole numbers.")

    def parameter(self) -> Parameter:
        return Parameter(self.path, self.low, self.high, self.prior == "log-uniform", self.integer)


class TargetEntry(BaseModel):
    """A fact the calibration fits, and its weight in the loss."""

    model_config = _CONFIG

    fact: FactKey = Field(description="A fact of sim.analysis.facts.FACTS (F1-F11).")
    weight: Float = Field(1.0, gt=0, le=1000, description="Its weight in the loss.")


class SamplerEntry(BaseModel):
    """How trials are proposed: Optuna's TPE sampler, seeded."""

    model_config = _CONFIG

    kind: Literal["tpe"] = Field("tpe", description="Optuna's TPE sampler (multivariate).")
    seed: Int = Field(0, ge=0, le=2**32 - 1, description="Seed of the sampler.")
    startup_trials: Int = Field(
        10, ge=0, le=MAX_TRIALS, description="Trials drawn at random before TPE takes over."
    )


class CalibrationFile(BaseModel):
    """The keys of a calibration file (``ecosim calibrate CALIBRATION.yaml``)."""

    model_config = _CONFIG

    name: str | None = Field(
        None, description="Names the output directory (default: the file's name)."
    )
    description: str = Field("", description="What this calibration is for.")
    scenario: str = Field(description="The scenario to calibrate, relative to this file.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides for every trial (a coarser resolution), not for best.yaml.",
    )
    days: Int = Field(FACTS_DAYS, ge=1, le=5000, description="Days of each trial's runs.")
    seeds: Int = Field(ge=1, le=MAX_SEEDS, description="Seeds per trial (paired across trials).")
    trials: Int = Field(ge=1, le=MAX_TRIALS, description="Trials to complete in all.")
    in_flight: Int = Field(
        2,
        ge=1,
        le=256,
        description="Trials evaluated at once; with it the sampler sees the same history "
        "whatever the cluster, so the same file gives the same trials.",
    )
    good_share: Float = Field(
        0.2, gt=0, le=1, description="Share of trials, best first, whose spread the report shows."
    )
    sampler: SamplerEntry = Field(default_factory=SamplerEntry, description="The sampler.")
    parameters: tuple[ParameterEntry, ...] = Field(min_length=1, description="Free parameters.")
    targets: tuple[TargetEntry, ...] = Field(min_length=1, description="Facts fitted.")
    held_out: tuple[FactKey, ...] = Field(
        (), description="Facts not fitted, reported as validation."
    )

    @model_validator(mode="after")
    def _facts_once(self) -> CalibrationFile:
        seen: dict[str, str] = {}
        for i, target in enumerate(self.targets):
            where = f"targets[{i}].fact"
            if target.fact in seen:
                raise ScenarioError(where, f"{target.fact} is already {seen[target.fact]}")
            seen[target.fact] = f"at {where}"
        for i, key in enumerate(self.held_out):
            where = f"held_out[{i}]"
            if key in seen:
                how = "a target" if seen[key].startswith("at targets") else "held out"
                raise ScenarioError(
                    where, f"{key} is already {how} ({seen[key][3:]}); a fact is fitted or held out"
                )
            seen[key] = f"at {where}"
        return self


REQUIRED = {
    "scenario": "the scenario file to calibrate, relative to the calibration file",
    "seeds": "the number of seeds each trial runs",
    "trials": "the number of trials to complete",
    "parameters": "the free parameters: a list of {path, low, high, prior}",
    "targets": "the facts to fit: a list of {fact, weight}",
}


@dataclass(frozen=True)
class Target:
    """A fitted fact and its weight."""

    fact: str
    weight: float


@dataclass(frozen=True)
class Fit:
    """How one trial fits: its loss, and each fact's value and miss (all facts)."""

    loss: float
    values: dict[str, float]
    misses: dict[str, float]


@dataclass(frozen=True)
class Calibration:
    """A validated calibration: the scenario, what each trial runs, and what it fits."""

    name: str
    description: str
    scenario: Scenario
    """The scenario to calibrate, at its own resolution: best.yaml is this, fitted."""
    trial_scenario: Scenario
    """What every trial starts from: ``scenario`` with ``set`` applied."""
    settings: Mapping[str, Any]
    days: int
    seeds: tuple[int, ...]
    trials: int
    in_flight: int
    good_share: float
    sampler: SamplerEntry
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    held_out: tuple[str, ...]

    @property
    def needs_unfloored(self) -> bool:
        """Whether trials also make the companion runs without the floor (for F2b)."""
        used = {target.fact for target in self.targets} | set(self.held_out)
        return any(fact.needs_unfloored and fact.key in used for fact in FACTS)

    @property
    def runs_per_trial(self) -> int:
        return len(self.seeds) * (2 if self.needs_unfloored else 1)

    def jobs(self, values: Mapping[str, Any]) -> list[tuple[Scenario, int]]:
        """The runs of one trial: its scenario on each seed, then (for F2b) the companion
        runs without the floor (:func:`sim.analysis.facts.fact_jobs`)."""
        jobs = fact_jobs(apply_values(self.trial_scenario, values), self.seeds, self.days)
        return jobs if self.needs_unfloored else jobs[: len(self.seeds)]

    def fit(self, facts: Sequence[RunFacts]) -> Fit:
        """The loss and every fact's value and miss, from the facts of :meth:`jobs`' runs."""
        runs = list(facts[: len(self.seeds)])
        table = judge(runs, facts[len(self.seeds) :])
        values = dict(zip(table["fact"], table["value"].astype(float), strict=True))
        misses = dict(zip(table["fact"], table["miss"].astype(float), strict=True))
        loss = sum(t.weight * min(misses[t.fact], MISS_CAP) for t in self.targets)
        return Fit(float(loss), values, misses)

    def best_scenario(self, values: Mapping[str, Any]) -> Scenario:
        """The calibrated scenario: ``scenario`` (without ``set``) with ``values``."""
        return apply_values(self.scenario, values)

    def fingerprint(self) -> dict[str, Any]:
        """Everything that decides the trials (not their number, the name or the report's
        share), as JSON data: a journal made by another calibration is refused."""
        data = {
            "scenario": self.trial_scenario.model_dump(mode="json"),
            "days": self.days,
            "seeds": list(self.seeds),
            "in_flight": self.in_flight,
            "sampler": self.sampler.model_dump(mode="json"),
            "parameters": [
                [p.path, p.low, p.high, "log-uniform" if p.log else "uniform", p.integer]
                for p in self.parameters
            ],
            "targets": [[t.fact, t.weight] for t in self.targets],
            "held_out": list(self.held_out),
        }
        loaded: dict[str, Any] = json.loads(json.dumps(data))
        return loaded


def load_calibration(source: str | os.PathLike[str]) -> Calibration:
    """Load and validate a calibration file (or YAML text, when ``source`` is a ``str``
    with a line break: then the scenario path is relative to the working directory)."""
    if isinstance(source, str) and "\n" in source:
        return parse_calibration(source, "<text>", Path.cwd(), default_name=None)
    path = Path(source)
    text = read_scenario_text(path)
    return parse_calibration(text, str(path), path.parent, default_name=path.stem)


def parse_calibration(
    text: str, origin: str, folder: Path, default_name: str | None
) -> Calibration:
    """Validate calibration YAML; ``folder`` anchors the scenario path."""
    data = parse_yaml_text(text, origin)
    if not isinstance(data, dict):
        raise ScenarioError(
            origin, f"must be a mapping with keys {', '.join(REQUIRED)}, got {show_value(data)}"
        )
    allowed = list(CalibrationFile.model_fields)
    for key in data:
        if key not in allowed:
            raise ScenarioError(str(key), unknown_key_reason(allowed, str(key)))
    for key, what in REQUIRED.items():
        if key not in data:
            raise ScenarioError(key, f"is required ({what})")
    try:
        spec = CalibrationFile.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, CalibrationFile) from None
    name = _name(spec.name, default_name)
    scenario = _scenario(spec.scenario, folder)
    trial_scenario = _with_settings(scenario, spec.set)
    parameters = tuple(entry.parameter() for entry in spec.parameters)
    _check_parameters(scenario, trial_scenario, parameters, spec.set)
    return Calibration(
        name=name,
        description=spec.description,
        scenario=scenario,
        trial_scenario=trial_scenario,
        settings=dict(spec.set),
        days=spec.days,
        seeds=tuple(spawn_seeds(trial_scenario.run.seed, spec.seeds)),
        trials=spec.trials,
        in_flight=spec.in_flight,
        good_share=spec.good_share,
        sampler=spec.sampler,
        parameters=parameters,
        targets=tuple(Target(t.fact, t.weight) for t in spec.targets),
        held_out=spec.held_out,
    )


def _name(value: str | None, default: str | None) -> str:
    if value is None:
        if default is None:
            raise ScenarioError("name", "is required for a calibration given as text")
        if re.fullmatch(SLUG_PATTERN, default):
            return default
        raise ScenarioError("name", f"is required: the file name {default!r} is not a slug")
    if not re.fullmatch(SLUG_PATTERN, value):
        raise ScenarioError(
            "name",
            "must be a slug of at most 64 lowercase letters, digits, '-' or '_' "
            f"(it names the output directory), got {show_value(value)}",
        )
    return value


def _scenario(value: str, folder: Path) -> Scenario:
    if not value.strip():
        raise ScenarioError("scenario", "must be a scenario file path")
    path = folder / value
    try:
        return load_scenario(path)
    except ScenarioError as error:
        if error.path == str(path):  # the file itself: missing, unreadable, not YAML
            raise ScenarioError("scenario", f"{path}: {error.reason}") from None
        raise ScenarioError(f"scenario.{error.path}", f"{error.reason} (in {path})") from None


def _with_settings(scenario: Scenario, settings: Mapping[str, Any]) -> Scenario:
    """``scenario`` with ``set`` applied; an error names the ``set`` entry at fault."""
    for path in settings:
        if path == "run.days" or path == "run.seed" or path == "run":
            raise ScenarioError(
                f"set.{path}", "days and seeds are given by the keys 'days' and 'seeds'"
            )
    try:
        return override_scenario(scenario, settings)
    except ScenarioError as error:
        culprit = next((p for p in settings if _is_under(error.path, p)), None)
        if culprit is None:
            raise ScenarioError("set", f"makes {error.path} invalid: {error.reason}") from None
        raise ScenarioError(f"set.{culprit}", error.reason) from None


def _check_parameters(
    scenario: Scenario,
    trial_scenario: Scenario,
    parameters: Sequence[Parameter],
    settings: Mapping[str, Any],
) -> None:
    """Each parameter must be a number setting, free (not under ``set`` or ``run``), with a
    range valid both in the trials and in the calibrated scenario."""
    for i, parameter in enumerate(parameters):
        where = f"parameters[{i}]"
        if parameter.path.split(".")[0] == "run":
            raise ScenarioError(where, "days and seeds are not parameters")
        fixed = next((p for p in settings if _is_under(parameter.path, p)), None)
        if fixed is not None:
            raise ScenarioError(where, f"{parameter.path} is fixed under set.{fixed}")
        if parameter.integer and not (
            math.isclose(parameter.low, round(parameter.low))
            and math.isclose(parameter.high, round(parameter.high))
        ):
            raise ScenarioError(where, "an integer parameter needs whole numbers for low and high")
    check_parameters(trial_scenario, parameters, "parameters")
    check_parameters(scenario, parameters, "parameters")


def _is_under(found: str, path: str) -> bool:
    """Whether ``found`` is the setting ``path`` or inside it."""
    return found == path or found.startswith((f"{path}.", f"{path}["))
