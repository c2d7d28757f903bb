"""The fix loop of DESIGN §1: test, plan, propose, validate, repeat; and the edit loop beside it.

Everything runs in a git sandbox; the user's tree is only written by `apply_to_tree`, which the CLI
calls on --apply. A candidate is validated cheaply first (parse, apply, compile, the failing tests)
and only then against the whole suite; a test that passed before and fails after disqualifies it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dagent.agent.plan import FailureInfo, plan_edit, plan_fix
from dagent.agent.proposer import Proposal, Proposer, rank_proposals
from dagent.agent.report import Attempt, RunReport, Timings
from dagent.errors import ApplyError, DagentError
from dagent.ops.apply import apply_ops
from dagent.ops.syntax import OpParseError, parse, render
from dagent.sandbox.results import TestRun, collect_coverage, compile_check
from dagent.sandbox.worktree import Sandbox

SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "build", "dist", ".tox", "node_modules", ".eggs"}
Event = Callable[[str], None]


@dataclass
class Budget:
    max_rounds: int = 3
    k: int = 4  # candidates per skeleton
    max_targets: int = 6
    time_s: float = 600.0
    test_timeout_s: float = 120.0


@dataclass
class _Run:
    """State of one loop run."""

    sandbox: Sandbox
    budget: Budget
    test_args: list[str]
    began: float
    timings: Timings = field(default_factory=Timings)
    attempts: list[Attempt] = field(default_factory=list)

    def out_of_time(self) -> bool:
        return time.perf_counter() - self.began > self.budget.time_s

    def tests(self, test_ids: list[str] | None = None) -> TestRun:
        began = time.perf_counter()
        try:
            return self.sandbox.run_tests(test_ids, timeout_s=self.budget.test_timeout_s, extra_args=self.test_args)
        finally:
            self.timings.test_s += time.perf_counter() - began


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
class Verdict:
    name: str
    reason: str = ""
    failing: list[str] = field(default_factory=list)


def validate(run: _Run, ops_text: str, target_failures: list[str], passed_before: set[str],
             must_pass_all: bool = True) -> Verdict:
    """Apply `ops_text` on a clean sandbox and test it: failing tests first, then the suite."""
    sandbox = run.sandbox
    sandbox.reset()
    try:
        ops = parse(ops_text)
    except OpParseError as err:
        return Verdict("invalid", str(err))
    if not ops:
        return Verdict("invalid", "no op in the stream")
    try:
        applied = apply_ops(sandbox.project_dir, ops)
    except ApplyError as err:
        return Verdict("apply_error", str(err).splitlines()[0])
    errors = compile_check(sandbox.project_dir, applied.paths())
    if errors:
        return Verdict("compile_error", errors[0])
    if target_failures:
        first = run.tests(target_failures)
        still = first.failed_ids() + [f"collection: {e.splitlines()[-1]}" for e in first.collection_errors if e]
        if still or first.timed_out:
            return Verdict("still_failing", "timed out" if first.timed_out else f"{len(still)} still failing", still)
    suite = run.tests()
    broke = sorted(passed_before.intersection(suite.failed_ids()))
    if broke:
        return Verdict("regression", f"broke {len(broke)} passing test(s)", broke)
    if suite.timed_out:
        return Verdict("still_failing", "the suite timed out", [])
    if must_pass_all and not suite.ok:
        return Verdict("still_failing", suite.summary(), suite.failed_ids())
    return Verdict("passes", suite.summary(), suite.failed_ids())


# ---------------------------------------------------------------- fix


def run_fix(path: Path, model: str | None = None, budget: Budget | None = None, test_expr: str | None = None,
            on_event: Event | None = None, proposer: Proposer | None = None, seed: int = 0) -> RunReport:
    """Find a change that makes the failing tests pass without breaking passing ones."""
    budget = budget or Budget()
    say = on_event or (lambda message: None)
    began = time.perf_counter()
    with Sandbox(path) as sandbox:
        run = _Run(sandbox, budget, ["-k", test_expr] if test_expr else [], began)
        say("running the tests with coverage in a sandbox")
        test_began = time.perf_counter()
        coverage = collect_coverage(sandbox.project_dir, timeout_s=budget.test_timeout_s, extra_args=run.test_args)
        run.timings.test_s += time.perf_counter() - test_began
        baseline = coverage.run
        report = RunReport(command="fix", project=str(path), fixed=False, status="",
                           failing_before=baseline.failed_ids())
        if baseline.timed_out:
            raise DagentError(f"the test suite timed out after {budget.test_timeout_s:.0f}s; raise --timeout")
        if baseline.ok:
            report.fixed, report.status = True, "all tests pass: nothing to fix"
            return _finish(report, run)
        if not baseline.outcomes and not baseline.collection_errors:
            raise DagentError(f"pytest ran no test in {sandbox.project_dir} ({baseline.summary()}): nothing to fix")
        proposer = proposer or _load(model, budget, say, run)
        _fix_rounds(run, report, proposer, coverage, seed, say)
        if report.fixed:
            sandbox.reset()
            apply_ops(sandbox.project_dir, parse(report.ops))
            report.diff = sandbox.diff()
        _take_model_stats(run, proposer)
        return _finish(report, run)


def _load(model: str | None, budget: Budget, say: Event, run: _Run) -> Proposer:
    say("loading the model")
    return Proposer(model, k=budget.k)


def _take_model_stats(run: _Run, proposer: Proposer) -> None:
    stats = proposer.stats
    run.timings.model_s, run.timings.model_load_s = stats.model_s, stats.load_s
    run.timings.forwards, run.timings.tokens_written = stats.forwards, stats.tokens_written


def _fix_rounds(run: _Run, report: RunReport, proposer: Proposer, coverage, seed: int, say: Event) -> None:  # type: ignore[no-untyped-def]
    sandbox, budget = run.sandbox, run.budget
    base_ops = ""
    base_run = coverage.run
    tests_by_line = coverage.tests_by_line()
    passed_before = set(base_run.passed_ids())
    targets = budget.max_targets
    for round_no in range(1, budget.max_rounds + 1):
        if run.out_of_time():
            report.status = f"time budget of {budget.time_s:.0f}s spent"
            return
        report.rounds = round_no
        sources = read_sources(sandbox.project_dir)
        failing = base_run.failed_ids()
        plan = plan_fix(failures_of(base_run), sources, tests_by_line, project_dir=sandbox.project_dir,
                        passed=passed_before)
        if not plan.targets:
            report.status = "no suspicious line found"
            return
        say(f"round {round_no}: {len(failing)} failing, proposing edits for {min(targets, len(plan.targets))} suspect line(s)")
        proposals = rank_proposals(proposer.for_targets(plan, sources, targets, seed + 101 * round_no))
        best = _try_all(run, report, proposals, base_ops, failing, passed_before, round_no, say)
        if report.fixed or run.out_of_time():
            return
        if best is None:  # nothing got closer: widen the search instead of building on a guess
            targets += 4
            continue
        base_ops = base_ops + best.ops
        sandbox.reset()
        apply_ops(sandbox.project_dir, parse(base_ops))
        base_run = run.tests()
        say(f"building on the most promising candidate: {len(base_run.failed_ids())} failing now")
    if not report.status:
        report.status = f"no candidate passed in {report.rounds} round(s)"


def _try_all(run: _Run, report: RunReport, proposals: list[Proposal], base_ops: str, failing: list[str],
             passed_before: set[str], round_no: int, say: Event) -> Attempt | None:
    """Validate candidates in rank order; return the best partial one (fewer failures, no regression)."""
    best: Attempt | None = None
    for proposal in proposals:
        if run.out_of_time():
            report.status = f"time budget of {run.budget.time_s:.0f}s spent"
            return best
        verdict = validate(run, base_ops + proposal.ops, failing, passed_before)
        attempt = Attempt(round=round_no, source=proposal.source, ops=proposal.ops, score=proposal.score,
                          verdict=verdict.name, reason=verdict.reason, failing_after=verdict.failing)  # type: ignore[arg-type]
        report.attempts.append(attempt)
        report.candidates_tried += 1
        say(f"  {proposal.source:6} {verdict.name:14} {_first_line(proposal.ops)}")
        if verdict.name == "passes":
            report.fixed, report.ops = True, base_ops + proposal.ops
            report.failing_after, report.status = [], "fixed: the whole suite passes"
            return attempt
        if verdict.name == "still_failing" and len(verdict.failing) < len(failing):
            if best is None or len(verdict.failing) < len(best.failing_after):
                best = attempt
    return best


def _first_line(ops: str) -> str:
    lines = ops.splitlines()
    return " | ".join(lines[:4])[:110]


def _finish(report: RunReport, run: _Run) -> RunReport:
    report.timings = Timings(**{**run.timings.model_dump(), "wall_s": time.perf_counter() - run.began})
    report.attempts = report.attempts or run.attempts
    return report


# ---------------------------------------------------------------- edit


def run_edit(instruction: str, path: Path, project: Path, symbol: str | None = None, model: str | None = None,
             budget: Budget | None = None, on_event: Event | None = None, seed: int = 0,
             proposer: Proposer | None = None) -> RunReport:
    """Make the instructed edit; the tests that passed before must still pass."""
    budget = budget or Budget()
    say = on_event or (lambda message: None)
    began = time.perf_counter()
    with Sandbox(project) as sandbox:
        run = _Run(sandbox, budget, [], began)
        say("running the tests in a sandbox")
        baseline = run.tests()
        passed_before = set(baseline.passed_ids())
        sources = read_sources(sandbox.project_dir)
        rel = path.resolve().relative_to(project.resolve()).as_posix() if path.is_file() else None
        plan = plan_edit(instruction, sources, path_hint=rel, symbol_hint=symbol)
        report = RunReport(command="edit", project=str(project), fixed=False, status="", instruction=instruction,
                           failing_before=baseline.failed_ids(), rounds=1)
        if plan.op is not None:
            say(f"the instruction maps onto a structural op: {render([plan.op]).strip()}")
            proposals = [Proposal("structural", render([plan.op]))]
        else:
            proposer = proposer or _load(model, budget, say, run)
            proposals = rank_proposals(proposer.for_instruction(plan.context, seed))
        _try_edits(run, report, proposals, passed_before, say)
        if report.fixed:
            sandbox.reset()
            apply_ops(sandbox.project_dir, parse(report.ops))
            report.diff = sandbox.diff()
            report.failing_after = run.tests().failed_ids()
        elif not report.status:
            report.status = "no candidate made the edit without breaking a test"
        if proposer is not None and plan.op is None:
            _take_model_stats(run, proposer)
        return _finish(report, run)


def _try_edits(run: _Run, report: RunReport, proposals: list[Proposal], passed_before: set[str], say: Event) -> None:
    for proposal in proposals:
        if run.out_of_time():
            report.status = f"time budget of {run.budget.time_s:.0f}s spent"
            return
        verdict = validate(run, proposal.ops, [], passed_before, must_pass_all=False)
        report.attempts.append(Attempt(round=1, source=proposal.source, ops=proposal.ops, score=proposal.score,
                                       verdict=verdict.name, reason=verdict.reason, failing_after=verdict.failing))  # type: ignore[arg-type]
        report.candidates_tried += 1
        say(f"  {proposal.source:10} {verdict.name:14} {_first_line(proposal.ops)}")
        if verdict.name == "passes":
            report.fixed, report.ops, report.status = True, proposal.ops, "edited: no passing test broke"
            return


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
