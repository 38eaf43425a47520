"""Policy changes mid-run: the levers whose effect is built into the world at day 0 act
from the day a timeline changes them, through one hook per lever family.

Most levers are read by the steps every day from the scenario in force, so a timeline
change takes effect by itself from its day. A few are read only when the world is drawn
(:mod:`sim.model.population`): merchants' prices and whether their supplier is in the
source-goods programme, their commissions and bad goods, creators' external stores; and
the climbing stages shape the works already in the pipeline. For those, the hook of
their family makes the state what the new value would have made it, for the rows the
change concerns, at the start of the day (before any step). A share that changes moves
rows one way only (a rise adds members, a fall removes some), so the members that need
not change keep their state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model.population import (
    BAD_COMMISSION_FACTOR,
    COMMISSION_BOUNDS,
    category_reference_prices,
    goods_quality,
    merchant_prices,
)
from sim.model.state import Bool, World
from sim.scenario.schema import Scenario, lever_paths

__all__ = ["HOOKS", "apply_changes", "changed_levers", "move_share"]

Hook = Callable[[World, Scenario, Scenario, np.random.Generator], None]
"""``hook(world, before, after, rng)``: the world moved from ``before``'s levers to
``after``'s."""


def move_share(
    flags: Bool, eligible: Bool, old: float, new: float, rng: np.random.Generator
) -> Bool:
    """Flags of the ``eligible`` rows moved from a share ``old`` to ``new`` in expectation:
    on a rise, each eligible row without the flag gains it with probability
    ``(new - old) / (1 - old)``; on a fall, each with it loses it with probability
    ``(old - new) / old``. One uniform draw per row, whichever way."""
    draw = rng.random(flags.size)
    if new > old:
        moved: Bool = flags | (eligible & ~flags & (draw < (new - old) / (1.0 - old)))
    elif new < old:
        moved = flags & ~(eligible & flags & (draw < (old - new) / old))
    else:
        moved = flags.copy()
    return moved


def reprice_goods(
    world: World, before: Scenario, after: Scenario, rng: np.random.Generator
) -> None:
    """Source goods and middlemen: suppliers join or leave the programme when its share
    changes; every merchant's price is its supplier's cost through the middlemen layers
    it now has (none for a supplier in a running programme). The fans' reference price
    is the market's (the classic chain), which our own chain does not move."""
    suppliers, merchants, c = world.suppliers, world.merchants, after.commerce
    old_share, new_share = before.commerce.source_goods_share, c.source_goods_share
    if new_share != old_share:
        everyone = np.ones(len(suppliers), bool)
        suppliers.in_programme = move_share(
            suppliers.in_programme, everyone, old_share, new_share, rng
        )
    source = c.source_goods & suppliers.in_programme[merchants.supplier]
    layers = np.where(source, 0, c.middlemen)
    merchants.source_goods = source
    merchants.price = merchant_prices(
        suppliers.unit_cost[merchants.supplier], layers, merchants.bad, after
    )
    world.catalogue.reference_price = category_reference_prices(after)


def rescale_commissions(
    world: World, before: Scenario, after: Scenario, _rng: np.random.Generator
) -> None:
    """Creator commission: every merchant's commission moves by the lever's factor, so
    their spread is kept (from a lever of 0 they all pay the new level)."""
    merchants = world.merchants
    old, new = before.commerce.creator_commission, after.commerce.creator_commission
    if old > 0:
        level = merchants.commission * (new / old)
    else:
        level = new * np.where(merchants.bad, BAD_COMMISSION_FACTOR, 1.0)
    merchants.commission = np.clip(level, *COMMISSION_BOUNDS)


def reopen_external_stores(
    world: World, before: Scenario, after: Scenario, rng: np.random.Generator
) -> None:
    """External store share: commerce creators open or close their external store."""
    creators = world.creators
    creators.external_store = move_share(
        creators.external_store,
        creators.commerce,
        before.commerce.external_store_share,
        after.commerce.external_store_share,
        rng,
    )


def reassign_bad_goods(
    world: World, before: Scenario, after: Scenario, rng: np.random.Generator
) -> None:
    """Bad quality share: merchants turn to bad goods (or back to good ones); their
    quality, price and the commission they offer follow (bad goods: cheaper, paying
    more); goods that turn good are no longer exposed."""
    merchants = world.merchants
    everyone = np.ones(len(merchants), bool)
    bad = move_share(
        merchants.bad,
        everyone,
        before.commerce.bad_quality_share,
        after.commerce.bad_quality_share,
        rng,
    )
    turned = bad != merchants.bad
    merchants.quality[turned] = goods_quality(merchants.looks[turned], bad[turned])
    factor = np.where(bad[turned], BAD_COMMISSION_FACTOR, 1.0 / BAD_COMMISSION_FACTOR)
    offered = merchants.commission[turned] * factor
    merchants.commission[turned] = np.clip(offered, *COMMISSION_BOUNDS)
    merchants.exposed[turned & ~bad] = False
    merchants.bad = bad
    layers = np.where(merchants.source_goods, 0, after.commerce.middlemen)
    merchants.price = merchant_prices(
        world.suppliers.unit_cost[merchants.supplier], layers, bad, after
    )


def end_climbs_past_the_last_stage(
    world: World, before: Scenario, after: Scenario, _rng: np.random.Generator
) -> None:
    """Stage quotas: with fewer stages, works in the pipeline past the new last stage stop
    climbing (a live stream among them is over: its days are recorded as they happen);
    with more, the top works climb on."""
    pipeline = world.pipeline
    keep = pipeline.stage <= len(after.traffic.stage_quotas)
    world.pipeline = pipeline.take(keep)


HOOKS: tuple[tuple[frozenset[str], Hook], ...] = (
    (
        frozenset(
            {
                "commerce.source_goods",
                "commerce.source_goods_share",
                "commerce.middlemen",
                "commerce.middleman_markup",
            }
        ),
        reprice_goods,
    ),
    (frozenset({"commerce.creator_commission"}), rescale_commissions),
    (frozenset({"commerce.external_store_share"}), reopen_external_stores),
    (frozenset({"commerce.bad_quality_share"}), reassign_bad_goods),
    (frozenset({"traffic.stage_quotas"}), end_climbs_past_the_last_stage),
)
"""Each lever family read when the world is drawn, with the hook that applies a change."""


def changed_levers(before: Scenario, after: Scenario) -> tuple[str, ...]:
    """Dotted paths of the levers whose value differs, in schema order."""
    a, b = before.model_dump(mode="json"), after.model_dump(mode="json")
    paths = (path.split(".") for path in lever_paths().values())
    return tuple(f"{g}.{n}" for g, n in paths if a[g][n] != b[g][n])


def apply_changes(
    world: World, before: Scenario, after: Scenario, rng: np.random.Generator
) -> tuple[str, ...]:
    """Run the hook of every lever family a change concerns (in the order of `HOOKS`,
    one generator for all of them); return the changed levers."""
    changed = changed_levers(before, after)
    for family, hook in HOOKS:
        if family.intersection(changed):
            hook(world, before, after, rng)
    return changed
