"""Which todos to show: by status, tag, text and due date, in a stable order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from todo.store import Item


@dataclass(frozen=True)
class Filter:
    status: str = "open"  # open, done or all
    tag: str | None = None
    text: str | None = None
    due_before: date | None = None
    overdue_on: date | None = None

    def matches(self, item: Item) -> bool:
        if self.status == "open" and item.done or self.status == "done" and not item.done:
            return False
        if self.tag is not None and self.tag not in item.tags:
            return False
        if self.text is not None and self.text.lower() not in item.title.lower():
            return False
        if self.due_before is not None and (item.due is None or item.due > self.due_before):
            return False
        if self.overdue_on is not None and (item.due is None or item.due >= self.overdue_on or item.done):
            return False
        return True


def select(items: list[Item], flt: Filter) -> list[Item]:
    """Matching items, those with a due date first (earliest first), then the rest by id."""
    chosen = [item for item in items if flt.matches(item)]
    return sorted(chosen, key=lambda item: (item.due is None, item.due or date.min, item.id))
