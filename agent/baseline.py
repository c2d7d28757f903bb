"""The baseline: what the suite says before any edit, at about the cost of one plain run.

Per-test line coverage of a whole suite under the classic tracer costs several times the plain run
(4.3x on a 700-test library), and most of it is spent on tests that cannot say anything about the bug.
So the baseline is two runs:

1. the plain suite, untraced: outcomes, each test's duration, hung tests as failures with their stack;
2. coverage (one dynamic context per test) only where localisation needs it: the failing tests, then
   the passing tests of the failing tests' own modules, then passing tests whose module imports a module
   the failures point at, fastest first, while their baseline time fits a tracing budget. A hung test is
   never traced (its stack already says where it was stuck), and each test is traced at most once.

coverage's sys.monitoring core (Python 3.12+) does not support dynamic contexts, which per-test
attribution needs, so the traced run uses coverage's default core.
"""

from __future__ import annotations

import ast
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dagent.agent.source_index import is_test_path
from dagent.agent.tracebacks import traceback_frames
from dagent.sandbox.results import CoverageMap, TestOutcome, TestRun, collect_coverage, run_pytest

TRACE_SHARE = 0.1  # of the plain run's summed test time, spent tracing passing tests (x3-4 under the tracer)
MIN_TRACE_S = 0.25  # of baseline test time: a fast suite is traced in full; it helps the spectrum
MAX_TRACED_PASSING = 400  # a bound on the data read back, whatever the durations say


@dataclass
class Baseline:
    """The plain run's outcomes with the traced tests' lines, and what each step cost."""

    coverage: CoverageMap
    traced: list[str] = field(default_factory=list)
    plain_s: float = 0.0
    traced_s: float = 0.0

    @property
    def run(self) -> TestRun:
        return self.coverage.run


def run_baseline(project: Path, test_args: Sequence[str], timeout_s: float, per_test_timeout_s: float,
                 python: str = sys.executable) -> Baseline:
    """The plain run, then coverage of the tests `traced_selection` picks, both within `timeout_s`."""
    began = time.perf_counter()
    plain = run_pytest(project, None, timeout_s=timeout_s, extra_args=test_args, python=python,
                       test_timeout_s=per_test_timeout_s)  # fmt: skip
    plain_s = time.perf_counter() - began
    failing = [o for o in plain.outcomes if o.outcome in ("failed", "error")]
    if plain.timed_out or not failing:
        return Baseline(CoverageMap({}, plain), [], plain_s)
    imports = read_test_imports(project, plain.outcomes)
    chosen = traced_selection(plain, imports, _pointed_modules(failing, project, imports))
    began = time.perf_counter()
    traced = collect_coverage(project, timeout_s=max(1.0, timeout_s - plain_s), test_ids=chosen,
                              extra_args=test_args, python=python, test_timeout_s=per_test_timeout_s)  # fmt: skip
    return Baseline(CoverageMap(traced.lines_by_test, plain), chosen, plain_s, time.perf_counter() - began)


def traced_selection(plain: TestRun, imports: Mapping[str, set[str]], pointed: set[str],
                     share: float = TRACE_SHARE, floor_s: float = MIN_TRACE_S) -> list[str]:
    """The test ids to trace: every failing test that did not hang, then passing tests by tier (same test
    module as a failing test; importing a module the failures point at), fastest first within a tier,
    while their summed baseline time stays within max(floor_s, share x the plain run's test time)."""
    failing = [o for o in plain.outcomes if o.outcome in ("failed", "error") and not o.timed_out]
    failing_files = {_file_of(o.test_id) for o in plain.outcomes if o.outcome in ("failed", "error")}
    passing = [o for o in plain.outcomes if o.outcome == "passed"]
    budget = max(floor_s, share * sum(o.duration_s for o in plain.outcomes if not o.timed_out))
    chosen, spent = [o.test_id for o in failing], 0.0
    for tier in _tiers(passing, failing_files, imports, pointed):
        for outcome in sorted(tier, key=lambda o: o.duration_s):
            if len(chosen) >= len(failing) + MAX_TRACED_PASSING:
                return chosen
            if spent + outcome.duration_s > budget:
                break  # the rest of this tier is slower still; the next tier may have fast tests
            chosen.append(outcome.test_id)
            spent += outcome.duration_s
    return chosen


def _tiers(passing: list[TestOutcome], failing_files: set[str], imports: Mapping[str, set[str]],
           pointed: set[str]) -> list[list[TestOutcome]]:
    same_file = [o for o in passing if _file_of(o.test_id) in failing_files]
    importing = [o for o in passing if _file_of(o.test_id) not in failing_files
                 and imports.get(_file_of(o.test_id), set()) & pointed]  # fmt: skip
    return [same_file, importing]


def _file_of(test_id: str) -> str:
    return test_id.partition("::")[0]


def _pointed_modules(failing: Iterable[TestOutcome], project: Path, imports: Mapping[str, set[str]]) -> set[str]:
    """Dotted names of the project modules the failures point at: the non-test files in their tracebacks,
    and the modules their own test modules import (`imports`, by test file)."""
    pointed = {name for o in failing for name in imports.get(_file_of(o.test_id), set())}
    for outcome in failing:
        for frame in traceback_frames(outcome.details, project):
            if not is_test_path(frame.path):
                pointed |= module_names(frame.path)
    return pointed


def module_names(path: str) -> set[str]:
    """The dotted names a project file may be imported by: from the project root, and without a leading
    `src/` (a src layout)."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    names = {".".join(parts)} if parts else set()
    if len(parts) > 1 and parts[0] == "src":
        names.add(".".join(parts[1:]))
    return names


def read_test_imports(project: Path, outcomes: Iterable[TestOutcome]) -> dict[str, set[str]]:
    """For each test file of `outcomes`, the module names it imports (`from a.b import c` counts as both
    `a.b` and `a.b.c`: c may be a module); a file that does not parse imports nothing."""
    found: dict[str, set[str]] = {}
    for rel in {_file_of(o.test_id) for o in outcomes}:
        try:
            tree = ast.parse((project / rel).read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError, RecursionError):
            tree = ast.Module(body=[], type_ignores=[])
        found[rel] = _imported(tree)
    return found


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names
