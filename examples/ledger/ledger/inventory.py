"""Stock levels with reorder points and moving-average cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ledger.money import Money


class InsufficientStock(ValueError):
    """An issue asks for more units than are on hand."""


@dataclass
class StockItem:
    sku: str
    on_hand: int = 0
    reorder_point: int = 0
    reorder_quantity: int = 0
    average_cost: Money = field(default_factory=Money.zero)

    @property
    def value(self) -> Money:
        return self.average_cost * self.on_hand

    def needs_reorder(self) -> bool:
        return self.on_hand <= self.reorder_point


class Inventory:
    def __init__(self) -> None:
        self._items: dict[str, StockItem] = {}

    def add_item(self, sku: str, reorder_point: int = 0, reorder_quantity: int = 0) -> StockItem:
        if sku in self._items:
            raise ValueError(f"{sku} already exists")
        item = StockItem(sku, reorder_point=reorder_point, reorder_quantity=reorder_quantity)
        self._items[sku] = item
        return item

    def __getitem__(self, sku: str) -> StockItem:
        return self._items[sku]

    def receive(self, sku: str, quantity: int, unit_cost: Money) -> StockItem:
        """Add units bought at `unit_cost`; the average cost is re-weighted by quantity."""
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, got {quantity}")
        item = self._items[sku]
        total_units = item.on_hand + quantity
        total_cost = item.average_cost.amount * item.on_hand + unit_cost.amount * quantity
        item.average_cost = Money(total_cost / Decimal(total_units), unit_cost.currency)
        item.on_hand = total_units
        return item

    def issue(self, sku: str, quantity: int) -> Money:
        """Take units out of stock; returns their cost at the current average."""
        item = self._items[sku]
        if quantity > item.on_hand:
            raise InsufficientStock(f"{sku}: asked {quantity}, on hand {item.on_hand}")
        item.on_hand -= quantity
        return item.average_cost * quantity

    def reorder_list(self) -> dict[str, int]:
        """SKU -> quantity to order, for every item at or below its reorder point."""
        return {
            sku: item.reorder_quantity
            for sku, item in sorted(self._items.items())
            if item.needs_reorder() and item.reorder_quantity > 0
        }

    def total_value(self, currency: str = "EUR") -> Money:
        return sum((item.value for item in self._items.values()), Money.zero(currency))
