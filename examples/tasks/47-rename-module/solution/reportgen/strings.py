"""String helpers for fixed-width text reports."""

from __future__ import annotations


def pad_left(text: str, width: int) -> str:
    return text.rjust(width)


def pad_right(text: str, width: int) -> str:
    return text.ljust(width)


def truncate(text: str, width: int, marker: str = "…") -> str:
    """At most `width` characters; a cut text ends with `marker`."""
    if len(text) <= width:
        return text
    return text[: max(0, width - len(marker))] + marker[:width]


def format_number(value: float, digits: int = 0) -> str:
    """Thousands separators and a fixed number of decimals: 1234567.891 -> '1,234,567.89'."""
    return f"{value:,.{digits}f}"
