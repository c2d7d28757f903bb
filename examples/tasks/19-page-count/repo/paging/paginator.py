"""Split a sequence into numbered pages (1-based)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    number: int
    items: Sequence[T]
    has_previous: bool
    has_next: bool


class Paginator(Generic[T]):
    def __init__(self, items: Sequence[T], per_page: int) -> None:
        if per_page < 1:
            raise ValueError(f"per_page must be at least 1, got {per_page}")
        self.items = items
        self.per_page = per_page

    @property
    def page_count(self) -> int:
        """At least one page, even when there are no items."""
        return max(1, (len(self.items) + self.per_page) // self.per_page)

    def page(self, number: int) -> Page[T]:
        if not 1 <= number <= self.page_count:
            raise IndexError(f"page {number} out of 1..{self.page_count}")
        start = (number - 1) * self.per_page
        return Page(
            number,
            self.items[start : start + self.per_page],
            has_previous=number > 1,
            has_next=number < self.page_count,
        )

    def page_of(self, index: int) -> int:
        """The page that shows items[index]."""
        return index // self.per_page + 1
