"""Stock levels per SKU and location, with a movement journal and reorder planning.

Quantities are whole units. Every change of stock goes through `_apply`, which writes a
`Movement` to the journal, so that the journal replayed from zero gives the current levels.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Iterator

DEFAULT_LOCATION = "main"


class StockError(Exception):
    """An operation would leave a location with negative stock, or names an unknown item."""


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    unit_cost: float = 0.0
    reorder_point: int = 0
    reorder_qty: int = 0
    pack_size: int = 1
    discontinued: bool = False

    def __post_init__(self) -> None:
        if not self.sku or self.sku != self.sku.strip():
            raise ValueError(f"bad SKU {self.sku!r}")
        if self.pack_size < 1:
            raise ValueError("pack_size must be at least 1")
        if self.reorder_point < 0 or self.reorder_qty < 0:
            raise ValueError("reorder settings cannot be negative")


@dataclass(frozen=True)
class Movement:
    sku: str
    location: str
    delta: int
    reason: str
    day: date | None = None
    reference: str = ""


@dataclass
class ReorderLine:
    sku: str
    on_hand: int
    on_order: int
    quantity: int
    cost: float


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)
    _levels: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _on_order: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    journal: list[Movement] = field(default_factory=list)

    # -- catalogue -----------------------------------------------------------------------

    def add_item(self, item: Item) -> Item:
        if item.sku in self.items:
            raise StockError(f"{item.sku} is already in the catalogue")
        self.items[item.sku] = item
        return item

    def item(self, sku: str) -> Item:
        try:
            return self.items[sku]
        except KeyError:
            raise StockError(f"unknown SKU {sku!r}") from None

    def discontinue(self, sku: str) -> None:
        old = self.item(sku)
        self.items[sku] = Item(
            old.sku, old.name, old.unit_cost, old.reorder_point, old.reorder_qty, old.pack_size, True
        )

    # -- levels --------------------------------------------------------------------------

    def on_hand(self, sku: str, location: str | None = None) -> int:
        self.item(sku)
        if location is not None:
            return self._levels.get((sku, location), 0)
        return sum(qty for (s, _), qty in self._levels.items() if s == sku)

    def locations(self, sku: str) -> dict[str, int]:
        self.item(sku)
        return {loc: qty for (s, loc), qty in sorted(self._levels.items()) if s == sku and qty}

    def on_order(self, sku: str) -> int:
        return self._on_order.get(sku, 0)

    def _apply(self, movement: Movement) -> None:
        key = (movement.sku, movement.location)
        new_level = self._levels.get(key, 0) + movement.delta
        if new_level < 0:
            raise StockError(
                f"{movement.sku} at {movement.location}: {self._levels.get(key, 0)} on hand,"
                f" cannot remove {-movement.delta}"
            )
        self._levels[key] = new_level
        self.journal.append(movement)

    # -- movements -----------------------------------------------------------------------

    def receive(self, sku: str, qty: int, location: str = DEFAULT_LOCATION, day: date | None = None,
                reference: str = "") -> None:
        """Goods in. Received quantity is taken off what is on order first."""
        self.item(sku)
        if qty <= 0:
            raise ValueError("received quantity must be positive")
        self._apply(Movement(sku, location, qty, "receive", day, reference))
        self._on_order[sku] = max(0, self._on_order.get(sku, 0) - qty)

    def ship(self, sku: str, qty: int, location: str = DEFAULT_LOCATION, day: date | None = None,
             reference: str = "") -> None:
        self.item(sku)
        if qty <= 0:
            raise ValueError("shipped quantity must be positive")
        self._apply(Movement(sku, location, -qty, "ship", day, reference))

    def transfer(self, sku: str, qty: int, source: str, target: str, day: date | None = None) -> None:
        if source == target:
            raise ValueError("source and target are the same location")
        if qty <= 0:
            raise ValueError("transferred quantity must be positive")
        self.item(sku)
        self._apply(Movement(sku, source, -qty, "transfer-out", day, target))
        self._apply(Movement(sku, target, qty, "transfer-in", day, source))

    def adjust(self, sku: str, counted: int, location: str = DEFAULT_LOCATION, day: date | None = None) -> int:
        """A stock count: set the level to `counted`, journal the difference, return it."""
        if counted < 0:
            raise ValueError("a count cannot be negative")
        delta = counted - self.on_hand(sku, location)
        if delta:
            self._apply(Movement(sku, location, delta, "count", day))
        return delta

    def place_order(self, sku: str, qty: int) -> None:
        self.item(sku)
        if qty <= 0:
            raise ValueError("ordered quantity must be positive")
        self._on_order[sku] += qty

    # -- reports -------------------------------------------------------------------------

    def valuation(self) -> float:
        total = 0.0
        for (sku, _), qty in self._levels.items():
            total += qty * self.items[sku].unit_cost
        return round(total, 2)

    def movements(self, sku: str | None = None, reason: str | None = None) -> Iterator[Movement]:
        for movement in self.journal:
            if sku is not None and movement.sku != sku:
                continue
            if reason is not None and movement.reason != reason:
                continue
            yield movement

    def shipped_between(self, sku: str, start: date, end: date) -> int:
        """Units shipped with start <= day <= end (movements without a day are ignored)."""
        return -sum(
            m.delta for m in self.movements(sku, "ship") if m.day is not None and start <= m.day <= end
        )

    def replay(self) -> dict[tuple[str, str], int]:
        levels: dict[tuple[str, str], int] = defaultdict(int)
        for movement in self.journal:
            levels[(movement.sku, movement.location)] += movement.delta
        return {key: qty for key, qty in levels.items() if qty}

    # -- reordering ----------------------------------------------------------------------

    def needs_reorder(self, sku: str) -> bool:
        """An item is reordered when what is on hand plus on order has fallen to its reorder point."""
        item = self.item(sku)
        if item.discontinued or item.reorder_qty == 0:
            return False
        position = self.on_hand(sku) + self.on_order(sku)
        return position < item.reorder_point

    def reorder_quantity(self, sku: str) -> int:
        """Enough to get back above the reorder point, at least reorder_qty, in whole packs."""
        item = self.item(sku)
        position = self.on_hand(sku) + self.on_order(sku)
        wanted = max(item.reorder_qty, item.reorder_point - position + 1)
        return math.ceil(wanted / item.pack_size) * item.pack_size

    def reorder_plan(self, skus: Iterable[str] | None = None) -> list[ReorderLine]:
        lines = []
        for sku in sorted(skus if skus is not None else self.items):
            if not self.needs_reorder(sku):
                continue
            qty = self.reorder_quantity(sku)
            lines.append(ReorderLine(
                sku, self.on_hand(sku), self.on_order(sku), qty, round(qty * self.items[sku].unit_cost, 2)
            ))
        return lines

    def place_reorders(self) -> list[ReorderLine]:
        plan = self.reorder_plan()
        for line in plan:
            self.place_order(line.sku, line.quantity)
        return plan
