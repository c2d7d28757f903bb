"""The todo list on disk: one JSON file, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

FORMAT_VERSION = 1


class StoreError(Exception):
    """The file exists but cannot be read as a todo list."""


@dataclass
class Item:
    id: int
    title: str
    done: bool = False
    due: date | None = None
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> Item:
        due = date.fromisoformat(data["due"]) if data.get("due") else None
        return cls(data["id"], data["title"], data.get("done", False), due, list(data.get("tags", [])))


@dataclass
class TodoList:
    items: list[Item] = field(default_factory=list)

    def add(self, title: str, due: date | None = None, tags: list[str] | None = None) -> Item:
        next_id = max((item.id for item in self.items), default=0) + 1
        item = Item(next_id, title, due=due, tags=sorted(set(tags or [])))
        self.items.append(item)
        return item

    def get(self, item_id: int) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no todo with id {item_id}")

    def remove(self, item_id: int) -> Item:
        item = self.get(item_id)
        self.items.remove(item)
        return item


def load(path: Path) -> TodoList:
    if not path.exists():
        return TodoList()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return TodoList([Item.from_json(raw) for raw in data["items"]])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: not a todo file ({exc})") from exc


def save(todos: TodoList, path: Path) -> None:
    """Write to a temporary file in the same folder, then rename over the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": FORMAT_VERSION, "items": [item.to_json() for item in todos.items]}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)
