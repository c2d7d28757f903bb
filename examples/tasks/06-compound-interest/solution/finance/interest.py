"""Compound interest and loan payments with Decimal arithmetic, rounded to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def compound(principal: Decimal, annual_rate: Decimal, years: int, periods_per_year: int = 12) -> Decimal:
    """Value of `principal` after `years`, compounded `periods_per_year` times a year."""
    if periods_per_year < 1:
        raise ValueError("periods_per_year must be at least 1")
    rate = annual_rate / periods_per_year
    return _cents(principal * (1 + rate) ** (years * periods_per_year))


def monthly_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The fixed payment that repays `principal` in `months` (annuity formula)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    rate = annual_rate / 12
    if rate == 0:
        return _cents(principal / months)
    return _cents(principal * rate / (1 - (1 + rate) ** -months))


def schedule(principal: Decimal, annual_rate: Decimal, months: int) -> list[tuple[int, Decimal, Decimal]]:
    """(month, interest paid, balance after) for each month; the last payment absorbs rounding."""
    payment = monthly_payment(principal, annual_rate, months)
    balance, rows = principal, []
    for month in range(1, months + 1):
        interest = _cents(balance * annual_rate / 12)
        paid = balance + interest if month == months else payment
        balance = balance + interest - paid
        rows.append((month, interest, balance))
    return rows
