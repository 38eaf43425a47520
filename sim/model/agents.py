"""Mesa agent types as thin handles over the columnar tables.

Each handle reads (and writes) one row of its table, so inspecting or extending an agent
in Python sees exactly the state the vectorised daily loop works on. Handles are made on
demand by `EcosystemModel.creator(i)`, `.fan(i)`, `.merchant(i)` and `.supplier(i)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel


class _Column:
    """A property that reads and writes one column of the agent's table at its row."""

    def __init__(self, table: str) -> None:
        self.table = table

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(getattr(agent.model, self.table), self.name)[agent.row].item()

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(getattr(agent.model, self.table), self.name)[agent.row] = value


class RowAgent(mesa.Agent):  # type: ignore[misc]
    """A Mesa agent standing for row `row` of one of the model's tables."""

    def __init__(self, model: EcosystemModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def __repr__(self) -> str:
        return f"{type(self).__name__}(row={self.row})"


class Fan(RowAgent):
    """A consumer: browses the feeds, follows creators, buys within a monthly budget."""

    interest = _Column("fans")
    activity = _Column("fans")
    sensitivity = _Column("fans")
    monthly_budget = _Column("fans")
    budget_left = _Column("fans")


class Creator(RowAgent):
    """A creator (主播/作者): posts works, goes live, carries goods, earns, may leave."""

    category = _Column("creators")
    commerce = _Column("creators")
    quality = _Column("creators")
    sales_skill = _Column("creators")
    capacity = _Column("creators")
    external_store = _Column("creators")
    own_goods = _Column("creators")
    merchant = _Column("creators")
    followers = _Column("creators")
    trust = _Column("creators")
    works_posted = _Column("creators")
    impressions = _Column("creators")
    alive = _Column("creators")
    entry_day = _Column("creators")
    exit_day = _Column("creators")
    penalty_until = _Column("creators")
    income = _Column("creators")
    gmv = _Column("creators")
    orders = _Column("creators")
    income_30d = _Column("creators")

    @property
    def past_buyers(self) -> int:
        """Distinct fans who have bought from this creator."""
        return int(self.model.market.buyers_of(self.row))


class Merchant(RowAgent):
    """A seller of one product line, bought from a supplier through middlemen."""

    category = _Column("merchants")
    supplier = _Column("merchants")
    price = _Column("merchants")
    quality = _Column("merchants")
    commission = _Column("merchants")
    external = _Column("merchants")
    source_goods = _Column("merchants")
    bad = _Column("merchants")


class Supplier(RowAgent):
    """A factory, wholesale market or orchard in an industry belt."""

    category = _Column("suppliers")
    unit_cost = _Column("suppliers")
    quality = _Column("suppliers")
    in_programme = _Column("suppliers")
