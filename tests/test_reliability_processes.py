"""No test process outlives dagent's run: escaped sessions, daemons, a double Ctrl-C, SIGHUP.

A test may start helpers outside its process group (`setsid`, `start_new_session=True`, a new group)
or daemonise (fork, setsid, fork). After dagent's run returns, by the runner or by the warm worker,
and whether the run ended, timed out or was interrupted, none of them may be left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from dagent.sandbox import TestWorker, run_pytest
from dagent.sandbox.runner import run_command
from helpers.repos import pid_alive, wait_until, write_files

PY = sys.executable
HELPERS = ("setsid_cmd", "new_session", "new_group", "daemon")


def _escapers(pid_dir: Path) -> str:
    """A test module whose tests each leave one helper running outside pytest's process group."""
    return textwrap.dedent(f"""\
        import os, subprocess, time

        PIDS = {str(pid_dir)!r}

        def _note(name, pid):
            with open(os.path.join(PIDS, name + ".tmp"), "w") as f:
                f.write(str(pid))
            os.replace(os.path.join(PIDS, name + ".tmp"), os.path.join(PIDS, name))

        def _await(name):
            deadline = time.monotonic() + 20
            while not os.path.exists(os.path.join(PIDS, name)) and time.monotonic() < deadline:
                time.sleep(0.01)

        def test_setsid_cmd():
            # sh reports its own pid, then becomes the sleep: the pid is the helper's whatever setsid does
            note = "echo $$ > {pid_dir}/setsid_cmd.tmp && mv {pid_dir}/setsid_cmd.tmp {pid_dir}/setsid_cmd"
            subprocess.Popen(["setsid", "sh", "-c", note + " && exec sleep 300"])
            _await("setsid_cmd")

        def test_new_session():
            _note("new_session", subprocess.Popen(["sleep", "300"], start_new_session=True).pid)

        def test_new_group():
            _note("new_group", subprocess.Popen(["sleep", "300"], preexec_fn=os.setpgrp).pid)

        def test_daemon():
            first = os.fork()
            if first == 0:  # the classic daemon: fork, setsid, fork, stdio to /dev/null
                os.setsid()
                if os.fork() == 0:
                    null = os.open(os.devnull, os.O_RDWR)
                    for fd in (0, 1, 2):
                        os.dup2(null, fd)
                    _note("daemon", os.getpid())
                    os.execvp("sleep", ["sleep", "300"])
                os._exit(0)
            os.waitpid(first, 0)
            _await("daemon")
        """)


def _hung_escaper(pid_dir: Path) -> str:
    """A test that starts a helper in its own session, then hangs past every deadline."""
    return textwrap.dedent(f"""\
        import os, subprocess, time

        def test_hang():
            pid = subprocess.Popen(["sleep", "300"], start_new_session=True).pid
            with open(os.path.join({str(pid_dir)!r}, "helper"), "w") as f:
                f.write(str(pid))
            time.sleep(300)
        """)


def _gone(pid: int) -> bool:
    """Killed and reaped: no such process at all (a zombie still counts as there)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _pids(pid_dir: Path, names: tuple[str, ...]) -> dict[str, int]:
    return {name: int((pid_dir / name).read_text()) for name in names if (pid_dir / name).is_file()}


@pytest.fixture
def pid_dir(tmp_path: Path) -> Iterator[Path]:
    """Where the tests' helpers write their pids; whatever is left is killed, so a failure leaks nothing."""
    pids = tmp_path / "pids"
    pids.mkdir()
    yield pids
    for path in pids.iterdir():
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.kill(int(path.read_text()), signal.SIGKILL)


def _assert_all_gone(pid_dir: Path, names: tuple[str, ...]) -> None:
    pids = _pids(pid_dir, names)
    assert set(pids) == set(names), f"a helper did not start: {sorted(set(names) - set(pids))}"
    survivors = {name: pid for name, pid in pids.items() if not wait_until(lambda p=pid: _gone(p), 2)}
    assert not survivors, f"left running after the run returned: {survivors}"


# ---------------------------------------------------------------- 1. escaped helpers


def test_run_pytest_leaves_no_escaped_helper_or_daemon(tmp_path: Path, pid_dir: Path) -> None:
    write_files(tmp_path / "proj", {"tests/test_escape.py": _escapers(pid_dir)})
    run = run_pytest(tmp_path / "proj", timeout_s=60)
    assert sorted(run.passed_ids()) == sorted(f"tests/test_escape.py::test_{h}" for h in HELPERS), run.output
    _assert_all_gone(pid_dir, HELPERS)


def test_worker_leaves_no_escaped_helper_or_daemon(tmp_path: Path, pid_dir: Path) -> None:
    write_files(tmp_path / "proj", {"tests/test_escape.py": _escapers(pid_dir)})
    with TestWorker(tmp_path / "proj") as worker:
        run = worker.run(timeout_s=60)
        assert len(run.passed_ids()) == len(HELPERS), run.output
        _assert_all_gone(pid_dir, HELPERS)
        assert worker.run(timeout_s=60).ok  # the server lives on and serves the next run


def test_run_pytest_timeout_kills_a_helper_in_its_own_session(tmp_path: Path, pid_dir: Path) -> None:
    write_files(tmp_path / "proj", {"tests/test_hang.py": _hung_escaper(pid_dir)})
    run = run_pytest(tmp_path / "proj", timeout_s=3)
    assert run.timed_out
    _assert_all_gone(pid_dir, ("helper",))


def test_worker_timeout_kills_a_helper_in_its_own_session(tmp_path: Path, pid_dir: Path) -> None:
    write_files(tmp_path / "proj", {"tests/test_hang.py": _hung_escaper(pid_dir)})
    with TestWorker(tmp_path / "proj") as worker:
        run = worker.run(timeout_s=3)
        assert run.timed_out
        _assert_all_gone(pid_dir, ("helper",))


def test_closing_the_worker_mid_run_kills_a_helper_in_its_own_session(tmp_path: Path, pid_dir: Path) -> None:
    # The worker is retired from another thread while a run hangs: the server goes, its run's helpers too.
    write_files(tmp_path / "proj", {"tests/test_hang.py": _hung_escaper(pid_dir)})
    worker = TestWorker(tmp_path / "proj")
    worker.start()
    retire = threading.Thread(target=lambda: wait_until(lambda: (pid_dir / "helper").exists(), 30) and worker.retire())
    retire.start()
    with pytest.raises(Exception):
        worker.run(timeout_s=60)
    retire.join()
    worker.close()
    _assert_all_gone(pid_dir, ("helper",))


# ---------------------------------------------------------------- 2 and 3. signals to dagent


def _dagent_script(body: str) -> list[str]:
    """A dagent process that exits 130 on KeyboardInterrupt, as the CLI does."""
    body = textwrap.indent(textwrap.dedent(body), "    ")
    return [PY, "-c", f"import sys\ntry:\n{body}\nexcept KeyboardInterrupt:\n    sys.exit(130)\n"]


def _deaf_child(pid_file: Path) -> list[str]:
    """A test process that ignores SIGTERM (only SIGKILL stops it) and hangs."""
    code = f"""
        import os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        open({str(pid_file)!r} + ".tmp", "w").write(str(os.getpid()))
        os.replace({str(pid_file)!r} + ".tmp", {str(pid_file)!r})
        time.sleep(300)
    """
    return [PY, "-c", textwrap.dedent(code)]


def _start(argv: list[str], pid_file: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv)
    if not wait_until(lambda: pid_file.exists(), 30):
        proc.kill()
        pytest.fail(f"the test process never started (dagent exited {proc.wait()})")
    return proc


def test_a_second_ctrl_c_in_the_grace_period_still_kills_a_test_deaf_to_sigterm(tmp_path: Path, pid_dir: Path) -> None:
    pid_file = pid_dir / "deaf"
    script = f"""
        from dagent.sandbox.runner import run_command
        run_command({_deaf_child(pid_file)!r}, {str(tmp_path)!r}, timeout_s=120)
    """
    proc = _start(_dagent_script(script), pid_file)
    try:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)  # inside the 0.2 s between SIGTERM and SIGKILL
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130
    finally:
        proc.kill()
    deaf = int(pid_file.read_text())
    assert wait_until(lambda: not pid_alive(deaf), 3), "the test deaf to SIGTERM outlived dagent"


def test_sighup_to_dagent_inside_run_command_leaves_no_test_process(tmp_path: Path, pid_dir: Path) -> None:
    pid_file = pid_dir / "deaf"
    script = f"""
        from dagent.sandbox.runner import run_command
        run_command({_deaf_child(pid_file)!r}, {str(tmp_path)!r}, timeout_s=120)
    """
    proc = _start(_dagent_script(script), pid_file)
    try:
        proc.send_signal(signal.SIGHUP)  # the terminal was closed
        assert proc.wait(timeout=15) == 130
    finally:
        proc.kill()
    test_pid = int(pid_file.read_text())
    assert wait_until(lambda: not pid_alive(test_pid), 3), "the test outlived dagent's SIGHUP"


def test_sighup_to_dagent_during_a_worker_run_leaves_no_test_process(tmp_path: Path, pid_dir: Path) -> None:
    write_files(tmp_path / "proj", {"tests/test_hang.py": _hung_escaper(pid_dir)})
    script = f"""
        from dagent.sandbox import TestWorker
        with TestWorker({str(tmp_path / "proj")!r}) as worker:
            worker.run(timeout_s=120)
    """
    proc = _start(_dagent_script(script), pid_dir / "helper")
    try:
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=15) == 130
    finally:
        proc.kill()
    helper = int((pid_dir / "helper").read_text())
    assert wait_until(lambda: not pid_alive(helper), 3), "the test's helper outlived dagent's SIGHUP"


def test_worker_children_get_the_default_sighup_even_when_dagent_ignores_it(tmp_path: Path) -> None:
    # Under `nohup` dagent ignores SIGHUP, and an ignored signal survives exec into the server: a
    # test must still see the default, as it does SIGTERM and SIGINT.
    write_files(tmp_path, {"tests/test_sig.py": textwrap.dedent("""\
        import signal

        def test_default_dispositions():
            for sig in (signal.SIGHUP, signal.SIGTERM):
                assert signal.getsignal(sig) == signal.SIG_DFL, sig
        """)})  # fmt: skip
    previous = signal.getsignal(signal.SIGHUP)
    with TestWorker(tmp_path) as worker:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            worker.start()
        finally:
            signal.signal(signal.SIGHUP, previous)
        run = worker.run(timeout_s=60)
    assert run.ok, run.output


def test_run_command_restores_the_handlers_and_leaves_an_ignored_sighup_ignored(tmp_path: Path) -> None:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under `nohup`
    try:
        code = "import os, signal, time; os.kill(os.getppid(), signal.SIGHUP); time.sleep(0.3); print('alive')"
        result = run_command([PY, "-c", code], tmp_path, timeout_s=30)
        assert result.ok and result.output == "alive\n"
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is saved[signal.SIGINT]
        assert signal.getsignal(signal.SIGTERM) is saved[signal.SIGTERM]
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
