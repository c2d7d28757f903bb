"""The warm test worker: the same TestRun as run_pytest, fresh modules per run, hangs, deaths, clean-up."""

from __future__ import annotations

import os
import shutil
import signal
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dagent.errors import SandboxError
from dagent.sandbox import Sandbox, TestRun, TestWorker, run_pytest
from dagent.sandbox import worker as worker_module
from helpers.repos import make_repo, pid_alive, wait_until, write_files

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

CALC = "def add(a, b):\n    return a + b\n"

MIXED = {
    "calc.py": CALC,
    "tests/test_calc.py": textwrap.dedent("""\
        import pytest
        from calc import add

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

        @pytest.mark.parametrize("a,b", [(1, 2), (4, -4)])
        def test_param(a, b):
            assert add(a, b) > 0

        class TestCalc:
            def test_method(self):
                assert add(2, 2) == 4
        """),
    "tests/test_broken.py": "import no_such_module\n\ndef test_never():\n    pass\n",
}

LOOP = "def spin(n):\n    i = 0\n    while i < n:\n        i -= 1\n    return i\n"


def _same(a: TestRun, b: TestRun) -> None:
    """What the fix loop reads off a run: outcomes, messages, collection errors, exit code."""
    assert a.outcome_map() == b.outcome_map()
    assert [(o.test_id, o.message) for o in a.outcomes] == [(o.test_id, o.message) for o in b.outcomes]
    assert [e.split(":", 1)[0] for e in a.collection_errors] == [e.split(":", 1)[0] for e in b.collection_errors]
    assert (a.returncode, a.timed_out, a.ok) == (b.returncode, b.timed_out, b.ok)


@pytest.fixture
def worker(tmp_path: Path) -> TestWorker:
    with TestWorker(tmp_path, test_timeout_s=1.0) as w:
        yield w


# ---------------------------------------------------------------- same outcomes as run_pytest


@pytest.mark.slow
def test_outcomes_equal_run_pytest_with_pass_fail_error_skip_and_a_collection_error(tmp_path: Path) -> None:
    write_files(tmp_path, MIXED)
    with TestWorker(tmp_path) as w:
        _same(w.run(timeout_s=120), run_pytest(tmp_path, timeout_s=120))
        ids = ["tests/test_calc.py::test_fail", "tests/test_calc.py::test_param[4--4]"]
        run = w.run(ids, timeout_s=120)
        _same(run, run_pytest(tmp_path, ids, timeout_s=120))
    assert run.failed_ids() == ids and "assert 2 == 3" in run.outcome_of(ids[0]).details  # type: ignore[union-attr]
    assert "1 failed" in run.output or "2 failed" in run.output


def test_extra_args_and_a_deselecting_keyword_behave_as_in_run_pytest(tmp_path: Path) -> None:
    write_files(tmp_path, {k: v for k, v in MIXED.items() if k != "tests/test_broken.py"})
    with TestWorker(tmp_path) as w:
        _same(w.run(extra_args=["-k", "add or method"], timeout_s=120),
              run_pytest(tmp_path, extra_args=["-k", "add or method"], timeout_s=120))  # fmt: skip
        _same(w.run(extra_args=["-k", "nothing_matches"], timeout_s=120),
              run_pytest(tmp_path, extra_args=["-k", "nothing_matches"], timeout_s=120))  # fmt: skip


@pytest.mark.slow
def test_outcomes_equal_run_pytest_on_the_buggy_stats_example(tmp_path: Path) -> None:
    project = tmp_path / "buggy_stats"
    shutil.copytree(EXAMPLES / "buggy_stats", project)
    with TestWorker(project) as w:
        run = w.run(timeout_s=120)
        _same(run, run_pytest(project, timeout_s=120))
    assert run.failed_ids() and run.passed_ids()
    assert "PytestAssertRewriteWarning" not in run.output  # the server's preloaded plugins are no news


# ---------------------------------------------------------------- every run sees the files as they are


def test_bytecode_is_cached_in_the_workers_folder_not_in_the_project(worker: TestWorker) -> None:
    project = worker.project
    write_files(project, {"calc.py": CALC, "tests/test_add.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"})
    assert worker.run(timeout_s=120).ok
    assert worker.run(timeout_s=120).ok
    assert not list(project.rglob("*.pyc"))
    assert worker._server is not None
    cached = sorted(p.name for p in (worker._server.tmp / "bytecode").rglob("*.pyc"))
    assert any(name.startswith("calc.") for name in cached)  # the next run reads it, unless calc.py changes
    assert any(name.startswith("test_add.") and "pytest" in name for name in cached)  # rewritten tests too


def test_a_changed_source_file_is_seen_by_the_next_run_even_with_the_same_size_and_mtime(worker: TestWorker) -> None:
    project = worker.project
    write_files(project, {"calc.py": CALC, "tests/test_add.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"})
    assert worker.run(timeout_s=120).ok
    stat = (project / "calc.py").stat()
    (project / "calc.py").write_text(CALC.replace("a + b", "a - b"))  # same length
    os.utime(project / "calc.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert worker.run(timeout_s=120).failed_ids() == ["tests/test_add.py::test_add"]
    write_files(project, {"tests/test_new.py": "def test_new():\n    pass\n"})  # a file that did not exist
    assert "tests/test_new.py::test_new" in worker.run(timeout_s=120).passed_ids()


def test_a_project_module_named_for_preload_is_not_kept_in_the_server(tmp_path: Path) -> None:
    write_files(tmp_path, {"calc.py": CALC, "tests/test_add.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"})
    with TestWorker(tmp_path, preload=["calc", "json"]) as w:
        assert w.run(timeout_s=120).ok
        (tmp_path / "calc.py").write_text(CALC.replace("a + b", "a * b"))
        assert w.run(timeout_s=120).failed_ids() == ["tests/test_add.py::test_add"]


def test_a_global_written_by_one_run_does_not_leak_into_the_next(worker: TestWorker) -> None:
    write_files(worker.project, {"state.py": "SEEN = []\n", "tests/test_state.py": textwrap.dedent("""\
        import os
        import state

        def test_first_to_write():
            state.SEEN.append(1)
            os.environ["DAGENT_LEAK"] = "1"
            assert state.SEEN == [1]
            assert os.environ["DAGENT_LEAK"] == "1"
        """)})  # fmt: skip
    assert worker.run(timeout_s=120).ok
    assert worker.run(timeout_s=120).ok
    assert "DAGENT_LEAK" not in os.environ


# ---------------------------------------------------------------- hangs and tests that misbehave


def test_a_hanging_test_fails_with_its_stack_and_the_worker_answers_the_next_run(worker: TestWorker) -> None:
    write_files(worker.project, {"spin.py": LOOP, "tests/test_spin.py": textwrap.dedent("""\
        from spin import spin

        def test_spin():
            assert spin(3) == 3

        def test_after():
            pass
        """)})  # fmt: skip
    run = worker.run(timeout_s=60)
    pid = worker.pid
    assert not run.timed_out and run.duration_s < 10
    assert run.outcome_map() == {"tests/test_spin.py::test_spin": "failed", "tests/test_spin.py::test_after": "passed"}
    spin = run.outcome_of("tests/test_spin.py::test_spin")
    assert spin is not None and "timed out after 1.0s" in spin.message and "spin.py:3: Failed" in spin.details
    assert worker.run(["tests/test_spin.py::test_after"], timeout_s=60).ok
    assert worker.pid == pid and worker.starts == 1


@pytest.mark.slow
def test_a_test_deaf_to_the_alarm_is_stopped_by_faulthandler_and_named(tmp_path: Path) -> None:
    write_files(tmp_path, {"spin.py": LOOP, "tests/test_spin.py": textwrap.dedent("""\
        import signal
        from spin import spin

        def test_deaf():
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            spin(3)
        """)})  # fmt: skip
    with TestWorker(tmp_path) as w:
        run = w.run(timeout_s=60, test_timeout_s=0.5)
        _same(run, run_pytest(tmp_path, timeout_s=60, test_timeout_s=0.5))
        deaf = run.outcome_of("tests/test_spin.py::test_deaf")
        assert deaf is not None and deaf.outcome == "failed" and "timed out after 0.5s" in deaf.message
        assert "tests/test_spin.py:6: in test_deaf" in deaf.details.splitlines()
        assert w.starts == 1


@pytest.mark.slow
def test_past_the_run_deadline_the_child_and_its_children_are_killed(worker: TestWorker) -> None:
    pid_file = worker.project / "grandchild.pid"
    write_files(worker.project, {"tests/test_hang.py": textwrap.dedent(f"""\
        import subprocess, time

        def test_hang():
            child = subprocess.Popen(["sleep", "1000"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            time.sleep(1000)
        """), "tests/test_ok.py": "def test_ok():\n    pass\n"})  # fmt: skip
    run = worker.run(["tests/test_hang.py"], timeout_s=2, test_timeout_s=100)
    assert run.timed_out and run.outcomes == [] and run.duration_s < 8 and "TIMED OUT" in run.summary()
    assert wait_until(lambda: not pid_alive(int(pid_file.read_text())), 5)
    assert worker.run(["tests/test_ok.py"], timeout_s=60).ok and worker.starts == 1


@pytest.mark.parametrize("exit_call", ["os._exit(3)", "os.killpg(os.getpgid(0), signal.SIGKILL)", "sys.exit(4)"])
def test_a_test_that_exits_or_kills_its_group_does_not_take_the_worker_down(worker: TestWorker, exit_call: str) -> None:
    write_files(worker.project, {"tests/test_exit.py": f"import os, signal, sys\n\ndef test_exit():\n    {exit_call}\n",
                                 "tests/test_ok.py": "def test_ok():\n    pass\n"})  # fmt: skip
    run = worker.run(["tests/test_exit.py"], timeout_s=60)
    assert not run.ok
    if exit_call.startswith("sys.exit"):
        assert run.failed_ids() == ["tests/test_exit.py::test_exit"]  # pytest catches SystemExit
    else:
        assert run.outcomes == [] and run.collection_errors  # no junit: as run_pytest reports it
    assert worker.run(["tests/test_ok.py"], timeout_s=60).ok and worker.starts == 1


# ---------------------------------------------------------------- the server's life


def test_a_killed_server_is_restarted_by_the_next_run(worker: TestWorker) -> None:
    write_files(worker.project, {"tests/test_ok.py": "def test_ok():\n    pass\n"})
    assert worker.run(timeout_s=60).ok
    old = worker.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    assert wait_until(lambda: not pid_alive(old), 5)
    assert worker.run(timeout_s=60).ok
    assert worker.starts == 2 and worker.pid not in (None, old)


def test_a_server_that_dies_mid_run_is_replaced_and_the_run_retried(worker: TestWorker) -> None:
    marker = worker.project / "killed-once"
    write_files(worker.project, {"tests/test_kill.py": textwrap.dedent(f"""\
        import os, signal

        def test_kills_the_server_once():
            if not os.path.exists({str(marker)!r}):
                open({str(marker)!r}, "w").close()
                os.kill(os.getppid(), signal.SIGKILL)
        """)})  # fmt: skip
    run = worker.run(timeout_s=60)
    assert run.ok and marker.exists() and worker.starts == 2


def test_close_leaves_no_process_and_a_later_run_starts_afresh(tmp_path: Path) -> None:
    write_files(tmp_path, {"tests/test_ok.py": "def test_ok():\n    pass\n"})
    w = TestWorker(tmp_path)
    w.start()
    pid, tmp = w.pid, w._server.tmp  # type: ignore[union-attr]
    assert pid is not None and pid_alive(pid)
    w.close()
    w.close()
    assert not pid_alive(pid) and not tmp.exists() and w.pid is None
    assert w.run(timeout_s=60).ok and w.starts == 2
    w.close()


@pytest.mark.slow
def test_retire_from_another_thread_cuts_a_run_in_flight_and_no_server_starts_again(tmp_path: Path) -> None:
    write_files(tmp_path, {"tests/test_hang.py": "import time\n\ndef test_hang():\n    time.sleep(1000)\n"})
    w = TestWorker(tmp_path)
    w.start()
    server = w.pid
    assert server is not None
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(w.run, ["tests/test_hang.py"], (), 600, None)
        assert wait_until(lambda: w._server is not None and w._server.child is not None, 30)  # type: ignore[union-attr]
        w.retire()
        with pytest.raises(SandboxError, match="retired"):
            running.result(timeout=30)  # cut, not left to its 600 s
    assert not pid_alive(server) and w.pid is None and w.starts == 1
    with pytest.raises(SandboxError, match="retired"):
        w.run(timeout_s=60)


def test_an_interpreter_without_pytest_is_an_actionable_error(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'pytest'\" >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(SandboxError, match="pytest is not installed"), TestWorker(tmp_path, python=str(fake)) as w:
        w.run(timeout_s=30)


def test_without_fork_every_run_is_a_run_pytest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"tests/test_ok.py": "def test_ok():\n    pass\n"})
    monkeypatch.setattr(worker_module, "CAN_FORK", False)
    with TestWorker(tmp_path) as w:
        assert w.run(timeout_s=60).ok and w.pid is None and w.starts == 0


def test_a_sandbox_hands_out_a_worker_in_its_project_dir(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", {"pkg/calc.py": CALC, "pkg/tests/test_add.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"})
    with Sandbox(tmp_path / "r" / "pkg") as sb, sb.worker(test_timeout_s=5) as w:
        assert w.project == sb.project_dir
        assert w.run(timeout_s=60).passed_ids() == ["tests/test_add.py::test_add"]
        (sb.project_dir / "calc.py").write_text(CALC.replace("+", "-"))
        assert not w.run(timeout_s=60).ok
        sb.restore(["pkg/calc.py"])
        assert w.run(timeout_s=60).ok
