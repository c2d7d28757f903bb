"""The fix loop: test, localise, search, validate; and the edit loop beside it.

`dagent fix` is a search: the repair grammar's candidates at the suspect statements, in the search's
order (`agent/search.py`), each applied in the sandbox, run against the failing tests in a fork of a
warm pytest server, then against the suite, and undone; the model's whole-line rewrites come last,
while time is left. The budget is a deadline: every test run is cut at it.

Everything runs in a git sandbox; the user's tree is only written by `apply_to_tree`, which the CLI
calls on --apply. A test that passed before and fails after disqualifies a candidate.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dagent.agent.baseline import Baseline, run_baseline
from dagent.agent.budget import Budget, default_lanes
from dagent.agent.localize import is_test_path, traceback_frames
from dagent.agent.plan import FailureInfo, plan_edit, plan_fix
from dagent.agent.progress import OnProgress, Suspect, Tracker
from dagent.agent.search import (Candidate, Evidence, ModelRanker, RankMode, fill_candidates, grammar_candidates, locations,
                                 next_candidate, order)
from dagent.agent.screen import SCREEN_BATCH, located, swaps_for
from dagent.agent.report import Attempt, RunReport, Timings, VerdictName
from dagent.errors import ApplyError, DagentError
from dagent.ops.apply import apply_ops
from dagent.ops.model import Op
from dagent.ops.syntax import parse, render
from dagent.sandbox.results import CoverageMap, TestRun, compile_check, run_pytest
from dagent.sandbox.editable import needs_install
from dagent.sandbox.variants import FunctionSwap
from dagent.sandbox.worker import TestWorker
from dagent.sandbox.worktree import Sandbox

if TYPE_CHECKING:  # the proposer loads torch and transformers: seconds a grammar-only run never pays
    from dagent.agent.proposer import Proposal, Proposer

# A candidate's failures are compared and read for frames, never shown whole: Python's own traceback is
# enough there, and pytest's long style re-reads and formats each frame's source (a fifth of a run
# on a 3,500-line module).
CANDIDATE_TEST_ARGS = ("--tb=native",)
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "build", "dist", ".tox", "node_modules", ".eggs"}
Event = Callable[[str], None]
# the plan's context text and the run's deadline (perf_counter time) -> the model's scorer and filler
RankerFactory = Callable[[str, float], ModelRanker]
MIN_TEST_TIMEOUT_S = 1.0  # a candidate whose test loops costs about this
MAX_PARTIALS = 3  # partial fixes a level builds on, fewest tests left failing first
MODEL_PHASE_MIN_S = 15.0  # loading the model and one sampling call: less time left is not worth starting
TEARDOWN_RESERVE_S = 1.0  # closing workers and sandboxes and writing the report, kept inside the budget


@dataclass
class _Lane:
    """Where one candidate is validated: a sandbox's project dir and its warm worker (None: subprocesses)."""

    project_dir: Path
    worker: TestWorker | None


@dataclass
class _Run:
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

    def main_lane(self) -> _Lane:
        return _Lane(self.sandbox.project_dir, self.worker)

    def tests(self, test_ids: list[str] | None = None, extra_args: Sequence[str] = (), lane: _Lane | None = None) -> TestRun:
        """pytest in the lane's sandbox (the main one by default), cut at the deadline; hung tests fail
        after `per_test_timeout_s`. Safe from two threads in two lanes; test time adds up over lanes."""
        lane = lane or self.main_lane()
        began = time.perf_counter()
        timeout = max(0.5, min(self.budget.test_timeout_s, self.remaining()))
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


def screen_runs(run: _Run, gate: list[str], test_ids: list[str], variants: list[list[FunctionSwap]],
                lane: _Lane) -> list[TestRun | None]:  # fmt: skip
    """The `gate` tests (the failing ones), then `test_ids`, once per variant in one session of the lane's
    worker (see agent/screen.py); a variant under which the gate tests all fail stops there. Cut at the
    deadline; test time adds up as for `_Run.tests`."""
    assert lane.worker is not None
    began = time.perf_counter()
    per_test = run.per_test_timeout_s or run.budget.test_timeout_s
    variant_timeout = sum(run.call_timeouts.get(t, per_test) for t in [*gate, *test_ids]) + 1.0
    try:
        return lane.worker.run_variants([*gate, *test_ids], variants, [*CANDIDATE_TEST_ARGS, *run.test_args],
                                        timeout_s=max(0.5, min(run.budget.test_timeout_s, run.remaining())),
                                        variant_timeout_s=variant_timeout, test_timeout_s=run.per_test_timeout_s,
                                        call_timeouts=run.call_timeouts, gate=gate)  # fmt: skip
    finally:
        spent = time.perf_counter() - began
        run.count(test_s=spent, screen_s=spent)


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


def validate(run: _Run, ops: Sequence[Op], target_failures: list[str], passed_before: set[str],
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
    spoiled = _spoiled(suite, passed_before)
    if spoiled is not None:
        return spoiled
    if must_pass_all and not suite.ok:
        return Check("still_failing", suite.summary(), suite.failed_ids())
    return Check("passes", suite.summary(), suite.failed_ids())


def _spoiled(suite: TestRun, passed_before: set[str]) -> Check | None:
    """A suite run that rules a candidate out: it broke a test that passed before, or it timed out."""
    broke = sorted(passed_before.intersection(suite.failed_ids()))
    if broke:
        return Check("regression", f"broke {len(broke)} passing test(s)", broke)
    if suite.timed_out:
        return Check("still_failing", "the suite timed out", [])
    return None


# ---------------------------------------------------------------- a run's start


def _silent(message: str) -> None:
    """Where the caller listens to no event."""


@contextlib.contextmanager
def _opened(project: Path, budget: Budget, test_args: list[str], say: Event,
            on_progress: OnProgress | None) -> Iterator[_Run]:  # fmt: skip
    """A run of fix or edit: its clock (from dagent's start: the user's), its progress, its sandbox."""
    began = budget.started_at or time.perf_counter()
    progress = Tracker(on_progress, began, budget.time_s)
    progress.phase("setup")
    with Sandbox(project, isolate=budget.isolate, python=budget.python) as sandbox:
        say(sandbox.interpreter.describe())
        yield _Run(sandbox, budget, test_args, began, progress=progress)


# ---------------------------------------------------------------- fix


def run_fix(path: Path, model: str | None = None, budget: Budget | None = None, test_expr: str | None = None,
            on_event: Event | None = None, proposer: Proposer | None = None, seed: int = 0,
            rank: RankMode = "grammar", ranker_factory: RankerFactory | None = None,
            on_progress: OnProgress | None = None) -> RunReport:
    """Find a change that makes the failing tests pass without breaking passing ones.

    The repair grammar's candidates at the suspect lines come first, in the search's order; the
    model's whole-line rewrites follow if the time budget allows. The budget is a deadline: every
    test run is cut at it.
    """
    budget = budget or Budget()
    say = on_event or _silent
    with _opened(path, budget, ["-k", test_expr] if test_expr else [], say, on_progress) as run:
        sandbox, progress = run.sandbox, run.progress
        report = RunReport(command="fix", project=str(path), fixed=False, status="")
        if budget.isolate:
            say("tests run under bwrap: your repo and home are read-only to them (--isolate)")
        found = _baseline(run, say)
        if found is not None and not found.run.timed_out and (why := needs_install(found.run, sandbox.project_dir)):
            run.progress.phase("setup")  # said at normal verbosity: the run's environment changes
            say(f"{why}: installing the project in editable mode into an environment of the sandbox's own")
            sandbox.install()
            run.progress.phase("baseline")
            found = _baseline(run, say)
        if found is None or found.run.timed_out:
            report.status = _baseline_cut(run, found.run if found else None)
            return _finish(report, run)
        coverage = found.coverage
        baseline = coverage.run
        report.failing_before = baseline.failed_ids()
        progress.failing(report.failing_before)
        _say_failures(baseline, sandbox.project_dir, say)
        if baseline.ok:
            report.fixed, report.status = True, "all tests pass: nothing to fix"
            return _finish(report, run)
        if not baseline.outcomes and not baseline.collection_errors:
            raise DagentError(f"pytest ran no test in {sandbox.project_dir} ({baseline.summary()}): nothing to fix")
        run.per_test_timeout_s = _candidate_test_timeout(baseline, budget)
        run.call_timeouts = call_timeouts(baseline, budget)
        with contextlib.ExitStack() as stack:
            run.worker = _warm_worker(run, baseline, stack, say)
            report.test_runner = "subprocess" if run.worker is None else "worker"
            lanes = [run.main_lane(), *_more_lanes(run, stack, say)]
            report.lanes = len(lanes)
            run.timings.baseline_s = time.perf_counter() - run.began
            run.timings.baseline_test_s = run.timings.test_s
            winning = RepairSearch(run, report, coverage, say, rank, ranker_factory, seed, lanes).search()
            if winning is None and budget.model_rewrites and run.remaining() > MODEL_PHASE_MIN_S and not report.fixed:
                proposer = proposer or _load(model, budget, say, run)
                winning = _fix_rounds(run, report, proposer, coverage, seed, say)
                _take_model_stats(run, proposer)
        run.worker = None
        if winning is not None:  # the report's op stream: rendered once, here
            report.ops = render(winning)
            sandbox.reset()
            apply_ops(sandbox.project_dir, winning)
            report.diff = sandbox.diff()
        elif run.out_of_time():
            report.status = f"time budget of {budget.time_s:.0f}s spent"
        return _finish(report, run)


def _say_failures(baseline: TestRun, project: Path, say: Event, shown: int = 8) -> None:
    """Each failing test and why; a hung one with the line it was stuck at (its dumped stack)."""
    failing = [o for o in baseline.outcomes if o.outcome in ("failed", "error")]
    for outcome in failing[:shown]:
        frames = [f for f in traceback_frames(outcome.details, project) if not is_test_path(f.path)]
        stuck = f", stuck at {frames[0].path}:{frames[0].line}" if outcome.timed_out and frames else ""
        say(f"failing: {outcome.test_id}: {outcome.message}{stuck}")
    if len(failing) > shown:
        say(f"failing: ... and {len(failing) - shown} more")


CROSS_CHECK_PASSING = 20  # passing tests run through the worker beside the failing ones, to compare


def _warm_worker(run: _Run, baseline: TestRun, stack: contextlib.ExitStack, say: Event) -> TestWorker | None:
    """A warm test worker, unless the user asked for isolated runs or it disagrees with the baseline
    (a plain pytest subprocess) on the failing tests and some passing ones: then None, subprocesses."""
    if run.budget.isolated_tests:
        say("tests run in a fresh interpreter each (--isolated-tests)")
        return None
    run.worker = stack.enter_context(run.sandbox.worker())  # run.tests below goes through it
    sample = [o.test_id for o in baseline.outcomes if not o.timed_out and o.outcome in ("failed", "error")]
    passing = sorted((o for o in baseline.outcomes if o.outcome == "passed"), key=lambda o: o.duration_s)
    sample += [o.test_id for o in passing[:CROSS_CHECK_PASSING]]  # the fastest: a slow test is no sample
    differ = disagreements(baseline, run.tests(sample), sample) if sample else []
    if differ:
        say(f"the warm test worker disagrees with plain pytest on {len(differ)} test(s) ({differ[0]}): "
            "running every candidate's tests in a fresh interpreter")
        return None
    return run.worker


def _more_lanes(run: _Run, stack: contextlib.ExitStack, say: Event) -> list[_Lane]:
    """Lanes beside the main one: a twin sandbox with its own warm worker each. Only with the worker:
    a lane's run in flight must stop when the run is interrupted, and retiring a worker does that."""
    wanted = run.budget.lanes if run.budget.lanes is not None else default_lanes()
    if wanted <= 1 or run.worker is None:
        return []
    lanes = []
    for _ in range(wanted - 1):
        twin = stack.enter_context(run.sandbox.twin())
        worker = stack.enter_context(twin.worker())
        stack.callback(worker.retire)
        lanes.append(_Lane(twin.project_dir, worker))
    say(f"validating {wanted} candidates at a time, each in its own sandbox")
    return lanes


def disagreements(baseline: TestRun, check: TestRun, test_ids: Iterable[str]) -> list[str]:
    """Of `test_ids`, those whose pass/fail differs between the two runs (missing from `check`: differs)."""
    out = []
    for test_id in test_ids:
        before, after = baseline.outcome_of(test_id), check.outcome_of(test_id)
        if before is None or before.outcome == "skipped":
            continue
        if after is None or (after.outcome == "passed") != (before.outcome == "passed"):
            out.append(test_id)
    return out


def _baseline(run: _Run, say: Event) -> Baseline | None:
    """The plain suite, then coverage where localisation needs it (see agent/baseline.py), cut at the
    budget left or --timeout, whichever comes first; None when no time was left to start it."""
    if run.out_of_time():
        return None
    run.progress.phase("baseline")
    say("running the tests in a sandbox, then coverage of the tests that can localise the failure")
    timeout = min(run.budget.test_timeout_s, run.remaining())
    found = run_baseline(run.sandbox.project_dir, run.test_args, timeout, run.budget.per_test_timeout_s,
                         python=run.sandbox.python)
    run.timings.test_s += found.plain_s + found.traced_s
    run.timings.baseline_plain_s, run.timings.baseline_traced_s = found.plain_s, found.traced_s
    run.timings.traced_tests = len(found.traced)
    return found


def _baseline_cut(run: _Run, cut: TestRun | None) -> str:
    """The status of a run whose baseline did not finish: what it learned, which limit cut it, what to raise."""
    if run.remaining() <= 0.5:
        limit = f"the time budget of {run.budget.time_s:.0f}s"
        advice = "raise --budget (the plain suite must run once before any candidate)"
    else:
        limit, advice = f"--timeout {run.budget.test_timeout_s:.0f}s", "raise --timeout"
    learned = ""
    if cut is not None and cut.finished_before_cut:
        failing = [o.test_id for o in cut.finished_before_cut if o.outcome in ("failed", "error")]
        learned = f" {len(cut.finished_before_cut)} test(s) had finished, {len(failing)} failing"
        learned += f" ({', '.join(failing[:3])}{', ...' if len(failing) > 3 else ''});" if failing else ";"
    if cut is not None and cut.running_when_cut:
        learned += f" it was running {cut.running_when_cut};"
    return f"the baseline test run did not finish within {limit}, so no edit was tried;{learned} {advice}"


def _candidate_test_timeout(baseline: TestRun, budget: Budget) -> float:
    """A candidate's test may hang (an edited loop bound): cut each test well above its baseline time."""
    slowest = max((o.duration_s for o in baseline.outcomes if not o.timed_out), default=0.0)
    return _limit_for(slowest, budget, slack_s=1.0)


def _limit_for(duration_s: float, budget: Budget, slack_s: float) -> float:
    """A few times a baseline duration, at least MIN_TEST_TIMEOUT_S, at most --per-test-timeout."""
    return min(budget.per_test_timeout_s, max(MIN_TEST_TIMEOUT_S, 5 * duration_s + slack_s))


def call_timeouts(baseline: TestRun, budget: Budget) -> dict[str, float]:
    """Each passing test's own limit for its body: a few times its baseline time, at least a second.
    Failing tests keep the run-wide limit (a fix may make a test that failed at once run its loop), and
    so do setup and teardown (a session fixture is paid by whichever test comes first)."""
    return {o.test_id: _limit_for(o.duration_s, budget, slack_s=0.5) for o in baseline.outcomes if o.outcome == "passed"}


def _load(model: str | None, budget: Budget, say: Event, run: _Run) -> Proposer:
    from dagent.agent.proposer import Proposer

    run.progress.phase("model")
    say("loading the model")
    return Proposer(model, k=budget.k)


def _take_model_stats(run: _Run, proposer: Proposer) -> None:
    stats = proposer.stats
    run.timings.model_s, run.timings.model_load_s = stats.model_s, stats.load_s
    run.timings.forwards, run.timings.tokens_written = stats.forwards, stats.tokens_written


def _fix_rounds(run: _Run, report: RunReport, proposer: Proposer, coverage: CoverageMap, seed: int,
                say: Event) -> list[Op] | None:  # fmt: skip
    """The model's whole-line rewrites at the planner's targets: the last family of the search."""
    from dagent.agent.proposer import rank_proposals

    sandbox, budget = run.sandbox, run.budget
    base_ops: list[Op] = []
    base_run = coverage.run
    tests_by_line = coverage.tests_by_line()
    passed_before = set(base_run.passed_ids())
    targets = budget.max_targets
    built_on: list[Attempt] = []  # the partial rewrites the next rounds build on
    for round_no in range(1, budget.max_rounds + 1):
        if run.out_of_time():
            report.status = f"time budget of {budget.time_s:.0f}s spent"
            return None
        report.rounds += 1
        sandbox.reset()
        if base_ops:
            apply_ops(sandbox.project_dir, base_ops)
        sources = read_sources(sandbox.project_dir)
        failing = base_run.failed_ids()
        plan = plan_fix(failures_of(base_run), sources, tests_by_line, project_dir=sandbox.project_dir,
                        passed=passed_before)
        if not plan.targets:
            report.status = "no suspicious line found"
            return None
        say(f"model rewrites: {len(failing)} failing, {min(targets, len(plan.targets))} suspect line(s)")
        deadline = run.deadline
        proposals = rank_proposals(proposer.for_targets(plan, sources, targets, seed + 101 * round_no, deadline))
        run.progress.level(round_no, len(proposals), (), phase="model")
        best = _try_all(run, report, proposals, base_ops, failing, passed_before, report.rounds, say)
        if report.fixed and best is not None:
            for attempt in built_on:
                attempt.kept = True
            return [*base_ops, *best[0].ops]
        if run.out_of_time():
            return None
        if best is None:  # nothing got closer: widen the search instead of building on a guess
            targets += 4
            continue
        proposal, attempt = best
        built_on.append(attempt)
        run.progress.building_on(proposal.source, _first_line(proposal.text), attempt.failing_after, attempt.rank)
        base_ops = [*base_ops, *proposal.ops]
        sandbox.reset()
        apply_ops(sandbox.project_dir, base_ops)
        base_run = run.tests()
        say(f"building on the most promising candidate: {len(base_run.failed_ids())} failing now")
    if not report.status:
        report.status = f"no candidate passed in {report.rounds} round(s)"


def _try_all(run: _Run, report: RunReport, proposals: list[Proposal], base_ops: list[Op], failing: list[str],
             passed_before: set[str], round_no: int, say: Event) -> tuple[Proposal, Attempt] | None:
    """Validate candidates in rank order; return the best partial one (fewer failures, no regression)
    with its attempt, or the winner's when one passes."""
    best: tuple[Proposal, Attempt] | None = None
    for place, proposal in enumerate(proposals, 1):
        if run.out_of_time():
            report.status = f"time budget of {run.budget.time_s:.0f}s spent"
            return best
        verdict = _validate_proposal(run, proposal, base_ops, failing, passed_before)
        attempt = Attempt(round=round_no, source=proposal.source, ops=proposal.text, score=proposal.score,
                          verdict=verdict.name, reason=verdict.reason, failing_after=verdict.failing,
                          rank=place, of=len(proposals))
        report.attempts.append(attempt)
        report.candidates_tried += 1
        say(f"  {proposal.source:6} {verdict.name:14} {_first_line(proposal.text)}")
        run.progress.tried(verdict.name, proposal.source, _first_line(proposal.text), verdict.failing,
                           len(proposals) - place, place)
        if verdict.name == "passes":
            attempt.kept = True
            report.fixed, report.failing_after, report.status = True, [], "fixed: the whole suite passes"
            return proposal, attempt
        if verdict.name == "still_failing" and len(verdict.failing) < len(failing):
            if best is None or len(verdict.failing) < len(best[1].failing_after):
                best = proposal, attempt
    return best


def _validate_proposal(run: _Run, proposal: Proposal, base_ops: list[Op], failing: list[str],
                       passed_before: set[str], must_pass_all: bool = True) -> Check:
    """A stream that did not parse is rejected as it is; the others are validated on top of `base_ops`."""
    if proposal.invalid is not None:
        return Check("invalid", proposal.invalid)
    return validate(run, [*base_ops, *proposal.ops], failing, passed_before, must_pass_all)


def _first_line(ops: str) -> str:
    lines = ops.splitlines()
    return " | ".join(lines[:4])[:110]


def _finish(report: RunReport, run: _Run) -> RunReport:
    report.timings = Timings(**{**run.timings.model_dump(), "wall_s": time.perf_counter() - run.began})
    return report


# ---------------------------------------------------------------- the repair search


Verdicts = list[tuple[Candidate, Check | None]]  # a lane's job: each candidate's verdict; None: check it in full


@dataclass
class _Kept:
    """A partial fix the search builds on, and the state to go back to when that leads nowhere."""

    candidate: Candidate
    saved: dict[str, bytes]
    failures: list[FailureInfo]
    failing: list[str]
    signature: frozenset[tuple[str, str, str]]
    passed_before: set[str]


class RepairSearch:
    """Grammar candidates in the search's order, each applied in the sandbox, tested and undone.

    A candidate that makes some failing tests pass and breaks none is a partial fix. When a round ends
    without a fix, the search goes one level deeper on top of each partial fix in turn (fewest tests
    left failing first), at the other statements only: that is how a fix in two places is found, and
    a partial fix that only happens to satisfy one test does not trap the search.
    """

    def __init__(self, run: _Run, report: RunReport, coverage: CoverageMap, say: Event, rank: RankMode,
                 ranker_factory: RankerFactory | None, seed: int, lanes: list[_Lane] | None = None) -> None:
        self.run, self.report, self.say = run, report, say
        self.cut: set[Future[Check]] = set()  # runs in flight cut when another lane found the fix
        self.lanes = lanes or [run.main_lane()]  # all kept at the same state: the partial fixes built on
        self.rank, self.ranker_factory, self.seed = rank, ranker_factory, seed
        self.tests_by_line = coverage.tests_by_line()
        self.failures = failures_of(coverage.run)
        self.failing = coverage.run.failed_ids()
        self.hung = any(o.timed_out for o in coverage.run.outcomes)
        self.signature = _signature(coverage.run, self.failing)
        self.passed_before = set(coverage.run.passed_ids())
        self.base: list[Op] = []  # the partial fixes built on, outermost first
        self.chain: list[Attempt] = []  # their attempts, for the report
        self.attempt_of: dict[int, Attempt] = {}  # id(candidate) -> its attempt
        self.position: dict[int, int] = {}  # id(candidate) -> its place in its level's order (1: first)
        self.level_size = 0
        self.swaps: dict[int, FunctionSwap | None] = {}  # id(candidate) -> its screening variant (None: not eligible)
        self.confirming = threading.Lock()  # held while a would-be winner's whole suite runs
        self.screened: set[int] = set()  # id(candidate) of those a screen sent on to the full check

    def search(self) -> list[Op] | None:
        """The winning ops (all levels), or None when nothing passed before the budget or the levels ran out."""
        self._level(1, frozenset())
        if self.report.fixed:
            return self.base
        if not self.report.status:
            self.report.status = f"no candidate passed ({self.report.rounds} level(s) of search)"
        return None

    def _level(self, depth: int, excluded: frozenset[tuple[str, int]]) -> None:
        self.report.rounds = max(self.report.rounds, depth)
        ordered = self._candidates(depth, excluded)
        if not ordered and depth == 1:
            self.report.status = "no candidate edit at the suspect lines"
        partials = self._validate_all(ordered, depth)
        if self.report.fixed or depth >= self.run.budget.max_rounds:
            return
        for candidate, check in sorted(partials, key=lambda p: len(p[1].failing))[:MAX_PARTIALS]:
            if self.run.out_of_time():
                return
            kept = self._build_on(candidate, check)
            if kept is None:
                continue  # the suite showed it breaks a test its coverage did not reach
            self._level(depth + 1, excluded | {(candidate.repair.path, candidate.repair.start)})
            if self.report.fixed:
                return
            self._let_go(kept)

    def _candidates(self, depth: int, excluded: frozenset[tuple[str, int]]) -> list[Candidate]:
        project = self.run.sandbox.project_dir
        sources = read_sources(project)
        plan = plan_fix(self.failures, sources, self.tests_by_line, project_dir=project, passed=self.passed_before)
        where = locations(plan.suspicions, sources)
        deadline = self.run.deadline
        ranker = self._ranker(plan.render(), deadline)
        began = time.perf_counter()
        found = grammar_candidates(where, sources, deadline=deadline)
        if ranker is not None and ranker.fill is not None:
            found += fill_candidates(where, sources, ranker.fill)
        found = [c for c in found if (c.repair.path, c.repair.start) not in excluded]
        ordered = order(found, self.rank, ranker.score if ranker else None, self.seed + depth,
                        self.run.budget.max_candidates)
        self.swaps = dict(zip(map(id, ordered), swaps_for([c.repair for c in ordered], sources)))
        if ranker is not None:
            self.run.timings.model_s += time.perf_counter() - began
        scores = {(s.path, s.line): s.score for s in plan.suspicions}
        self.position, self.level_size = {id(c): i for i, c in enumerate(ordered, 1)}, len(ordered)
        self.run.progress.level(depth, len(ordered), tuple(Suspect(w.path, w.line, scores.get((w.path, w.line), w.weight))
                                                           for w in where))
        self.say(f"level {depth}: {len(self.failing)} failing; {len(ordered)} candidate edits at "
                 f"{len(where)} suspect statement(s), ranked by {self.rank}")  # fmt: skip
        return ordered

    def _ranker(self, context: str, deadline: float) -> ModelRanker | None:
        """The model's scorer and filler, or None (the grammar's order) when the model does not rank or
        too little time is left to load it and score: the budget holds for the model too."""
        if self.rank != "model" or self.ranker_factory is None:
            return None
        if self.run.remaining() < MODEL_PHASE_MIN_S:
            self.say(f"ranking by the grammar's order: {self.run.remaining():.0f}s left is too little for the model")
            return None
        return self.ranker_factory(context, deadline)

    def _validate_all(self, ordered: list[Candidate], depth: int) -> list[tuple[Candidate, Check]]:
        """Validate in order, one candidate per lane at a time, until one passes or the budget ends;
        the partial fixes met on the way. With two lanes the order is kept for starting candidates,
        results are taken as they come (a candidate in flight when another passes is still recorded)."""
        remaining = list(ordered)
        evidence = Evidence() if self.rank != "random" else None  # the shuffled baseline stays blind
        partials: list[tuple[Candidate, Check]] = []
        free = list(reversed(self.lanes))
        flying: dict[Future[Verdicts], _Lane] = {}
        with ThreadPoolExecutor(len(self.lanes), thread_name_prefix="dagent-lane") as pool:
            try:
                while True:
                    while free and remaining and not self.report.fixed and not self.run.out_of_time():
                        lane = free.pop()
                        flying[self._start(pool, self._next_batch(remaining, evidence, lane), lane)] = lane
                    if not flying:
                        break
                    done, _ = wait(flying, return_when=FIRST_COMPLETED)
                    for future in done:
                        free.append(flying.pop(future))
                        if future in self.cut:
                            continue  # its run was cut once another lane's candidate fixed the bug: no verdict
                        sent_on = []  # by the screen: the full check comes next, in their order
                        for candidate, check in future.result():
                            if check is None:
                                self.screened.add(id(candidate))
                                sent_on.append(candidate)
                            elif not self.report.fixed or check.name != "passes":
                                self._take(candidate, check, depth, evidence, partials, len(remaining))
                        remaining[:0] = sent_on
                    if self.report.fixed:
                        self._cut(flying)
            except BaseException:  # Ctrl-C or a failure: cut the lanes' runs before the pool waits on them
                for lane in self.lanes:
                    if lane.worker is not None:
                        lane.worker.retire()
                raise
        if remaining and not self.report.fixed and self.run.out_of_time():
            self.report.status = f"time budget of {self.run.budget.time_s:.0f}s spent"
        return partials

    def _cut(self, flying: dict[Future[Verdicts], _Lane]) -> None:
        """The fix is found: stop the other lanes' runs (a would-be second winner's suite run can take
        seconds on a big project) instead of waiting for them."""
        for future, lane in flying.items():
            if future not in self.cut and lane.worker is not None:
                self.cut.add(future)
                lane.worker.retire()

    def _next_batch(self, remaining: list[Candidate], evidence: Evidence | None, lane: _Lane) -> list[Candidate]:
        """The next candidate; with the ones after it while they can be screened together (see agent/screen.py)."""
        batch = [next_candidate(remaining, evidence)]
        if not self._screenable(batch[0], lane):
            return batch
        while remaining and len(batch) < SCREEN_BATCH:
            candidate = next_candidate(remaining, evidence)
            if not self._screenable(candidate, lane):
                remaining.insert(0, candidate)
                break
            batch.append(candidate)
        if len(batch) == 1:  # one alone: the full check costs what its screen would
            self.screened.add(id(batch[0]))
        return batch

    def _screenable(self, candidate: Candidate, lane: _Lane) -> bool:
        return (lane.worker is not None and not self.hung and id(candidate) not in self.screened
                and self.swaps.get(id(candidate)) is not None)  # fmt: skip

    def _start(self, pool: ThreadPoolExecutor, batch: list[Candidate], lane: _Lane) -> Future[Verdicts]:
        job = self._screen if len(batch) > 1 else self._check_one
        if len(self.lanes) > 1:
            return pool.submit(job, batch, lane)
        done: Future[Verdicts] = Future()  # one lane: inline, so Ctrl-C lands in the test run itself, as before
        done.set_result(job(batch, lane))
        return done

    def _check_one(self, batch: list[Candidate], lane: _Lane) -> Verdicts:
        return [(batch[0], self._check(batch[0], lane))]

    def _screen(self, batch: list[Candidate], lane: _Lane) -> Verdicts:
        """Each candidate's failing tests in one session (its function's code swapped); a candidate that
        leaves them all failing is judged here, the rest (None) take the full check."""
        variants = [[located(swap, lane.project_dir)] for swap in (self.swaps[id(c)] for c in batch) if swap is not None]
        siblings = self._siblings()
        runs = screen_runs(self.run, self.failing, siblings, variants, lane)
        verdicts: Verdicts = []
        for candidate, first in zip(batch, runs):
            check = None if first is None else self._still_failing(first) or _spoiled(first, set(siblings))
            if check is not None:
                check.reason += " (screened)"
                self.run.count(screened=1)
            verdicts.append((candidate, check))
        return verdicts

    def _take(self, candidate: Candidate, check: Check, depth: int, evidence: Evidence | None,
              partials: list[tuple[Candidate, Check]], left: int = 0) -> None:
        if evidence is not None:
            evidence.note(candidate, check.moved)
        self._record(candidate, check, depth, left)
        if check.name == "passes" and not self.report.fixed:
            for attempt in [*self.chain, self.attempt_of[id(candidate)]]:
                attempt.kept = True
            self.base = [*self.base, *candidate.ops()]
            self.report.fixed, self.report.failing_after = True, []
            self.report.status = "fixed: the whole suite passes"
        elif check.name == "partial":
            partials.append((candidate, check))

    def _check(self, candidate: Candidate, lane: _Lane) -> Check:
        """Apply in the lane's sandbox, run the failing tests, then the suite; the sandbox is put back either way."""
        project = lane.project_dir
        ops = candidate.ops()
        saved = {op.path: (project / op.path).read_bytes() for op in ops if (project / op.path).is_file()}
        try:
            apply_ops(project, ops)
        except ApplyError as err:
            return Check("apply_error", str(err).splitlines()[0])
        try:
            _drop_bytecode(project, saved)
            return self._test(candidate, lane)
        finally:
            _put_back(project, saved)

    def _test(self, candidate: Candidate, lane: _Lane) -> Check:
        # When failing tests hang, a candidate that leaves the first one hanging is done with: stop there.
        first = self.run.tests(self.failing, ["--maxfail=1"] if self.hung else [], lane)
        passed = set(first.passed_ids())
        still = [t for t in self.failing if t not in passed]  # a test stopped before it ran still fails
        still += [f"collection: {e.splitlines()[-1]}" for e in first.collection_errors if e]
        if first.timed_out:
            return Check("still_failing", "timed out", still)
        verdict = self._still_failing(first)
        if verdict is not None:
            return verdict
        covering = self._covering(candidate)
        if covering:  # the passing tests that execute the edit: a regression shows there first, cheaply
            spoiled = _spoiled(self.run.tests(covering, lane=lane), self.passed_before)
            if spoiled is not None:
                return spoiled
        if still:  # a partial fix: the suite runs only if the search builds on it (see _build_on)
            return Check("partial", f"{len(still)} of {len(self.failing)} still failing", still)
        with self.confirming:  # one would-be winner's suite at a time: a second waits, and is cut if the first wins
            if self.report.fixed:
                return Check("still_failing", "another candidate fixed the bug first", still)
            began = time.perf_counter()
            suite = self.run.tests(lane=lane)  # a would-be winner is confirmed by the whole suite
            self.run.count(confirm_s=time.perf_counter() - began)
        spoiled = _spoiled(suite, self.passed_before)
        if spoiled is not None:
            return spoiled
        if suite.ok:
            return Check("passes", suite.summary(), [], suite)
        return Check("partial", f"{len(suite.failed_ids())} of {len(self.failing)} still failing", suite.failed_ids(), suite)

    def _still_failing(self, first: TestRun) -> Check | None:
        """The verdict on a candidate whose failing tests all still fail (`first` ran them); None if any passed."""
        passed = set(first.passed_ids())
        still = [t for t in self.failing if t not in passed]
        still += [f"collection: {e.splitlines()[-1]}" for e in first.collection_errors if e]
        if len(still) < len(self.failing):
            return None
        ran = {o.test_id for o in first.outcomes}
        moved = _signature(first, self.failing) != frozenset(entry for entry in self.signature if entry[0] in ran)
        return Check("still_failing", f"{len(still)} still failing", still, moved=moved)

    def _siblings(self) -> list[str]:
        """The passing tests of the failing tests' own functions (other parameters of a parametrized
        test): the likeliest to show that an edit which fixes one case breaks another."""
        functions = {test_id.split("[", 1)[0] for test_id in self.failing}
        return sorted(t for t in self.passed_before if t.split("[", 1)[0] in functions)

    def _covering(self, candidate: Candidate) -> list[str]:
        """Passing tests whose coverage touches the edited lines (with a line either side, for inserts),
        and the failing tests' siblings, when they are a real subset of the suite (else the suite run
        alone is cheaper)."""
        r = candidate.repair
        tests = set().union(*(self.tests_by_line.get((r.path, line), set()) for line in range(r.start - 1, r.end + 2)))
        tests = (tests | set(self._siblings())) & self.passed_before
        return sorted(tests) if len(tests) < len(self.passed_before) // 2 else []

    def _record(self, candidate: Candidate, check: Check, round_no: int, left: int = 0) -> None:
        r, rank = candidate.repair, self.position.get(id(candidate))
        attempt = Attempt(
            round=round_no, source=f"grammar:{r.family}", ops=render(candidate.ops()),
            score=candidate.model_score, verdict=check.name, reason=check.reason, failing_after=check.failing,
            path=r.path, line=r.start, family=r.family, note=r.note, rank=rank, of=self.level_size)
        self.report.attempts.append(attempt)
        self.attempt_of[id(candidate)] = attempt
        self.report.candidates_tried += 1
        self.say(f"  {check.name:14} {candidate.describe()}")
        self.run.progress.tried(check.name, attempt.source, candidate.describe(), check.failing, left, rank)

    def _build_on(self, candidate: Candidate, check: Check) -> _Kept | None:
        """Keep a partial fix in every lane and make its failures the search's; None (nothing kept) when
        the whole suite, run here only for the partials built on, shows it breaks a passing test."""
        project = self.run.sandbox.project_dir
        ops = candidate.ops()
        kept = _Kept(candidate, {op.path: (project / op.path).read_bytes() for op in ops}, self.failures,
                     self.failing, self.signature, set(self.passed_before))
        for lane in self.lanes:  # the same files in every lane, so the saved bytes serve them all
            apply_ops(lane.project_dir, ops)
            _drop_bytecode(lane.project_dir, kept.saved)
        suite = check.suite or self.run.tests()
        spoiled = _spoiled(suite, self.passed_before)
        if spoiled is not None:
            for lane in self.lanes:
                _put_back(lane.project_dir, kept.saved)
            self.say(f"not building on {candidate.describe()}: the whole suite {spoiled.reason}")
            return None
        self.base = [*self.base, *ops]
        self.passed_before |= set(suite.passed_ids())
        self.failures, self.failing = failures_of(suite), suite.failed_ids()
        self.signature = _signature(suite, self.failing)
        self.say(f"building on {candidate.describe()}: {len(self.failing)} failing now")
        self.chain.append(self.attempt_of[id(candidate)])
        self.run.progress.building_on(f"grammar:{candidate.repair.family}", candidate.describe(), self.failing,
                                      self.position.get(id(candidate)))
        return kept

    def _let_go(self, kept: _Kept) -> None:
        for lane in self.lanes:
            _put_back(lane.project_dir, kept.saved)
        self.base = self.base[: -len(kept.candidate.ops())]
        self.chain.pop()
        self.failures, self.failing, self.signature = kept.failures, kept.failing, kept.signature
        self.passed_before = kept.passed_before


def _signature(run: TestRun, only: Iterable[str] | None = None) -> frozenset[tuple[str, str, str]]:
    """How the failing tests fail: outcome and message of each (only those in `only`, when given)."""
    wanted = set(only) if only is not None else None
    return frozenset((o.test_id, o.outcome, o.message) for o in run.outcomes
                     if o.outcome != "passed" and (wanted is None or o.test_id in wanted))


def _put_back(project: Path, saved: dict[str, bytes]) -> None:
    """Undo an edit: the files' saved bytes written back (exactly: line endings too), bytecode dropped."""
    for path, data in saved.items():
        (project / path).write_bytes(data)
    _drop_bytecode(project, saved)


def _drop_bytecode(project: Path, paths: Iterable[str]) -> None:
    """A same-size edit within one second would let Python trust a stale .pyc: drop it."""
    for rel in paths:
        source = project / rel
        for cached in (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"):
            cached.unlink(missing_ok=True)


# ---------------------------------------------------------------- edit


def run_edit(instruction: str, path: Path, project: Path, symbol: str | None = None, model: str | None = None,
             budget: Budget | None = None, on_event: Event | None = None, seed: int = 0,
             proposer: Proposer | None = None, on_progress: OnProgress | None = None) -> RunReport:
    """Make the instructed edit; the tests that passed before must still pass."""
    from dagent.agent.proposer import Proposal, rank_proposals

    budget = budget or Budget()
    say = on_event or _silent
    with _opened(project, budget, [], say, on_progress) as run:
        sandbox, progress = run.sandbox, run.progress
        progress.phase("baseline")
        say("running the tests in a sandbox")
        baseline = run.tests()
        progress.failing(baseline.failed_ids())
        passed_before = set(baseline.passed_ids())
        sources = read_sources(sandbox.project_dir)
        rel = path.resolve().relative_to(project.resolve()).as_posix() if path.is_file() else None
        plan = plan_edit(instruction, sources, path_hint=rel, symbol_hint=symbol)
        report = RunReport(command="edit", project=str(project), fixed=False, status="", instruction=instruction,
                           failing_before=baseline.failed_ids(), rounds=1)
        if plan.op is not None:
            stream = render(plan.ops or [plan.op])  # rendered for the report; parsed back as every proposal is
            say(f"the instruction maps onto a structural op: {stream.strip()}")
            proposals = [Proposal("structural", stream)]
        else:
            proposer = proposer or _load(model, budget, say, run)
            proposals = rank_proposals(proposer.for_instruction(plan.context, seed, run.deadline))
        progress.level(1, len(proposals), (), phase="validate")
        winner = _try_edits(run, report, proposals, passed_before, say)
        if winner is not None:
            report.ops = winner.text
            sandbox.reset()
            apply_ops(sandbox.project_dir, winner.ops)
            report.diff = sandbox.diff()
            report.failing_after = run.tests().failed_ids()
        elif not report.status:
            report.status = "no candidate made the edit without breaking a test"
        if proposer is not None and plan.op is None:
            _take_model_stats(run, proposer)
        return _finish(report, run)


def _try_edits(run: _Run, report: RunReport, proposals: list[Proposal], passed_before: set[str],
               say: Event) -> Proposal | None:  # fmt: skip
    for place, proposal in enumerate(proposals, 1):
        if run.out_of_time():
            report.status = f"time budget of {run.budget.time_s:.0f}s spent"
            return None
        verdict = _validate_proposal(run, proposal, [], [], passed_before, must_pass_all=False)
        attempt = Attempt(round=1, source=proposal.source, ops=proposal.text, score=proposal.score,
                          verdict=verdict.name, reason=verdict.reason, failing_after=verdict.failing,
                          rank=place, of=len(proposals), kept=verdict.name == "passes")
        report.attempts.append(attempt)
        report.candidates_tried += 1
        say(f"  {proposal.source:10} {verdict.name:14} {_first_line(proposal.text)}")
        run.progress.tried(verdict.name, proposal.source, _first_line(proposal.text), verdict.failing,
                           len(proposals) - place, place)
        if verdict.name == "passes":
            report.fixed, report.status = True, "edited: no passing test broke"
            return proposal
    return None


# ---------------------------------------------------------------- the user's tree


def apply_to_tree(report: RunReport) -> None:
    """Write the winning ops into the user's project (all or nothing): only on --apply."""
    if not report.fixed or not report.ops:
        raise DagentError("there is no successful change to apply")
    apply_ops(Path(report.project), parse(report.ops))
    report.applied = True


def find_project(path: Path) -> Path:
    """The directory pytest should run in for `path`: the nearest ancestor with project markers."""
    markers = ("pyproject.toml", "setup.cfg", "setup.py", "pytest.ini", "tox.ini", "conftest.py")
    start = path if path.is_dir() else path.parent
    for folder in [start, *start.parents]:
        if any((folder / m).exists() for m in markers) or (folder / ".git").exists():
            return folder
    return start
