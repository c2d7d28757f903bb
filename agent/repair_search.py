"""The repair search: grammar candidates in the search's order, screened in batches, checked in the
lanes' sandboxes, partial fixes built on one level deeper."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from dagent.agent.budget import MODEL_PHASE_MIN_S
from dagent.agent.plan import FailureInfo, LineContext, line_contexts, plan_fix
from dagent.agent.progress import Suspect
from dagent.agent.report import Attempt, RunReport
from dagent.agent.run import Check, Event, Lane, Run, failures_of, read_sources, spoiled_by
from dagent.agent.screen import SCREEN_BATCH, located, swaps_for
from dagent.agent.search import (
    Candidate,
    Evidence,
    ModelRanker,
    RankMode,
    fill_candidates,
    grammar_candidates,
    locations,
    next_candidate,
    order,
)
from dagent.errors import ApplyError
from dagent.ops.apply import apply_ops
from dagent.ops.model import Op
from dagent.ops.syntax import render
from dagent.sandbox.results import CoverageMap, TestRun
from dagent.sandbox.variants import FunctionSwap

# the plan's context text and the run's deadline (perf_counter time) -> the model's scorer and filler
RankerFactory = Callable[[Callable[[str, int], LineContext], str, float], ModelRanker]
MAX_PARTIALS = 3  # partial fixes a level builds on, fewest tests left failing first


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

    def __init__(self, run: Run, report: RunReport, coverage: CoverageMap, say: Event, rank: RankMode,
                 ranker_factory: RankerFactory | None, seed: int, lanes: list[Lane] | None = None) -> None:
        self.run, self.report, self.say = run, report, say
        self.cut: set[Future[Check]] = set()  # runs in flight cut when another lane found the fix
        self.lanes = lanes or [run.main_lane()]  # all kept at the same state: the partial fixes built on
        self.rank, self.ranker_factory, self.seed = rank, ranker_factory, seed
        self.tests_by_line = coverage.tests_by_line()
        self.failures = failures_of(coverage.run)
        self.failing = coverage.run.failed_ids()
        self.hung = any(o.timed_out for o in coverage.run.outcomes)
        self.signature = failure_signature(coverage.run, self.failing)
        self.passed_before = set(coverage.run.passed_ids())
        self.base: list[Op] = []  # the partial fixes built on, outermost first
        self.chain: list[Attempt] = []  # their attempts, for the report
        self.attempt_of: dict[int, Attempt] = {}  # id(candidate) -> its attempt
        self.position: dict[int, int] = {}  # id(candidate) -> its place in its level's order (1: first)
        self.taken: dict[int, int] = {}  # id(candidate) -> the order it was taken up in at its level (1: first)
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
        began = time.perf_counter()  # with the model: waiting for its load (it loads beside the baseline) counts
        ranker = self._ranker(line_contexts(plan, sources), plan.render(), deadline)
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
        self.taken = {}
        self.run.progress.level(depth, len(ordered), tuple(Suspect(w.path, w.line, scores.get((w.path, w.line), w.weight))
                                                           for w in where))
        self.say(f"level {depth}: {len(self.failing)} failing; {len(ordered)} candidate edits at "
                 f"{len(where)} suspect statement(s), ranked by {self.rank}")  # fmt: skip
        return ordered

    def _ranker(self, contexts: Callable[[str, int], LineContext], fill_context: str, deadline: float) -> ModelRanker | None:
        """The model's scorer and filler, or None (the grammar's order) when the model does not rank or
        too little time is left to load it and score: the budget holds for the model too."""
        if self.rank != "model" or self.ranker_factory is None:
            return None
        if self.run.remaining() < MODEL_PHASE_MIN_S:
            self.say(f"ranking by the grammar's order: {self.run.remaining():.0f}s left is too little for the model")
            return None
        return self.ranker_factory(contexts, fill_context, deadline)

    def _validate_all(self, ordered: list[Candidate], depth: int) -> list[tuple[Candidate, Check]]:
        """Validate in order, one candidate per lane at a time, until one passes or the budget ends;
        the partial fixes met on the way. With two lanes the order is kept for starting candidates,
        results are taken as they come (a candidate in flight when another passes is still recorded)."""
        remaining = list(ordered)
        evidence = Evidence() if self.rank != "random" else None  # the shuffled baseline stays blind
        partials: list[tuple[Candidate, Check]] = []
        free = list(reversed(self.lanes))
        flying: dict[Future[Verdicts], Lane] = {}
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
                            else:
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

    def _cut(self, flying: dict[Future[Verdicts], Lane]) -> None:
        """The fix is found: stop the other lanes' runs (a would-be second winner's suite run can take
        seconds on a big project) instead of waiting for them."""
        for future, lane in flying.items():
            if future not in self.cut and lane.worker is not None:
                self.cut.add(future)
                lane.worker.retire()

    def _next_batch(self, remaining: list[Candidate], evidence: Evidence | None, lane: Lane) -> list[Candidate]:
        """The next candidate; with the ones after it while they can be screened together (see agent/screen.py)."""
        batch = [next_candidate(remaining, evidence)]
        if self._screenable(batch[0], lane):
            while remaining and len(batch) < SCREEN_BATCH:
                candidate = next_candidate(remaining, evidence)
                if not self._screenable(candidate, lane):
                    remaining.insert(0, candidate)
                    break
                batch.append(candidate)
            if len(batch) == 1:  # one alone: the full check costs what its screen would
                self.screened.add(id(batch[0]))
        for candidate in batch:  # a screened candidate sent on to its full check keeps its first place
            self.taken.setdefault(id(candidate), len(self.taken) + 1)
        return batch

    def _screenable(self, candidate: Candidate, lane: Lane) -> bool:
        return (lane.worker is not None and not self.hung and id(candidate) not in self.screened
                and self.swaps.get(id(candidate)) is not None)  # fmt: skip

    def _start(self, pool: ThreadPoolExecutor, batch: list[Candidate], lane: Lane) -> Future[Verdicts]:
        job = self._screen if len(batch) > 1 else self._check_one
        if len(self.lanes) > 1:
            return pool.submit(job, batch, lane)
        done: Future[Verdicts] = Future()  # one lane: inline, so Ctrl-C lands in the test run itself, as before
        done.set_result(job(batch, lane))
        return done

    def _check_one(self, batch: list[Candidate], lane: Lane) -> Verdicts:
        return [(batch[0], self._check(batch[0], lane))]

    def _screen(self, batch: list[Candidate], lane: Lane) -> Verdicts:
        """Each candidate's failing tests in one session (its function's code swapped); a candidate that
        leaves them all failing is judged here, the rest (None) take the full check."""
        swaps = [self.swaps[id(c)] for c in batch]  # none is None: _next_batch takes screenable candidates only
        variants = [[located(swap, lane.project_dir)] for swap in swaps if swap is not None]
        assert len(variants) == len(batch)
        siblings = self._siblings()
        runs = self.run.screen(self.failing, siblings, variants, lane)
        verdicts: Verdicts = []
        for candidate, first in zip(batch, runs):
            check = None if first is None else self._still_failing(first) or spoiled_by(first, set(siblings))
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

    def _check(self, candidate: Candidate, lane: Lane) -> Check:
        """Apply in the lane's sandbox, run the failing tests, then the suite; the sandbox is put back either way."""
        project = lane.project_dir
        ops = candidate.ops()
        saved = {op.path: (project / op.path).read_bytes() for op in ops if (project / op.path).is_file()}
        try:
            apply_ops(project, ops)
        except ApplyError as err:
            return Check("apply_error", str(err).splitlines()[0])
        try:
            drop_bytecode(project, saved)
            return self._test(candidate, lane)
        finally:
            put_back(project, saved)

    def _test(self, candidate: Candidate, lane: Lane) -> Check:
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
            spoiled = spoiled_by(self.run.tests(covering, lane=lane), self.passed_before)
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
        spoiled = spoiled_by(suite, self.passed_before)
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
        moved = failure_signature(first, self.failing) != frozenset(entry for entry in self.signature if entry[0] in ran)
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
            path=r.path, line=r.start, family=r.family, note=r.note, rank=rank, of=self.level_size,
            taken=self.taken.get(id(candidate)))
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
            drop_bytecode(lane.project_dir, kept.saved)
        suite = check.suite or self.run.tests()
        spoiled = spoiled_by(suite, self.passed_before)
        if spoiled is not None:
            for lane in self.lanes:
                put_back(lane.project_dir, kept.saved)
            self.say(f"not building on {candidate.describe()}: the whole suite {spoiled.reason}")
            return None
        self.base = [*self.base, *ops]
        self.passed_before |= set(suite.passed_ids())
        self.failures, self.failing = failures_of(suite), suite.failed_ids()
        self.signature = failure_signature(suite, self.failing)
        self.say(f"building on {candidate.describe()}: {len(self.failing)} failing now")
        self.chain.append(self.attempt_of[id(candidate)])
        self.run.progress.building_on(f"grammar:{candidate.repair.family}", candidate.describe(), self.failing,
                                      self.position.get(id(candidate)))
        return kept

    def _let_go(self, kept: _Kept) -> None:
        for lane in self.lanes:
            put_back(lane.project_dir, kept.saved)
        self.base = self.base[: -len(kept.candidate.ops())]
        self.chain.pop()
        self.failures, self.failing, self.signature = kept.failures, kept.failing, kept.signature
        self.passed_before = kept.passed_before


def failure_signature(run: TestRun, only: Iterable[str] | None = None) -> frozenset[tuple[str, str, str]]:
    """How the failing tests fail: outcome and message of each (only those in `only`, when given)."""
    wanted = set(only) if only is not None else None
    return frozenset((o.test_id, o.outcome, o.message) for o in run.outcomes
                     if o.outcome != "passed" and (wanted is None or o.test_id in wanted))


def put_back(project: Path, saved: dict[str, bytes]) -> None:
    """Undo an edit: the files' saved bytes written back (exactly: line endings too), bytecode dropped."""
    for path, data in saved.items():
        (project / path).write_bytes(data)
    drop_bytecode(project, saved)


def drop_bytecode(project: Path, paths: Iterable[str]) -> None:
    """A same-size edit within one second would let Python trust a stale .pyc: drop it."""
    for rel in paths:
        source = project / rel
        for cached in (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"):
            cached.unlink(missing_ok=True)
