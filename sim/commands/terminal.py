"""Plain-text tables and numbers for the terminal, readable when piped to a file too."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

__all__ = ["format_kpis", "format_number", "format_table", "format_value"]


def format_number(value: float) -> str:
    """Thousands separators for big numbers, four significant digits for small ones."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) or abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_value(value: object) -> str:
    """A setting as it would be written in YAML: ``null``, ``true``, ``[3000, 30000]``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    return json.dumps(value)


def format_table(rows: Sequence[Sequence[str]], align: str = "", indent: int = 0) -> str:
    """Columns two spaces apart; ``align`` has one ``l`` or ``r`` per column.

    By default the first column (labels) is left-aligned and the others (numbers) right.
    """
    if not rows:
        return ""
    columns = len(rows[0])
    align = align or "l" + "r" * (columns - 1)
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if side == "l" else cell.rjust(width)
            for cell, width, side in zip(row, widths, align, strict=True)
        ]
        lines.append(" " * indent + "  ".join(cells).rstrip())
    return "\n".join(lines)


def format_kpis(kpis: Mapping[str, float]) -> str:
    """The KPI table printed after a run."""
    return format_table([("kpi", "value"), *((name, format_number(v)) for name, v in kpis.items())])
