"""Reliability attacks on the ops layer: interrupted writes, parser crashes, cut diffs, empty streams.

The attacks that could kill the interpreter (a signal, a libcst segfault) run in a child process, so a
crash shows up as a failed assertion here rather than as a dead pytest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FILES = 3000
LEFTOVER_SUFFIXES = (".dagent-tmp", ".dagent-bak")

# ---------------------------------------------------------------- 1. an interrupted multi-file apply

# The child applies a 3000-file stream. With a hook it signals itself at the AT-th call of a
# function the write phase uses once a file (mkstemp: staging, os.replace: swapping in), so the
# moment is exact; without one the parent sends the signal once a temporary file shows up.
APPLY_CHILD = r"""
import os, sys, tempfile
from pathlib import Path
from dagent.ops.apply import apply_ops
from dagent.ops.model import Replace

root, hook, at, signum = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ops = [Replace(path=f"f{i:04}.txt", old=f"old {i}\n", new=f"new {i}\n") for i in range(int(sys.argv[5]))]
if hook != "none":
    owner = tempfile if hook == "mkstemp" else os
    real, calls = getattr(owner, hook), [0]
    def hooked(*args, **kwargs):
        calls[0] += 1
        if calls[0] == at:
            os.kill(os.getpid(), signum)
        return real(*args, **kwargs)
    setattr(owner, hook, hooked)
print("applying", flush=True)
try:
    apply_ops(root, ops)
except KeyboardInterrupt:
    sys.exit(130)
print("applied", flush=True)
"""


def _make_files(root: Path) -> None:
    root.mkdir()
    for i in range(FILES):
        (root / f"f{i:04}.txt").write_text(f"old {i}\n")


def _assert_all_or_nothing(root: Path, why: str) -> None:
    names = os.listdir(root)
    leftovers = [n for n in names if n.endswith(LEFTOVER_SUFFIXES)]
    assert not leftovers, f"{why}: {len(leftovers)} temporary/backup files left, e.g. {leftovers[:3]}"
    texts = {(root / n).read_text() for n in names}
    states = {t.split()[0] for t in texts}
    assert len(names) == FILES and len(states) == 1, f"{why}: half-written: {sum(t.startswith('new') for t in texts)} of {FILES} files new"


def _wait_for_temp(root: Path, child: subprocess.Popen[str], limit_s: float = 30.0) -> bool:
    """Poll until the child has staged a temporary file (the write phase began); False if it ended first."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and child.poll() is None:
        with os.scandir(root) as entries:
            if any(e.name.endswith(".dagent-tmp") for e in entries):
                return True
    return False


CASES = [
    ("mkstemp", 1500, signal.SIGINT, 0.0),  # halfway through staging
    ("replace", 1500, signal.SIGTERM, 0.0),  # halfway through swapping in (default action: die at once)
    ("replace", 2, signal.SIGINT, 0.0),  # the first file moved aside, not yet replaced
    ("none", 0, signal.SIGTERM, 0.0),  # sent by this test as soon as the write phase shows
    ("none", 0, signal.SIGINT, 0.05),
]


@pytest.mark.slow
@pytest.mark.parametrize(("hook", "at", "signum", "delay"), CASES)
def test_interrupted_apply_is_all_or_nothing(tmp_path: Path, hook: str, at: int, signum: int, delay: float) -> None:
    """Attack: SIGINT/SIGTERM in the write phase of a 3000-file apply; no file may be half-written or left over."""
    root = tmp_path / "repo"
    _make_files(root)
    args = [sys.executable, "-c", APPLY_CHILD, str(root), hook, str(at), str(int(signum)), str(FILES)]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if hook == "none" and _wait_for_temp(root, child):
            time.sleep(delay)
            child.send_signal(signum)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode in (0, 130, -signal.SIGTERM), f"child failed ({child.returncode}): {err[-2000:]}"
    _assert_all_or_nothing(root, f"{signal.Signals(signum).name} via {hook} at {at}")
