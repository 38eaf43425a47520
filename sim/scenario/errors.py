"""Errors a user can fix, worded as `where: what is wrong, what was given`.

Every problem with a scenario (a bad file, a bad field, a bad ``--set``, a scenario too
big for this machine) is a :class:`ScenarioError` carrying the dotted path of the culprit,
so the CLI can print one line and the app can point at one widget.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Sequence
from types import UnionType
from typing import Any, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

__all__ = [
    "MemoryLimitError",
    "ScenarioError",
    "format_path",
    "from_validation_error",
    "unknown_key_reason",
]


class ScenarioError(ValueError):
    """A scenario problem the user can fix; ``str()`` is ``"<path>: <reason>"``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class MemoryLimitError(ScenarioError):
    """The scenario would need more memory than this machine should give it."""


def format_path(loc: Sequence[int | str]) -> str:
    """Render a pydantic location as ``traffic.stage_quotas[1]``."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "scenario"


def from_validation_error(error: ValidationError, model: type[BaseModel]) -> ScenarioError:
    """Turn pydantic's report into one readable :class:`ScenarioError` (the first problem).

    ``model`` is the class that was validated; it is walked to name the bounds of a field
    and the keys a group allows, which pydantic's own messages leave out.
    """
    details = error.errors(include_url=False)
    first = details[0]
    reason = _reason(first, model)
    path = format_path(first["loc"])
    inner = first.get("ctx", {}).get("error")
    if first["type"] == "value_error" and isinstance(inner, ScenarioError):
        # A validator that names a field inside its own (a timeline entry's lever).
        path, reason = _join(first["loc"], inner.path), inner.reason
    others = len(details) - 1
    if others:
        reason += f" (and {others} more problem{'s' if others > 1 else ''})"
    return ScenarioError(path, reason)


def _join(loc: Sequence[int | str], inner: str) -> str:
    """``timeline`` and ``[0].set.traffic.gini_cap`` as ``timeline[0].set.traffic.gini_cap``."""
    outer = format_path(loc) if loc else ""
    if not outer:
        return inner
    return outer + inner if inner.startswith("[") else f"{outer}.{inner}"


def _reason(detail: ErrorDetails, model: type[BaseModel]) -> str:
    """One error as ``must be ..., got ...``."""
    kind = detail["type"]
    loc = detail["loc"]
    given = show_value(detail.get("input"))
    ctx = detail.get("ctx", {})
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"must be {_range_text(_constraints(model, loc))}, got {given}"
    if kind == "extra_forbidden":
        return unknown_key_reason(_allowed_keys(model, loc[:-1]), str(loc[-1]))
    if kind in {"too_short", "too_long"}:
        return f"must have {_length_text(_constraints(model, loc))}, got {ctx.get('actual_length')}"
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    simple = {
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_type": "must be a number",
        "float_parsing": "must be a number",
        "finite_number": "must be a finite number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "string_type": "must be text",
        "model_type": "must be a mapping of settings",
        "model_attributes_type": "must be a mapping of settings",
        "dict_type": "must be a mapping of settings",
        "list_type": "must be a list",
        "tuple_type": "must be a list",
    }
    if kind in simple:
        return f"{simple[kind]}, got {given}"
    message = detail["msg"].replace("Input should be", "must be", 1)
    return f"{message}, got {given}"


def show_value(value: Any) -> str:
    """A short YAML-like rendering of a user's value."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: object) -> str:
    """``1.0`` as ``1``, ``0.5`` as ``0.5``: bounds read as people write them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field_info(model: type[BaseModel], loc: Sequence[int | str]) -> FieldInfo | None:
    """The FieldInfo at ``loc`` (list items resolve to their ``Annotated`` item info)."""
    info: FieldInfo | None = None
    annotation: Any = model
    for part in loc:
        if isinstance(part, int):
            args = [a for a in get_args(annotation) if a is not Ellipsis]
            if not args:
                return None
            annotation = args[0]
            info = FieldInfo.from_annotation(annotation)
            annotation = info.annotation
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(part)
            if info is None:
                return None
            annotation = info.annotation
        else:
            return None
    return info


def _constraints(model: type[BaseModel], loc: Sequence[int | str]) -> list[Any]:
    """Bounds and lengths declared on the field at ``loc``, or on a member of its union."""
    info = _field_info(model, loc)
    if info is None:
        return []
    found = list(info.metadata)
    if get_origin(info.annotation) in (Union, UnionType):
        for member in get_args(info.annotation):
            if member is not type(None):
                found += FieldInfo.from_annotation(member).metadata
    return found


def _range_text(constraints: list[Any]) -> str:
    """``between 0 and 1``, ``at least 1``, ``greater than 0 and at most 1``."""
    low: tuple[object, bool] | None = None
    high: tuple[object, bool] | None = None
    for item in constraints:
        match item:
            case annotated_types.Ge(ge=value):
                low = (value, True)
            case annotated_types.Gt(gt=value):
                low = (value, False)
            case annotated_types.Le(le=value):
                high = (value, True)
            case annotated_types.Lt(lt=value):
                high = (value, False)
    if low and high and low[1] and high[1]:
        return f"between {_number(low[0])} and {_number(high[0])}"
    parts = []
    if low:
        parts.append(f"{'at least' if low[1] else 'greater than'} {_number(low[0])}")
    if high:
        parts.append(f"{'at most' if high[1] else 'less than'} {_number(high[0])}")
    return " and ".join(parts) or "in range"


def _length_text(constraints: list[Any]) -> str:
    low = next((c.min_length for c in constraints if isinstance(c, annotated_types.MinLen)), 0)
    high = next((c.max_length for c in constraints if isinstance(c, annotated_types.MaxLen)), None)
    if high is None:
        return f"at least {low} entries"
    return f"{low} to {high} entries"


def _allowed_keys(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    if not loc:
        return list(model.model_fields)
    info = _field_info(model, loc)
    annotation = info.annotation if info is not None else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def unknown_key_reason(allowed: list[str], key: str) -> str:
    """``unknown setting; did you mean 'gini_cap'? allowed here: ...``."""
    guess = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    listing = ", ".join(allowed)
    return f"unknown setting; {hint}allowed here: {listing}" if listing else "unknown setting"
