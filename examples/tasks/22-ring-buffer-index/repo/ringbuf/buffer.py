"""A fixed-size ring buffer that overwrites the oldest item when full."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class RingBuffer:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._slots: list[Any] = [None] * capacity
        self._start = 0
        self._size = 0

    def append(self, item: Any) -> None:
        end = (self._start + self._size) % self.capacity
        self._slots[end] = item
        if self._size == self.capacity:
            self._start = (self._start + 1) % self.capacity
        else:
            self._size += 1

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: int) -> Any:
        """Oldest item at 0, newest at -1."""
        if not -self._size <= index <= self._size:
            raise IndexError(f"index {index} out of range for {self._size} items")
        if index < 0:
            index += self._size
        return self._slots[(self._start + index) % self.capacity]

    def __iter__(self) -> Iterator[Any]:
        for i in range(self._size):
            yield self[i]

    def pop_oldest(self) -> Any:
        if not self._size:
            raise IndexError("pop from an empty buffer")
        item = self._slots[self._start]
        self._slots[self._start] = None
        self._start = (self._start + 1) % self.capacity
        self._size -= 1
        return item
