"""Writes the one-at-a-time sensitivity table and plot of docs/calibration.md
(docs/sensitivity.csv, .md, .png): ``python -m tools.sensitivity_docs [--days N]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.sensitivity import plot, sensitivity, to_markdown
from sim.scenario.files import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios/baseline.yaml")
    table = sensitivity(scenario, args.days, scenario.run.seed)
    table.to_csv(args.out / "sensitivity.csv", index=False)
    (args.out / "sensitivity.md").write_text(to_markdown(table) + "\n", encoding="utf-8")
    plot(table, args.out / "sensitivity.png")
    print(to_markdown(table))


SCALE_KPIS = (
    "exposure_gini_mean",
    "follower_gini_final",
    "income_gini_final",
    "ordinary_share_mean",
    "average_order_value",
    "complaint_rate",
    "commerce_reach_share_mean",
    "views_per_fan_mean",
)


if __name__ == "__main__":
    main()
