"""Jobs with durations and dependencies: ordering, levels and the critical path."""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field


class CycleError(ValueError):
    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


@dataclass
class JobGraph:
    durations: dict[str, int] = field(default_factory=dict)
    deps: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, name: str, duration: int, after: tuple[str, ...] | list[str] = ()) -> None:
        if duration <= 0:
            raise ValueError(f"{name}: duration must be positive")
        if name in self.durations:
            raise ValueError(f"{name} is defined twice")
        self.durations[name] = duration
        self.deps[name] = set(after)

    def missing(self) -> dict[str, set[str]]:
        """Dependencies that name no job, per job."""
        out = {}
        for name, deps in self.deps.items():
            unknown = deps - self.durations.keys()
            if unknown:
                out[name] = unknown
        return out

    def dependents(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {name: set() for name in self.durations}
        for name, deps in self.deps.items():
            for dep in deps:
                out.setdefault(dep, set()).add(name)
        return out

    def find_cycle(self) -> list[str] | None:
        WHITE, GREY, BLACK = 0, 1, 2
        colour = dict.fromkeys(self.durations, WHITE)
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            colour[node] = GREY
            stack.append(node)
            for dep in sorted(self.deps.get(node, ())):
                if dep not in colour:
                    continue
                if colour[dep] == GREY:
                    return stack[stack.index(dep):] + [dep]
                if colour[dep] == WHITE:
                    found = visit(dep)
                    if found:
                        return found
            stack.pop()
            colour[node] = BLACK
            return None

        for node in sorted(self.durations):
            if colour[node] == WHITE:
                found = visit(node)
                if found:
                    return found
        return None

    def order(self) -> list[str]:
        """A topological order; among ready jobs, alphabetical."""
        if self.missing():
            name, unknown = next(iter(sorted(self.missing().items())))
            raise KeyError(f"{name} depends on unknown {sorted(unknown)}")
        indegree = {name: len(self.deps[name]) for name in self.durations}
        ready = [name for name, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        dependents = self.dependents()
        result = []
        while ready:
            name = heapq.heappop(ready)
            result.append(name)
            for nxt in dependents[name]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    heapq.heappush(ready, nxt)
        if len(result) != len(self.durations):
            raise CycleError(self.find_cycle() or sorted(set(self.durations) - set(result)))
        return result

    def levels(self) -> list[list[str]]:
        """Jobs grouped by the length of their longest dependency chain."""
        depth: dict[str, int] = {}
        for name in self.order():
            depth[name] = 1 + max((depth[d] for d in self.deps[name]), default=-1)
        grouped: dict[int, list[str]] = defaultdict(list)
        for name, level in depth.items():
            grouped[level].append(name)
        return [sorted(grouped[level]) for level in sorted(grouped)]

    def earliest_starts(self) -> dict[str, int]:
        start: dict[str, int] = {}
        for name in self.order():
            start[name] = max((start[d] + self.durations[d] for d in self.deps[name]), default=0)
        return start

    def makespan(self) -> int:
        starts = self.earliest_starts()
        return max((starts[n] + self.durations[n] for n in starts), default=0)

    def critical_path(self) -> list[str]:
        """The chain of jobs with no slack, from first to last."""
        starts = self.earliest_starts()
        if not starts:
            return []
        end = max(starts, key=lambda n: (starts[n] + self.durations[n], n))
        path = [end]
        while self.deps[path[-1]]:
            current = path[-1]
            path.append(max(self.deps[current], key=lambda d: (starts[d] + self.durations[d], d)))
        return path[::-1]

    def slack(self) -> dict[str, int]:
        starts = self.earliest_starts()
        horizon = self.makespan()
        latest_finish = {name: horizon for name in starts}
        dependents = self.dependents()
        for name in reversed(self.order()):
            for nxt in dependents[name]:
                latest_finish[name] = min(latest_finish[name], latest_finish[nxt] - self.durations[nxt])
        return {name: latest_finish[name] - self.durations[name] - starts[name] for name in starts}
