"""The sales channel: each day a multi-channel creator sells either through the platform
shop or through its external store (Taobao, JD, PDD ...), choosing by what each earns it
("由主播来决定").

The shop has the platform's guarantee and one-tap checkout (fans buy more readily) but
takes the platform's commission: merchants pass half of it into the price and take the
other half out of what they pay the creator. The external store has its own fee, the
same way, and brings natural traffic of its own, but no guarantee. A creator's expected
income per view in a channel is price × (commission − its part of the fee) × the fans'
propensity at that price ((reference / price)^1.5) × the channel's factor; it picks the
external store with a logit probability of the two. Creators without an external store,
and creators selling their own goods, sell in the shop; so does everyone when
`commerce.external_links` is off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.state import F64, Bool, Works, World
from sim.scenario.schema import Scenario

PASS_THROUGH = 0.5
"""Share of a store's commission its merchants pass into the price; the creator bears the
rest out of its commission."""
EXTERNAL_FEE = 0.05
"""The external store's own commission on a sale (kept out of our platform's revenue)."""
SHOP_GUARANTEE = 1.2
"""Fans buy this much more readily in the shop: the platform's guarantee and checkout."""
EXTERNAL_TRAFFIC = 0.3
"""The external store's natural traffic: extra sales it brings a creator, as a share of
the sales our fans make there (counted in the creator's choice, not in our GMV)."""
CHANNEL_SENSITIVITY = 4.0
"""How sharply creators follow the better channel (logit slope on the log ratio)."""


@dataclass(frozen=True)
class Channels:
    """Each work's channel and price for the day."""

    external: Bool
    price: F64
    fee: F64
    """The store's commission on the work's sales (the platform's in the shop)."""


def external_share(scenario: Scenario, value_elasticity: float) -> float:
    """Probability that a multi-channel creator sells through its external store today."""
    c = scenario.commerce
    if not c.external_links:
        return 0.0

    def income_per_view(fee: float, factor: float) -> float:
        """Up to the common factors, at the baseline's offered commission."""
        kept = max(c.creator_commission - (1.0 - PASS_THROUGH) * fee, 1e-6)
        return float((1.0 + PASS_THROUGH * fee) ** (1.0 - value_elasticity) * kept * factor)

    shop = income_per_view(c.platform_commission, SHOP_GUARANTEE)
    external = income_per_view(EXTERNAL_FEE, 1.0 + EXTERNAL_TRAFFIC)
    return float(1.0 / (1.0 + (shop / external) ** CHANNEL_SENSITIVITY))


def choose_channels(
    world: World,
    scenario: Scenario,
    works: Works,
    value_elasticity: float,
    rng: np.random.Generator,
) -> Channels:
    """Today's channel of every creator (one draw per creator), spread to its works, and
    the price each work's goods sell at in that channel."""
    c, m, s = world.creators, world.merchants, scenario.commerce
    can_choose = s.external_links & c.external_store & ~c.sells_own
    external_today = can_choose & (rng.random(len(c)) < external_share(scenario, value_elasticity))
    external = external_today[works.creator]
    base = m.price[np.maximum(c.merchant[works.creator], 0)]
    fee = np.where(external, EXTERNAL_FEE, s.platform_commission)
    return Channels(external=external, price=base * (1.0 + PASS_THROUGH * fee), fee=fee)
