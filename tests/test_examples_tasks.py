"""The examples and the open task set are sound.

Every task: before its reference fix exactly the listed tests fail, after it every test passes.
Every example project's suite passes; examples/buggy_stats fails exactly as its README says.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import git
import pytest

from dagent.agent.bench.tasks import (
    KINDS,
    MAX_WORKERS,
    Task,
    TaskCheck,
    TaskError,
    check_task,
    load_tasks,
    main,
    materialize,
    outcome,
    run_task_suite,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TASKS = load_tasks(EXAMPLES / "tasks")
# written apart from the open set, not tuned on; 05 hangs by design: its failing tests fail at the checker's
# per-test timeout
HELD_OUT = load_tasks(EXAMPLES / "tasks-new")
PROJECTS = ["textkit", "ledger", "todo_cli"]
MIN_PER_KIND = {"token": 8, "condition": 8, "off_by_one": 7, "missing_line": 5, "two_files": 4, "method": 5, "edit": 5}
BUGGY_FAILING = "tests/test_core.py::test_moving_average"


def _copy(src: Path, dest: Path) -> Path:
    return Path(shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")))


def _write_task(root: Path, toml: str, source: str, test: str) -> Path:
    (root / "repo" / "tests").mkdir(parents=True)
    (root / "task.toml").write_text(toml)
    (root / "repo" / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (root / "repo" / "mod.py").write_text(source)
    (root / "repo" / "tests" / "test_mod.py").write_text(test)
    return root


# ---------------------------------------------------------------------------------------------
# the task set as data (fast)


def test_task_set_size_and_kinds() -> None:
    kinds = Counter(task.kind for task in TASKS)
    assert len(TASKS) >= 40
    assert set(kinds) <= set(KINDS)
    for kind, least in MIN_PER_KIND.items():
        assert kinds[kind] >= least, f"only {kinds[kind]} {kind} tasks"


def test_held_out_set_size_and_library_sized_tasks() -> None:
    assert len(HELD_OUT) >= 19 and {t.name for t in HELD_OUT}.isdisjoint(t.name for t in TASKS)
    big = [t for t in HELD_OUT if any(len(f.read_text().splitlines()) >= 2000 for f in t.repo_dir.rglob("*.py"))]
    assert len(big) >= 2, [t.name for t in big]


def test_task_layout() -> None:
    for task in TASKS:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", task.name), task.name
        assert 'pythonpath = ["."]' in (task.repo_dir / "pyproject.toml").read_text(), task.name
        assert task.solution_files(), f"{task.name}: empty solution"
        for node_id in task.failing_tests:
            assert (task.repo_dir / node_id.split("::")[0]).is_file(), f"{task.name}: {node_id}"
        for rel in task.deleted_paths():
            assert (task.repo_dir / rel).exists(), f"{task.name}: deletes missing {rel}"


def test_solutions_change_the_code() -> None:
    for task in TASKS:
        changed = [
            rel for rel in task.solution_files()
            if not (task.repo_dir / rel).is_file()
            or (task.repo_dir / rel).read_text() != (task.solution_dir / rel).read_text()
        ]
        assert changed or task.deleted_paths(), f"{task.name}: solution equals repo"
        if task.kind == "two_files":
            assert len({rel for rel in task.solution_files() if "tests" not in rel.parts}) >= 2, task.name


def test_no_two_tasks_share_code() -> None:
    seen: dict[str, str] = {}
    for task in TASKS:
        for path in task.repo_dir.rglob("*.py"):
            text = path.read_text()
            if len(text) > 200 and "tests" not in path.relative_to(task.repo_dir).parts:
                assert text not in seen, f"{task.name}: {path.name} repeats {seen.get(text)}"
                seen[text] = task.name


# ---------------------------------------------------------------------------------------------
# the task module itself


def test_a_test_in_a_module_that_failed_to_import_counts_as_an_error(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_ok.py").write_text("def test_ok():\n    pass\n")
    (tmp_path / "tests" / "test_broken.py").write_text("import no_such_module\n\ndef test_never():\n    pass\n")
    run = run_task_suite(tmp_path)
    assert outcome(run, "tests/test_ok.py::test_ok") == "passed"
    assert outcome(run, "tests/test_broken.py::test_never") == "error"
    assert outcome(run, "tests/test_ok.py::test_missing") is None


def test_materialize_solved_applies_overlay_and_deletions(tmp_path: Path) -> None:
    task = next(t for t in TASKS if t.deleted_paths())
    dest = materialize(task, tmp_path / "solved", solved=True)
    for rel in task.deleted_paths():
        assert not (dest / rel).exists()
    for rel in task.solution_files():
        assert (dest / rel).read_text() == (task.solution_dir / rel).read_text()
    repo = git.Repo(dest)
    assert not repo.is_dirty(untracked_files=True)
    assert len(list(repo.iter_commits())) == 1


def test_materialize_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    with pytest.raises(TaskError, match="not empty"):
        materialize(TASKS[0], tmp_path)


@pytest.mark.parametrize(
    "toml, message",
    [
        ('kind = "edit"\ndescription = "d"\nfailing_tests = ["tests/test_mod.py::test_a"]\n', "instruction"),
        ('kind = "token"\ndescription = "d"\nfailing_tests = ["test_a"]\n', "node id"),
        ('kind = "typo"\ndescription = "d"\nfailing_tests = ["tests/test_mod.py::test_a"]\n', "kind"),
        ('kind = "token"\ndescription = "d"\nfailing_tests = []\n', "failing_tests"),
    ],
)
def test_bad_task_files_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    _write_task(tmp_path / "01-bad", toml, "X = 1\n", "def test_a():\n    pass\n")
    with pytest.raises(TaskError, match=message):
        load_tasks(tmp_path)


def test_check_finds_an_unsound_task(tmp_path: Path) -> None:
    root = _write_task(
        tmp_path / "01-unsound",
        'kind = "token"\ndescription = "d"\nfailing_tests = ["tests/test_mod.py::test_a"]\n',
        "def f():\n    return 1\n",
        "from mod import f\n\ndef test_a():\n    assert f() == 1\n\ndef test_b():\n    assert f() == 2\n",
    )
    (root / "solution").mkdir()
    (root / "solution" / "mod.py").write_text("def f():\n    return 2\n")
    check = check_task(Task.from_dir(root))
    assert not check.ok
    assert any("test_a passed, but it is listed as failing" in p for p in check.problems)
    assert any("tests/test_mod.py::test_b fails too but is not listed" in p for p in check.problems)
    assert any("after: tests/test_mod.py::test_a failed" in p for p in check.problems)


def test_main_checks_one_task(capsys: pytest.CaptureFixture[str]) -> None:
    task = next(t for t in TASKS if t.kind == "token")
    assert main([str(task.path)]) == 0
    assert "1/1 tasks ok (token 1)" in capsys.readouterr().out


def test_main_reports_a_missing_folder(tmp_path: Path) -> None:
    assert main([str(tmp_path / "nowhere")]) == 2


# ---------------------------------------------------------------------------------------------
# every task, checked two at a time


@pytest.fixture(scope="module")
def task_checks(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[TaskCheck]]]:
    """Checks of the selected tasks, started together on MAX_WORKERS threads."""
    selected = {
        item.callspec.params["task"].repo_dir
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_task_is_sound"
    }
    pool = ThreadPoolExecutor(max_workers=MAX_WORKERS)
    yield {task.repo_dir: pool.submit(check_task, task) for task in [*TASKS, *HELD_OUT] if task.repo_dir in selected}
    pool.shutdown(cancel_futures=True)


@pytest.mark.slow
@pytest.mark.parametrize("task", [*TASKS, *HELD_OUT],
                         ids=[f"{t.repo_dir.parent.parent.name}/{t.name}" for t in [*TASKS, *HELD_OUT]])
def test_task_is_sound(task: Task, task_checks: dict[Path, Future[TaskCheck]]) -> None:
    check = task_checks[task.repo_dir].result()
    assert check.ok, "\n".join(check.problems)


# ---------------------------------------------------------------------------------------------
# example projects


@pytest.mark.parametrize("project", PROJECTS)
def test_example_project_suite_passes(project: str, tmp_path: Path) -> None:
    repo = _copy(EXAMPLES / project, tmp_path / project)
    run = run_task_suite(repo)
    assert run.returncode == 0, run.output[-3000:]
    assert len(run.outcomes) >= 20 and not run.failed_ids()
    assert "dagent" in (repo / "README.md").read_text()


def test_buggy_stats_fails_exactly_as_documented(tmp_path: Path) -> None:
    readme = (EXAMPLES / "buggy_stats" / "README.md").read_text()
    assert f"FAILED {BUGGY_FAILING}" in readme
    repo = _copy(EXAMPLES / "buggy_stats", tmp_path / "buggy")
    run = run_task_suite(repo)
    assert run.failed_ids() == [BUGGY_FAILING], run.output[-3000:]
    assert not run.collection_errors and len(run.outcomes) > 5


def test_buggy_stats_documented_fix_makes_it_green(tmp_path: Path) -> None:
    readme = (EXAMPLES / "buggy_stats" / "README.md").read_text()
    removed = re.findall(r"^-(    .*)$", readme, flags=re.M)
    added = re.findall(r"^\+(    .*)$", readme, flags=re.M)
    assert len(removed) == len(added) == 1, "the README shows a one-line fix"
    repo = _copy(EXAMPLES / "buggy_stats", tmp_path / "fixed")
    core = repo / "stats" / "core.py"
    assert core.read_text().count(removed[0] + "\n") == 1
    core.write_text(core.read_text().replace(removed[0] + "\n", added[0] + "\n"))
    run = run_task_suite(repo)
    assert run.returncode == 0 and not run.failed_ids(), run.output[-3000:]
