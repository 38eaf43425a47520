"""The metrics stage: what is measured, with one-line meanings (`catalogue`), the daily
measurement (`daily`) and the summaries of a finished run (`summary`)."""

from sim.metrics.catalogue import (
    CREATOR_COLUMNS,
    DAILY_METRICS,
    FAN_COLUMNS,
    FOLLOWER_TIERS,
    RUN_KPIS,
)

__all__ = ["CREATOR_COLUMNS", "DAILY_METRICS", "FAN_COLUMNS", "FOLLOWER_TIERS", "RUN_KPIS"]
