"""Every lever of a scenario as a form widget, read from the scenario's JSON schema.

The schema is the single description of the levers: their groups, kinds, bounds, defaults
and one-line meanings. This module turns it into widgets and turns the widgets' values
back into a validated :class:`~sim.scenario.schema.Scenario`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import streamlit as st
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, from_validation_error
from sim.scenario.schema import Scenario

GROUPS = ("traffic", "commerce", "population", "run")
"""Lever groups in the order the scenario file writes them."""

JS_SAFE_INT = 2**53 - 1
"""Browsers hold numbers as doubles: integer widget bounds must stay within this."""

Kind = Literal["bool", "choice", "int", "float", "int_list", "text_list"]


@dataclass(frozen=True)
class Lever:
    """One scenario setting: where it lives, what kind of value it takes, what it means."""

    group: str
    name: str
    kind: Kind
    description: str
    default: Any
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """Dotted path, as in ``--set`` and error messages: ``traffic.gini_cap``."""
        return f"{self.group}.{self.name}"

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def as_text(self) -> bool:
        """Edited as text: lists, and whole numbers too big for a browser's number box
        (seeds go up to 2^63 - 1; sweeps draw such seeds)."""
        too_big = self.kind == "int" and (self.maximum is None or self.maximum > JS_SAFE_INT)
        return self.kind in ("int_list", "text_list") or too_big


def _lever(group: str, name: str, spec: dict[str, Any]) -> Lever:
    """A Lever from one property of the JSON schema."""
    options = [o for o in spec.get("anyOf", [spec]) if o.get("type") != "null"]
    nullable = len(options) < len(spec.get("anyOf", [spec]))
    body = {**options[0], **{k: v for k, v in spec.items() if k != "anyOf"}}
    kind: Kind
    match body.get("type"):
        case "boolean":
            kind = "bool"
        case "string" if "enum" in body:
            kind = "choice"
        case "integer":
            kind = "int"
        case "number":
            kind = "float"
        case "array" if body["items"].get("type") == "integer":
            kind = "int_list"
        case "array":
            kind = "text_list"
        case other:
            raise TypeError(f"{group}.{name}: no widget for schema type {other!r}")
    return Lever(
        group=group,
        name=name,
        kind=kind,
        description=str(body.get("description", "")),
        default=body.get("default"),
        nullable=nullable,
        minimum=body.get("minimum"),
        maximum=body.get("maximum"),
        choices=tuple(body.get("enum", ())),
    )


@cache
def levers() -> dict[str, tuple[Lever, ...]]:
    """Every lever of :class:`Scenario`, by group, in the schema's order."""
    schema = Scenario.model_json_schema()
    result: dict[str, tuple[Lever, ...]] = {}
    for group in GROUPS:
        ref = schema["properties"][group]["$ref"].rsplit("/", 1)[-1]
        properties = schema["$defs"][ref]["properties"]
        result[group] = tuple(_lever(group, name, spec) for name, spec in properties.items())
    return result


@cache
def group_description(group: str) -> str:
    """The one-line meaning of a group, from the schema."""
    return str(Scenario.model_json_schema()["properties"][group].get("description", ""))


def widget_key(prefix: str, path: str) -> str:
    """Session-state key of a lever's widget; ``prefix`` keeps pages apart."""
    return f"{prefix}.{path}"


def to_widget(lever: Lever, value: Any) -> Any:
    """A scenario value as its widget holds it (lists become comma-separated text)."""
    if lever.kind in ("int_list", "text_list"):
        return ", ".join(str(item) for item in value)
    if lever.as_text:
        return str(value)
    if lever.kind == "float" and value is not None:
        return float(value)
    return value


def from_widget(lever: Lever, value: Any) -> Any:
    """A widget's value as the scenario takes it; raises ScenarioError on bad text."""
    if not lever.as_text:
        return value
    text = str(value).strip()
    if lever.kind == "int":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ScenarioError(lever.path, f"must be a whole number, got {value!r}")
        return int(text)
    items = [item for item in re.split(r"[,\s]+", text) if item]
    if lever.kind == "text_list":
        return items
    try:
        return [int(item) for item in items]
    except ValueError:
        raise ScenarioError(
            lever.path, f"must be whole numbers separated by commas, got {value!r}"
        ) from None


def load_into_widgets(prefix: str, scenario: Scenario) -> None:
    """Set every lever widget (and the name) to ``scenario``'s values before they render."""
    data = scenario.model_dump(mode="json")
    st.session_state[widget_key(prefix, "name")] = scenario.name
    st.session_state[widget_key(prefix, "description")] = scenario.description
    for group, group_levers in levers().items():
        for lever in group_levers:
            st.session_state[widget_key(prefix, lever.path)] = to_widget(
                lever, data[group][lever.name]
            )


def render_widget(prefix: str, lever: Lever) -> None:
    """Draw the widget of one lever; its value lands in session state under its key."""
    key = widget_key(prefix, lever.path)
    help_text = lever.description
    if lever.as_text:
        suffix = " Comma-separated." if lever.kind != "int" else ""
        st.text_input(lever.label, key=key, help=help_text + suffix)
        return
    match lever.kind:
        case "bool":
            st.checkbox(lever.label, key=key, help=help_text)
        case "choice":
            st.selectbox(lever.label, lever.choices, key=key, help=help_text)
        case "int":
            st.number_input(
                lever.label,
                min_value=_int_bound(lever.minimum, -1),
                max_value=_int_bound(lever.maximum, 1),
                step=1,
                key=key,
                help=help_text,
            )
        case "float":
            if lever.nullable:
                help_text += " Leave empty for none."
            st.number_input(
                lever.label,
                min_value=None if lever.minimum is None else float(lever.minimum),
                max_value=None if lever.maximum is None else float(lever.maximum),
                step=_float_step(lever.default),
                format="%g",
                key=key,
                help=help_text,
                placeholder="none",
            )


def render_levers(prefix: str, group: str) -> None:
    """Draw every lever of one group, one under the other."""
    for lever in levers()[group]:
        render_widget(prefix, lever)


def scenario_from_widgets(prefix: str) -> Scenario:
    """The scenario the widgets describe; raises ScenarioError naming the bad field."""
    state = st.session_state
    data: dict[str, Any] = {
        "name": state[widget_key(prefix, "name")],
        "description": state[widget_key(prefix, "description")],
    }
    for group, group_levers in levers().items():
        data[group] = {
            lever.name: from_widget(lever, state[widget_key(prefix, lever.path)])
            for lever in group_levers
        }
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, Scenario) from None


def _int_bound(bound: float | None, sign: int) -> int:
    return sign * JS_SAFE_INT if bound is None else int(bound)


def _float_step(default: Any) -> float:
    """A tenth of the default's order of magnitude: 0.6 moves by 0.01, 6e-06 by 1e-07."""
    if not isinstance(default, int | float) or default == 0:
        return 0.01
    return float(10.0 ** (math.floor(math.log10(abs(default))) - 1))
