"""Event logs of a run (opt-in, ``ecosim run --events``): every order and every follow and
unfollow, one row each, with the day and the fan it belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.model.state import Works, World
    from sim.model.steps.buying import Orders


@dataclass
class EventLog:
    """The orders and follow events of each day, kept as columns."""

    orders: list[pd.DataFrame] = field(default_factory=list)
    follows: list[pd.DataFrame] = field(default_factory=list)

    def record(self, day: int, world: World, works: Works, orders: Orders) -> None:
        """Keep today's orders (with the work's uid and the day the fan decided: earlier
        for a short video's seeded interest) and the audience's follow events."""
        self.orders.append(
            pd.DataFrame(
                {
                    "day": np.full(len(orders.fan), day, np.int64),
                    "fan": orders.fan,
                    "work": orders.uid,
                    "decided": orders.decided,
                    "creator": orders.creator,
                    "merchant": orders.merchant,
                    "price": orders.price,
                    "repeat": orders.repeat,
                    "from_follow": orders.from_follow,
                    "channel": np.where(orders.shop, "shop", "external"),
                    "returned": orders.complaint,
                }
            )
        )
        fan, creator, follow = world.audience.follow_events()
        self.follows.append(
            pd.DataFrame(
                {
                    "day": np.full(len(fan), day, np.int64),
                    "fan": fan.astype(np.int64),
                    "creator": creator.astype(np.int64),
                    "kind": np.where(follow, "follow", "unfollow"),
                }
            )
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """``orders`` and ``follows``: every day's events in one table each."""
        return {
            "orders": pd.concat(self.orders, ignore_index=True) if self.orders else _empty(),
            "follows": pd.concat(self.follows, ignore_index=True) if self.follows else _empty(),
        }


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"day": np.zeros(0, np.int64)})
