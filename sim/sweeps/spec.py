"""Sweep files: read, validate and expand a sweep into the runs it asks for.

A sweep file is YAML with the keys ``scenario`` (a scenario file, relative to the sweep
file, or an inline scenario), ``set`` (overrides by dotted path, optional), ``sweep`` (a
mapping from dotted paths to lists of values: the grid, optional), ``seeds`` (a count or
a list) and optionally ``name`` and ``description``. Every problem is a
:class:`~sim.scenario.errors.ScenarioError` naming the field, as for scenario files.

The grid is the Cartesian product of the lists, in file order (the last lever varies
fastest); every point runs with the same seeds, so points are compared on common random
numbers. A seed count ``n`` means ``SeedSequence(scenario.run.seed).spawn(n)``, each child's
first 64-bit word shifted right once to fit ``run.seed`` (:func:`sim.runs.run.spawn_seeds`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.commands.terminal import format_value
from sim.runs.directory import HASH_CHARS
from sim.runs.seeds import spawn_seeds
from sim.scenario import safe_yaml
from sim.scenario.errors import ScenarioError, from_validation_error, show_value, unknown_key_reason
from sim.scenario.files import (
    apply_overrides,
    load_scenario,
    parse_yaml_text,
    read_scenario_text,
)
from sim.scenario.schema import SLUG_PATTERN, Scenario

__all__ = ["MAX_RUNS", "MAX_SEEDS", "Point", "Run", "Sweep", "SweptLever", "load_sweep"]

SWEEP_KEYS = ("name", "description", "scenario", "set", "sweep", "seeds")
MAX_SEEDS = 10_000
MAX_RUNS = 100_000
"""Points x seeds; a bigger grid is almost surely a typo, and its index would be huge."""
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class SweptLever:
    """One swept setting: its dotted path and the values it takes, in file order."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Point:
    """One point of the grid: a value for every lever, and the scenario it makes."""

    index: int
    values: tuple[tuple[str, Any], ...]
    scenario: Scenario

    @functools.cached_property
    def scenario_hash(self) -> str:
        """The scenario's hash (computed once: it keys the ledger and names the run)."""
        return self.scenario.scenario_hash()

    @property
    def label(self) -> str:
        """``traffic.gini_cap=0.3, traffic.method=cap`` (``baseline`` with no levers)."""
        return ", ".join(f"{path}={format_value(v)}" for path, v in self.values) or "baseline"


@dataclass(frozen=True)
class Run:
    """One (point, seed) run; ``index`` orders runs seed by seed across all points."""

    index: int
    point: Point
    seed: int


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the base scenario (``set`` applied), the levers, the seeds."""

    name: str
    description: str
    scenario: Scenario
    levers: tuple[SweptLever, ...]
    seeds: tuple[int, ...]
    points: tuple[Point, ...]

    def sweep_hash(self) -> str:
        """SHA-256 (hex) of the base scenario, the grid and the seeds (not the name)."""
        data = {
            "scenario": self.scenario.model_dump(mode="json"),
            "sweep": [[lever.path, list(lever.values)] for lever in self.levers],
            "seeds": list(self.seeds),
        }
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()

    @property
    def directory_name(self) -> str:
        """``<name>-<hash8>``: the sweep's directory under ``--out``."""
        return f"{self.name}-{self.sweep_hash()[:HASH_CHARS]}"

    def runs(self) -> tuple[Run, ...]:
        """Every run, seed by seed: an interrupted sweep has covered all points evenly."""
        pairs = itertools.product(self.seeds, self.points)
        return tuple(Run(i, point, seed) for i, (seed, point) in enumerate(pairs))

    def to_yaml(self) -> str:
        """The resolved sweep (inline scenario, explicit seeds): it loads to the same hash."""
        data = {
            "name": self.name,
            "description": self.description,
            "scenario": self.scenario.model_dump(mode="json"),
            "sweep": {lever.path: list(lever.values) for lever in self.levers},
            "seeds": list(self.seeds),
        }
        return safe_yaml.dump(data)


def load_sweep(source: str | os.PathLike[str]) -> Sweep:
    """Load a sweep from a file, or from YAML text when ``source`` is a ``str`` with a line
    break (then a scenario path is relative to the working directory)."""
    if isinstance(source, str) and "\n" in source:
        return parse_sweep(source, origin="<text>", folder=Path.cwd(), default_name=None)
    path = Path(source)
    return parse_sweep(read_scenario_text(path), str(path), path.parent, default_name=path.stem)


def parse_sweep(text: str, origin: str, folder: Path, default_name: str | None) -> Sweep:
    """Validate sweep YAML; ``folder`` anchors a relative scenario path."""
    data = parse_yaml_text(text, origin)
    if not isinstance(data, dict):
        expected = "a mapping with keys scenario, sweep and seeds"
        raise ScenarioError(origin, f"must be {expected}, got {show_value(data)}")
    for key in data:
        if key not in SWEEP_KEYS:
            raise ScenarioError(str(key), unknown_key_reason(list(SWEEP_KEYS), str(key)))
    for key in ("scenario", "seeds"):
        if key not in data:
            raise ScenarioError(key, f"is required ({_REQUIRED[key]})")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError("description", f"must be text, got {show_value(description)}")
    base = _with_settings(_base_data(data["scenario"], folder), _mapping(data.get("set"), "set"))
    scenario = Scenario.model_validate(base)
    levers = _levers(_mapping(data.get("sweep"), "sweep"))
    seeds = _seeds(data["seeds"], scenario.run.seed)
    points = math.prod(len(lever.values) for lever in levers)
    if points * len(seeds) > MAX_RUNS:
        raise ScenarioError(
            "sweep",
            f"asks for {points} points x {len(seeds)} seeds = {points * len(seeds)} runs; "
            f"at most {MAX_RUNS} are allowed",
        )
    name = _name(data.get("name"), default_name)
    return Sweep(name, description, scenario, levers, seeds, _points(base, levers))


_REQUIRED = {
    "scenario": "a scenario file, relative to the sweep file, or an inline scenario",
    "seeds": "a number of seeds, or a list of seeds",
}


def _name(value: object, default: str | None) -> str:
    if value is None:
        if default is None:
            raise ScenarioError("name", "is required for a sweep given as text")
        if re.fullmatch(SLUG_PATTERN, default):
            return default
        raise ScenarioError(
            "name", f"is required: the file name {default!r} is not a slug to name the sweep by"
        )
    if not isinstance(value, str) or not re.fullmatch(SLUG_PATTERN, value):
        raise ScenarioError(
            "name",
            "must be a slug of at most 64 lowercase letters, digits, '-' or '_' "
            f"(it names the sweep directory), got {show_value(value)}",
        )
    return value


def _base_data(value: object, folder: Path) -> dict[str, Any]:
    """The scenario as a full, validated mapping (inline, or loaded from its file)."""
    if isinstance(value, dict):
        try:
            return Scenario.model_validate(value).model_dump(mode="json")
        except ValidationError as error:
            raise _within("scenario", from_validation_error(error, Scenario)) from None
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(
            "scenario", f"must be a file path or a mapping of settings, got {show_value(value)}"
        )
    path = folder / value
    try:
        return load_scenario(path).model_dump(mode="json")
    except ScenarioError as error:
        if error.path == str(path):  # the file itself: missing, unreadable, not YAML
            raise ScenarioError("scenario", f"{path}: {error.reason}") from None
        raise ScenarioError(f"scenario.{error.path}", f"{error.reason} (in {path})") from None


def _mapping(value: object, key: str) -> dict[str, Any]:
    """``set`` and ``sweep`` map dotted setting paths to something; absent means empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(
            key, f"must be a mapping from setting paths to {_ITEM[key]}, got {show_value(value)}"
        )
    for path in value:
        if not isinstance(path, str):
            raise ScenarioError(
                key, f"keys must be setting paths (like traffic.gini_cap), got {show_value(path)}"
            )
        _check_path(f"{key}.{path}", path)
    return value


_ITEM = {"set": "values", "sweep": "lists of values"}


def _check_path(where: str, path: str) -> None:
    """Raise, naming ``where``, unless ``path`` names a scenario setting (nothing is set)."""
    if path == "run.seed" and where.startswith("sweep."):
        raise ScenarioError(where, "seeds are not a lever; list them under 'seeds'")
    if path == "run" and where.startswith("sweep."):
        raise ScenarioError(where, "sweep run.days, not the whole group (seeds go under 'seeds')")
    try:
        apply_overrides({}, [f"{path}=null"])
    except ScenarioError as error:
        raise ScenarioError(where, error.reason) from None


def _with_settings(base: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``set``'s values applied, validated; an error names the culprit."""
    data = _override(base, settings)
    try:
        Scenario.model_validate(data)
    except ValidationError as error:
        found = from_validation_error(error, Scenario)
        culprit = next((path for path in settings if _is_under(found.path, path)), None)
        if culprit is None:
            raise ScenarioError("set", f"makes {found.path} invalid: {found.reason}") from None
        raise ScenarioError(f"set.{culprit}", found.reason) from None
    return data


def _levers(grid: Mapping[str, Any]) -> tuple[SweptLever, ...]:
    levers = []
    for path, values in grid.items():
        where = f"sweep.{path}"
        if not isinstance(values, list):
            raise ScenarioError(
                where, f"must be a list of values (like [0.3, 0.5]), got {show_value(values)}"
            )
        if not values:
            raise ScenarioError(where, "must list at least one value")
        for i, value in enumerate(values):
            if value in values[:i]:
                raise ScenarioError(where, f"must not repeat values, got {show_value(value)} twice")
        for other in grid:
            if other != path and other.startswith(path + "."):
                raise ScenarioError(where, f"contains sweep.{other}; sweep each setting once")
        levers.append(SweptLever(path, tuple(values)))
    return tuple(levers)


def _seeds(value: object, base_seed: int) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_SEEDS:
            raise ScenarioError("seeds", f"must be between 1 and {MAX_SEEDS} seeds, got {value}")
        seeds = tuple(spawn_seeds(base_seed, value))
    elif isinstance(value, list):
        if not value:
            raise ScenarioError("seeds", "must list at least one seed")
        for i, seed in enumerate(value):
            if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
                raise ScenarioError(
                    f"seeds[{i}]",
                    f"must be a whole number between 0 and 2**63-1, got {show_value(seed)}",
                )
        seeds = tuple(value)
    else:
        raise ScenarioError(
            "seeds",
            f"must be a number of seeds (like 5) or a list of seeds, got {show_value(value)}",
        )
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ScenarioError("seeds", f"must not repeat seeds, got {repeated[0]} more than once")
    return seeds


def _points(base: dict[str, Any], levers: Sequence[SweptLever]) -> tuple[Point, ...]:
    """Every grid point as a validated scenario: each value alone first, so an error names
    the value; then each combination, so settings that clash are caught too."""
    for lever in levers:
        for i, value in enumerate(lever.values):
            try:
                Scenario.model_validate(_override(base, {lever.path: value}))
            except ValidationError as error:
                found = from_validation_error(error, Scenario)
                raise _blame(f"sweep.{lever.path}[{i}]", lever.path, found) from None
    points: list[Point] = []
    seen: dict[str, Point] = {}
    for index, combination in enumerate(itertools.product(*(lever.values for lever in levers))):
        values = tuple(zip((lever.path for lever in levers), combination, strict=True))
        try:
            scenario = Scenario.model_validate(_override(base, dict(values)))
        except ValidationError as error:
            found = from_validation_error(error, Scenario)
            label = Point(index, values, Scenario()).label
            raise ScenarioError(
                "sweep", f"the point {label} is not a valid scenario: {found}"
            ) from None
        point = Point(index, values, scenario)
        twin = seen.setdefault(point.scenario_hash, point)
        if twin is not point:
            raise ScenarioError(
                "sweep", f"the points {twin.label} and {point.label} are the same scenario"
            )
        points.append(point)
    return tuple(points)


def _override(data: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with each setting replaced, through the same PATH=VALUE form as ``--set``,
    so paths and values are checked and reported exactly as on the command line."""
    return apply_overrides(
        data, [f"{path}={safe_yaml.dump(value)}" for path, value in settings.items()]
    )


def _blame(where: str, path: str, error: ScenarioError) -> ScenarioError:
    """Report ``error`` at ``where``, the field of the sweep file that caused it."""
    if _is_under(error.path, path):
        return ScenarioError(where, error.reason)
    return ScenarioError(where, f"makes {error.path} invalid: {error.reason}")


def _is_under(found: str, path: str) -> bool:
    """Whether the error location ``found`` is the setting ``path`` or inside it."""
    return found == path or found.startswith((f"{path}.", f"{path}["))


def _within(prefix: str, error: ScenarioError) -> ScenarioError:
    return ScenarioError(f"{prefix}.{error.path}", error.reason)
