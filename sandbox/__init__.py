"""dagent.sandbox: a git worktree of the user's tree, a bounded subprocess runner, pytest outcomes.

    with Sandbox(repo) as sb:           # the user's files, index and stash are never touched
        run = sb.run_tests()            # TestRun: outcomes per pytest node id
        with sb.worker() as w:          # a warm pytest: each run(ids) costs a fork
            run = w.run(failing_ids)
        ...edit files under sb.path...
        patch = sb.diff()
"""

from dagent.sandbox.results import (
    CoverageMap,
    TestOutcome,
    TestRun,
    collect_coverage,
    compile_check,
    run_pytest,
)
from dagent.sandbox.runner import CommandResult, run_command
from dagent.sandbox.worker import TestWorker
from dagent.sandbox.worktree import Sandbox, clean_leftovers

__all__ = [
    "CommandResult",
    "CoverageMap",
    "Sandbox",
    "TestOutcome",
    "TestRun",
    "TestWorker",
    "clean_leftovers",
    "collect_coverage",
    "compile_check",
    "run_command",
    "run_pytest",
]
