"""A run's progress as data: the loop emits `Progress` events, a display (agent/app/display.py) draws them.

`say(str)` stays the run's log (what `dagent ci` and `-v` print); these events are what a live status
line and a short summary are built from, with no string parsing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

# setup: sandbox and interpreter; baseline: the tests run before any edit; prepare: failing tests known,
# worker and lanes starting; search: the repair grammar's candidates; model: the model's rewrites;
# validate: `dagent edit`'s candidates
Phase = Literal["setup", "baseline", "prepare", "search", "model", "validate"]
Kind = Literal["status", "suspects", "tried", "building_on"]


@dataclass(frozen=True)
class Suspect:
    path: str
    line: int
    score: float  # the localisation's suspiciousness (Ochiai x the line's bug prior)


@dataclass(frozen=True)
class Tried:
    """One validated candidate."""

    verdict: str  # a report.VerdictName
    source: str  # "grammar:<family>", "model", "structural"
    description: str  # where and what: "stats/core.py:49 off_by_one `a` → `a + 1`"
    level: int
    rank: int | None = None  # its place in the search's order at its level (1: first)
    passing: int = 0  # of the tests failing at the start, how many pass with it


@dataclass(frozen=True)
class Progress:
    kind: Kind
    phase: Phase
    elapsed_s: float
    budget_s: float
    level: int = 0
    made: int = 0  # candidates made at this level (proposals in the model and edit phases)
    validated: int = 0  # candidates validated in the whole run
    left: int = 0  # candidates still to validate at this level
    best_passing: int = 0  # the most of the tests failing at the start any candidate made pass
    of_failing: int = 0  # how many tests failed at the start
    tried: Tried | None = None  # kind tried / building_on
    suspects: tuple[Suspect, ...] = ()  # kind suspects: the level's suspect statements, most suspect first


OnProgress = Callable[[Progress], None]


class Tracker:
    """The counters behind the events, kept by the loop; emits nothing without a callback."""

    def __init__(self, on_progress: OnProgress | None, began: float, budget_s: float) -> None:
        self.on_progress, self.began = on_progress, began
        self.state = Progress("status", "setup", 0.0, budget_s)
        self.failing_at_start: frozenset[str] = frozenset()

    def emit(self, kind: Kind = "status", **changes: object) -> None:
        self.state = replace(self.state, kind=kind, elapsed_s=time.perf_counter() - self.began, **changes)  # type: ignore[arg-type]
        if self.on_progress is not None:
            self.on_progress(self.state)
        self.state = replace(self.state, kind="status", tried=None, suspects=())

    def phase(self, phase: Phase, **changes: object) -> None:
        self.emit(phase=phase, **changes)

    def failing(self, test_ids: list[str]) -> None:
        self.failing_at_start = frozenset(test_ids)
        self.emit(phase="prepare", of_failing=len(test_ids))

    def level(self, level: int, made: int, suspects: tuple[Suspect, ...], phase: Phase = "search") -> None:
        self.emit("suspects" if suspects else "status", phase=phase, level=level, made=made, left=made, suspects=suspects)

    def passing(self, verdict: str, failing_after: list[str]) -> int:
        """Of the tests failing at the start, how many pass given a candidate's verdict and failing tests."""
        if verdict == "passes":
            return len(self.failing_at_start)
        if verdict not in ("partial", "still_failing"):
            return 0
        return len(self.failing_at_start - set(failing_after))

    def tried(self, verdict: str, source: str, description: str, failing_after: list[str], left: int,
              rank: int | None = None) -> None:
        passing = self.passing(verdict, failing_after)
        tried = Tried(verdict, source, description, self.state.level, rank, passing)
        self.emit("tried", validated=self.state.validated + 1, left=left, tried=tried,
                  best_passing=max(self.state.best_passing, passing))

    def building_on(self, source: str, description: str, failing_after: list[str], rank: int | None = None) -> None:
        """A partial fix the next level (or round) builds on."""
        tried = Tried("partial", source, description, self.state.level, rank, self.passing("partial", failing_after))
        self.emit("building_on", tried=tried)
