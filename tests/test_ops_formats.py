"""Importing unified diffs and SEARCH/REPLACE blocks into ops, and detecting the form of a file."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from dagent.ops.apply import apply_ops, plan_ops
from dagent.ops.formats import FormatError, detect_format, diff_to_ops, load_ops, search_replace_to_ops, unquote_path
from dagent.ops.model import CreateFile, Delete, Insert, MoveFile, RemoveFile, Replace

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}


def git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(cwd), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-c", "core.autocrlf=false", *args], cwd=cwd, check=True, capture_output=True, env=env).stdout.decode("utf-8")


BODY = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(12))


@needs_git
def test_real_git_diff_imports_and_applies_to_a_fresh_copy(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "pkg").mkdir(parents=True)
    (work / "pkg" / "funcs.py").write_text(BODY)
    (work / "pkg" / "old_name.py").write_text("".join(f"LINE_{i} = {i}\n" for i in range(20)))
    (work / "gone.py").write_text("X = 1\n")
    (work / "tail.txt").write_bytes(b"one\ntwo")
    (work / "crlf.txt").write_bytes(b"alpha\r\nbeta\r\ngamma\r\n")
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "base")
    fresh = tmp_path / "fresh"
    shutil.copytree(work, fresh, ignore=shutil.ignore_patterns(".git"))

    funcs = BODY.replace("def f0(x):\n", "def f0(x, y=0):\n")  # first line: no leading context
    funcs = funcs.replace("    return x + 5\n", "    return x + 5\n    # five\n")  # pure insertion
    funcs = funcs.replace("def f8(x):\n    return x + 8\n\n\n", "")  # pure deletion
    funcs = funcs.replace("    return x + 11\n", "    return x - 11\n")  # last function
    (work / "pkg" / "funcs.py").write_text(funcs)
    (work / "pkg" / "old_name.py").rename(work / "pkg" / "new name.py")
    (work / "pkg" / "new name.py").write_text((work / "pkg" / "new name.py").read_text().replace("LINE_3 = 3", "LINE_3 = 33"))
    (work / "gone.py").unlink()
    (work / "créé.py").write_text('"""New."""\n')
    (work / "empty.py").write_text("")
    (work / "tail.txt").write_bytes(b"one\nTWO")
    (work / "crlf.txt").write_bytes(b"alpha\r\nBETA\r\ngamma\r\n")
    git(work, "add", "-A")
    diff = git(work, "diff", "--cached", "-M")

    ops = load_ops(diff)
    kinds = {type(op).__name__ for op in ops}
    assert {"Replace", "Insert", "Delete", "MoveFile", "RemoveFile", "CreateFile"} <= kinds
    assert MoveFile(path="pkg/old_name.py", to="pkg/new name.py") in ops
    apply_ops(fresh, ops)
    assert tree_bytes(fresh) == tree_bytes(work)


def test_hunks_become_inserts_deletes_and_replaces_with_hints() -> None:
    diff = (
        "--- a/m.py\n+++ b/m.py\n"
        "@@ -1,3 +1,4 @@\n a\n+a2\n b\n c\n"
        "@@ -10,4 +11,3 @@\n j\n-k\n l\n m\n"
        "@@ -20,3 +20,3 @@\n t\n-u\n+U\n v\n"
    )
    assert diff_to_ops(diff) == [
        Insert(kind="insert_after", path="m.py", anchor="a\n", text="a2\n", line=1),
        Delete(path="m.py", old="k\n", line=12),
        Replace(path="m.py", old="t\nu\nv\n", new="t\nU\nv\n", line=20),
    ]


def test_plain_diff_u_with_timestamps_and_no_newline_marker() -> None:
    diff = (
        "--- stats.py.orig\t2024-05-01 10:00:00.000000000 +0200\n"
        "+++ stats.py\t2024-05-01 10:01:00.000000000 +0200\n"
        "@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n"
    )
    assert diff_to_ops(diff) == [Replace(path="stats.py", old="x = 1\ny = 2\n", new="x = 1\ny = 3\n", line=1)]
    both = "--- old/pkg/a.py\n+++ new/pkg/a.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert diff_to_ops(both)[0].path == "pkg/a.py"


def test_git_quoted_paths_and_empty_new_files() -> None:
    assert unquote_path('"cr\\303\\251\\303\\251.py"') == "créé.py"
    diff = 'diff --git "a/\\303\\251.py" "b/\\303\\251.py"\nnew file mode 100644\nindex 0000000..e69de29\ndiff --git a/my file.py b/my file.py\ndeleted file mode 100644\nindex e69de29..0000000\n'
    assert diff_to_ops(diff) == [CreateFile(path="é.py", content=""), RemoveFile(path="my file.py")]


def test_diff_errors_carry_line_numbers() -> None:
    with pytest.raises(FormatError, match="line 3: a hunk header"):
        diff_to_ops("--- a/x\n+++ b/x\n@@ -1,2 +1,2\n")
    with pytest.raises(FormatError, match="line 1: a hunk before any file header"):
        diff_to_ops("@@ -1 +1 @@\n-a\n+b\n")
    with pytest.raises(FormatError, match="line 3: binary patches"):
        diff_to_ops("diff --git a/i.png b/i.png\nindex 1..2 100644\nBinary files a/i.png and b/i.png differ\n")
    with pytest.raises(FormatError, match="line 3: .*without any context"):
        diff_to_ops("--- a/x\n+++ b/x\n@@ -3,0 +4 @@\n+new\n")
    with pytest.raises(FormatError, match="line 6: a changed line after the hunk ended"):
        diff_to_ops("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n")


def test_hand_written_diff_with_wrong_counts_is_refused() -> None:
    # counts larger than the body: once read as a cut diff, with the next file's '---' taken as a removed line
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1,9 +1,9 @@\n a\n-b\n+B\n c\n--- a/y.py\n"
    with pytest.raises(FormatError, match=r"line 3: x.py: hunk 1 \('@@ -1,9 \+1,9 @@'\) is cut short: .* 9 old and 9 new"):
        diff_to_ops(diff)


@needs_git
def test_dagent_diff_round_trips_through_import(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        root.mkdir()
        (root / "m.py").write_text(BODY)
        (root / "n.txt").write_text("keep\n")
    ops = [
        Replace(path="m.py", old="    return x + 3\n", new="    return x * 3\n"),
        MoveFile(path="n.txt", to="docs/n.txt"),
        CreateFile(path="c.py", content="C = 1\n"),
    ]
    diff = plan_ops(a, ops).unified_diff()
    apply_ops(a, ops)
    apply_ops(b, load_ops(diff))
    assert tree_bytes(a) == tree_bytes(b)


# ---------------------------------------------------------------- SEARCH/REPLACE


SR = """Here is the fix.

pkg/stats.py
```python
<<<<<<< SEARCH
    return total / (len(xs) - 1)
=======
    return total / len(xs)
>>>>>>> REPLACE
```

And the helper goes away:

```python
<<<<<<< SEARCH
def unused():
    pass
=======
>>>>>>> REPLACE
```

**pkg/new_mod.py**
```python
<<<<<<< SEARCH
=======
VALUE = 1
>>>>>>> REPLACE
```
"""


def test_search_replace_blocks() -> None:
    assert search_replace_to_ops(SR) == [
        Replace(path="pkg/stats.py", old="    return total / (len(xs) - 1)\n", new="    return total / len(xs)\n"),
        Delete(path="pkg/stats.py", old="def unused():\n    pass\n"),
        CreateFile(path="pkg/new_mod.py", content="VALUE = 1\n"),
    ]


def test_empty_search_on_an_existing_file_appends(tmp_path: Path) -> None:
    (tmp_path / "notes.py").write_text("A = 1\n\nB = 2\n")
    ops = search_replace_to_ops("notes.py\n<<<<<<< SEARCH\n=======\nC = 3\n>>>>>>> REPLACE\n", tmp_path)
    assert ops == [Insert(kind="insert_after", path="notes.py", anchor="B = 2\n", text="C = 3\n", line=3)]
    apply_ops(tmp_path, ops)
    assert (tmp_path / "notes.py").read_text() == "A = 1\n\nB = 2\nC = 3\n"


def test_search_replace_errors_carry_line_numbers() -> None:
    with pytest.raises(FormatError, match="line 4: expected '=======' before '>>>>>>> REPLACE'"):
        search_replace_to_ops("a.py\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n")
    with pytest.raises(FormatError, match="line 1: no file path"):
        search_replace_to_ops("<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n")
    with pytest.raises(FormatError, match="line 6: expected '>>>>>>> REPLACE', got the end"):
        search_replace_to_ops("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n")


# ---------------------------------------------------------------- detection


def test_detect_and_load_each_form() -> None:
    op_text = "@@replace a.py\nx\n@@with\ny\n@@end\n"
    assert detect_format(op_text) == "ops" and detect_format("") == "ops"
    assert detect_format("diff --git a/x b/x\n") == "diff" and detect_format("--- x\n+++ x\n@@ -1 +1 @@\n-a\n+b\n") == "diff"
    assert detect_format(SR) == "search_replace"
    assert load_ops(op_text.replace("\n", "\r\n")) == [Replace(path="a.py", old="x\n", new="y\n")]  # CRLF stream
    assert load_ops("\ufeff" + op_text) == load_ops(op_text)
    with pytest.raises(FormatError, match="line 1: not an op stream"):
        load_ops("just some prose\n")
    with pytest.raises(FormatError, match="line 3: expected"):
        load_ops("@@replace a.py\nx\n@@end\n")


def test_mutated_diffs_and_blocks_only_raise_format_error() -> None:
    diff = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n x\n-y\n+Y\n z\n\\ No newline at end of file\n"
        'diff --git a/o.py b/n.py\nrename from o.py\nrename to n.py\ndiff --git "a/\\303\\251" "b/\\303\\251"\nnew file mode 100644\n'
    )
    seeds = [diff, SR]
    noise = ["@@ -1 +1 @@", "diff --git a/x b/x", "--- a/x", "+++ b/x", "=======", "<<<<<<< SEARCH", ">>>>>>> REPLACE", "", "rename to", '"', "-- "]
    rng = random.Random(11)
    for _ in range(2000):
        lines = rng.choice(seeds).split("\n")
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(lines))
            action = rng.randrange(3)
            if action == 0:
                del lines[i]
            elif action == 1:
                lines.insert(i, rng.choice(noise))
            else:
                lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        try:
            load_ops("\n".join(lines))
        except FormatError:
            pass
