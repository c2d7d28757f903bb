"""pytest outcomes per node id, collection errors, timeouts, compile checks and per-test coverage."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dagent.errors import SandboxError
from dagent.sandbox import Sandbox, TestRun, TestWorker, collect_coverage, compile_check, run_pytest
from helpers.repos import make_repo, pid_alive, wait_until, write_files

CALC = """\
def add(a, b):
    return a + b


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b
"""

MIXED_TESTS = """\
import pytest

from dagent.errors import SandboxError
from calc import add, div


def test_add():
    assert add(1, 2) == 3


def test_fail():
    assert add(1, 1) == 3


@pytest.fixture
def broken():
    raise RuntimeError("fixture boom")


def test_fixture_error(broken):
    pass


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


@pytest.mark.parametrize("a,b", [(1, 2), (4, 0)])
def test_div(a, b):
    assert div(a, b) > 0


class TestCalc:
    def test_method(self):
        assert add(2, 2) == 4
"""

NESTED_TESTS = """\
def test_deep():
    assert True
"""

EXPECTED = {
    "tests/test_calc.py::test_add": "passed",
    "tests/test_calc.py::test_fail": "failed",
    "tests/test_calc.py::test_fixture_error": "error",
    "tests/test_calc.py::test_skipped": "skipped",
    "tests/test_calc.py::test_div[1-2]": "passed",
    "tests/test_calc.py::test_div[4-0]": "failed",
    "tests/test_calc.py::TestCalc::test_method": "passed",
    "tests/unit/sub/test_nested.py::test_deep": "passed",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results") / "proj"
    make_repo(root, {"calc.py": CALC, "tests/test_calc.py": MIXED_TESTS,
                     "tests/unit/__init__.py": "", "tests/unit/sub/__init__.py": "",
                     "tests/unit/sub/test_nested.py": NESTED_TESTS})  # fmt: skip
    return root


@pytest.fixture(scope="module")
def mixed_run(project: Path) -> TestRun:
    with Sandbox(project) as sb:
        return sb.run_tests(timeout_s=120)


def test_each_outcome_is_mapped_to_its_node_id(mixed_run: TestRun) -> None:
    assert {o.test_id: o.outcome for o in mixed_run.outcomes} == EXPECTED
    assert mixed_run.returncode == 1 and not mixed_run.timed_out
    assert mixed_run.collection_errors == []


def test_messages_and_details_explain_the_failure(mixed_run: TestRun) -> None:
    fail = mixed_run.outcome_of("tests/test_calc.py::test_fail")
    assert fail is not None and "assert 2 == 3" in fail.message
    assert "def test_fail" in fail.details and "\n" not in fail.message
    error = mixed_run.outcome_of("tests/test_calc.py::test_fixture_error")
    assert error is not None and "fixture boom" in error.message
    assert "RuntimeError" in error.details
    div = mixed_run.outcome_of("tests/test_calc.py::test_div[4-0]")
    assert div is not None and "ZeroDivisionError: b is zero" in div.message
    skip = mixed_run.outcome_of("tests/test_calc.py::test_skipped")
    assert skip is not None and skip.message == "not today"


def test_run_summary_and_id_lists(mixed_run: TestRun) -> None:
    assert mixed_run.failed_ids() == [
        "tests/test_calc.py::test_fail",
        "tests/test_calc.py::test_fixture_error",
        "tests/test_calc.py::test_div[4-0]",
    ]
    assert len(mixed_run.passed_ids()) == 4
    assert not mixed_run.ok
    assert mixed_run.summary().startswith("4 passed, 2 failed, 1 error, 1 skipped in ")


def test_selected_ids_run_alone_and_an_inherited_pytest_addopts_is_ignored(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "--no-such-option")
    ids = ["tests/test_calc.py::TestCalc::test_method", "tests/test_calc.py::test_div[1-2]"]
    run = run_pytest(project, ids, timeout_s=120)
    assert sorted(run.passed_ids()) == sorted(ids)
    assert run.ok and run.returncode == 0


def test_a_module_that_fails_to_import_is_a_collection_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"tests/test_ok.py": "def test_ok():\n    pass\n",
                           "tests/test_broken.py": "import no_such_module_here\n"})  # fmt: skip
    run = run_pytest(tmp_path, timeout_s=120)
    assert run.returncode == 2 and not run.ok
    assert len(run.collection_errors) == 1
    assert run.collection_errors[0].startswith("tests/test_broken.py: ")
    assert "No module named 'no_such_module_here'" in run.collection_errors[0]
    assert "collection error" in run.summary()


def test_no_tests_collected_is_not_ok(tmp_path: Path) -> None:
    write_files(tmp_path, {"tests/test_none.py": "X = 1\n"})
    run = run_pytest(tmp_path, timeout_s=120)
    assert run.returncode == 5 and run.outcomes == [] and not run.ok
    assert "no tests ran" in run.summary()


def test_node_ids_are_relative_to_the_project_even_when_pytest_roots_higher(tmp_path: Path) -> None:
    # pytest.ini one level up makes that the rootdir; junit class names are relative to it.
    test_a = "class TestA:\n    def test_x(self):\n        pass\n"
    write_files(tmp_path, {"pytest.ini": "[pytest]\n", "sub/tests/test_a.py": test_a})
    run = run_pytest(tmp_path / "sub", timeout_s=120)
    assert run.passed_ids() == ["tests/test_a.py::TestA::test_x"]


@pytest.mark.slow
def test_a_hanging_test_is_killed_with_its_children_and_reported_as_timed_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    write_files(tmp_path, {"tests/test_hang.py": textwrap.dedent(f"""\
        import subprocess, time

        def test_hang():
            child = subprocess.Popen(["sleep", "1000"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            time.sleep(1000)
        """)})  # fmt: skip
    run = run_pytest(tmp_path, timeout_s=10)
    assert run.timed_out and not run.ok
    assert run.outcomes == [] and run.duration_s < 20
    assert "TIMED OUT" in run.summary()
    grandchild = int(pid_file.read_text())
    assert wait_until(lambda: not pid_alive(grandchild), 5), "the test's `sleep 1000` outlived the timeout"


def test_compile_check_reports_syntax_errors_with_locations(tmp_path: Path) -> None:
    write_files(tmp_path, {"good.py": "x = 1\n", "bad.py": "def f(:\n    pass\n",
                           "notes.txt": "def (\n", "warn.py": "s = '\\d'\n"})  # fmt: skip
    errors = compile_check(tmp_path, ["good.py", "bad.py", "notes.txt", "deleted.py", "warn.py"])
    assert len(errors) == 1
    assert errors[0].startswith("bad.py:1:") and "SyntaxError" in errors[0]
    assert not list(tmp_path.rglob("*.pyc"))


def test_coverage_is_collected_per_test_node_id(project: Path) -> None:
    cov = collect_coverage(project, timeout_s=180)
    lines = cov.lines_by_test
    # add's body is line 2; div's checks are 6-8: each parametrized case has its own lines.
    assert lines["tests/test_calc.py::test_add"]["calc.py"] == {2}
    assert lines["tests/test_calc.py::test_div[1-2]"]["calc.py"] == {6, 8}
    assert lines["tests/test_calc.py::test_div[4-0]"]["calc.py"] == {6, 7}
    assert "calc.py" not in lines.get("tests/test_calc.py::test_fixture_error", {})
    by_line = cov.tests_by_line()
    assert by_line[("calc.py", 7)] == {"tests/test_calc.py::test_div[4-0]"}
    assert by_line[("calc.py", 2)] == {
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_fail",
        "tests/test_calc.py::TestCalc::test_method",
    }
    # The outcomes of the same run come along, so Ochiai can split passing from failing tests.
    assert {o.test_id: o.outcome for o in cov.run.outcomes} == EXPECTED


def test_an_interpreter_without_pytest_is_an_actionable_error(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'No module named pytest' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(SandboxError, match="pytest is not installed"):
        run_pytest(tmp_path, python=str(fake), timeout_s=30)


# ---------------------------------------------------------------- durations, per-test timeouts

LOOP = """\
def spin(n):
    i = 0
    while i < n:
        i -= 1
    return i
"""


def test_each_outcome_carries_its_duration(tmp_path: Path) -> None:
    write_files(tmp_path, {"tests/test_t.py": "import time\n\ndef test_slow():\n    time.sleep(0.3)\n"})
    run = run_pytest(tmp_path, timeout_s=120)
    outcome = run.outcome_of("tests/test_t.py::test_slow")
    assert outcome is not None and 0.3 <= outcome.duration_s < 5
    assert run.outcome_map() == {"tests/test_t.py::test_slow": "passed"}


def test_a_looping_test_fails_at_its_timeout_with_the_looping_line(tmp_path: Path) -> None:
    write_files(tmp_path, {"spin.py": LOOP, "tests/test_spin.py": textwrap.dedent("""\
        from spin import spin

        def test_spin():
            assert spin(3) == 3

        def test_after():
            pass
        """)})  # fmt: skip
    run = run_pytest(tmp_path, timeout_s=60, test_timeout_s=1.0)
    assert not run.timed_out and run.duration_s < 20
    assert run.outcome_map() == {"tests/test_spin.py::test_spin": "failed", "tests/test_spin.py::test_after": "passed"}
    spin = run.outcome_of("tests/test_spin.py::test_spin")
    assert spin is not None and "timed out after 1.0s" in spin.message
    assert "spin.py:3: Failed" in spin.details  # `while i < n:`, in pytest's style, which localize reads
    assert "_dagent_timeout" not in spin.details


def test_a_test_that_ignores_the_alarm_is_stopped_and_named_with_its_stack(tmp_path: Path) -> None:
    write_files(tmp_path, {"spin.py": LOOP, "tests/test_spin.py": textwrap.dedent("""\
        import signal
        from spin import spin

        def test_deaf():
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            spin(3)
        """)})  # fmt: skip
    run = run_pytest(tmp_path, timeout_s=60, test_timeout_s=0.5)
    assert not run.timed_out and run.collection_errors == []
    deaf = run.outcome_of("tests/test_spin.py::test_deaf")
    assert deaf is not None and deaf.outcome == "failed" and "timed out after 0.5s" in deaf.message
    lines = deaf.details.splitlines()
    assert "tests/test_spin.py:6: in test_deaf" in lines
    inner = [i for i, line in enumerate(lines) if line in ("spin.py:3: in spin", "spin.py:4: in spin")]
    assert inner and inner[0] > lines.index("tests/test_spin.py:6: in test_deaf")  # innermost last


def test_coverage_runs_take_the_per_test_timeout_too(tmp_path: Path) -> None:
    write_files(tmp_path, {"spin.py": LOOP, "tests/test_spin.py": "from spin import spin\n\ndef test_spin():\n    spin(3)\n"})
    cov = collect_coverage(tmp_path, timeout_s=120, test_timeout_s=1.0)
    assert cov.run.outcome_map() == {"tests/test_spin.py::test_spin": "failed"}
    assert 3 in cov.lines_by_test["tests/test_spin.py::test_spin"]["spin.py"]


@pytest.mark.slow
@pytest.mark.parametrize("runner", ["subprocess", "worker"])
def test_a_test_given_its_own_limit_is_cut_there_in_its_body_only(tmp_path: Path, runner: str) -> None:
    write_files(tmp_path, {"tests/test_times.py": textwrap.dedent("""\
        import time
        import pytest

        @pytest.fixture(scope="session")
        def slow_setup():
            time.sleep(1.5)

        def test_limited(slow_setup):
            time.sleep(4)

        def test_fast_body(slow_setup):
            pass

        def test_unlisted():
            time.sleep(1.5)
        """)})  # fmt: skip
    limits = {"tests/test_times.py::test_limited": 1.0, "tests/test_times.py::test_fast_body": 1.0}
    if runner == "worker":
        with TestWorker(tmp_path) as worker:
            run = worker.run(timeout_s=60, test_timeout_s=10.0, call_timeouts=limits)
    else:
        run = run_pytest(tmp_path, timeout_s=60, test_timeout_s=10.0, call_timeouts=limits)
    assert run.outcome_map() == {"tests/test_times.py::test_limited": "failed", "tests/test_times.py::test_fast_body": "passed",
                                 "tests/test_times.py::test_unlisted": "passed"}  # the 1.5 s setup is not the body's
    limited = run.outcome_of("tests/test_times.py::test_limited")
    assert limited is not None and "timed out after 1.0s" in limited.message


def test_a_per_test_timeout_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="must be positive"):
        run_pytest(tmp_path, timeout_s=30, test_timeout_s=0)


# ---------------------------------------------------------------- Sandbox.restore


def test_restore_puts_back_only_the_named_paths(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", {"a.py": "A = 1\n", "b.py": "B = 1\n"})
    with Sandbox(tmp_path / "r") as sb:
        (sb.path / "a.py").write_text("A = 2\n")
        (sb.path / "b.py").write_text("B = 2\n")
        (sb.path / "new/deep").mkdir(parents=True)
        (sb.path / "new/deep/c.py").write_text("C = 1\n")
        sb.restore(["a.py", "new/deep/c.py", "never/existed.py"])
        assert (sb.path / "a.py").read_text() == "A = 1\n"
        assert not (sb.path / "new").exists()
        assert sb.changed_files() == ["b.py"]
        sb.restore([])
