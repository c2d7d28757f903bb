"""Put jobs on a small pool of workers, within working windows.

Time is in whole hours from the start of the plan. A worker is available in windows
[start, end): a job of duration d may start at hour s in a window when s + d <= end.
Jobs do not span windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobplan.graph import JobGraph


class ScheduleError(RuntimeError):
    pass


@dataclass(frozen=True)
class Assignment:
    job: str
    worker: str
    start: int
    end: int


@dataclass
class Worker:
    name: str
    windows: list[tuple[int, int]]
    busy: list[tuple[int, int]] = field(default_factory=list)

    def free_at(self, start: int, end: int) -> bool:
        return all(end <= b_start or start >= b_end for b_start, b_end in self.busy)

    def first_slot(self, not_before: int, duration: int) -> int | None:
        """Earliest start >= not_before where the job fits in a window and the worker is free."""
        for w_start, w_end in sorted(self.windows):
            for start in range(max(w_start, not_before), w_end - duration):
                if self.free_at(start, start + duration):
                    return start
        return None


class Scheduler:
    def __init__(self, graph: JobGraph, workers: dict[str, list[tuple[int, int]]]) -> None:
        if not workers:
            raise ValueError("at least one worker is needed")
        for name, windows in workers.items():
            for start, end in windows:
                if not 0 <= start < end:
                    raise ValueError(f"{name}: bad window {(start, end)}")
        self.graph = graph
        self.workers = {name: Worker(name, list(windows)) for name, windows in workers.items()}

    def plan(self) -> list[Assignment]:
        """Greedy list scheduling: jobs in dependency order, longest-chain first among ties,
        each on the worker where it can finish earliest."""
        done: dict[str, Assignment] = {}
        slack = self.graph.slack()
        order = self.graph.order()
        position = {name: i for i, name in enumerate(order)}
        pending = sorted(order, key=lambda n: (self._depth(n), slack[n], position[n]))
        for job in pending:
            ready = max((done[d].end for d in self.graph.deps[job]), default=0)
            duration = self.graph.durations[job]
            best: tuple[int, str] | None = None
            for worker in self.workers.values():
                start = worker.first_slot(ready, duration)
                if start is not None and (best is None or (start, worker.name) < best):
                    best = (start, worker.name)
            if best is None:
                raise ScheduleError(f"{job} ({duration}h) fits in no window after hour {ready}")
            start, name = best
            self.workers[name].busy.append((start, start + duration))
            done[job] = Assignment(job, name, start, start + duration)
        return sorted(done.values(), key=lambda a: (a.start, a.worker))

    def _depth(self, job: str) -> int:
        depth, frontier = 0, set(self.graph.deps[job])
        while frontier:
            depth += 1
            frontier = set().union(*(self.graph.deps[d] for d in frontier))
        return depth

    @staticmethod
    def utilisation(assignments: list[Assignment], horizon: int) -> dict[str, float]:
        if horizon <= 0:
            raise ValueError("horizon must be positive")
        used: dict[str, int] = {}
        for a in assignments:
            used[a.worker] = used.get(a.worker, 0) + (a.end - a.start)
        return {worker: round(hours / horizon, 3) for worker, hours in sorted(used.items())}

    @staticmethod
    def gantt(assignments: list[Assignment], width: int | None = None) -> str:
        """One line a worker: '#' busy hours, '.' idle, up to the last end."""
        end = width if width is not None else max((a.end for a in assignments), default=0)
        rows = {}
        for a in assignments:
            row = rows.setdefault(a.worker, ["."] * end)
            for hour in range(a.start, min(a.end, end)):
                row[hour] = "#"
        return "\n".join(f"{w:>8} |{''.join(r)}|" for w, r in sorted(rows.items()))
