"""A comparison as one self-contained HTML file: the side-by-side table and the charts,
drawn as inline SVG (matplotlib), so the file opens anywhere, offline, with nothing to load."""

from __future__ import annotations

import html
import io
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pandas as pd

import sim
from app import charts, kpis
from sim.metrics.display import daily_display

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5rem 0; } .note { color: #555; font-size: 0.9rem; }
"""


def _svg(figure: object) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def series_svg(
    dailies: Mapping[str, Sequence[pd.DataFrame]], metric: str, policies: Sequence[str]
) -> str:
    """A daily metric for every policy: mean line, band from lowest to highest seed."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    shown = daily_display(metric)
    band = charts.seed_band(dailies, metric)
    figure, axes = plt.subplots(figsize=(9, 3.6))
    for index, policy in enumerate(policies):
        part = band[band["policy"] == policy]
        colour = charts.PALETTE[index % len(charts.PALETTE)]
        axes.fill_between(part["day"], part["low"], part["high"], color=colour, alpha=0.18)
        axes.plot(part["day"], part["mean"], color=colour, label=policy, linewidth=2)
    axes.set_xlabel("day")
    axes.set_ylabel(shown.label)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: shown.format(value)))
    axes.set_title(f"{shown.title}: mean across seeds, band from lowest to highest")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(4, len(policies)))
    axes.grid(alpha=0.3)
    text = _svg(figure)
    plt.close(figure)
    return text


def change_svg(table: pd.DataFrame, reference: str, policies: Sequence[str]) -> str:
    """Each policy's change against the reference in percent, with its 95% interval."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    others = [p for p in policies if p != reference]
    base = table[table["policy"] == reference].set_index("kpi")["mean"]
    titles = list(dict.fromkeys(table["title"]))
    figure, axes = plt.subplots(figsize=(9, 0.4 * len(titles) * max(1, len(others)) + 1))
    for offset, policy in enumerate(others):
        part = table[table["policy"] == policy].set_index("title").reindex(titles)
        scale = part["kpi"].map(base).abs().replace(0, math.nan)
        rows = [i + 0.25 * (offset - (len(others) - 1) / 2) for i in range(len(titles))]
        colour = charts.PALETTE[(offset + 1) % len(charts.PALETTE)]
        middle = 100 * part["change"] / scale
        low, high = 100 * part["change_low"] / scale, 100 * part["change_high"] / scale
        axes.hlines(rows, low, high, color=colour, linewidth=2)
        axes.plot(middle, rows, "o", color=colour, label=policy)
    axes.axvline(0, color="#666", linewidth=1)
    axes.set_yticks(range(len(titles)), titles)
    axes.invert_yaxis()
    axes.set_xlabel(f"change against {reference}, % of its value (95% interval)")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3, axis="x")
    text = _svg(figure)
    plt.close(figure)
    return text


def comparison_html(
    rows: Sequence[kpis.Row],
    reference: str,
    results: Mapping[str, Sequence[sim.RunResult]],
    metrics: Sequence[str],
    note: str = "",
) -> str:
    """The whole report: title, note, the table (coloured by verdict), the charts."""
    policies = list(results)
    table = kpis.side_by_side(rows, reference)
    styles = kpis.colours(table)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{styles.iloc[i, j]!s}">{html.escape(str(table.iloc[i, j]))}</td>'
            for j in range(len(table.columns))
        )
        + "</tr>"
        for i in range(len(table))
    )
    long = kpis.long_table(rows)
    figures = []
    if any(r.n >= 2 for r in rows):
        key = long[long["kpi"].isin(kpis.KEY_KPIS)]
        figures.append(change_svg(key, reference, policies))
    dailies = {p: [r.daily for r in runs] for p, runs in results.items() if runs}
    figures += [series_svg(dailies, metric, policies) for metric in metrics]
    scenarios = "".join(
        f"<li><b>{html.escape(p)}</b>: {html.escape(_edits(runs[0].scenario, results))}</li>"
        for p, runs in results.items()
        if runs
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>ecosim comparison: {html.escape(' vs '.join(policies))}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>Policies compared against {html.escape(reference)}</h1>"
        f"<p class='note'>{html.escape(note)} Made by ecosim {sim.__version__} on {stamp}.</p>"
        f"<ul>{scenarios}</ul>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + "".join(f"<figure>{svg}</figure>" for svg in figures)
        + "</body></html>"
    )


def _edits(scenario: sim.Scenario, results: Mapping[str, Sequence[sim.RunResult]]) -> str:
    first = next(iter(results.values()))[0].scenario
    from app.levers import edit_text, edits_between

    changes = edits_between(first, scenario)
    if not changes:
        return f"{scenario.name} ({scenario.run.days} days)"
    return ", ".join(f"{path}={edit_text(value)}" for path, value in changes.items())
