"""Reliability attacks on the command line: odd option values and signals while `dagent test` runs.

Each test is one attack from the adversarial pass (issue 13); docs/reliability.md lists them all.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.repos import fingerprint, make_repo, wait_until

HANGS = "import time\n\n\ndef test_hangs():\n    time.sleep(120)\n"


def _cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dagent.agent.app.cli", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_a_duration_that_is_not_one_is_a_usage_error(tmp_path: Path, value: str) -> None:
    """Attack: `--timeout nan` gave a traceback."""
    make_repo(tmp_path / "p", {"test_ok.py": "def test_ok():\n    pass\n"})
    proc = _cli("test", "--timeout", value, cwd=tmp_path / "p")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "finite number of seconds" in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_test_run_says_so_and_leaves_nothing(tmp_path: Path, sig: signal.Signals) -> None:
    """Attack: an interrupted `dagent test` exited 130 with no word (and SIGHUP, the terminal closing)."""
    root = tmp_path / "p"
    make_repo(root, {"test_hangs.py": HANGS})
    before = fingerprint(root)
    proc = _cli("test", cwd=root)
    sandboxes = root / ".git" / "dagent" / "sandboxes"
    assert wait_until(lambda: any(sandboxes.glob("*.json")), timeout_s=30)
    time.sleep(1.0)  # pytest is inside the hanging test by now
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert not any(sandboxes.glob("*.json"))
    assert fingerprint(root) == before


def _processes_with(token: str) -> list[int]:
    """Live processes whose environment carries `token` (they descend from the process given it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if token.encode() in (entry / "environ").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_a_killed_bench_takes_its_pool_workers_and_their_sandboxes_with_it(tmp_path: Path) -> None:
    """Attack: SIGTERM to `dagent bench fix --jobs 2`; its pool workers ran on, running tasks, unseen."""
    import os

    token = f"DAGENT_TEST_TOKEN_{os.getpid()}_{time.monotonic_ns()}"
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, token: "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dagent.agent.app.cli", "bench", "fix", str(root / "examples/tasks"),
                             "--jobs", "2", "--limit", "4", "--budget", "60", "--out", str(tmp_path / "out")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert wait_until(lambda: len(_processes_with(token)) >= 3, timeout_s=60)  # the bench and its workers
    time.sleep(2.0)  # the workers are inside tasks by now
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert wait_until(lambda: not _processes_with(token), timeout_s=30), _processes_with(token)
