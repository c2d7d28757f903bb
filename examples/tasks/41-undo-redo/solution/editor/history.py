"""Undo and redo for a text buffer, as a history of reversible edits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Insert:
    at: int
    text: str

    def apply(self, buffer: str) -> str:
        return buffer[: self.at] + self.text + buffer[self.at :]

    def revert(self, buffer: str) -> str:
        return buffer[: self.at] + buffer[self.at + len(self.text) :]


class History:
    def __init__(self, text: str = "") -> None:
        self.text = text
        self._done: list[Insert] = []
        self._undone: list[Insert] = []

    def do(self, edit: Insert) -> None:
        self.text = edit.apply(self.text)
        self._done.append(edit)
        self._undone.clear()

    def undo(self) -> bool:
        if not self._done:
            return False
        edit = self._done.pop()
        self.text = edit.revert(self.text)
        self._undone.append(edit)
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        edit = self._undone.pop()
        self.text = edit.apply(self.text)
        self._done.append(edit)
        return True

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)
