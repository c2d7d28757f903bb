"""The fix loop: test, localise, search, validate; and the edit loop beside it.

`dagent fix` is a search: the repair grammar's candidates at the suspect statements, in the search's
order (`agent/search.py`), screened in batches and checked in the lanes' sandboxes (`agent/repair_search.py`:
the failing tests in a fork of a warm pytest server, then the suite, and undone); the model's whole-line
rewrites come last, while time is left (`agent/rewrites.py`). The budget is a deadline: every test run is
cut at it (`agent/run.py`).

Everything runs in a git sandbox; the user's tree is only written by `apply_to_tree`, which the CLI
calls on --apply. A test that passed before and fails after disqualifies a candidate.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dagent.agent.baseline import Baseline, run_baseline
from dagent.agent.budget import MODEL_PHASE_MIN_S, Budget, default_lanes
from dagent.agent.plan import plan_edit
from dagent.agent.progress import OnProgress, Tracker
from dagent.agent.repair_search import RankerFactory, RepairSearch
from dagent.agent.report import RunReport, Timings
from dagent.agent.rewrites import record_proposal, rewrite_rounds, validate_proposal
from dagent.agent.run import Check, Event, Lane, Run, read_sources
from dagent.agent.search import RankMode
from dagent.agent.source_index import is_test_path
from dagent.agent.tracebacks import traceback_frames
from dagent.errors import DagentError
from dagent.ops.apply import apply_ops
from dagent.ops.syntax import parse, render
from dagent.sandbox.editable import needs_install
from dagent.sandbox.results import TestRun
from dagent.sandbox.worker import TestWorker
from dagent.sandbox.worktree import Sandbox

if TYPE_CHECKING:  # the proposer loads torch and transformers: seconds a grammar-only run never pays
    from dagent.agent.proposer import Proposal, Proposer

MIN_TEST_TIMEOUT_S = 1.0  # a candidate whose test loops costs about this


# ---------------------------------------------------------------- a run's start


def _silent(message: str) -> None:
    """Where the caller listens to no event."""


@contextlib.contextmanager
def _opened(project: Path, budget: Budget, test_args: list[str], say: Event,
            on_progress: OnProgress | None) -> Iterator[Run]:  # fmt: skip
    """A run of fix or edit: its clock (from dagent's start: the user's), its progress, its sandbox."""
    began = budget.started_at or time.perf_counter()
    progress = Tracker(on_progress, began, budget.time_s)
    progress.phase("setup")
    with Sandbox(project, isolate=budget.isolate, python=budget.python) as sandbox:
        say(sandbox.interpreter.describe())
        yield Run(sandbox, budget, test_args, began, progress=progress)


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
        if run.out_of_time():  # no time for a warm worker, lanes or a candidate: their start-up would overrun
            report.status = f"time budget of {budget.time_s:.0f}s spent"
            return _finish(report, run)
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
                winning = rewrite_rounds(run, report, proposer, coverage, seed, say)
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


def _warm_worker(run: Run, baseline: TestRun, stack: contextlib.ExitStack, say: Event) -> TestWorker | None:
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


def _more_lanes(run: Run, stack: contextlib.ExitStack, say: Event) -> list[Lane]:
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
        lanes.append(Lane(twin.project_dir, worker))
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


def _baseline(run: Run, say: Event) -> Baseline | None:
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


def _baseline_cut(run: Run, cut: TestRun | None) -> str:
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


def _load(model: str | None, budget: Budget, say: Event, run: Run) -> Proposer:
    from dagent.agent.proposer import Proposer

    run.progress.phase("model")
    say("loading the model")
    return Proposer(model, k=budget.k)


def _take_model_stats(run: Run, proposer: Proposer) -> None:
    stats = proposer.stats
    run.timings.model_s, run.timings.model_load_s = stats.sample_s, stats.load_s
    run.timings.forwards, run.timings.tokens_written = stats.forwards, stats.tokens_written


def _finish(report: RunReport, run: Run) -> RunReport:
    report.timings = Timings(**{**run.timings.model_dump(), "wall_s": time.perf_counter() - run.began})
    return report


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
            report.status = ("no candidate made the edit: each broke a test, did not apply, or (written freely by "
                             "the model) made no failing test pass")
        if proposer is not None and plan.op is None:
            _take_model_stats(run, proposer)
        return _finish(report, run)


def _try_edits(run: Run, report: RunReport, proposals: list[Proposal], passed_before: set[str],
               say: Event) -> Proposal | None:  # fmt: skip
    for place, proposal in enumerate(proposals, 1):
        if run.out_of_time():
            report.status = f"time budget of {run.budget.time_s:.0f}s spent"
            return None
        verdict = validate_proposal(run, proposal, [], [], passed_before, must_pass_all=False)
        verdict = demand_progress(verdict, proposal, report.failing_before)
        record_proposal(run, report, proposal, verdict, 1, place, len(proposals), say)
        if verdict.name == "passes":
            report.fixed, report.status = True, _edited_status(proposal, report.failing_before)
            return proposal
    return None


def demand_progress(verdict: Check, proposal: Proposal, failing_before: list[str]) -> Check:
    """A free-form model edit proves itself by making a test pass that failed before: that it breaks no
    test is no evidence it does what was asked (deleting an unrelated line breaks none either). A
    structural op, the instruction itself turned into an op, needs only to break nothing."""
    if proposal.source != "model" or verdict.name != "passes" or not failing_before:
        return verdict
    if set(failing_before) <= set(verdict.failing):
        return Check("still_failing", "a free-form edit must make a failing test pass; none did", verdict.failing,
                     verdict.suite)
    return verdict


def _edited_status(proposal: Proposal, failing_before: list[str]) -> str:
    if proposal.source == "model" and not failing_before:  # nothing could show the edit does what was asked
        return "edited: no passing test broke, and no test checks the instruction: read the diff"
    return "edited: no passing test broke"


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
