"""A priority queue of jobs: lower priority numbers first, FIFO among equals."""

from __future__ import annotations

import heapq
from typing import Any


class JobQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Any]] = []
        self._counter = 0

    def push(self, job: Any, priority: int = 0) -> None:
        heapq.heappush(self._heap, (priority, self._counter, job))

    def pop(self) -> Any:
        if not self._heap:
            raise IndexError("pop from an empty queue")
        return heapq.heappop(self._heap)[2]

    def peek(self) -> Any:
        if not self._heap:
            raise IndexError("peek at an empty queue")
        return self._heap[0][2]

    def __len__(self) -> int:
        return len(self._heap)

    def drain(self) -> list[Any]:
        """Every job in the order pop would return them."""
        return [self.pop() for _ in range(len(self))]
