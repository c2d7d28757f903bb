"""Prices in cents: percentage discounts, tax, and formatting."""

from __future__ import annotations


def apply_discount(cents: int, percent: float) -> int:
    """Price after a `percent` discount, rounded to the nearest cent."""
    if not 0 <= percent <= 100:
        raise ValueError(f"discount must be 0..100 %, got {percent}")
    return round(cents * (1 - percent / 100))


def add_tax(cents: int, rate_percent: float) -> int:
    return round(cents * (1 + rate_percent / 100))


def format_price(cents: int, currency: str = "$") -> str:
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}{currency}{dollars:,}.{rest:02d}"
