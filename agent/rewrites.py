"""The model's whole-line rewrites: after the repair search, while time is left, the model writes
candidate lines at the suspect statements; the most promising partial one seeds the next round."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagent.agent.plan import plan_fix
from dagent.agent.report import Attempt, RunReport
from dagent.agent.run import Check, Event, Run, failures_of, read_sources, validate
from dagent.ops.apply import apply_ops
from dagent.ops.model import Op
from dagent.sandbox.results import CoverageMap

if TYPE_CHECKING:  # the proposer loads torch and transformers: seconds a grammar-only run never pays
    from dagent.agent.proposer import Proposal, Proposer

def rewrite_rounds(run: Run, report: RunReport, proposer: Proposer, coverage: CoverageMap, seed: int,
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
        run.progress.building_on(proposal.source, first_line(proposal.text), attempt.failing_after, attempt.rank)
        base_ops = [*base_ops, *proposal.ops]
        sandbox.reset()
        apply_ops(sandbox.project_dir, base_ops)
        base_run = run.tests()
        say(f"building on the most promising candidate: {len(base_run.failed_ids())} failing now")
    if not report.status:
        report.status = f"no candidate passed in {report.rounds} round(s)"


def _try_all(run: Run, report: RunReport, proposals: list[Proposal], base_ops: list[Op], failing: list[str],
             passed_before: set[str], round_no: int, say: Event) -> tuple[Proposal, Attempt] | None:
    """Validate candidates in rank order; return the best partial one (fewer failures, no regression)
    with its attempt, or the winner's when one passes."""
    best: tuple[Proposal, Attempt] | None = None
    for place, proposal in enumerate(proposals, 1):
        if run.out_of_time():
            report.status = f"time budget of {run.budget.time_s:.0f}s spent"
            return best
        verdict = validate_proposal(run, proposal, base_ops, failing, passed_before)
        attempt = record_proposal(run, report, proposal, verdict, round_no, place, len(proposals), say)
        if verdict.name == "passes":
            report.fixed, report.failing_after, report.status = True, [], "fixed: the whole suite passes"
            return proposal, attempt
        if verdict.name == "still_failing" and len(verdict.failing) < len(failing):
            if best is None or len(verdict.failing) < len(best[1].failing_after):
                best = proposal, attempt
    return best


def record_proposal(run: Run, report: RunReport, proposal: Proposal, verdict: Check, round_no: int, place: int,
                    total: int, say: Event) -> Attempt:  # fmt: skip
    """The proposal's attempt in the report, said and shown as tried."""
    attempt = Attempt(round=round_no, source=proposal.source, ops=proposal.text, score=proposal.score,
                      verdict=verdict.name, reason=verdict.reason, failing_after=verdict.failing,
                      rank=place, of=total, kept=verdict.name == "passes")
    report.attempts.append(attempt)
    report.candidates_tried += 1
    say(f"  {proposal.source:10} {verdict.name:14} {first_line(proposal.text)}")
    run.progress.tried(verdict.name, proposal.source, first_line(proposal.text), verdict.failing, total - place, place)
    return attempt


def validate_proposal(run: Run, proposal: Proposal, base_ops: list[Op], failing: list[str],
                       passed_before: set[str], must_pass_all: bool = True) -> Check:
    """A stream that did not parse is rejected as it is; the others are validated on top of `base_ops`."""
    if proposal.invalid is not None:
        return Check("invalid", proposal.invalid)
    return validate(run, [*base_ops, *proposal.ops], failing, passed_before, must_pass_all)


def first_line(ops: str) -> str:
    lines = ops.splitlines()
    return " | ".join(lines[:4])[:110]
