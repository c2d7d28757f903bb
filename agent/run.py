"""One run of fix or edit: its sandbox and lanes, its clock, its test runs and timings, and the check of
one candidate (apply, compile, failing tests, suite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dagent.agent.budget import Budget
from dagent.agent.plan import FailureInfo
from dagent.agent.progress import Tracker
from dagent.agent.report import Timings, VerdictName
from dagent.errors import ApplyError
from dagent.ops.apply import apply_ops
from dagent.ops.model import Op
from dagent.sandbox.results import TestRun, compile_check, run_pytest
from dagent.sandbox.variants import FunctionSwap
from dagent.sandbox.worker import TestWorker
from dagent.sandbox.worktree import Sandbox

# A candidate's failures are compared and read for frames, never shown whole: Python's own traceback is
# enough there, and pytest's long style re-reads and formats each frame's source (a fifth of a run
# on a 3,500-line module).
CANDIDATE_TEST_ARGS = ("--tb=native",)
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "build", "dist", ".tox", "node_modules", ".eggs"}
Event = Callable[[str], None]
TEARDOWN_RESERVE_S = 1.0  # closing workers and sandboxes and writing the report, kept inside the budget


@dataclass
class Lane:
    """Where one candidate is validated: a sandbox's project dir and its warm worker (None: subprocesses)."""

    project_dir: Path
    worker: TestWorker | None


@dataclass
class Run:
    """State of one loop run."""

    sandbox: Sandbox
    budget: Budget
    test_args: list[str]
    began: float
    timings: Timings = field(default_factory=Timings)
    per_test_timeout_s: float | None = None
    call_timeouts: dict[str, float] = field(default_factory=dict)  # each baseline test's own limit
    worker: TestWorker | None = None  # a warm pytest server: a candidate's run costs a fork
    progress: Tracker = field(default_factory=lambda: Tracker(None, 0.0, 0.0))  # the display's events
    _timing_lock: threading.Lock = field(default_factory=threading.Lock)

    def remaining(self) -> float:
        """Seconds left for work: the budget less what has passed and the time to close lanes and sandboxes."""
        return self.budget.time_s - TEARDOWN_RESERVE_S - (time.perf_counter() - self.began)

    @property
    def deadline(self) -> float:
        """The perf_counter time at which work must stop (remaining() reaches 0)."""
        return self.began + self.budget.time_s - TEARDOWN_RESERVE_S

    def out_of_time(self) -> bool:
        return self.remaining() <= 0

    def count(self, **amounts: float) -> None:
        """Add to the run's timings and counters; safe from the lanes' threads."""
        with self._timing_lock:
            for name, amount in amounts.items():
                setattr(self.timings, name, getattr(self.timings, name) + amount)

    def main_lane(self) -> Lane:
        return Lane(self.sandbox.project_dir, self.worker)

    def tests(self, test_ids: list[str] | None = None, extra_args: Sequence[str] = (), lane: Lane | None = None) -> TestRun:
        """pytest in the lane's sandbox (the main one by default), cut at the deadline; hung tests fail
        after `per_test_timeout_s`. Safe from two threads in two lanes; test time adds up over lanes."""
        lane = lane or self.main_lane()
        began = time.perf_counter()
        timeout = self._run_timeout()
        args = [*CANDIDATE_TEST_ARGS, *self.test_args, *extra_args]  # the user's own options come later and win
        try:
            if lane.worker is not None:
                return lane.worker.run(test_ids, args, timeout_s=timeout,
                                       test_timeout_s=self.per_test_timeout_s, call_timeouts=self.call_timeouts)
            return run_pytest(lane.project_dir, test_ids, timeout_s=timeout, extra_args=args,
                              python=self.sandbox.python,
                              test_timeout_s=self.per_test_timeout_s, call_timeouts=self.call_timeouts)
        finally:
            self.count(test_s=time.perf_counter() - began)

    def screen(self, gate: list[str], test_ids: list[str], variants: list[list[FunctionSwap]],
               lane: Lane) -> list[TestRun | None]:  # fmt: skip
        """The `gate` tests (the failing ones), then `test_ids`, once per variant in one session of the lane's
        worker (see agent/screen.py); a variant under which the gate tests all fail stops there. Cut at the
        deadline; test time adds up as for `tests`."""
        assert lane.worker is not None
        began = time.perf_counter()
        per_test = self.per_test_timeout_s or self.budget.test_timeout_s
        variant_timeout = sum(self.call_timeouts.get(t, per_test) for t in [*gate, *test_ids]) + 1.0
        try:
            return lane.worker.run_variants([*gate, *test_ids], variants, [*CANDIDATE_TEST_ARGS, *self.test_args],
                                            timeout_s=self._run_timeout(), variant_timeout_s=variant_timeout,
                                            test_timeout_s=self.per_test_timeout_s, call_timeouts=self.call_timeouts,
                                            gate=gate)  # fmt: skip
        finally:
            spent = time.perf_counter() - began
            self.count(test_s=spent, screen_s=spent)

    def _run_timeout(self) -> float:
        """One pytest run's limit: --timeout, or the time left if that is less (at least half a second)."""
        return max(0.5, min(self.budget.test_timeout_s, self.remaining()))


def read_sources(project_dir: Path) -> dict[str, str]:
    """Every .py file of the project, by POSIX path relative to it."""
    sources: dict[str, str] = {}
    for file in sorted(project_dir.rglob("*.py")):
        rel = file.relative_to(project_dir)
        if SKIP_DIRS.intersection(rel.parts) or any(p.startswith(".") for p in rel.parts[:-1]):
            continue
        try:
            sources[rel.as_posix()] = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
    return sources


def failures_of(run: TestRun) -> list[FailureInfo]:
    failed = [o for o in run.outcomes if o.outcome in ("failed", "error")]
    found = [FailureInfo(o.test_id, o.message, o.details) for o in failed]
    found += [FailureInfo(f"collection error {i}", e.splitlines()[-1] if e else "", e) for i, e in enumerate(run.collection_errors)]
    return found


# ---------------------------------------------------------------- validating one candidate


@dataclass
class Check:
    """What validating one grammar candidate found."""

    name: VerdictName
    reason: str = ""
    failing: list[str] = field(default_factory=list)
    suite: TestRun | None = None  # the whole-suite run, when it got that far
    moved: bool = True  # the failing tests fail differently (or pass): the edited statement matters


def validate(run: Run, ops: Sequence[Op], target_failures: list[str], passed_before: set[str],
             must_pass_all: bool = True) -> Check:
    """Apply `ops` on a clean sandbox and test them: failing tests first, then the suite."""
    sandbox = run.sandbox
    sandbox.reset()
    if not ops:
        return Check("invalid", "no op in the stream")
    try:
        applied = apply_ops(sandbox.project_dir, ops)
    except ApplyError as err:
        return Check("apply_error", str(err).splitlines()[0])
    errors = compile_check(sandbox.project_dir, applied.paths())
    if errors:
        return Check("compile_error", errors[0])
    if target_failures:
        first = run.tests(target_failures)
        still = first.failed_ids() + [f"collection: {e.splitlines()[-1]}" for e in first.collection_errors if e]
        if still or first.timed_out:
            return Check("still_failing", "timed out" if first.timed_out else f"{len(still)} still failing", still)
    suite = run.tests()
    spoiled = spoiled_by(suite, passed_before)
    if spoiled is not None:
        return spoiled
    if must_pass_all and not suite.ok:
        return Check("still_failing", suite.summary(), suite.failed_ids())
    return Check("passes", suite.summary(), suite.failed_ids())


def spoiled_by(suite: TestRun, passed_before: set[str]) -> Check | None:
    """A suite run that rules a candidate out: it broke a test that passed before, or it timed out."""
    broke = sorted(passed_before.intersection(suite.failed_ids()))
    if broke:
        return Check("regression", f"broke {len(broke)} passing test(s)", broke)
    if suite.timed_out:
        return Check("still_failing", "the suite timed out", [])
    return None
