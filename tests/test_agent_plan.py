"""The planner: real pytest failures in, a context block and edit targets out."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dagent.agent.plan import (
    EditTarget,
    FailureInfo,
    Plan,
    deletion_candidate,
    plan_edit,
    plan_fix,
    skeleton_prefixes,
)
from dagent.engine.context import FILE, render_context
from dagent.errors import DagentError
from dagent.ops.model import Delete, Insert, RenameSymbol, Replace
from dagent.ops.syntax import parse

BUGGY_LINE = "    for start in range(len(items) - size):"

# An off-by-one in a helper (`windows`) that the tested function (`moving_average`) calls; the test
# sees only a wrong value, so its traceback never leaves the test file.
PROJECT = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "textkit/__init__.py": "",
    "textkit/windows.py": (
        '"""Sliding windows over sequences."""\n'
        "\n"
        "\n"
        "def windows(items, size):\n"
        '    """Every run of `size` consecutive items."""\n'
        "    if size <= 0:\n"
        '        raise ValueError("size must be positive")\n'
        "    out = []\n"
        f"{BUGGY_LINE}\n"
        "        out.append(items[start:start + size])\n"
        "    return out\n"
    ),
    "textkit/stats.py": (
        "from textkit.windows import windows\n"
        "\n"
        "\n"
        "def mean(xs):\n"
        "    return sum(xs) / len(xs)\n"
        "\n"
        "\n"
        "def moving_average(xs, size):\n"
        "    # one mean per window\n"
        "    return [mean(w) for w in windows(xs, size)]\n"
        "\n"
        "\n"
        "def total(xs):\n"
        "    result = 0\n"
        "    for x in xs:\n"
        "        result += x\n"
        "    return result\n"
    ),
    "tests/test_stats.py": (
        "from textkit.stats import mean, moving_average, total\n"
        "\n"
        "\n"
        "def test_mean():\n"
        "    assert mean([1, 2, 3]) == 2\n"
        "\n"
        "\n"
        "def test_total():\n"
        "    assert total([1, 2, 3]) == 6\n"
        "\n"
        "\n"
        "def test_moving_average():\n"
        "    data = [1, 2, 3, 4]\n"
        "    assert moving_average(data, 2) == [1.5, 2.5, 3.5]\n"
    ),
}
FAILING = "tests/test_stats.py::test_moving_average"


def run_failing_test(root: Path) -> FailureInfo:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--tb=long", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 failed, 2 passed" in result.stdout, result.stdout + result.stderr
    details = result.stdout.split("= FAILURES =", 1)[1].split("short test summary info", 1)[0]
    return FailureInfo(FAILING, "", details)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], FailureInfo]:
    root = tmp_path_factory.mktemp("textkit")
    for rel, text in PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    sources = {rel: text for rel, text in PROJECT.items() if rel.endswith(".py")}
    return root, sources, run_failing_test(root)


def shown_lines(plan: Plan) -> list[tuple[str, int]]:
    return [(s.path, s.start_line + offset) for s in plan.context.snippets for offset in range(s.code.count("\n"))]


def assert_consistent(plan: Plan, sources: dict[str, str]) -> None:
    """Every target is shown in the block, quotes its file exactly, and the block fits the budget."""
    assert len(render_context(plan.context)) <= plan.budget_chars
    assert plan.render() == render_context(plan.context)  # nothing was cut by the renderer
    shown = shown_lines(plan)
    assert len(shown) == len(set(shown))  # no line is shown twice
    for target in plan.targets:
        assert (target.path, target.line) in shown
        assert sources[target.path].splitlines()[target.line - 1] == target.old_line_text


def test_off_by_one_in_a_called_helper(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    root, sources, failure = project
    plan = plan_fix([failure], sources, project_dir=root)
    top3 = [(t.path, t.line) for t in plan.targets[:3]]
    assert ("textkit/windows.py", 9) in top3
    assert plan.targets[top3.index(("textkit/windows.py", 9))].old_line_text == BUGGY_LINE
    assert plan.targets[top3.index(("textkit/windows.py", 9))].function_name == "windows"
    rendered = plan.render()
    assert "def windows(items, size):" in rendered and BUGGY_LINE in rendered
    assert "def test_moving_average():" in rendered  # the expected values
    assert plan.context.errors == [f"{FAILING}: assert [1.5, 2.5] == [1.5, 2.5, 3.5]"]  # from the E lines
    assert len(plan.targets) <= 8
    assert all(not t.path.startswith("tests/") for t in plan.targets)
    assert_consistent(plan, sources)


def test_coverage_sharpens_the_ranking(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    root, sources, failure = project
    # What per-test coverage of this project records: windows() runs only under the failing test.
    coverage: dict[tuple[str, int], set[str]] = {
        ("textkit/stats.py", 5): {"tests/test_stats.py::test_mean|run", FAILING + "|run"},
        ("textkit/stats.py", 10): {FAILING + "|run"},
        ("textkit/stats.py", 14): {"tests/test_stats.py::test_total|run"},
        ("textkit/stats.py", 15): {"tests/test_stats.py::test_total|run"},
        **{("textkit/windows.py", n): {FAILING + "|run"} for n in (6, 8, 9, 10, 11)},
        ("tests/test_stats.py", 14): {FAILING + "|run"},
    }
    plan = plan_fix([failure], sources, coverage, project_dir=root)
    assert ("textkit/windows.py", 9) in [(t.path, t.line) for t in plan.targets[:2]]
    assert ("textkit/stats.py", 14) not in [(s.path, s.line) for s in plan.suspicions]  # only a passing test ran it
    assert_consistent(plan, sources)


def test_raise_site_is_the_first_target(tmp_path: Path) -> None:
    sources = {
        "inv/stock.py": "def take(levels, name):\n    count = levels[name]\n    return count - 1\n",
        "tests/test_stock.py": "from inv.stock import take\n\n\ndef test_take():\n    assert take({}, 'x') == 0\n",
    }
    details = (
        "tests/test_stock.py:5: in test_take\n    assert take({}, 'x') == 0\n"
        "inv/stock.py:2: in take\n    count = levels[name]\nE   KeyError: 'x'\n"
    )
    plan = plan_fix([FailureInfo("tests/test_stock.py::test_take", "KeyError: 'x'", details)], sources)
    assert (plan.targets[0].path, plan.targets[0].line, plan.targets[0].function_name) == ("inv/stock.py", 2, "take")
    assert plan.context.snippets[0].path == "inv/stock.py"
    assert plan.context.errors == ["tests/test_stock.py::test_take: KeyError: 'x'"]
    assert_consistent(plan, sources)


def test_a_long_function_is_windowed_around_the_target() -> None:
    body = "".join(f"    step_{n} = value + {n}\n" for n in range(80))
    sources = {
        "big/calc.py": f"def compute(value):\n{body}    return value // 0\n",
        "tests/test_calc.py": "from big.calc import compute\n\n\ndef test_compute():\n    assert compute(1)\n",
    }
    details = "big/calc.py:82: in compute\n    return value // 0\nE   ZeroDivisionError\n"
    plan = plan_fix([FailureInfo("tests/test_calc.py::test_compute", "ZeroDivisionError", details)], sources, budget_chars=600)
    assert plan.targets[0].line == 82
    first = plan.context.snippets[0]
    assert first.path == "big/calc.py" and first.start_line > 1  # a window, not the whole function
    assert "return value // 0" in first.code
    assert_consistent(plan, sources)


def test_two_targets_far_apart_in_one_long_function() -> None:
    body = "".join(f"    step_{n} = value + {n}\n" for n in range(60))
    sources = {
        "big/calc.py": f"def compute(value):\n    base = value % 7\n{body}    return base // 0\n",
        "tests/test_calc.py": "from big.calc import compute\n\n\ndef test_compute():\n    assert compute(1)\n",
    }
    # Coverage singles out line 2; the traceback points at line 63: two windows, not one whole function.
    coverage = {("big/calc.py", 2): {"tests/test_calc.py::test_compute"}, ("big/calc.py", 3): {"tests/test_calc.py::ok"}}
    details = "big/calc.py:63: in compute\n    return base // 0\nE   ZeroDivisionError\n"
    failure = FailureInfo("tests/test_calc.py::test_compute", "ZeroDivisionError", details)
    plan = plan_fix([failure], sources, coverage, budget_chars=700)
    assert {2, 63} <= {t.line for t in plan.targets}
    assert_consistent(plan, sources)


def test_a_syntax_error_is_a_target(tmp_path: Path) -> None:
    sources = {
        "app/core.py": "VALUE = 1\n\ndef broken(:\n    return VALUE\n",
        "tests/test_core.py": "from app.core import broken\n\n\ndef test_broken():\n    assert broken()\n",
    }
    details = (
        "tests/test_core.py:1: in <module>\n    from app.core import broken\n"
        f'E     File "{tmp_path}/app/core.py", line 3\nE       def broken(:\nE   SyntaxError: invalid syntax\n'
    )
    plan = plan_fix([FailureInfo("tests/test_core.py", "", details)], sources)
    assert (plan.targets[0].path, plan.targets[0].line) == ("app/core.py", 3)
    assert plan.targets[0].function_name == "<module>"
    assert plan.context.errors == ["tests/test_core.py: SyntaxError: invalid syntax"]
    assert_consistent(plan, sources)


def test_several_failures_share_one_block(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    root, sources, failure = project
    other = FailureInfo("tests/test_stats.py::test_mean", "assert 2.5 == 2", "")
    plan = plan_fix([failure, other], sources, project_dir=root, max_candidates_lines=4)
    assert len(plan.context.errors) == 2 and plan.context.errors[1].startswith("tests/test_stats.py::test_mean")
    assert len(plan.targets) <= 4
    assert ("textkit/stats.py", 5) in [(t.path, t.line) for t in plan.targets]  # mean's only line
    assert_consistent(plan, sources)


def test_failure_objects_from_elsewhere_are_accepted(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    @dataclass
    class Outcome:  # what a sandbox might hand over
        test_id: str
        message: str
        details: str
        duration_s: float

    root, sources, failure = project
    plan = plan_fix([Outcome(failure.test_id, "wrong", failure.details, 0.1)], sources, project_dir=root)
    assert plan.targets and plan.context.errors == [f"{FAILING}: wrong"]


# ---------------------------------------------------------------- skeletons


def test_skeleton_prefixes_complete_to_valid_ops() -> None:
    target = EditTarget("pkg/a b.py", 12, "@@odd = x[1:]", "f", 0.9)
    prefixes = skeleton_prefixes(target)
    assert prefixes["replace"].startswith('@@replace "pkg/a b.py":12\n')  # quoted like render_path does
    assert "\\@@odd" in prefixes["replace"]  # a body line starting with @@ is escaped
    replace = parse(prefixes["replace"] + "x = y[1:]\n@@end\n")
    assert replace == [Replace(path="pkg/a b.py", line=12, old="@@odd = x[1:]\n", new="x = y[1:]\n")]
    insert = parse(prefixes["insert_after"] + "log(x)\n@@end\n")
    assert insert == [Insert(path="pkg/a b.py", line=12, anchor="@@odd = x[1:]\n", text="log(x)\n")]


def test_deletion_candidate_needs_no_model() -> None:
    target = EditTarget("pkg/a.py", 3, "    count -= 1", "f", 0.5)
    assert deletion_candidate(target) == "@@delete pkg/a.py:3\n    count -= 1\n@@end\n"
    assert parse(deletion_candidate(target)) == [Delete(path="pkg/a.py", line=3, old="    count -= 1\n")]


# ---------------------------------------------------------------- plan_edit


def test_plan_edit_with_a_structural_op(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    _, sources, _ = project
    plan = plan_edit("rename moving_average to rolling_mean", sources, None, None)
    assert plan.op == RenameSymbol(path="textkit/stats.py", symbol="moving_average", new_name="rolling_mean")
    assert plan.context.task == "edit" and plan.context.instruction.startswith("rename")
    assert plan.context.snippets[0].path == "textkit/stats.py"
    assert "def moving_average(xs, size):" in plan.context.snippets[0].code
    assert plan.render().startswith("<|edit|> rename moving_average to rolling_mean\n")


def test_plan_edit_without_an_op_shows_the_hinted_symbol(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    _, sources, _ = project
    plan = plan_edit("skip empty windows", sources, "textkit/windows.py", "windows")
    assert plan.op is None
    assert (plan.path, plan.symbol) == ("textkit/windows.py", "windows")
    assert plan.context.snippets[0].start_line == 4 and BUGGY_LINE in plan.context.snippets[0].code


def test_plan_edit_with_a_file_only_shows_its_top(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    _, sources, _ = project
    plan = plan_edit("add logging", sources, "textkit/stats.py", None, budget_chars=200)
    assert plan.context.snippets[0].start_line == 1
    assert plan.context.snippets[0].code.startswith("from textkit.windows import windows\n")
    assert len(plan.render()) <= 200


def test_plan_edit_finds_names_in_the_instruction(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    _, sources, _ = project
    plan = plan_edit("make total ignore None values", sources, None, None)
    assert plan.op is None and plan.path == "textkit/stats.py"
    assert f"{FILE} textkit/stats.py:13" in plan.render()


def test_plan_edit_errors(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    _, sources, _ = project
    with pytest.raises(DagentError, match="no Python file"):
        plan_edit("add logging", sources, "textkit/nope.py", None)
    with pytest.raises(DagentError, match="no definition of 'median'"):
        plan_edit("speed it up", sources, "textkit/stats.py", "median")


# ---------------------------------------------------------------- with the sandbox's real coverage


@pytest.mark.slow
def test_real_per_test_coverage_feeds_ochiai_and_the_plan(project: tuple[Path, dict[str, str], FailureInfo]) -> None:
    from dagent.agent.localize import ochiai
    from dagent.sandbox.results import collect_coverage

    root, sources, _ = project
    coverage = collect_coverage(root, timeout_s=120)
    failed, passed = set(coverage.run.failed_ids()), set(coverage.run.passed_ids())
    assert failed == {FAILING} and len(passed) == 2
    by_line = coverage.tests_by_line()
    ranked = ochiai(by_line, failed, passed)
    # Only the failing test runs windows(): all its executed lines score 1.0; mean() (run by a passing
    # test too) scores less; total() (run only by a passing test) is not suspected at all.
    assert {("textkit/windows.py", n) for n in (6, 8, 9, 10, 11)} <= {(s.path, s.line) for s in ranked if s.score == 1.0}
    assert next(s.score for s in ranked if (s.path, s.line) == ("textkit/stats.py", 5)) == pytest.approx(1 / 2**0.5)
    assert not any(s.path == "textkit/stats.py" and s.line >= 14 for s in ranked)
    assert not any(s.path.startswith("tests/") for s in ranked)
    # The sandbox's own outcome objects go straight into the planner.
    failures = [o for o in coverage.run.outcomes if o.outcome == "failed"]
    plan = plan_fix(failures, sources, by_line, project_dir=root, passed=passed)
    assert ("textkit/windows.py", 9) in [(t.path, t.line) for t in plan.targets[:2]]
    assert_consistent(plan, sources)
