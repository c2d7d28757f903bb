"""The open task set for `dagent bench fix`: small repos with failing tests and a reference fix.

A task is one folder, for example `examples/tasks/10-leap-year/`:

    task.toml    kind, description, instruction (kind "edit" only), failing_tests (pytest node ids)
    repo/        the project before the fix: a package, tests/, a pyproject.toml
    solution/    the full new content of every file the reference fix changes (paths as in repo/);
                 solution/_deleted.txt lists repo-relative paths the fix removes, one a line

`materialize` turns a task into a git repository dagent can work on; `check_task` proves a task is
sound: before the fix exactly the listed tests fail, after it every test passes.

    python -m dagent.agent.bench.tasks examples/tasks
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import git
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from rich import box
from rich.console import Console
from rich.table import Table

from dagent.errors import DagentError
from dagent.sandbox.results import TestRun, run_pytest

KINDS = ("token", "condition", "off_by_one", "missing_line", "two_files", "method", "edit")
TaskKind = Literal["token", "condition", "off_by_one", "missing_line", "two_files", "method", "edit"]
TASK_FILE = "task.toml"
DELETED_LIST = "_deleted.txt"
TEST_TIMEOUT_S = 30.0
PER_TEST_TIMEOUT_S = 5.0  # a task test still running then is hung: it fails (some tasks hang by design)
MAX_WORKERS = 2
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
_FAILED = ("failed", "error")


class TaskError(DagentError):
    """A task folder is malformed, or could not be materialized."""


class Task(BaseModel):
    """One task, as described by its `task.toml`; `path` is the task's folder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: TaskKind
    description: str = Field(min_length=1)
    instruction: str = ""
    failing_tests: tuple[str, ...] = Field(min_length=1)
    path: Path

    @field_validator("failing_tests")
    @classmethod
    def _node_ids(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        for node_id in ids:
            if "::" not in node_id or not node_id.split("::")[0].endswith(".py"):
                raise ValueError(f"{node_id!r} is not a pytest node id like tests/test_x.py::test_y")
        return ids

    @model_validator(mode="after")
    def _instruction_iff_edit(self) -> Task:
        if (self.kind == "edit") != bool(self.instruction.strip()):
            raise ValueError("an instruction is required for kind 'edit' and only for it")
        return self

    @classmethod
    def from_dir(cls, path: Path) -> Task:
        """Read `path/task.toml`; the task's name is the folder's name."""
        try:
            data = tomllib.loads((path / TASK_FILE).read_text(encoding="utf-8"))
            task = cls(name=path.name, path=path, **data)
        except (OSError, tomllib.TOMLDecodeError, ValidationError, TypeError) as exc:
            raise TaskError(f"{path / TASK_FILE}: {exc}") from exc
        if not task.repo_dir.is_dir():
            raise TaskError(f"{path}: no repo/ folder")
        return task

    @property
    def repo_dir(self) -> Path:
        return self.path / "repo"

    @property
    def solution_dir(self) -> Path:
        return self.path / "solution"

    def deleted_paths(self) -> list[str]:
        """Repo-relative paths the reference fix removes (from solution/_deleted.txt)."""
        listing = self.solution_dir / DELETED_LIST
        if not listing.is_file():
            return []
        lines = listing.read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]

    def solution_files(self) -> list[Path]:
        """Solution-relative paths of the files the reference fix writes."""
        if not self.solution_dir.is_dir():
            return []
        return sorted(
            p.relative_to(self.solution_dir)
            for p in self.solution_dir.rglob("*")
            if p.is_file() and p.name != DELETED_LIST and "__pycache__" not in p.parts
        )


def load_tasks(root: Path) -> list[Task]:
    """Every task under `root` (or `root` itself when it is a task), in name order."""
    root = Path(root)
    if (root / TASK_FILE).is_file():
        return [Task.from_dir(root)]
    if not root.is_dir():
        raise TaskError(f"{root}: no such folder")
    return [Task.from_dir(d) for d in sorted(root.iterdir()) if (d / TASK_FILE).is_file()]


# ---------------------------------------------------------------------------------------------
# materialize


def materialize(task: Task, dest: Path, solved: bool = False) -> Path:
    """Copy the task's repo (with the reference fix when `solved`) to `dest`, as a one-commit git repo."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise TaskError(f"{dest}: exists and is not empty")
    shutil.copytree(task.repo_dir, dest, ignore=_IGNORED, dirs_exist_ok=True)
    if solved:
        _overlay_solution(task, dest)
    _commit_all(dest, f"{task.name}: {'reference fix' if solved else 'task'}")
    return dest


def _overlay_solution(task: Task, dest: Path) -> None:
    for rel in task.solution_files():
        target = _inside(dest, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(task.solution_dir / rel, target)
    for rel in task.deleted_paths():
        target = _inside(dest, Path(rel))
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            raise TaskError(f"{task.name}: {DELETED_LIST} lists {rel}, which the repo does not have")


def _inside(root: Path, rel: Path) -> Path:
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise TaskError(f"{rel} points outside the task's repo")
    return target


def _commit_all(dest: Path, message: str) -> None:
    env = _git_env(dest)
    cli = git.Git(dest)
    cli.update_environment(**env)
    cli.init("--quiet", "--initial-branch=main")
    repo = git.Repo(dest)
    repo.git.update_environment(**env)
    with repo.config_writer() as config:
        config.set_value("user", "name", "dagent tasks")
        config.set_value("user", "email", "tasks@dagent.invalid")
        config.set_value("commit", "gpgsign", "false")
    repo.git.add("--all")
    repo.git.commit("--quiet", "--no-verify", "-m", message)
    repo.close()


def _git_env(dest: Path) -> dict[str, str]:
    """Pin git to `dest`, whatever GIT_DIR or GIT_INDEX_FILE a calling hook may have set."""
    git_dir = dest.resolve() / ".git"
    return {
        "GIT_DIR": str(git_dir),
        "GIT_WORK_TREE": str(dest.resolve()),
        "GIT_INDEX_FILE": str(git_dir / "index"),
        "GIT_OBJECT_DIRECTORY": str(git_dir / "objects"),
    }


# ---------------------------------------------------------------------------------------------
# running a task's tests


def run_task_suite(repo: Path, timeout: float = TEST_TIMEOUT_S) -> TestRun:
    """The task repo's whole suite, with dagent's own pytest runner (a subprocess in its own session,
    killed at `timeout`). A test still running after PER_TEST_TIMEOUT_S fails there, so a task that
    hangs by design (its failing tests loop forever on the buggy code) is checked like any other.
    Third-party plugins stay off: task suites need only pytest, and they cost a second of start-up."""
    return run_pytest(repo, None, timeout_s=timeout, extra_args=["--continue-on-collection-errors"],
                      env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}, test_timeout_s=PER_TEST_TIMEOUT_S)  # fmt: skip


def outcome(run: TestRun, node_id: str) -> str | None:
    """passed, failed, error or skipped; error when its module failed to import; None if it did not run."""
    found = run.outcome_of(node_id)
    if found is not None:
        return found.outcome
    return "error" if node_id.split("::")[0] in _broken_modules(run) else None


def _broken_modules(run: TestRun) -> set[str]:
    """The test files that failed to import (a collection error is `path: traceback`)."""
    return {error.split(":", 1)[0] for error in run.collection_errors}


def _tail(run: TestRun, lines: int = 15) -> str:
    return "\n".join(run.output.rstrip().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# checking a task


@dataclass
class TaskCheck:
    """Whether a task is sound; `problems` says what is wrong when it is not."""

    task: str
    kind: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    failing_before: int = 0
    tests: int = 0
    seconds: float = 0.0


def check_task(task: Task, timeout: float = TEST_TIMEOUT_S) -> TaskCheck:
    """Before the fix exactly the listed tests fail; after the reference fix every test passes."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dagent-task-") as tmp:
        try:
            before = _run_state(task, Path(tmp), solved=False, timeout=timeout)
            after = _run_state(task, Path(tmp), solved=True, timeout=timeout)
        except (TaskError, git.GitCommandError, OSError) as exc:
            return TaskCheck(task.name, task.kind, False, [f"cannot materialize: {exc}"])
    problems = _before_problems(task, before) + _after_problems(task, after)
    return TaskCheck(
        task.name, task.kind, not problems, problems,
        failing_before=len(set(before.failed_ids()) | _broken_modules(before)),
        tests=len(after.outcomes), seconds=time.perf_counter() - start,
    )


def _run_state(task: Task, tmp: Path, solved: bool, timeout: float) -> TestRun:
    state = "after" if solved else "before"
    repo = materialize(task, tmp / state, solved=solved)
    return run_task_suite(repo, timeout)


def _before_problems(task: Task, run: TestRun) -> list[str]:
    if run.timed_out:
        return ["before: the suite timed out"]
    problems = []
    for node_id in task.failing_tests:
        found = outcome(run, node_id)
        if found is None:
            problems.append(f"before: {node_id} did not run")
        elif found not in _FAILED:
            problems.append(f"before: {node_id} {found}, but it is listed as failing")
    listed = set(task.failing_tests)
    listed_modules = {node_id.split("::")[0] for node_id in task.failing_tests}
    unlisted = sorted(set(run.failed_ids()) - listed) + sorted(_broken_modules(run) - listed_modules)
    problems += [f"before: {key} fails too but is not listed" for key in unlisted]
    if problems:
        problems.append(f"before, pytest said:\n{_tail(run)}")
    return problems


def _after_problems(task: Task, run: TestRun) -> list[str]:
    if run.timed_out:
        return ["after: the suite timed out"]
    others = sorted((set(run.failed_ids()) | _broken_modules(run)) - set(task.failing_tests))
    problems = [f"after: {key} fails" for key in others]
    for node_id in task.failing_tests:
        if outcome(run, node_id) != "passed":
            problems.append(f"after: {node_id} {outcome(run, node_id) or 'did not run'}")
    if run.returncode != 0 or not run.outcomes:
        problems.append(f"after: pytest exited with {run.returncode}")
    if problems:
        problems.append(f"after, pytest said:\n{_tail(run)}")
    return list(dict.fromkeys(problems))


def check_tasks(tasks: Sequence[Task], workers: int = MAX_WORKERS, timeout: float = TEST_TIMEOUT_S) -> list[TaskCheck]:
    """check_task over every task, at most MAX_WORKERS at a time, results in the tasks' order."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, MAX_WORKERS))) as pool:
        return list(pool.map(lambda task: check_task(task, timeout), tasks))


# ---------------------------------------------------------------------------------------------
# command line


def render_checks(checks: Iterable[TaskCheck], console: Console) -> None:
    table = Table(title="dagent task set", box=box.SIMPLE, show_edge=False)
    table.add_column("task", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for column in ("failing before", "tests after", "seconds"):
        table.add_column(column, justify="right")
    table.add_column("status", no_wrap=True)
    for check in checks:
        status = "[green]ok[/]" if check.ok else f"[red]FAILED[/] ({_count_problems(check)} problems)"
        table.add_row(check.task, check.kind, str(check.failing_before), str(check.tests), f"{check.seconds:.2f}", status)
    console.print(table)


def _count_problems(check: TaskCheck) -> int:
    return sum(not p.startswith(("before, pytest said", "after, pytest said")) for p in check.problems)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def summary(checks: Sequence[TaskCheck]) -> str:
    kinds = Counter(check.kind for check in checks)
    by_kind = ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS if kinds[kind])
    good = sum(check.ok for check in checks)
    return f"{good}/{len(checks)} tasks ok ({by_kind})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagent.agent.bench.tasks", description="Check every task of a task set.")
    parser.add_argument("root", nargs="?", type=Path, default=Path("examples/tasks"))
    parser.add_argument("-j", "--workers", type=int, default=MAX_WORKERS, help=f"at most {MAX_WORKERS}")
    parser.add_argument("-k", "--select", default="", help="only tasks whose name contains this")
    parser.add_argument("--timeout", type=float, default=TEST_TIMEOUT_S, help="seconds per pytest run")
    args = parser.parse_args(argv)
    console = Console()
    try:
        tasks = [task for task in load_tasks(args.root) if args.select in task.name]
    except TaskError as exc:
        console.print(f"[red]{_escape(str(exc))}[/]")
        return 2
    if not tasks:
        console.print(f"[red]no tasks under {args.root}[/]")
        return 2
    checks = check_tasks(tasks, args.workers, args.timeout)
    render_checks(checks, console)
    for check in checks:
        for problem in [] if check.ok else check.problems:
            console.print(f"[bold]{check.task}[/]: {_escape(problem)}", highlight=False)
    console.print(summary(checks))
    return 0 if all(check.ok for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
