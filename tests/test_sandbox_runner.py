"""run_command: merged output, capping, timeouts that kill the whole process group, Ctrl-C, env."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dagent.errors import SandboxError
from dagent.sandbox.runner import cap_text, run_command
from helpers.repos import pid_alive, wait_until

PY = sys.executable


def _py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def test_merges_stdout_and_stderr_and_keeps_the_return_code(tmp_path: Path) -> None:
    result = run_command(_py("import sys; print('out'); sys.stderr.write('err\\n'); sys.exit(3)"), tmp_path, 30)
    assert result.returncode == 3
    assert result.output == "out\nerr\n"
    assert not result.timed_out and not result.ok and result.cut_bytes == 0


def test_output_is_capped_keeping_head_and_tail_without_deadlock(tmp_path: Path) -> None:
    # 2 MB through both pipes: a child that filled an unread pipe would block forever.
    code = """
        import sys
        sys.stdout.write('HEAD' + 'x' * 1_000_000)
        sys.stdout.flush()
        sys.stderr.write('y' * 1_000_000)
        sys.stderr.flush()
        sys.stdout.write('TAIL')
    """
    result = run_command(_py(code), tmp_path, 60, max_output_bytes=10_000)
    assert result.returncode == 0
    assert result.output.startswith("HEADxxx")
    assert result.output.endswith("yyyTAIL")
    cut = int(re.search(r"\[\.\.\. (\d+) bytes cut \.\.\.\]", result.output).group(1))  # type: ignore[union-attr]
    assert cut == result.cut_bytes == 2_000_008 - 10_000
    assert len(result.output) < 10_000 + 100


def test_timeout_kills_the_child_and_its_grandchild(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    code = f"""
        import subprocess, time
        child = subprocess.Popen(["sleep", "1000"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        print("started", flush=True)
        time.sleep(1000)
    """
    result = run_command(_py(code), tmp_path, timeout_s=2, grace_s=1)
    assert result.timed_out
    assert result.duration_s < 10
    assert "started" in result.output
    grandchild = int(pid_file.read_text())
    assert wait_until(lambda: not pid_alive(grandchild), 5), "the grandchild `sleep 1000` survived the timeout"


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    code = """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(1000)
    """
    result = run_command(_py(code), tmp_path, timeout_s=1.5, grace_s=0.5)
    assert result.timed_out
    assert result.returncode == -signal.SIGKILL
    assert result.duration_s < 10


def test_leftover_background_processes_are_killed_when_the_child_exits(tmp_path: Path) -> None:
    # The background `sleep` inherits the output pipe; without killing the group we would wait on it.
    code = """
        import subprocess
        child = subprocess.Popen(["sleep", "1000"])
        print(child.pid, flush=True)
    """
    result = run_command(_py(code), tmp_path, timeout_s=60)
    assert not result.timed_out and result.returncode == 0
    assert result.duration_s < 10
    background = int(result.output.split()[0])
    assert wait_until(lambda: not pid_alive(background), 5)


def test_environment_is_sanitised_and_extendable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "--this-option-does-not-exist")
    code = "import os; e = os.environ; print(e.get('PYTEST_ADDOPTS'), e['PYTHONDONTWRITEBYTECODE'], e['EXTRA'])"
    result = run_command(_py(code), tmp_path, 30, env={"EXTRA": "yes"})
    assert result.output.split() == ["None", "1", "yes"]


def test_missing_program_or_directory_is_a_sandbox_error(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="program not found"):
        run_command(["dagent-no-such-program"], tmp_path, 5)
    with pytest.raises(SandboxError, match="directory not found"):
        run_command([PY, "-c", "pass"], tmp_path / "missing", 5)
    with pytest.raises(SandboxError, match="empty argv"):
        run_command([], tmp_path, 5)


def test_ctrl_c_kills_the_process_group_and_propagates(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    child = f"""
        import subprocess, time
        open({str(pid_file)!r}, "w").write(str(subprocess.Popen(["sleep", "1000"]).pid))
        time.sleep(1000)
    """
    script = f"""
        import sys
        from dagent.sandbox.runner import run_command
        try:
            run_command({_py(child)!r}, {str(tmp_path)!r}, timeout_s=120)
        except KeyboardInterrupt:
            sys.exit(130)
    """
    proc = subprocess.Popen(_py(script))
    try:
        assert wait_until(lambda: pid_file.exists() and pid_file.read_text() != "", 30)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130
    finally:
        proc.kill()
    grandchild = int(pid_file.read_text())
    assert wait_until(lambda: not pid_alive(grandchild), 5)


def test_cap_text_keeps_head_and_tail() -> None:
    text = "a" * 100 + "b" * 100
    capped = cap_text(text, 30)
    assert capped.startswith("a" * 10) and capped.endswith("b" * 20)
    assert "[... 170 bytes cut ...]" in capped
    assert cap_text("short", 30) == "short"
