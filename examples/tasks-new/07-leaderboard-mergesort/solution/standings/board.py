"""A leaderboard: entries sorted by a stable merge sort, ranked with the usual tie rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def merge_sort(items: Sequence[T], key: Callable[[T], Any] = lambda x: x, reverse: bool = False) -> list[T]:
    """A stable sort: equal keys keep their input order, also when `reverse` is true."""
    if not items:
        return []
    if len(items) == 1:
        return list(items)
    mid = len(items) // 2
    left = merge_sort(items[:mid], key, reverse)
    right = merge_sort(items[mid:], key, reverse)
    return _merge(left, right, key, reverse)


def _merge(left: list[T], right: list[T], key: Callable[[T], Any], reverse: bool) -> list[T]:
    out: list[T] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = key(left[i]), key(right[j])
        take_right = a < b if reverse else b < a
        if take_right:
            out.append(right[j])
            j += 1
        else:
            out.append(left[i])
            i += 1
    out.extend(left[i:])
    out.extend(right[j:])
    return out


def rank(scores: Sequence[float], method: str = "competition") -> list[int]:
    """Ranks for scores already sorted best first.

    competition: 1, 2, 2, 4   dense: 1, 2, 2, 3   ordinal: 1, 2, 3, 4
    """
    if method not in ("competition", "dense", "ordinal"):
        raise ValueError(f"unknown ranking method {method!r}")
    ranks: list[int] = []
    for i, score in enumerate(scores):
        if i and method != "ordinal" and score == scores[i - 1]:
            ranks.append(ranks[-1])
        elif method == "dense":
            ranks.append(ranks[-1] + 1 if ranks else 1)
        else:
            ranks.append(i + 1)
    return ranks


@dataclass(frozen=True)
class Entry:
    player: str
    score: float
    submitted: int = 0  # a sequence number; earlier submissions win ties when tie_break is "earliest"


@dataclass
class Leaderboard:
    higher_is_better: bool = True
    tie_break: str = "earliest"
    _best: dict[str, Entry] = field(default_factory=dict)
    _clock: int = 0

    def submit(self, player: str, score: float) -> bool:
        """Record a score; True when it is the player's new best."""
        if not player:
            raise ValueError("player name required")
        self._clock += 1
        entry = Entry(player, score, self._clock)
        old = self._best.get(player)
        if old is None or self._better(score, old.score):
            self._best[player] = entry
            return True
        return False

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.higher_is_better else a < b

    def remove(self, player: str) -> None:
        self._best.pop(player, None)

    def __len__(self) -> int:
        return len(self._best)

    def best(self, player: str) -> float | None:
        entry = self._best.get(player)
        return None if entry is None else entry.score

    def ordered(self) -> list[Entry]:
        entries = merge_sort(list(self._best.values()), key=lambda e: e.submitted)
        if self.tie_break == "name":
            entries = merge_sort(entries, key=lambda e: e.player)
        return merge_sort(entries, key=lambda e: e.score, reverse=self.higher_is_better)

    def standings(self, method: str = "competition") -> list[tuple[int, str, float]]:
        entries = self.ordered()
        ranks = rank([e.score for e in entries], method)
        return [(r, e.player, e.score) for r, e in zip(ranks, entries)]

    def top(self, n: int) -> list[str]:
        if n < 0:
            raise ValueError("n must not be negative")
        return [e.player for e in self.ordered()[:n]]

    def position(self, player: str, method: str = "competition") -> int | None:
        for r, name, _ in self.standings(method):
            if name == player:
                return r
        return None

    def merged(self, others: Iterable[Leaderboard]) -> Leaderboard:
        """A new board holding every player's best over this board and the others."""
        out = Leaderboard(self.higher_is_better, self.tie_break)
        for board in [self, *others]:
            if board.higher_is_better != self.higher_is_better:
                raise ValueError("cannot merge boards with opposite score directions")
            for entry in merge_sort(list(board._best.values()), key=lambda e: e.submitted):
                out.submit(entry.player, entry.score)
        return out
