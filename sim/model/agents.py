"""Mesa agent types as handles over the rows of the state tables.

An agent's attributes are the columns of its table (:mod:`sim.model.state`), derived from
the table's fields, so a column added to a table is an attribute of its agent at once.
Reading or writing an attribute reads or writes the row the vectorised daily loop works
on.

Creators, merchants and suppliers are Mesa agents registered with the model: creators
that are on the platform are exactly ``model.agents_by_type[Creator]`` (entrants are added
and leavers removed each day). Fans are not registered: a platform has hundreds of
thousands to millions of them and the daily loop never touches them one by one, so
``model.fan(i)`` gives a handle of the same kind on demand (:class:`Fan`), without the
cost of a Mesa agent per fan.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, ClassVar

import mesa

from sim.model.state import Creators, Fans, Merchants, Suppliers, Table

if TYPE_CHECKING:
    from sim.model.ecosystem import EcosystemModel

__all__ = ["Creator", "Fan", "Merchant", "RowAgent", "RowHandle", "Supplier"]


class RowHandle:
    """Row ``row`` of one of the world's tables; its columns read as attributes."""

    TABLE: ClassVar[str]
    """Attribute of :class:`sim.model.state.World` holding the table."""
    COLUMNS: ClassVar[frozenset[str]]

    model: EcosystemModel
    row: int

    def __init_subclass__(cls, table: type[Table] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if table is not None:
            cls.COLUMNS = frozenset(f.name for f in fields(table))

    def _table(self) -> Table:
        table: Table = getattr(self.model.world, self.TABLE)
        return table

    def __getattr__(self, name: str) -> Any:
        # Called only for names that are not ordinary attributes: the table's columns.
        if name in type(self).COLUMNS:
            return getattr(self._table(), name)[self.row].item()
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in type(self).COLUMNS:
            getattr(self._table(), name)[self.row] = value
        else:
            super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *type(self).COLUMNS})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(row={self.row})"


class RowAgent(RowHandle, mesa.Agent):  # type: ignore[misc]
    """A Mesa agent standing for row ``row`` of one of the model's tables."""

    def __init__(self, model: EcosystemModel, row: int) -> None:
        mesa.Agent.__init__(self, model)
        self.row = row


class Fan(RowHandle, table=Fans):
    """A consumer: browses the feeds, follows creators, buys within a monthly budget.

    Not a registered Mesa agent (see the module docstring): ``model.fan(i)``.
    """

    TABLE = "fans"

    def __init__(self, model: EcosystemModel, row: int) -> None:
        self.model = model
        self.row = row


class Creator(RowAgent, table=Creators):
    """A creator (主播/作者): posts works, goes live, carries goods, earns, may leave."""

    TABLE = "creators"

    @property
    def past_buyers(self) -> int:
        """Distinct fans who have bought from this creator."""
        _fans, creators, _trust, flags = self.model.world.audience.edges()
        bought = (flags & self.model.world.audience.BOUGHT) != 0
        return int((bought & (creators == self.row)).sum())


class Merchant(RowAgent, table=Merchants):
    """A seller of one product line, bought from a supplier through middlemen."""

    TABLE = "merchants"


class Supplier(RowAgent, table=Suppliers):
    """A factory, wholesale market or orchard in an industry belt."""

    TABLE = "suppliers"
