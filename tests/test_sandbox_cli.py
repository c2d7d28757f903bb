"""`dagent test` and `dagent clean`, run as the user runs them: a real process on a real repo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.repos import (
    fingerprint,
    make_repo,
    pid_alive,
    start_sandbox_holder,
    wait_until,
    worktree_paths,
    write_files,
)

CLI = [sys.executable, "-m", "dagent.agent.app.cli"]
ENV = {**os.environ, "COLUMNS": "200"}  # wide enough that rich does not fold test ids


def dagent(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=ENV, timeout=timeout)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Committed code with a bug; the fix is an uncommitted edit, one test is an untracked file."""
    root = tmp_path / "proj"
    add_test = "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n"
    zero_test = "from calc import add\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
    make_repo(root, {"calc.py": "def add(a, b):\n    return a - b\n", "tests/test_calc.py": add_test})
    write_files(root, {"calc.py": "def add(a, b):\n    return a + b\n", "tests/test_more.py": zero_test})
    return root


def test_dagent_test_runs_the_users_current_tree_in_a_sandbox(repo: Path) -> None:
    before = fingerprint(repo)
    result = dagent("test", "--repo", str(repo))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tests/test_calc.py::test_add" in result.stdout  # passes only with the uncommitted fix
    assert "tests/test_more.py::test_zero" in result.stdout  # the untracked test file ran
    assert "2 passed" in result.stdout
    assert fingerprint(repo) == before
    assert worktree_paths(repo) == [str(repo)]


def test_dagent_test_exits_1_on_failure_and_filters_with_k(repo: Path) -> None:
    write_files(repo, {"tests/test_more.py": "def test_zero():\n    assert 0 == 1\n\ndef test_other():\n    pass\n"})
    result = dagent("test", "--repo", str(repo), "-k", "zero or add", "--quiet")
    assert result.returncode == 1
    assert "failed   tests/test_more.py::test_zero" in result.stdout
    assert "test_other" not in result.stdout and "test_add " not in result.stdout  # -k and --quiet
    assert "1 passed, 1 failed" in result.stdout


def test_dagent_test_outside_a_repo_is_a_usage_error(tmp_path: Path) -> None:
    result = dagent("test", "--repo", str(tmp_path))
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr


def test_dagent_clean_removes_what_a_killed_run_left(repo: Path) -> None:
    proc, path = start_sandbox_holder(repo)
    proc.kill()
    proc.wait()
    result = dagent("clean", "--repo", str(repo))
    assert result.returncode == 0
    assert f"removed {path}" in result.stdout
    assert worktree_paths(repo) == [str(repo)] and not Path(path).exists()
    assert "nothing to clean" in dagent("clean", "--repo", str(repo)).stdout


@pytest.mark.parametrize("command", ["test", "clean"])
def test_help_has_an_example(command: str) -> None:
    result = dagent(command, "--help")
    assert result.returncode == 0
    assert f"Example: dagent {command} --repo" in result.stdout


@pytest.mark.slow
def test_ctrl_c_during_a_run_cleans_up_promptly(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    write_files(repo, {"tests/test_slow.py": "import os, time\n\n"
                       "def test_slow():\n"
                       "    open(os.environ['DAGENT_TEST_MARKER'], 'w').write(str(os.getpid()))\n"
                       "    time.sleep(30)\n"})  # fmt: skip
    before = fingerprint(repo)
    proc = subprocess.Popen([*CLI, "test", "--repo", str(repo), "--timeout", "120"],
                            env={**ENV, "DAGENT_TEST_MARKER": str(marker)}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert wait_until(lambda: marker.exists() and marker.read_text() != "", 60), "the slow test never started"
        time.sleep(2)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
        assert time.monotonic() - sent < 15
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert wait_until(lambda: not pid_alive(int(marker.read_text())), 5), "pytest outlived the Ctrl-C"
    assert fingerprint(repo) == before
    assert worktree_paths(repo) == [str(repo)]
