"""A small warehouse inventory: items, stock movements, reorder suggestions."""

from stockroom.inventory import Inventory, Item, StockError, Movement

__all__ = ["Inventory", "Item", "StockError", "Movement"]
