"""One PNG per KPI of a sweep: the KPI's mean against the first lever, with its CI band.

The first lever of the sweep file is the x axis (numeric when all its values are numbers,
else one tick per value in file order); each combination of the other levers is one line.
Figures are made without pyplot, so plotting keeps no global state.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from sim.commands.terminal import format_value

__all__ = ["plot_kpi"]


def plot_kpi(
    kpi: str,
    levers: Sequence[str],
    point_values: Sequence[tuple[Any, ...]],
    mean: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
) -> bytes:
    """A PNG of ``kpi`` per point (``point_values[i]`` holds point i's lever values)."""
    from matplotlib.figure import Figure  # heavy: only when a report is made

    xs = [values[0] if values else "all seeds" for values in point_values]
    numeric = bool(levers) and all(_is_number(x) for x in xs)
    labels = list(dict.fromkeys(format_value(x) for x in xs))
    figure = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    lines: dict[str, list[int]] = {}
    for i, values in enumerate(point_values):
        key = ", ".join(
            f"{p}={format_value(v)}" for p, v in zip(levers[1:], values[1:], strict=True)
        )
        lines.setdefault(key, []).append(i)
    for key, members in lines.items():
        x = [_position(xs[i], numeric, labels) for i in members]
        y = [mean[i] for i in members]
        band_low, band_high = [low[i] for i in members], [high[i] for i in members]
        (line,) = axes.plot(x, y, marker="o", label=key or None)
        if len(x) > 1:
            axes.fill_between(
                x, band_low, band_high, color=line.get_color(), alpha=0.2, linewidth=0
            )
        else:
            error = [[_gap(y[0], band_low[0])], [_gap(band_high[0], y[0])]]
            axes.errorbar(x, y, yerr=error, color=line.get_color(), capsize=4)
    if not numeric:
        axes.set_xticks(range(len(labels)), labels)
    axes.set_xlabel(levers[0] if levers else "")
    axes.set_ylabel(kpi)
    axes.set_title(f"{kpi}: mean and 95% CI over seeds", fontsize="medium")
    if len(lines) > 1:
        axes.legend(fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _position(value: Any, numeric: bool, labels: list[str]) -> float:
    """Where a lever value sits on the x axis: itself, or its tick."""
    return float(value) if numeric else float(labels.index(format_value(value)))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _gap(upper: float, lower: float) -> float:
    """An error bar's length; zero where there is no interval (one seed)."""
    return upper - lower if math.isfinite(upper - lower) else 0.0
