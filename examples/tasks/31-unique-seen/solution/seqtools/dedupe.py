"""Order-preserving de-duplication and friends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def unique(items: Iterable[T], key: Callable[[T], Hashable] | None = None) -> list[T]:
    """The first occurrence of each item (or of each key), in order."""
    seen: set[Hashable] = set()
    out = []
    for item in items:
        marker = key(item) if key else item
        if marker in seen:
            continue
        seen.add(marker)
        out.append(item)
    return out


def duplicates(items: Iterable[Hashable]) -> list[Hashable]:
    """Items that occur more than once, in order of first occurrence."""
    counts = Counter(items)
    return [item for item, count in counts.items() if count > 1]


def group_by(items: Iterable[T], key: Callable[[T], Any]) -> dict[Any, list[T]]:
    groups: dict[Any, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups
