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
from dagent.ops.cst import add_parameter, rename_symbol
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


# ---------------------------------------------------------------- 2. libcst on absurdly nested code

DEEP = "x = " + "(" * 2000 + "1" + ")" * 2000 + "\n"  # segfaults libcst's native parser
LONG = "y = " + " + ".join(["1"] * 1000) + "\n"  # valid; RecursionError in libcst's scope analysis
MOD = "def foo():\n    return 1\n"
USE = "from mod import foo\n\nprint(foo())\n"

# Prints what apply/check made of the stream; exit 0 applied, 3 a DagentError (a clear refusal).
CST_CHILD = r"""
import sys
from dagent.errors import DagentError
from dagent.ops.apply import apply_ops
from dagent.ops.check import check_text
from dagent.ops.formats import load_ops

root, stream, mode = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "check":
    print("PROBLEMS", *check_text(root, stream), sep="\n")
    sys.exit(0)
try:
    result = apply_ops(root, load_ops(stream))
except DagentError as err:
    print("REFUSED", err)
    sys.exit(3)
print("APPLIED", result.summary(), *result.notes, sep="\n")
"""


def _run_cst_child(root: Path, stream: str, mode: str = "apply") -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-c", CST_CHILD, str(root), stream, mode]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def _nested_repo(tmp_path: Path, **extra: str) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in {"mod.py": MOD, "use.py": USE, **extra}.items():
        (root / name).write_text(text)
    return root


def test_deeply_nested_file_elsewhere_does_not_crash_a_rename(tmp_path: Path) -> None:
    """Attack: 2000 nested brackets in some other .py file of the repo (libcst segfaults on it) during @@rename."""
    root = _nested_repo(tmp_path, **{"deep.py": DEEP})
    done = _run_cst_child(root, "@@rename mod.py foo bar\n")
    assert done.returncode == 0, f"exit {done.returncode}: {done.stdout}{done.stderr[-1500:]}"
    assert "def bar():" in (root / "mod.py").read_text() and "from mod import bar" in (root / "use.py").read_text()
    assert "deep.py" in done.stdout and "skipped" in done.stdout, done.stdout
    assert (root / "deep.py").read_text() == DEEP


def test_long_expression_elsewhere_does_not_block_a_rename(tmp_path: Path) -> None:
    """Attack: a valid 1000-term `1 + 1 + ...` in another file made every rename fail with RecursionError
    (as does, past the nesting gauge, 199 nested lists: libcst's scope analysis runs out of recursion)."""
    root = _nested_repo(tmp_path, **{"long.py": LONG, "lists.py": "x = " + "[" * 199 + "]" * 199 + "\n"})
    done = _run_cst_child(root, "@@rename mod.py foo bar\n")
    assert done.returncode == 0, f"exit {done.returncode}: {done.stdout}{done.stderr[-1500:]}"
    assert "def bar():" in (root / "mod.py").read_text() and "from mod import bar" in (root / "use.py").read_text()
    assert "long.py: skipped" in done.stdout and "lists.py: skipped" in done.stdout and "RecursionError" in done.stdout, done.stdout


@pytest.mark.parametrize(
    "stream",
    [
        "@@rename deep.py f g\n",
        "@@param deep.py f y=1\n",
        "@@import deep.py import os\n",
        "@@static deep.py C.m\n",
        "@@param mod.py foo y=" + "(" * 2000 + "1" + ")" * 2000 + "\n",
    ],
)
def test_structural_op_on_a_deeply_nested_file_is_refused_clearly(tmp_path: Path, stream: str) -> None:
    """Attack: the file being edited (or the op's own parameter text) holds 2000 nested brackets."""
    deep = "class C:\n    def m(self):\n        return 1\n\n\ndef f(x):\n    return x\n\n\n" + DEEP
    root = _nested_repo(tmp_path, **{"deep.py": deep})
    done = _run_cst_child(root, stream)
    assert done.returncode == 3, f"exit {done.returncode}: {done.stdout}{done.stderr[-1500:]}"
    assert "too deeply nested" in done.stdout, done.stdout
    assert (root / "deep.py").read_text() == deep and (root / "mod.py").read_text() == MOD


def test_ops_check_on_deeply_nested_files_reports_instead_of_crashing(tmp_path: Path) -> None:
    """Attack: `dagent ops check` of structural ops in a repo holding 2000-bracket and 1000-term files."""
    root = _nested_repo(tmp_path, **{"deep.py": "def f(x):\n    return x\n" + DEEP, "long.py": LONG})
    done = _run_cst_child(root, "@@rename mod.py foo bar\n@@param deep.py f y=1\n", mode="check")
    assert done.returncode == 0, f"exit {done.returncode}: {done.stdout}{done.stderr[-1500:]}"
    problems = done.stdout.split("\n", 1)[1].strip().splitlines()
    assert len(problems) == 1 and "op 2 of 2" in problems[0] and "deep.py" in problems[0] and "too deeply nested" in problems[0], problems


def test_nesting_guard_keeps_ordinary_big_code() -> None:
    """Not an attack: big flat data and moderately long expressions must still be edited."""
    data = "TABLE = [\n" + "".join(f"    (-{i}, {i} + 1, 'x' if {i} else 'y'),\n" for i in range(300)) + "]\n"
    formula = "def f(x):\n    return " + " + ".join(f"x * {i}" for i in range(100)) + "\n"
    renamed = rename_symbol({"a.py": data + formula, "b.py": data}, "a.py", "f", "g")
    assert "def g(x):" in renamed["a.py"]
    assert "def f(x, y=1):" in add_parameter(formula, "f", "y=1")


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
    from dagent.agent.app.cli import app

    result = CliRunner().invoke(app, ["ops", "apply", str(stream), "--repo", str(tmp_path)])
    assert isinstance(result.exception, EmptyStream), result.output
    assert (tmp_path / "stats.py").read_text() == STATS
