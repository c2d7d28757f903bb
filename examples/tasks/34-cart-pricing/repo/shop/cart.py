"""A shopping cart: lines of products with quantities, a discount code and tax."""

from __future__ import annotations

from dataclasses import dataclass, field

from shop.pricing import add_tax, apply_discount, format_price

CODES = {"WELCOME10": 10.0, "HALF": 50.0}


@dataclass
class Line:
    sku: str
    unit_cents: int
    quantity: int = 1


@dataclass
class Cart:
    tax_percent: float = 0.0
    lines: list[Line] = field(default_factory=list)
    code: str | None = None

    def add(self, sku: str, unit_cents: int, quantity: int = 1) -> None:
        for line in self.lines:
            if line.sku == sku:
                line.quantity += quantity
                return
        self.lines.append(Line(sku, unit_cents, quantity))

    def subtotal(self) -> int:
        return sum(line.unit_cents for line in self.lines)

    def total(self) -> int:
        discounted = apply_discount(self.subtotal(), CODES.get(self.code or "", 0.0))
        return add_tax(discounted, self.tax_percent)

    def receipt(self) -> str:
        rows = [f"{line.quantity} x {line.sku}" for line in self.lines]
        return "\n".join(rows + [f"total {format_price(self.total())}"])
