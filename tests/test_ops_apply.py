"""Applying ops: anchors, all-or-nothing writes, path safety, file formats, the diff, check_ops."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from dagent.errors import ApplyError, PathRefused
from dagent.ops.anchors import AnchorError, find_anchor, reindent
from dagent.ops.apply import apply_ops, plan_ops
from dagent.ops.check import check_ops, check_text
from dagent.ops.model import AddImport, CreateFile, Delete, Insert, MoveFile, RemoveFile, RenameSymbol, Replace
from dagent.ops.syntax import parse

STATS = '''"""Statistics."""


def mean(xs):
    total = sum(xs)
    return total / (len(xs) - 1)


def spread(xs):
    if not xs:
        return 0
    return max(xs) - min(xs)
'''


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file (and symlink target) under root, to compare trees byte for byte."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            found[rel] = path.read_bytes()
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("from .stats import mean\n")
    (root / "pkg" / "stats.py").write_text(STATS)
    (root / "app.py").write_text("from pkg import mean\n\nprint(mean([1, 2]))\n")
    (root / "README.md").write_text("# demo\n")
    return root


# ---------------------------------------------------------------- basics


def test_replace_insert_delete_in_order(repo: Path) -> None:
    ops = parse(
        "@@replace pkg/stats.py\n    return total / (len(xs) - 1)\n@@with\n    return total / len(xs)\n@@end\n"
        "@@insert_before pkg/stats.py\ndef spread(xs):\n@@with\ndef count(xs):\n    return len(xs)\n\n\n@@end\n"
        "@@delete pkg/stats.py\n    if not xs:\n        return 0\n@@end\n"
    )
    result = apply_ops(repo, ops)
    text = (repo / "pkg" / "stats.py").read_text()
    assert "return total / len(xs)\n" in text
    assert "def count(xs):\n    return len(xs)\n\n\ndef spread(xs):\n    return max" in text
    assert result.written and result.changed["pkg/stats.py"][1] == text
    assert result.summary() == "1 modified"


def test_later_ops_see_earlier_results_across_files(repo: Path) -> None:
    ops = [
        MoveFile(path="pkg/stats.py", to="pkg/numbers.py"),
        Replace(path="pkg/numbers.py", old="    total = sum(xs)\n", new="    total = float(sum(xs))\n"),
        Replace(path="pkg/__init__.py", old="from .stats import mean\n", new="from .numbers import mean\n"),
        CreateFile(path="pkg/extra/new.py", content="X = 1\n"),
        Insert(path="pkg/extra/new.py", anchor="X = 1\n", text="Y = 2\n"),
        RemoveFile(path="README.md"),
    ]
    result = apply_ops(repo, ops)
    assert not (repo / "pkg" / "stats.py").exists()
    assert "float(sum(xs))" in (repo / "pkg" / "numbers.py").read_text()
    assert (repo / "pkg" / "extra" / "new.py").read_text() == "X = 1\nY = 2\n"
    assert not (repo / "README.md").exists()
    assert result.moved == [("pkg/stats.py", "pkg/numbers.py")]
    assert result.created == ["pkg/extra/new.py"] and result.removed == ["README.md"]
    assert result.paths() == ["README.md", "pkg/__init__.py", "pkg/extra/new.py", "pkg/numbers.py", "pkg/stats.py"]


def test_plan_ops_writes_nothing(repo: Path) -> None:
    before = tree_bytes(repo)
    result = plan_ops(repo, [Replace(path="app.py", old="print(mean([1, 2]))\n", new="print(mean([3]))\n"), RemoveFile(path="README.md")])
    assert tree_bytes(repo) == before
    assert not result.written and result.changed["app.py"][1].endswith("print(mean([3]))\n")
    assert "-print(mean([1, 2]))\n+print(mean([3]))\n" in result.unified_diff()


# ---------------------------------------------------------------- all or nothing


def test_failing_op_in_a_multi_file_stream_changes_nothing(repo: Path) -> None:
    before = tree_bytes(repo)
    ops = [
        Replace(path="app.py", old="print(mean([1, 2]))\n", new="print(mean([3]))\n"),
        CreateFile(path="pkg/new.py", content="X = 1\n"),
        Replace(path="pkg/stats.py", old="    return median(xs)\n", new="    return 0\n"),  # no such anchor
        RemoveFile(path="README.md"),
    ]
    with pytest.raises(AnchorError) as caught:
        apply_ops(repo, ops)
    assert str(caught.value).startswith("op 3 of 4 (@@replace pkg/stats.py)")
    assert tree_bytes(repo) == before


def test_a_failed_write_restores_every_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree_bytes(repo)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 4:  # after the first file is swapped in and the second moved aside
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    ops = [
        Replace(path="app.py", old="print(mean([1, 2]))\n", new="print(mean([3]))\n"),
        Replace(path="pkg/stats.py", old="    total = sum(xs)\n", new="    total = 0\n"),
        CreateFile(path="new/deep/file.py", content="X = 1\n"),
        RemoveFile(path="README.md"),
    ]
    with pytest.raises(ApplyError, match="every file was restored"):
        apply_ops(repo, ops)
    monkeypatch.undo()
    assert tree_bytes(repo) == before
    assert not (repo / "new").exists()


def test_file_modes_are_kept(repo: Path) -> None:
    script = repo / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    apply_ops(repo, [Replace(path="run.sh", old="echo hi\n", new="echo bye\n")])
    assert script.stat().st_mode & 0o777 == 0o755


# ---------------------------------------------------------------- path safety


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../x.py", "'..'"),
        ("pkg/../../x.py", "'..'"),
        ("/etc/passwd", "absolute path"),
        (".git/config", ".git/"),
        ("sub/.git/HEAD", ".git/"),
    ],
)
def test_paths_outside_the_repo_are_refused(repo: Path, path: str, why: str) -> None:
    before = tree_bytes(repo)
    with pytest.raises(PathRefused) as caught:
        apply_ops(repo, [Replace(path="app.py", old="print(mean([1, 2]))\n", new="x\n"), RemoveFile(path=path)])
    assert repr(path) in str(caught.value) and why in str(caught.value) and "refused" in str(caught.value)
    assert tree_bytes(repo) == before


def test_symlink_leaving_the_repo_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n")
    (repo / "link.py").symlink_to(outside)
    (repo / "linkdir").symlink_to(tmp_path)
    for path in ("link.py", "linkdir/outside.py"):
        with pytest.raises(PathRefused, match="resolves outside the repo through the symlink"):
            apply_ops(repo, [Replace(path=path, old="SECRET = 1\n", new="SECRET = 2\n")])
    assert outside.read_text() == "SECRET = 1\n"


def test_symlink_inside_the_repo_edits_its_target(repo: Path) -> None:
    (repo / "alias.py").symlink_to("pkg/stats.py")
    result = apply_ops(repo, [Replace(path="alias.py", old="    total = sum(xs)\n", new="    total = 0\n")])
    assert (repo / "alias.py").is_symlink()
    assert "    total = 0\n" in (repo / "pkg" / "stats.py").read_text()
    assert list(result.changed) == ["pkg/stats.py"]
    with pytest.raises(PathRefused, match="symlink"):
        apply_ops(repo, [RemoveFile(path="alias.py")])


def test_binary_files_are_refused(repo: Path) -> None:
    (repo / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (repo / "blob.bin").write_bytes(bytes(range(128, 256)) + b"\x01\x02")
    with pytest.raises(PathRefused, match=r"image.png: refused: binary file \(NUL byte"):
        apply_ops(repo, [Replace(path="image.png", old="x\n", new="y\n")])
    with pytest.raises(PathRefused, match="blob.bin: refused: binary file"):
        apply_ops(repo, [RemoveFile(path="blob.bin")])


def test_create_remove_move_preconditions(repo: Path) -> None:
    with pytest.raises(ApplyError, match="app.py: already exists"):
        plan_ops(repo, [CreateFile(path="app.py", content="x\n")])
    with pytest.raises(ApplyError, match="gone.py: no such file"):
        plan_ops(repo, [RemoveFile(path="gone.py")])
    with pytest.raises(ApplyError, match="gone.py: no such file"):
        plan_ops(repo, [MoveFile(path="gone.py", to="x.py")])
    with pytest.raises(ApplyError, match="README.md: already exists"):
        plan_ops(repo, [MoveFile(path="app.py", to="README.md")])
    with pytest.raises(ApplyError, match="app.py is a file"):
        plan_ops(repo, [CreateFile(path="app.py/x.py", content="")])


# ---------------------------------------------------------------- formats kept


def test_crlf_bom_and_final_newline_are_kept(repo: Path) -> None:
    (repo / "win.py").write_bytes(b"\xef\xbb\xbfdef f():\r\n    return 1\r\n")
    (repo / "tail.py").write_bytes(b"x = 1\ny = 2")  # no final newline
    (repo / "latin.txt").write_bytes("caf\xe9\nna\xefve\n".encode("latin-1"))
    apply_ops(
        repo,
        [
            Replace(path="win.py", old="    return 1\n", new="    return 2\n    # done\n"),
            Replace(path="tail.py", old="y = 2\n", new="y = 3\n"),
            Insert(path="latin.txt", anchor="café\n", text="crème\n"),
        ],
    )
    assert (repo / "win.py").read_bytes() == b"\xef\xbb\xbfdef f():\r\n    return 2\r\n    # done\r\n"
    assert (repo / "tail.py").read_bytes() == b"x = 1\ny = 3"
    assert (repo / "latin.txt").read_bytes() == "café\ncrème\nnaïve\n".encode("latin-1")


def test_text_the_encoding_cannot_hold_is_refused(repo: Path) -> None:
    (repo / "latin.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(ApplyError, match="latin-1"):
        plan_ops(repo, [Insert(path="latin.txt", anchor="café\n", text="日本\n")])


def test_insert_after_the_last_line_keeps_no_final_newline(repo: Path) -> None:
    (repo / "tail.py").write_bytes(b"x = 1")
    apply_ops(repo, [Insert(path="tail.py", anchor="x = 1\n", text="y = 2\n")])
    assert (repo / "tail.py").read_bytes() == b"x = 1\ny = 2"


# ---------------------------------------------------------------- anchors


def test_fuzzy_anchor_reindents_the_replacement() -> None:
    text = "class A:\n    def f(self):\n        if x:\n            return 1\n"
    span = find_anchor(text, "if x:\n    return 1\n")
    assert (span.start, span.end, span.indent_from, span.indent_to) == (2, 4, "", "        ")
    assert reindent("if y:\n    return 2\n", span.indent_from, span.indent_to) == "        if y:\n            return 2\n"


def test_fuzzy_anchor_through_apply(repo: Path) -> None:
    ops = [Replace(path="pkg/stats.py", old="if not xs:  \n\n    return 0\n", new="if not xs:\n    return None\n")]
    apply_ops(repo, ops)
    assert "    if not xs:\n        return None\n" in (repo / "pkg" / "stats.py").read_text()


def test_line_hint_picks_the_nearest_match() -> None:
    text = "def a():\n    return 0\n\n\ndef b():\n    return 0\n"
    assert find_anchor(text, "    return 0\n", hint=6).start == 5
    assert find_anchor(text, "    return 0\n", hint=1).start == 1
    assert find_anchor(text, "return 0\n", hint=5).start == 5  # loose matches too


def test_ambiguous_anchor_names_file_anchor_and_places() -> None:
    text = "def a():\n    return 0\n\n\ndef b():\n    return 0\n"
    with pytest.raises(AnchorError) as caught:
        find_anchor(text, "    return 0\n", path="pkg/m.py")
    message = str(caught.value)
    assert "pkg/m.py" in message and "'    return 0'" in message and "lines 2, 6" in message and "line hint" in message
    assert caught.value.matches == [2, 6]


def test_missing_anchor_shows_closest_lines_and_already_applied(repo: Path) -> None:
    ops = [Replace(path="pkg/stats.py", old="    return total / (len(xs) + 1)\n", new="    return total / len(xs)\n")]
    with pytest.raises(AnchorError) as caught:
        plan_ops(repo, ops)
    message = str(caught.value)
    assert "pkg/stats.py" in message and "anchor not found" in message and "return total / (len(xs) + 1)" in message
    assert "6 |     return total / (len(xs) - 1)" in message
    assert not caught.value.already_applied
    apply_ops(repo, [Replace(path="pkg/stats.py", old="    return total / (len(xs) - 1)\n", new="    return total / len(xs)\n")])
    with pytest.raises(AnchorError, match="already applied") as again:
        plan_ops(repo, [Replace(path="pkg/stats.py", old="    return total / (len(xs) - 1)\n", new="    return total / len(xs)\n")])
    assert again.value.already_applied


# ---------------------------------------------------------------- structural ops through apply


def test_rename_across_files_on_disk(repo: Path) -> None:
    result = apply_ops(repo, [RenameSymbol(path="pkg/stats.py", symbol="mean", new_name="average"), AddImport(path="app.py", statement="import sys")])
    assert "def average(xs):" in (repo / "pkg" / "stats.py").read_text()
    assert (repo / "pkg" / "__init__.py").read_text() == "from .stats import average\n"
    assert (repo / "app.py").read_text() == "from pkg import average\nimport sys\n\nprint(average([1, 2]))\n"
    assert sorted(result.changed) == ["app.py", "pkg/__init__.py", "pkg/stats.py"]


# ---------------------------------------------------------------- the diff


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_unified_diff_applies_with_git(repo: Path, tmp_path: Path) -> None:
    (repo / "tail.txt").write_bytes(b"a\nb")
    (repo / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy)
    ops = [
        Replace(path="pkg/stats.py", old="    total = sum(xs)\n", new="    total = float(sum(xs))\n"),
        Replace(path="tail.txt", old="b\n", new="c\n"),
        Insert(path="crlf.txt", anchor="one\n", text="one and a half\n"),
        MoveFile(path="app.py", to="bin/main app.py"),
        CreateFile(path="new.py", content="X = 1\n"),
        CreateFile(path="empty.py", content=""),
        RemoveFile(path="README.md"),
    ]
    diff = plan_ops(repo, ops).unified_diff()
    assert "rename from app.py\nrename to bin/main app.py\n" in diff and "\\ No newline at end of file\n" in diff
    apply_ops(repo, ops)
    _git(copy, "init", "-q")
    (tmp_path / "patch.diff").write_text(diff)
    _git(copy, "apply", str(tmp_path / "patch.diff"))
    without_git = {k: v for k, v in tree_bytes(copy).items() if not k.startswith(".git/")}
    assert without_git == tree_bytes(repo)


# ---------------------------------------------------------------- check_ops


def test_check_ops_lists_every_problem_without_writing(repo: Path) -> None:
    before = tree_bytes(repo)
    ops = [
        Replace(path="pkg/stats.py", old="    return median(xs)\n", new="    return 0\n"),
        RemoveFile(path="../escape.py"),
        Replace(path="app.py", old="print(mean([1, 2]))\n", new="print(mean([1, 2])\n"),  # unbalanced paren
        Delete(path="pkg/stats.py", old="    total = sum(xs)\n"),  # still checked after op 1 failed
    ]
    problems = check_ops(repo, ops)
    assert tree_bytes(repo) == before
    assert len(problems) == 3
    assert problems[0].startswith("op 2 of 4 (@@remove ../escape.py)") and "refused" in problems[0]
    assert problems[1].startswith("op 1 of 4") and "anchor not found" in problems[1]
    assert problems[2].startswith("app.py:3: the result is not valid Python")
    assert check_ops(repo, [Delete(path="pkg/stats.py", old="    total = sum(xs)\n")]) == []  # NameError is for tests


def test_check_text_never_raises(repo: Path) -> None:
    assert check_text(repo, "@@replace app.py\nx\n") == ["line 3: expected '@@end' to close the op that starts after line 0, got 'end of text'"]
    assert check_text(repo, "")[0].startswith("the stream holds no op")
    assert check_text(repo, "@@static app.py A.f\n")[0].startswith("op 1 of 1 (@@static app.py A.f): app.py: no function or class 'A'")
    assert check_text(repo, "@@replace app.py\nprint(mean([1, 2]))\n@@with\nprint(mean([1]))\n@@end\n") == []


def test_check_ops_never_raises_on_random_candidates(repo: Path) -> None:
    """A model's candidate can be anything: check_ops answers with reasons, never with an exception."""
    (repo / "blob.bin").write_bytes(b"\x00\x01")
    (repo / "out").symlink_to("/")
    rng = random.Random(3)
    paths = ["app.py", "pkg/stats.py", "pkg", "blob.bin", "out/etc/passwd", "new.py", "app.py/x", "./app.py", "README.md"]
    lines = ["def mean(xs):\n", "    total = sum(xs)\n", "\n", "x\n", "    if not xs:\n", "print(mean([1, 2]))\n"]
    symbols = ["mean", "spread", "A.m", "mean.x", "print"]

    def body(least: int) -> str:
        return "".join(rng.choice(lines) for _ in range(rng.randint(least, 3)))

    makers = [
        lambda p: Replace(path=p, old=body(1), new=body(0), line=rng.choice([None, 1, 6])),
        lambda p: Insert(path=p, anchor=body(1), text=body(1)),
        lambda p: Delete(path=p, old=body(1)),
        lambda p: CreateFile(path=p, content=body(0)),
        lambda p: RemoveFile(path=p),
        lambda p: MoveFile(path=p, to=rng.choice(paths)),
        lambda p: RenameSymbol(path=p, symbol=rng.choice(symbols), new_name=rng.choice(["spread", "x", "mean"])),
        lambda p: AddImport(path=p, statement=rng.choice(["import os", "from . import x", "import (", "from x import *"])),
    ]
    before = tree_bytes(repo)
    for _ in range(150):
        ops = [rng.choice(makers)(rng.choice(paths)) for _ in range(rng.randint(1, 4))]
        problems = check_ops(repo, ops)
        assert all(isinstance(p, str) and "internal error" not in p for p in problems)
    assert tree_bytes(repo) == before


# ---------------------------------------------------------------- refactoring ops through apply


def _project(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_move_module_moves_the_file_and_rewrites_imports(tmp_path: Path) -> None:
    root = _project(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/helpers.py": "def pad(s):\n    return s\n",
        "pkg/table.py": "from pkg.helpers import pad\n",
        "notes.txt": "pkg/helpers.py\n",
    })
    result = apply_ops(root, parse("@@move_module pkg/helpers.py pkg/strings.py\n"))
    assert result.moved == [("pkg/helpers.py", "pkg/strings.py")]
    assert not (root / "pkg/helpers.py").exists() and (root / "pkg/strings.py").read_text() == "def pad(s):\n    return s\n"
    assert (root / "pkg/table.py").read_text() == "from pkg.strings import pad\n"
    assert (root / "notes.txt").read_text() == "pkg/helpers.py\n"  # not Python: left alone


def test_move_module_is_refused_outside_the_repo_and_onto_a_file(tmp_path: Path) -> None:
    root = _project(tmp_path, {"a.py": "X = 1\n", "b.py": "from a import X\n"})
    before = tree_bytes(root)
    with pytest.raises(PathRefused):
        apply_ops(root, parse("@@move_module a.py ../outside.py\n"))
    with pytest.raises(ApplyError, match="already exists"):
        apply_ops(root, parse("@@move_module a.py b.py\n"))
    assert tree_bytes(root) == before


def test_refactoring_ops_chain_in_one_stream(tmp_path: Path) -> None:
    root = _project(tmp_path, {
        "client.py": "def fetch(url, opener=None):\n    return opener(url)\n\n\nclass P:\n    def __init__(self, x):\n        self.x = x\n",
    })
    stream = (
        "@@param client.py fetch timeout=10\n"
        "@@forward client.py fetch timeout opener\n"
        "@@decorate client.py fetch @functools.cache\n"
        "@@dataclass client.py P frozen\n"
    )
    apply_ops(root, parse(stream))
    text = (root / "client.py").read_text()
    assert text == (
        "import functools\nfrom dataclasses import dataclass\nfrom typing import Any\n\n\n"
        "@functools.cache\ndef fetch(url, opener=None, timeout=10):\n    return opener(url, timeout=timeout)\n\n\n"
        "@dataclass(frozen=True)\nclass P:\n    x: Any\n"
    )
