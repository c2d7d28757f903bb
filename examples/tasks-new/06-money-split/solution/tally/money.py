"""Fixed-point money values kept as integer minor units (cents), with fair allocation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3, "CHF": 2}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def exponent(currency: str) -> int:
    try:
        return EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


@dataclass(frozen=True, order=False)
class Money:
    minor: int
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int):
            raise TypeError("minor units must be an int")
        exponent(self.currency)

    # construction -----------------------------------------------------------------------
    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str = "USD", rounding: str = ROUND_HALF_EVEN) -> Money:
        exp = exponent(currency)
        value = Decimal(str(amount)) * (Decimal(10) ** exp)
        return cls(int(value.quantize(Decimal(1), rounding=rounding)), currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> Money:
        return cls(0, currency)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    # arithmetic -------------------------------------------------------------------------
    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __mul__(self, factor: int | Decimal | str) -> Money:
        if isinstance(factor, Money):
            raise TypeError("cannot multiply two amounts")
        product = Decimal(self.minor) * Decimal(str(factor))
        return Money(int(product.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.minor >= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def is_negative(self) -> bool:
        return self.minor < 0

    def percent(self, rate: str | Decimal, rounding: str = ROUND_HALF_UP) -> Money:
        """`rate` percent of this amount, e.g. Money.of("19.99").percent("7.25") (sales tax)."""
        value = Decimal(self.minor) * Decimal(str(rate)) / Decimal(100)
        return Money(int(value.quantize(Decimal(1), rounding=rounding)), self.currency)

    def __str__(self) -> str:
        return format_money(self)


def allocate(total: Money, ratios: list[int]) -> list[Money]:
    """Split `total` in proportion to `ratios`, no minor unit lost; remainders go to the first parts.

    allocate($0.05, [3, 7]) -> [$0.02, $0.03]: floor shares 1 and 3, one cent left, given to part 0.
    """
    if not ratios:
        raise ValueError("at least one ratio")
    if any(r < 0 for r in ratios):
        raise ValueError("ratios must not be negative")
    weight = sum(ratios)
    if weight == 0:
        raise ValueError("ratios must not all be zero")
    sign = -1 if total.minor < 0 else 1
    units = abs(total.minor)
    shares = [units * r // weight for r in ratios]
    remainder = units - sum(shares)
    for i in range(remainder):
        shares[i % len(shares)] += 1
    return [Money(sign * s, total.currency) for s in shares]


def split_even(total: Money, parts: int) -> list[Money]:
    """`total` in `parts` near-equal amounts that add up to it exactly."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    return allocate(total, [1] * parts)


def parse_money(text: str, default_currency: str = "USD") -> Money:
    """'$1,234.50', '12.30 EUR', '-£3', 'JPY 500', '(4.00)' (accounting negative)."""
    s = text.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    if s.startswith("-"):
        negative, s = not negative, s[1:].strip()
    currency = default_currency
    for code in EXPONENTS:
        if s.upper().startswith(code):
            currency, s = code, s[len(code):].strip()
            break
        if s.upper().endswith(code):
            currency, s = code, s[: -len(code)].strip()
            break
    for code, symbol in SYMBOLS.items():
        if s.startswith(symbol):
            currency, s = code, s[len(symbol):].strip()
            break
    if s.startswith("-"):
        negative, s = not negative, s[1:].strip()
    digits = s.replace(",", "").replace("_", "")
    if not digits or digits.count(".") > 1 or not digits.replace(".", "").isdigit():
        raise ValueError(f"not an amount: {text!r}")
    if "." in digits and len(digits.split(".")[1]) > exponent(currency):
        raise ValueError(f"too many decimals for {currency}: {text!r}")
    money = Money.of(digits, currency)
    return -money if negative else money


def format_money(money: Money, symbol: bool = True, grouping: bool = True, accounting: bool = False) -> str:
    exp = exponent(money.currency)
    units = abs(money.minor)
    whole, frac = divmod(units, 10 ** exp)
    body = f"{whole:,}" if grouping else str(whole)
    if exp:
        body += "." + str(frac).zfill(exp)
    if symbol and money.currency in SYMBOLS:
        body = SYMBOLS[money.currency] + body
    else:
        body = f"{body} {money.currency}"
    if money.minor < 0:
        return f"({body})" if accounting else f"-{body}"
    return body
