"""Invoices: lines with quantities and unit prices in cents, a discount and VAT."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_cents: int

    @property
    def cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass
class Invoice:
    number: str
    customer: str
    vat_percent: int = 20
    discount_cents: int = 0
    lines: list[Line] = field(default_factory=list)

    def add(self, description: str, quantity: int, unit_cents: int) -> None:
        self.lines.append(Line(description, quantity, unit_cents))

    def net(self) -> int:
        return max(0, sum(line.cents for line in self.lines) - self.discount_cents)

    def vat(self) -> int:
        return (self.net() * self.vat_percent + 50) // 100

    def calc(self) -> int:
        """What the customer pays: net plus VAT, in cents."""
        return self.net() + self.vat()
