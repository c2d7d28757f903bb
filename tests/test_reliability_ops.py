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
from typer.testing import CliRunner

from dagent.errors import ApplyError, DagentError
from dagent.ops.apply import EmptyStream, apply_ops, plan_ops
from dagent.ops.check import check_ops, check_text
from dagent.ops.formats import FormatError, load_ops

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


# ---------------------------------------------------------------- 3. a unified diff cut mid-hunk

STATS = "def mean(xs):\n    total = sum(xs)\n    return total / (len(xs) - 1)\n"
WHOLE = (
    "--- a/stats.py\n+++ b/stats.py\n@@ -1,3 +1,3 @@\n def mean(xs):\n     total = sum(xs)\n"
    "-    return total / (len(xs) - 1)\n+    return total / len(xs)\n"
)


def test_diff_cut_mid_hunk_is_refused(tmp_path: Path) -> None:
    """Attack: a diff cut after the `-` line (its `+` line lost) passed `ops check` and deleted the line."""
    (tmp_path / "stats.py").write_text(STATS)
    cut = WHOLE[: WHOLE.index("+    return")]
    assert len(load_ops(WHOLE)) == 1  # the whole diff is fine
    for text in (cut, cut + "--- a/other.py\n+++ b/other.py\n@@ -1 +1 @@\n-a\n+b\n"):
        problems = check_text(tmp_path, text)
        assert len(problems) == 1 and "stats.py" in problems[0] and "@@ -1,3 +1,3 @@" in problems[0], problems
        with pytest.raises(FormatError, match=r"stats.py: hunk 1 .*cut short"):
            load_ops(text)
    assert (tmp_path / "stats.py").read_text() == STATS


def test_empty_diff_is_refused(tmp_path: Path) -> None:
    """Attack: a diff with file headers but no hunk (or cut right after them) was "applied" as no change."""
    (tmp_path / "stats.py").write_text(STATS)
    for text in ("--- a/stats.py\n+++ b/stats.py\n", "diff --git a/stats.py b/stats.py\nindex 1..2 100644\n--- a/stats.py\n+++ b/stats.py\n"):
        with pytest.raises(FormatError, match="stats.py: .*no hunk"):
            load_ops(text)
        assert check_text(tmp_path, text) != []
    with pytest.raises(FormatError, match="no change"):
        load_ops("diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n")


# ---------------------------------------------------------------- 4. an empty op stream


def test_empty_stream_is_one_clear_error_on_every_path(tmp_path: Path) -> None:
    """Attack: an empty stream was "applied: 0 op(s)" (exit 0) by `ops apply` but failed `ops check`."""
    (tmp_path / "stats.py").write_text(STATS)
    for text in ("", "\n\n"):
        with pytest.raises(EmptyStream, match="holds no op") as caught:
            load_ops(text)
        assert isinstance(caught.value, ApplyError) and isinstance(caught.value, DagentError)
        assert check_text(tmp_path, text) == [str(caught.value)]
    for call in (apply_ops, plan_ops):
        with pytest.raises(EmptyStream, match="holds no op"):
            call(tmp_path, [])
    assert check_ops(tmp_path, []) == [str(EmptyStream())]
    stream = tmp_path / "empty.ops"
    stream.write_text("")
    from dagent.agent.cli import app

    result = CliRunner().invoke(app, ["ops", "apply", str(stream), "--repo", str(tmp_path)])
    assert isinstance(result.exception, EmptyStream), result.output
    assert (tmp_path / "stats.py").read_text() == STATS
