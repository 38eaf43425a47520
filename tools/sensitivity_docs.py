"""Writes the sensitivity analysis of docs/calibration.md (docs/sensitivity.md, .parquet,
.png): ``ecosim sensitivity`` on the baseline at a tenth of its resolution, then the
tables and plot from its output. ``python -m tools.sensitivity_docs [--trajectories N]
[--sobol-n N] [--seeds N] [--days N] [--workers N]``; an interrupted run resumes from
build/sensitivity-docs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim.analysis.sensitivity import morris_markdown, plot, sobol_markdown, write_table
from sim.commands.cli import main as ecosim
from sim.scenario.resolutions import TENTH

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", default="365")
    parser.add_argument("--seeds", default="2")
    parser.add_argument("--trajectories", default="4")
    parser.add_argument("--sobol-n", default="16")
    parser.add_argument("--top", default="4")
    parser.add_argument("--workers", default=None)
    parser.add_argument("--work", type=Path, default=ROOT / "build/sensitivity-docs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    settings = [
        *("--days", args.days, "--seeds", args.seeds, "--trajectories", args.trajectories),
        *("--sobol-n", args.sobol_n, "--top", args.top),
    ]
    command = [
        "sensitivity",
        str(ROOT / "scenarios/baseline.yaml"),
        *[part for setting in TENTH for part in ("--set", setting)],
        *settings,
        *(["--workers", args.workers] if args.workers else []),
    ]
    code = ecosim([*command, "--out", str(args.work)])
    if code:
        sys.exit(code)
    morris_table = pd.read_parquet(args.work / "morris.parquet")
    sobol_table = pd.read_parquet(args.work / "sobol.parquet")
    both = pd.concat(
        [morris_table.assign(method="morris"), sobol_table.assign(method="sobol")],
        ignore_index=True,
    )
    write_table(both[["method", *both.columns.drop("method")]], args.work / "sensitivity.parquet")
    plot(morris_table, sobol_table, args.out / "sensitivity.png")
    text = markdown(morris_table, sobol_table, " ".join(["ecosim sensitivity", *settings]), args)
    (args.out / "sensitivity.md").write_text(text, encoding="utf-8")
    print(text)


def markdown(
    morris_table: pd.DataFrame, sobol_table: pd.DataFrame, command: str, args: argparse.Namespace
) -> str:
    """docs/sensitivity.md: how it was made, the Morris table, the Sobol' table."""
    factors = morris_table["parameter"].nunique()
    moved = morris_table[morris_table["mu_star"] > 0]
    spread = (moved["mu_star_conf"] / moved["mu_star"]).median()
    return "\n".join(
        [
            "<!-- Written by `python -m tools.sensitivity_docs`; do not edit. -->",
            "",
            f"Morris screening of the baseline at a tenth of its resolution over {factors} "
            "factors (every calibrated parameter and numeric lever, "
            "`sim.analysis.sensitivity.PARAMETERS`, each over its range), "
            f"{args.trajectories} trajectories on a 4-level grid; every point runs "
            f"{args.seeds} paired seeds x {args.days} days and the KPIs are averaged over "
            f"the seeds (`{command}` with the tenth-resolution `--set`s). A cell is `mu*` "
            "(the mean absolute change of the KPI when the factor alone moves two thirds of "
            "its range, from points spread over all the factors) over the KPI's largest "
            "`mu*`: 1 is the KPI's most influential factor, bold from 0.5; rows by their "
            "mean over the KPIs (the Sobol' stage takes the first ones). At this budget "
            f"the 95% half-width of `mu*` is a median {spread:.0%} of `mu*` (all of them "
            "are in build/sensitivity-docs/sensitivity.parquet, which the tool writes): "
            "the leading factors of a KPI are clear, the order "
            "of the weak ones is not.",
            "",
            morris_markdown(morris_table),
            "",
            f"Sobol' indices of the {sobol_table['parameter'].nunique()} most influential "
            f"(Saltelli's scheme, N = {args.sobol_n}, the others at the baseline's value): "
            "first-order `S1` / total `ST` with 95% bootstrap half-widths; `ST` well above "
            "`S1` means interactions. A sample this small only separates large indices: an "
            "index above 1 or a half-width above about 0.5 is not resolved (or the KPI "
            "hardly varies over these factors, as the exposure Gini held at the cap).",
            "",
            sobol_markdown(sobol_table),
            "",
            "![sensitivity](sensitivity.png)",
            "",
        ]
    )


if __name__ == "__main__":
    main()
