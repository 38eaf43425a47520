"""Every lever of a scenario as a widget that says what it does, read from the schema.

The schema is the single description of the levers: their groups, kinds, bounds, defaults
and one-line meanings. DESIGN.md §5 gives each lever its *channel*, the behaviour it acts
through; :data:`CHANNELS` carries that text into the lever's help. Policy levers get a
slider, a select or a toggle (:data:`SLIDERS` gives each slider a planner's range inside the
schema's bounds); a nullable lever gets an explicit "no cap" / "no floor" toggle; the
world and calibration parameters are plain inputs in their own expander.

Widgets never refuse a value silently: whatever is typed is kept, checked against the
schema, and a bad value shows its reason under the widget (:func:`validate`), which blocks
Run. This module also turns widget values into a :class:`~sim.Scenario` and back, and into
the ``PATH=VALUE`` edits a URL carries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import streamlit as st
from pydantic import ValidationError

from sim import Scenario, ScenarioError
from sim.analysis.levers import CHANNELS as _CHANNELS
from sim.commands.terminal import format_value
from sim.scenario.errors import from_validation_error

GROUPS = ("traffic", "commerce", "population", "run")
"""Lever groups in the order the scenario file writes them."""
POLICY_GROUPS = ("traffic", "commerce")
"""Groups whose levers are the platform's policy; population and run are the world and
the run settings."""

JS_SAFE_INT = 2**53 - 1
"""Browsers hold numbers as doubles: integer widget values must stay within this."""

Kind = Literal["bool", "choice", "int", "float", "int_list", "text_list"]

CHANNELS = _CHANNELS
"""Each lever's channel (DESIGN.md §5, :data:`sim.analysis.levers.CHANNELS`); levers not
listed are world or calibration parameters, said so in their help."""


@dataclass(frozen=True)
class SliderRange:
    """A planner's range for a slider: wide enough for any sensible policy."""

    low: float
    high: float
    step: float


SLIDERS: dict[str, SliderRange] = {
    "traffic.base_exposure": SliderRange(0, 2000, 50),
    "traffic.promote_share": SliderRange(0.05, 1.0, 0.05),
    "traffic.gini_cap": SliderRange(0.0, 1.0, 0.01),
    "traffic.ordinary_floor": SliderRange(0.0, 1.0, 0.01),
    "traffic.covers_per_screen": SliderRange(1, 10, 1),
    "traffic.follow_page_weight": SliderRange(0.0, 1.0, 0.05),
    "commerce.platform_commission": SliderRange(0.0, 0.5, 0.01),
    "commerce.creator_commission": SliderRange(0.0, 0.9, 0.01),
    "commerce.source_goods_share": SliderRange(0.0, 1.0, 0.05),
    "commerce.middlemen": SliderRange(0, 10, 1),
    "commerce.middleman_markup": SliderRange(0.0, 2.0, 0.05),
    "commerce.quality_check": SliderRange(0.0, 1.0, 0.05),
    "commerce.penalty_days": SliderRange(0, 90, 1),
    "commerce.event_lift": SliderRange(1.0, 10.0, 0.5),
}
"""Policy levers drawn as sliders (booleans are toggles, choices selects, lists text)."""
POLICY_LEVERS = (
    "traffic.base_exposure",
    "traffic.stage_quotas",
    "traffic.promote_share",
    "traffic.gini_cap",
    "traffic.ordinary_floor",
    "traffic.method",
    "traffic.feed",
    "traffic.covers_per_screen",
    "traffic.follow_page_weight",
    "commerce.platform_commission",
    "commerce.creator_commission",
    "commerce.external_links",
    "commerce.source_goods",
    "commerce.source_goods_share",
    "commerce.middlemen",
    "commerce.middleman_markup",
    "commerce.flash_listing",
    "commerce.quality_check",
    "commerce.penalty_days",
    "commerce.event_days",
    "commerce.event_lift",
)
"""The platform's policy levers of DESIGN.md §5, in the order the sidebar shows them."""
NONE_LABELS = {"traffic.gini_cap": "no cap", "traffic.ordinary_floor": "no floor"}


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
    exclusive_minimum: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """Dotted path, as in ``--set`` and error messages: ``traffic.gini_cap``."""
        return f"{self.group}.{self.name}"

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def none_label(self) -> str:
        """The toggle that sets a nullable lever to none: ``no cap``."""
        return NONE_LABELS.get(self.path, f"no {self.label}")

    @property
    def channel(self) -> str:
        return CHANNELS.get(self.path, "")

    @property
    def help(self) -> str:
        """The schema's meaning, the channel it acts through, and its bounds."""
        channel = (
            f"**Channel:** {self.channel}."
            if self.channel
            else "**Not a policy lever:** a world or calibration parameter."
        )
        return f"{self.description}\n\n{channel}{self.bounds_text}"

    @property
    def bounds_text(self) -> str:
        low = self.minimum if self.minimum is not None else self.exclusive_minimum
        if low is None and self.maximum is None:
            return ""
        opening = "from" if self.exclusive_minimum is None else "above"
        parts = [f"{opening} {_number(low)}" if low is not None else ""]
        if self.maximum is not None:
            parts.append(f"to {_number(self.maximum)}")
        return " Allowed: " + " ".join(p for p in parts if p) + "."

    @property
    def as_text(self) -> bool:
        """Edited as text: lists, and whole numbers too big for a browser's number box."""
        too_big = self.kind == "int" and (self.maximum is None or self.maximum > JS_SAFE_INT)
        return self.kind in ("int_list", "text_list") or too_big


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if not float(value).is_integer() else f"{int(value):,}"


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
        exclusive_minimum=body.get("exclusiveMinimum"),
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
def by_path() -> dict[str, Lever]:
    """Every lever by its dotted path."""
    return {lever.path: lever for group in levers().values() for lever in group}


def world_levers() -> list[Lever]:
    """Levers that are not policy: population and calibration parameters (not run)."""
    return [
        lever
        for group in ("traffic", "commerce", "population")
        for lever in levers()[group]
        if lever.path not in POLICY_LEVERS
    ]


@cache
def group_description(group: str) -> str:
    """The one-line meaning of a group, from the schema."""
    return str(Scenario.model_json_schema()["properties"][group].get("description", ""))


def widget_key(prefix: str, path: str) -> str:
    """Session-state key of a lever's widget; ``prefix`` keeps pages apart."""
    return f"{prefix}.{path}"


def none_key(prefix: str, path: str) -> str:
    """Session-state key of a nullable lever's "no ..." toggle."""
    return f"{prefix}.{path}.none"


# -- values between scenario and widgets ---------------------------------------------------


def value_of(scenario: Scenario, path: str) -> Any:
    """The scenario's value at a dotted path, as JSON data (lists, not tuples)."""
    group, name = path.split(".")
    return scenario.model_dump(mode="json")[group][name]


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


def set_lever(prefix: str, lever: Lever, value: Any) -> None:
    """Put a scenario value into the lever's widget (and its "no ..." toggle)."""
    state = st.session_state
    if lever.nullable:
        state[none_key(prefix, lever.path)] = value is None
        if value is None:
            value = lever.default if lever.default is not None else _slider_low(lever)
    state[widget_key(prefix, lever.path)] = to_widget(lever, value)


def _slider_low(lever: Lever) -> float:
    return SLIDERS[lever.path].low if lever.path in SLIDERS else float(lever.minimum or 0)


def load_into_widgets(prefix: str, scenario: Scenario) -> None:
    """Set every lever widget (and the name) to ``scenario``'s values before they render;
    its timeline is kept as it is (the widgets edit the levers from day 0)."""
    data = scenario.model_dump(mode="json")
    st.session_state[widget_key(prefix, "name")] = scenario.name
    st.session_state[widget_key(prefix, "description")] = scenario.description
    st.session_state[widget_key(prefix, "timeline")] = data["timeline"]
    for group, group_levers in levers().items():
        for lever in group_levers:
            set_lever(prefix, lever, data[group][lever.name])


def widget_data(prefix: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The scenario data the widgets hold, and the text errors (path: reason) met while
    reading them; a field whose text is bad is left out of the data."""
    state = st.session_state
    data: dict[str, Any] = {
        "name": state[widget_key(prefix, "name")],
        "description": state[widget_key(prefix, "description")],
        "timeline": state.get(widget_key(prefix, "timeline"), []),
    }
    errors: dict[str, str] = {}
    for group, group_levers in levers().items():
        data[group] = {}
        for lever in group_levers:
            if lever.nullable and state.get(none_key(prefix, lever.path)):
                data[group][lever.name] = None
                continue
            raw = state[widget_key(prefix, lever.path)]
            if raw is None:
                errors[lever.path] = "must have a value" + (
                    f" (turn on '{lever.none_label}' for none)" if lever.nullable else ""
                )
                continue
            try:
                data[group][lever.name] = from_widget(lever, raw)
            except ScenarioError as error:
                errors[lever.path] = error.reason
    return data, errors


MAX_REPORTED = 12


def validate(
    data: Mapping[str, Any], errors: Mapping[str, str]
) -> tuple[Scenario | None, dict[str, str]]:
    """The scenario, or None and every problem by path (each with the schema's reason).

    Pydantic reports problems one at a time in readable form; each bad field is put back
    to its default and the rest validated again, so the planner sees all of them at once.
    """
    found: dict[str, str] = dict(errors)
    attempt: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for path in errors:
        group, name = path.split(".")
        attempt[group].pop(name, None)
    for _ in range(MAX_REPORTED):
        try:
            scenario = Scenario.model_validate(attempt)
        except ValidationError as error:
            problem = from_validation_error(error, Scenario)
            path = _lever_path(problem.path)
            reason = re.sub(r" \(and \d+ more problems?\)$", "", problem.reason)
            found[path] = reason
            parts = path.split(".")
            if len(parts) == 2 and isinstance(attempt.get(parts[0]), dict):
                attempt[parts[0]].pop(parts[1], None)
            elif len(parts) == 1:
                attempt.pop(parts[0], None)
            else:
                break
            continue
        return (scenario if not found else None), found
    return None, found


def _lever_path(path: str) -> str:
    """``traffic.stage_quotas[1]`` as the lever it belongs to: ``traffic.stage_quotas``."""
    return re.sub(r"\[\d+\]$", "", path).split("[")[0]


def scenario_from_widgets(prefix: str) -> Scenario:
    """The scenario the widgets describe; raises ScenarioError naming the first bad field."""
    scenario, problems = validate(*widget_data(prefix))
    if scenario is None:
        path, reason = next(iter(problems.items()))
        raise ScenarioError(path, reason)
    return scenario


def edits_between(base: Scenario, scenario: Scenario) -> dict[str, Any]:
    """Levers (dotted paths) whose value in ``scenario`` differs from ``base``."""
    a, b = base.model_dump(mode="json"), scenario.model_dump(mode="json")
    return {
        lever.path: b[lever.group][lever.name]
        for lever in by_path().values()
        if lever.group != "run" and a[lever.group][lever.name] != b[lever.group][lever.name]
    }


def edit_text(value: Any) -> str:
    """A lever value as a URL or ``--set`` writes it: ``0.4``, ``none``, ``[300, 500]``."""
    return "none" if value is None else format_value(value)


def apply_edits(base: Scenario, edits: Mapping[str, str]) -> tuple[Scenario, dict[str, str]]:
    """``base`` with every valid ``path -> text`` edit applied, and the refused ones with
    their reasons (each edit is checked on its own, so one bad value spoils no other)."""
    from sim import parse_scenario
    from sim.scenario.files import dump_scenario

    text = dump_scenario(base)
    good: list[str] = []
    refused: dict[str, str] = {}
    for path, value in edits.items():
        if path not in by_path() or path.startswith("run."):
            refused[path] = "is not a lever"
            continue
        override = f"{path}={'null' if value.strip().lower() == 'none' else value}"
        try:
            parse_scenario(text, [*good, override], origin="link")
        except ScenarioError as error:
            refused[path] = error.reason
            continue
        good.append(override)
    return parse_scenario(text, good, origin="link"), refused


# -- widgets -----------------------------------------------------------------------------


def _reset(prefix: str, path: str, value: Any) -> None:
    set_lever(prefix, by_path()[path], value)


def render_lever(prefix: str, lever: Lever, reference: Any, problem: str | None) -> None:
    """One lever: its widget, the pinned baseline's value (with a reset when it differs)
    and, under it, the reason its value is refused."""
    key = widget_key(prefix, lever.path)
    state = st.session_state
    off = lever.nullable and bool(state.get(none_key(prefix, lever.path)))
    current: Any = None if off else state.get(key)
    try:
        current = None if off else from_widget(lever, current)
    except ScenarioError:
        current = state.get(key)
    changed = _differs(current, reference)
    label = lever.label + (" ●" if changed else "")
    slider = SLIDERS.get(lever.path)
    if lever.nullable:
        st.toggle(
            lever.none_label,
            key=none_key(prefix, lever.path),
            help=f"Turn on for {lever.none_label}: the constraint is not applied.",
        )
    if lever.as_text:
        suffix = " Whole numbers separated by commas." if lever.kind != "int" else ""
        st.text_input(label, key=key, help=lever.help + suffix)
    elif lever.kind == "bool":
        st.toggle(label, key=key, help=lever.help)
    elif lever.kind == "choice":
        st.selectbox(label, lever.choices, key=key, help=lever.help)
    elif slider is not None:
        value = state.get(key)
        low, high = slider.low, slider.high
        if isinstance(value, int | float):
            low, high = min(low, value), max(high, value)
        if lever.kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                state[key] = round(float(value or low))
            st.slider(
                label, int(low), int(high), step=int(slider.step), key=key,
                help=lever.help, disabled=off,
            )  # fmt: skip
        else:
            if not isinstance(value, float):
                state[key] = float(value if isinstance(value, int | float) else low)
            st.slider(
                label, float(low), float(high), step=float(slider.step), key=key,
                help=lever.help, disabled=off, format="%g",
            )  # fmt: skip
    else:
        st.number_input(
            label,
            value=None,
            step=1 if lever.kind == "int" else _float_step(lever.default),
            format="%d" if lever.kind == "int" else "%g",
            key=key,
            help=lever.help,
        )
    shown = "none" if reference is None else format_value(reference)
    note, reset = st.columns([4, 1], vertical_alignment="center")
    note.caption(f"baseline: **{shown}**" + (" · changed" if changed else ""))
    reset.button(
        ":material/restart_alt:",
        key=f"btn.{prefix}.reset.{lever.path}",
        help=f"Back to the baseline's {shown}",
        disabled=not changed,
        on_click=_reset,
        args=(prefix, lever.path, reference),
        type="tertiary",
    )
    if problem:
        st.error(f"`{lever.path}`: {problem}", icon=":material/error:")


def _differs(value: Any, reference: Any) -> bool:
    if isinstance(value, float) and isinstance(reference, int | float):
        return not math.isclose(value, float(reference), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(value, tuple):
        value = list(value)
    return bool(value != reference)


def render_group(
    prefix: str,
    paths: Sequence[str],
    reference: Scenario,
    problems: Mapping[str, str],
) -> None:
    """The widgets of ``paths``, each against ``reference`` (the pinned baseline)."""
    for path in paths:
        lever = by_path()[path]
        render_lever(prefix, lever, value_of(reference, path), problems.get(path))


def _float_step(default: Any) -> float:
    """A tenth of the default's order of magnitude: 0.6 moves by 0.01, 6e-06 by 1e-07."""
    if not isinstance(default, int | float) or default == 0:
        return 0.01
    return float(10.0 ** (math.floor(math.log10(abs(default))) - 1))
