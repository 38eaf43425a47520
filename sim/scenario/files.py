"""Scenario files in and out: read YAML safely, apply ``--set`` overrides, validate, dump.

Overrides are applied to the raw mapping before validation, so a bad ``--set`` value is
reported exactly like a bad value in the file, by its dotted path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import safe_yaml
from sim.scenario.errors import ScenarioError, from_validation_error, unknown_key_reason
from sim.scenario.schema import Scenario

__all__ = [
    "MAX_SCENARIO_BYTES",
    "apply_overrides",
    "dump_scenario",
    "load_scenario",
    "override_scenario",
    "parse_scenario",
    "parse_yaml_text",
]

MAX_SCENARIO_BYTES = 2**20
"""Scenario files are a few kB; anything past 1 MiB is a mistake (or an attack)."""

_DOTTED_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def load_scenario(source: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Load a scenario from a YAML file, or from YAML text when ``source`` is a ``str``
    containing a line break; then apply ``PATH=VALUE`` overrides and validate.

    Raises :class:`ScenarioError` for every problem the user can fix.
    """
    if isinstance(source, str) and "\n" in source:
        return parse_scenario(source, overrides)
    path = Path(source)
    return parse_scenario(read_scenario_text(path), overrides, origin=str(path))


def parse_yaml_text(text: str, origin: str) -> object:
    """The YAML data of a scenario or sweep file, read safely and within the size limit;
    every problem is a :class:`ScenarioError` naming ``origin``."""
    if len(text.encode("utf-8", errors="replace")) > MAX_SCENARIO_BYTES:
        raise ScenarioError(origin, f"is larger than {MAX_SCENARIO_BYTES} bytes (1 MiB)")
    try:
        return safe_yaml.parse(text)
    except yaml.YAMLError as error:
        raise ScenarioError(origin, yaml_reason(error)) from None


def parse_scenario(text: str, overrides: Sequence[str] = (), origin: str = "<text>") -> Scenario:
    """Validate a scenario given as YAML text; ``origin`` names it in error messages."""
    data = parse_yaml_text(text, origin)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(origin, f"must be a mapping of settings (like 'name: x'), got {kind}")
    return _validate(apply_overrides(data, overrides))


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``PATH=VALUE`` set (VALUE read as YAML)."""
    result = _deep_copy(data)
    for override in overrides:
        _set_path(result, *_parse_override(override))
    return result


def override_scenario(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A validated copy of ``scenario`` with each dotted path set to its value; a bad path
    or value raises :class:`ScenarioError` naming it (see :meth:`Scenario.with_overrides`)."""
    data = scenario.model_dump(mode="json")
    for path, value in overrides.items():
        if not isinstance(path, str) or not _DOTTED_PATH.match(path):
            raise ScenarioError(str(path), "is not a dotted setting path (like traffic.gini_cap)")
        _check_path(path)
        _set_path(data, path, value)
    return _validate(data)


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    target = data
    for depth, key in enumerate(keys[:-1]):
        child = target.setdefault(key, {})
        if not isinstance(child, dict):
            raise ScenarioError(".".join(keys[: depth + 1]), "must be a mapping of settings")
        target = child
    target[keys[-1]] = value


def dump_scenario(scenario: Scenario) -> str:
    """The fully resolved scenario (every field) as YAML that :func:`load_scenario` reads."""
    return safe_yaml.dump(scenario.model_dump(mode="json"))


def _validate(data: dict[str, Any]) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, Scenario) from None


def read_scenario_text(path: Path) -> str:
    """The file's text, refusing missing, huge, unreadable or non-UTF-8 files."""
    where = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_SCENARIO_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(where, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(where, "is a directory, not a scenario file") from None
    except OSError as error:
        raise ScenarioError(where, f"cannot read: {error.strerror or error}") from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise ScenarioError(where, f"is larger than {MAX_SCENARIO_BYTES} bytes (1 MiB)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(where, f"is not UTF-8 text (byte {error.start})") from None


def yaml_reason(error: yaml.YAMLError) -> str:
    """``line 3, column 5: <problem>`` from PyYAML's multi-line message."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if mark is not None:
            return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
        return str(problem)
    return f"invalid YAML: {error}"


def _parse_override(override: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE``, check PATH names a setting, read VALUE as YAML."""
    path, sep, text = override.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ScenarioError(
            "--set", f"expected PATH=VALUE (like traffic.gini_cap=0.3), got {override!r}"
        )
    if not _DOTTED_PATH.match(path):
        raise ScenarioError(path, "is not a dotted setting path (like traffic.gini_cap)")
    _check_path(path)
    try:
        value = safe_yaml.parse(text)
    except yaml.YAMLError as error:
        reason = yaml_reason(error).split(": ", 1)[-1]
        raise ScenarioError(path, f"cannot read value {text!r}: {reason}") from None
    return path, value


def _check_path(path: str) -> None:
    """Raise when ``path`` does not name a setting (or group) of :class:`Scenario`."""
    model: type[BaseModel] | None = Scenario
    for depth, key in enumerate(path.split(".")):
        if model is None:
            parent = ".".join(path.split(".")[:depth])
            raise ScenarioError(path, f"unknown setting; {parent} has no sub-settings")
        if key not in model.model_fields:
            raise ScenarioError(path, unknown_key_reason(list(model.model_fields), key))
        annotation = model.model_fields[key].annotation
        is_group = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation if isinstance(annotation, type) and is_group else None


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    """Copy nested dicts so overrides never touch the caller's mapping."""
    return {
        key: _deep_copy(value) if isinstance(value, dict) else value for key, value in data.items()
    }
