"""Conway's Game of Life on a bounded board (cells beyond the edge are dead)."""

from __future__ import annotations

from collections.abc import Iterator


class Board:
    def __init__(self, rows: int, cols: int, alive: set[tuple[int, int]] = frozenset()) -> None:
        self.rows = rows
        self.cols = cols
        self.alive = {cell for cell in alive if self.inside(*cell)}

    @classmethod
    def parse(cls, picture: str) -> Board:
        lines = picture.strip().splitlines()
        alive = {(r, c) for r, line in enumerate(lines) for c, ch in enumerate(line) if ch == "#"}
        return cls(len(lines), max(map(len, lines)), alive)

    def inside(self, row: int, col: int) -> bool:
        return 0 <= row < self.rows and 0 <= col < self.cols

    def neighbors(self, row: int, col: int) -> Iterator[tuple[int, int]]:
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r, c = row + dr, col + dc
                if (dr or dc) and 0 <= r < self.rows and 0 <= c < self.rows:
                    yield r, c

    def live_neighbors(self, row: int, col: int) -> int:
        return sum(cell in self.alive for cell in self.neighbors(row, col))

    def step(self) -> Board:
        born_or_kept = {
            (r, c)
            for r in range(self.rows)
            for c in range(self.cols)
            if self.live_neighbors(r, c) == 3 or (r, c) in self.alive and self.live_neighbors(r, c) == 2
        }
        return Board(self.rows, self.cols, born_or_kept)

    def __str__(self) -> str:
        return "\n".join(
            "".join("#" if (r, c) in self.alive else "." for c in range(self.cols)) for r in range(self.rows)
        )
