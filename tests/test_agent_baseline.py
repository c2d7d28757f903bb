"""The baseline: one plain run, then coverage only of the tests that can localise the failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagent.agent.baseline import module_names, run_baseline, traced_selection
from dagent.agent.budget import Budget
from dagent.agent.loop import run_fix
from dagent.sandbox.results import TestOutcome, TestRun
from helpers.repos import make_repo

SUSPECT = '''
def bucket(value, size):
    """The index of the bucket of width `size` that holds `value`."""
    if value < 0:
        raise ValueError(value)
    return value // size + 1
'''
OTHER = "def double(x):\n    return 2 * x\n"


def _project(root: Path) -> None:
    """300 tests: 2 failing and 48 passing in the suspect's own test module, 50 passing elsewhere that
    import the suspect's module, 200 passing that import only another module."""
    own = "from pkg.suspect import bucket\n\n\n" + "".join(
        f"def test_bucket_{n}():\n    assert bucket({n * 10 + 5}, 10) == {n}\n\n\n" for n in range(2)
    ) + "".join(f"def test_negative_{n}():\n    try:\n        bucket(-{n + 1}, 3)\n    except ValueError:\n"
                f"        pass\n    else:\n        raise AssertionError\n\n\n" for n in range(48))  # fmt: skip
    users = "import pkg.suspect\n\n\n" + "".join(
        f"def test_user_{n}():\n    with __import__('pytest').raises(ValueError):\n"
        f"        pkg.suspect.bucket(-{n + 1}, 2)\n\n\n" for n in range(50))  # fmt: skip
    files = {"pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n', "pkg/__init__.py": "",
             "pkg/suspect.py": SUSPECT, "pkg/other.py": OTHER, "tests/test_suspect.py": own,
             "tests/test_users.py": users}  # fmt: skip
    for k in range(4):
        files[f"tests/test_other_{k}.py"] = "from pkg.other import double\n\n\n" + "".join(
            f"def test_double_{n}():\n    assert double({n}) == {2 * n}\n\n\n" for n in range(50))
    make_repo(root, files)


def _suspect_tests(ids: list[str]) -> bool:
    return all(i.startswith(("tests/test_suspect.py::", "tests/test_users.py::")) for i in ids)


@pytest.mark.slow
def test_a_300_test_project_traces_the_failing_tests_and_those_covering_the_suspect_and_no_others(
    tmp_path: Path,
) -> None:
    _project(tmp_path)
    found = run_baseline(tmp_path, [], timeout_s=120, per_test_timeout_s=12)
    assert len(found.run.outcomes) == 300
    assert sorted(found.run.failed_ids()) == ["tests/test_suspect.py::test_bucket_0", "tests/test_suspect.py::test_bucket_1"]
    assert len(found.traced) == 100 and _suspect_tests(found.traced)
    assert found.traced[:2] == found.run.failed_ids()  # the failing tests first
    by_line = found.coverage.tests_by_line()
    assert {t for (path, _line), tests in by_line.items() if path == "pkg/suspect.py" for t in tests} == set(found.traced)
    assert not any(path == "pkg/other.py" for path, _line in by_line)


def _outcome(test_id: str, outcome: str = "passed", duration: float = 0.01, message: str = "") -> TestOutcome:
    return TestOutcome(test_id, outcome, message, "", duration)  # type: ignore[arg-type]


def test_the_selection_keeps_within_its_tracing_budget_fastest_first_and_never_traces_a_hang() -> None:
    plain = TestRun([
        _outcome("tests/test_a.py::test_fails", "failed", 0.5),
        _outcome("tests/test_a.py::test_hangs", "failed", 12.0, "timed out after 12.0s"),
        _outcome("tests/test_a.py::test_slow", duration=11.0),
        _outcome("tests/test_a.py::test_fast", duration=0.2),
        _outcome("tests/test_b.py::test_user", duration=0.3),
        _outcome("tests/test_c.py::test_unrelated", duration=0.01),
    ], 1, False, 24.0, "")  # fmt: skip
    imports = {"tests/test_b.py": {"pkg.core"}, "tests/test_c.py": {"pkg.other"}}
    chosen = traced_selection(plain, imports, {"pkg.core"}, share=0.05, floor_s=1.0)
    # budget: max(1.0, 0.05 x 12.01) = 1.0 s: the fast same-module test and the importing one fit, the slow one not
    assert chosen == ["tests/test_a.py::test_fails", "tests/test_a.py::test_fast", "tests/test_b.py::test_user"]


def test_module_names_know_packages_and_src_layouts() -> None:
    assert module_names("pkg/core.py") == {"pkg.core"}
    assert module_names("pkg/__init__.py") == {"pkg"}
    assert module_names("src/pkg/core.py") == {"src.pkg.core", "pkg.core"}


@pytest.mark.slow
def test_the_winner_is_confirmed_by_the_whole_suite_even_with_tests_never_traced(
    tmp_path: Path, test_runs: list[list[str] | None],
) -> None:
    _project(tmp_path)
    calls = test_runs
    report = run_fix(tmp_path, budget=Budget(time_s=120, model_rewrites=False, lanes=1))
    assert report.fixed and "+    return value // size" in report.diff, report.status
    assert calls[-1] is None  # the whole suite, the 200 untraced tests included
    assert 0 < report.timings.traced_tests == 100


@pytest.mark.slow
def test_a_baseline_cut_by_its_timeout_is_a_status_with_what_it_learned_not_an_error(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "tests/test_a.py": "".join(f"def test_ok_{n}():\n    pass\n\n\n" for n in range(5))
        + "def test_wrong():\n    assert 1 == 2\n",
        "tests/test_z.py": "import time\n\n\ndef test_slow():\n    time.sleep(30)\n",
    })  # fmt: skip
    report = run_fix(tmp_path, budget=Budget(time_s=60, test_timeout_s=4, model_rewrites=False))
    assert not report.fixed and report.candidates_tried == 0
    assert "did not finish within --timeout 4s" in report.status, report.status
    assert "6 test(s) had finished, 1 failing (tests/test_a.py::test_wrong)" in report.status
    assert "it was running tests/test_z.py::test_slow" in report.status and "raise --timeout" in report.status
