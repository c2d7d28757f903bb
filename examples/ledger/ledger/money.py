"""Money as a Decimal amount in one currency, rounded half-up to the currency's minor unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0, "KWD": 3}


class CurrencyMismatch(ValueError):
    """Arithmetic between two currencies."""


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


@dataclass(frozen=True, order=True)
class Money:
    amount: Decimal
    currency: str = "EUR"

    def __post_init__(self) -> None:
        exact = Decimal(str(self.amount)) if isinstance(self.amount, float) else Decimal(self.amount)
        rounded = exact.quantize(_quantum(self.currency), rounding=ROUND_HALF_UP)
        object.__setattr__(self, "amount", rounded)

    @classmethod
    def zero(cls, currency: str = "EUR") -> Money:
        return cls(Decimal(0), currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal | str) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split by integer weights; leftover minor units go to the first parts, so nothing is lost."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError(f"weights must be non-negative with a positive sum, got {weights}")
        unit = _quantum(self.currency)
        units = int(self.amount / unit)
        total = sum(weights)
        shares = [units * w // total for w in weights]
        for i in range(units - sum(shares)):
            shares[i] += 1
        return [Money(share * unit, self.currency) for share in shares]

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"
