"""The resolution test: the baseline's platform simulated at two resolutions (the same
DAU with 4x fewer fans, each standing for 4x the users) and the intensive results side by
side. ``python -m tools.resolution [--days N] [--seeds N] [--factor N]`` prints the table that
docs/scaling.md reports; ``tests/test_resolution.py`` asserts the invariant rows."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.runs import RunResult, simulate_many, spawn_seeds
from sim.scenario import Scenario, load_scenario

COARSER = 4
"""The second resolution: this many times fewer simulated agents, each standing for this
many times more real ones."""


def coarser(scenario: Scenario, factor: int = COARSER) -> Scenario:
    """The same platform with `factor` times fewer fans, creators, merchants and
    suppliers, each standing for `factor` times the real ones (scale and creator_scale
    both times `factor`)."""
    p = scenario.population
    return scenario.with_overrides(
        {
            "population.fans": p.fans // factor,
            "population.creators": p.creators // factor,
            "population.merchants": p.merchants // factor,
            "population.suppliers": max(p.suppliers // factor, len(p.categories)),
            "population.scale": p.scale * factor,
            "population.creator_scale": p.creator_scale * factor,
        }
    )


def intensive(run: RunResult) -> dict[str, float]:
    """The quantities that must not depend on the resolution, from one run."""
    daily, creators = run.daily, run.creators
    last = daily.tail(30)
    entrants = creators[creators["entry_day"] >= 0]
    days_to_1m = entrants["days_to_1m"].dropna()
    return {
        "median_income_tier1": float(last["median_income_tier1"].mean()),
        "median_income_tier2": float(last["median_income_tier2"].mean()),
        "median_income_tier3": float(last["median_income_tier3"].mean()),
        "follower_gini": float(last["follower_gini"].mean()),
        "follower_top1_share": float(last["follower_top1_share"].mean()),
        "exposure_gini": float(daily["exposure_gini"].mean()),
        "ordinary_share": float(daily["ordinary_share"].mean()),
        "ordinary_share_all": float(daily["ordinary_share_all"].mean()),
        "gmv_real_per_day": float(daily["gmv_real"].mean()),
        "repeat_purchase_rate": run.kpis["repeat_purchase_rate"],
        "views_per_fan_mean": float(daily["views_per_fan_mean"].mean()),
        "commerce_reach_share": float(daily["commerce_reach_share"].mean()),
        "days_to_1m_median": float(days_to_1m.median()) if len(days_to_1m) else float("nan"),
    }


def compare(
    scenario: Scenario,
    seeds: Sequence[int],
    days: int,
    coarse_seeds: Sequence[int] | None = None,
    factor: int = COARSER,
) -> pd.DataFrame:
    """One row per quantity: the mean over seeds at each resolution (and the range over
    seeds), and their ratio. The coarse platform may run more seeds (`coarse_seeds`):
    it is cheaper and its per-seed spread is wider."""
    low = coarser(scenario, factor)
    rough_seeds = list(seeds if coarse_seeds is None else coarse_seeds)
    jobs = [(scenario, seed) for seed in seeds] + [(low, seed) for seed in rough_seeds]
    runs = simulate_many(jobs, days=days)
    fine = pd.DataFrame([intensive(r) for r in runs[: len(seeds)]])
    rough = pd.DataFrame([intensive(r) for r in runs[len(seeds) :]])
    table = pd.DataFrame(
        {
            "fine": fine.mean(),
            "fine_min": fine.min(),
            "fine_max": fine.max(),
            "coarse": rough.mean(),
            "coarse_min": rough.min(),
            "coarse_max": rough.max(),
        }
    )
    table["ratio"] = table["coarse"] / table["fine"].where(table["fine"] != 0, np.nan)
    # Two standard errors of the difference of the means, relative to the fine mean: how
    # far apart the two resolutions may land by the seeds' noise alone.
    spread = np.sqrt(fine.var() / fine.count() + rough.var() / rough.count())
    table["noise"] = 2.0 * spread / table["fine"].abs().where(table["fine"] != 0, np.nan)
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument(
        "--factor", type=int, default=COARSER, help="how many times coarser (default 4)"
    )
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    seeds = spawn_seeds(scenario.run.seed, args.seeds)
    table = compare(scenario, seeds, args.days, factor=args.factor)
    print(table.to_string(float_format=lambda v: f"{v:,.4g}"))


if __name__ == "__main__":
    main()
