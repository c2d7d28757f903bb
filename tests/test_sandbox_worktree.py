"""The git sandbox: sees the user's tree as it is, never touches it, cleans up on every exit path."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import git
import pytest

from dagent.errors import SandboxError
from dagent.sandbox import Sandbox, clean_leftovers
from helpers.repos import (
    fingerprint,
    make_repo,
    start_sandbox_holder,
    worktree_paths,
    write_files,
)

FILES = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "def f():\n    return 1\n",
    "pkg/util.py": "X = 1\n",
    "README.md": "hello\n",
    ".gitignore": "*.log\n.venv/\n",
}


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A repo with a stash entry, a staged change, an unstaged change, an untracked and an ignored file."""
    root = tmp_path / "proj"
    repo = make_repo(root, FILES)
    write_files(root, {"README.md": "stashed\n"})
    repo.git.stash("push", "-q")
    write_files(root, {"pkg/util.py": "X = 2  # staged\n"})
    repo.git.add("pkg/util.py")
    write_files(root, {"pkg/mod.py": "def f():\n    return 2  # uncommitted\n", "pkg/new.py": "NEW = 1\n",
                       "build.log": "ignored\n", ".venv/lib.py": "ignored\n"})  # fmt: skip
    return root


def test_sandbox_sees_the_users_work_and_leaves_it_byte_identical(user_repo: Path) -> None:
    before = fingerprint(user_repo)
    assert before.stash  # the fixture's stash entry
    with Sandbox(user_repo) as sb:
        assert sb.path != user_repo and sb.path.parent.name.startswith("dagent-sandbox-")
        assert (sb.path / "pkg/mod.py").read_text().endswith("return 2  # uncommitted\n")
        assert (sb.path / "pkg/util.py").read_text() == "X = 2  # staged\n"
        assert (sb.path / "pkg/new.py").read_text() == "NEW = 1\n"
        assert not (sb.path / "build.log").exists() and not (sb.path / ".venv").exists()
        assert sb.head == git.Repo(user_repo).head.commit.hexsha
        assert sb.changed_files() == []
        (sb.path / "pkg/mod.py").write_text("def f():\n    return 3\n")
        (sb.path / "pkg/util.py").unlink()
        (sb.path / "pkg/added.py").write_text("A = 1\n")
        assert sb.changed_files() == ["pkg/added.py", "pkg/mod.py", "pkg/util.py"]
        tmpdir = sb.path.parent
    assert fingerprint(user_repo) == before
    assert worktree_paths(user_repo) == [str(user_repo)]
    assert not tmpdir.exists()
    assert list((Path(user_repo) / ".git/dagent/sandboxes").glob("*.json")) == []


def test_diff_is_a_git_style_patch_that_reproduces_the_sandbox(user_repo: Path) -> None:
    with Sandbox(user_repo) as sb:
        (sb.path / "pkg/mod.py").write_text("def f():\n    return 3\n")
        (sb.path / "pkg/util.py").unlink()
        (sb.path / "pkg/added.py").write_text("A = 1\n")
        patch = sb.diff()
    assert "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n" in patch
    assert "-    return 2  # uncommitted\n+    return 3\n" in patch
    assert "new file mode 100644" in patch and "+++ b/pkg/added.py" in patch
    assert "deleted file mode 100644" in patch and "--- a/pkg/util.py" in patch
    # The user's tree is the snapshot, so the patch applies to it and yields the sandbox's state.
    (user_repo / "fix.patch").write_text(patch)
    subprocess.run(["git", "apply", "fix.patch"], cwd=user_repo, check=True)
    assert (user_repo / "pkg/mod.py").read_text() == "def f():\n    return 3\n"
    assert (user_repo / "pkg/added.py").read_text() == "A = 1\n"
    assert not (user_repo / "pkg/util.py").exists()


def test_a_subdirectory_gives_the_whole_repo_and_a_matching_project_dir(user_repo: Path) -> None:
    with Sandbox(user_repo / "pkg") as sb:
        assert sb.project_subdir == "pkg"
        assert sb.project_dir == sb.path / "pkg"
        assert (sb.path / "README.md").exists()
        (sb.project_dir / "mod.py").write_text("changed\n")
        assert sb.changed_files() == ["pkg/mod.py"]  # paths stay relative to the repo root
        assert "+++ b/pkg/mod.py" in sb.diff()


def test_reset_goes_back_to_the_snapshot(user_repo: Path) -> None:
    with Sandbox(user_repo) as sb:
        (sb.path / "pkg/mod.py").write_text("broken\n")
        (sb.path / "pkg/util.py").unlink()
        (sb.path / "scratch.py").write_text("x\n")
        (sb.path / "cache.log").write_text("ignored cache\n")
        sb.reset()
        assert (sb.path / "pkg/mod.py").read_text().endswith("# uncommitted\n")
        assert (sb.path / "pkg/util.py").exists() and (sb.path / "pkg/new.py").exists()
        assert not (sb.path / "scratch.py").exists()
        assert (sb.path / "cache.log").exists()  # ignored files survive a cheap reset
        assert sb.changed_files() == [] and sb.diff() == ""
        sb.reset(keep_ignored=False)
        assert not (sb.path / "cache.log").exists()


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_the_sandbox_is_removed_when_the_block_raises(user_repo: Path, error: BaseException) -> None:
    before = fingerprint(user_repo)
    with pytest.raises(type(error)):
        with Sandbox(user_repo) as sb:
            (sb.path / "pkg/mod.py").write_text("half-written")
            raise error
    assert not sb.path.exists() and not sb.is_open
    assert fingerprint(user_repo) == before


def test_sigterm_unwinds_and_removes_the_sandbox(user_repo: Path) -> None:
    proc, path = start_sandbox_holder(user_repo)
    assert (Path(path) / ".git").is_dir() and worktree_paths(user_repo) == [str(user_repo)]
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "cleaned up" in out
    assert not Path(path).exists()
    assert worktree_paths(user_repo) == [str(user_repo)]


def test_previous_sigterm_handler_is_restored_after_close(user_repo: Path) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    with Sandbox(user_repo):
        assert signal.getsignal(signal.SIGTERM) is not previous
    assert signal.getsignal(signal.SIGTERM) is previous


def test_clean_leftovers_removes_the_sandbox_of_a_killed_process(user_repo: Path) -> None:
    before = fingerprint(user_repo)
    proc, path = start_sandbox_holder(user_repo)
    proc.kill()  # SIGKILL: no cleanup can run
    proc.wait()
    assert Path(path).is_dir()
    assert clean_leftovers(user_repo) == [path]
    assert not Path(path).exists() and not Path(path).parent.exists()
    assert worktree_paths(user_repo) == [str(user_repo)]
    assert clean_leftovers(user_repo) == []
    assert fingerprint(user_repo) == before


def test_clean_leftovers_keeps_sandboxes_of_live_processes(user_repo: Path) -> None:
    proc, path = start_sandbox_holder(user_repo)
    try:
        with Sandbox(user_repo) as own:
            assert clean_leftovers(user_repo) == []
            assert Path(path).is_dir() and own.path.is_dir()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_clean_leftovers_keeps_a_users_worktree_named_like_a_sandbox(user_repo: Path, tmp_path: Path) -> None:
    # The user's own linked worktree whose path merely contains `dagent-sandbox`, with uncommitted work:
    # no state file of dagent's records it, so `dagent clean` must leave it and its parent alone.
    mine = tmp_path / "dagent-sandbox-mine" / "proj"
    git.Repo(user_repo).git.worktree("add", "--detach", "--quiet", str(mine), "HEAD")
    (mine / "work.txt").write_text("uncommitted\n")
    assert clean_leftovers(user_repo) == []
    assert (mine / "work.txt").read_text() == "uncommitted\n"
    assert worktree_paths(user_repo) == [str(user_repo), str(mine)]


def test_a_repo_without_commits_can_be_sandboxed(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    make_repo(root, {"a.py": "A = 1\n"}, commit=False)
    before = fingerprint(root)
    with Sandbox(root) as sb:
        assert sb.head is None
        assert (sb.path / "a.py").read_text() == "A = 1\n"
        (sb.path / "a.py").write_text("A = 2\n")
        assert sb.changed_files() == ["a.py"]
    assert fingerprint(root) == before


def test_errors_say_what_to_do(tmp_path: Path, user_repo: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(SandboxError, match="not inside a git repository"):
        Sandbox(tmp_path / "plain").open()
    with pytest.raises(SandboxError, match="does not exist"):
        Sandbox(tmp_path / "missing").open()
    (user_repo / "only-ignored").mkdir()
    (user_repo / "only-ignored/x.log").write_text("ignored\n")
    with pytest.raises(SandboxError, match="all ignored"):
        Sandbox(user_repo / "only-ignored").open()
    assert worktree_paths(user_repo) == [str(user_repo)]
    sb = Sandbox(user_repo)
    with pytest.raises(SandboxError, match="closed"):
        sb.diff()


def test_sandbox_works_from_a_linked_worktree_of_the_user(user_repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git.Repo(user_repo).git.worktree("add", "--quiet", str(linked), "-b", "feature")
    (linked / "pkg/mod.py").write_text("feature\n")
    with Sandbox(linked) as sb:
        assert (sb.path / "pkg/mod.py").read_text() == "feature\n"
    assert sorted(worktree_paths(user_repo)) == sorted([str(user_repo), str(linked)])
    assert os.listdir(user_repo / ".git/dagent/sandboxes") == []


@pytest.mark.slow
def test_same_size_edits_made_right_after_a_commit_are_not_missed(tmp_path: Path) -> None:
    # Racy git: an edit in the same second as the index write keeps size and (second-granular) mtime,
    # so only the index's own mtime tells git to look at the content. The sleeps put our temp copy
    # of the index in a later second; a copy that does not keep the mtime would hide the edit.
    root = tmp_path / "racy"
    make_repo(root, {"calc.py": "return a - b\n"})
    (root / "calc.py").write_text("return a + b\n")
    time.sleep(1.05)
    with Sandbox(root) as sb:
        assert (sb.path / "calc.py").read_text() == "return a + b\n"
        (sb.path / "calc.py").write_text("return a * b\n")
        time.sleep(1.05)
        assert sb.changed_files() == ["calc.py"]


def test_a_twin_has_the_same_snapshot_even_after_the_user_edits(user_repo: Path) -> None:
    with Sandbox(user_repo) as sb:
        write_files(user_repo, {"pkg/mod.py": "def f():\n    return 9  # edited meanwhile\n"})
        with sb.twin() as twin:
            assert twin.snapshot == sb.snapshot and twin.path != sb.path
            assert (twin.path / "pkg/mod.py").read_text().endswith("return 2  # uncommitted\n")
            (twin.path / "pkg/mod.py").write_text("changed in the twin\n")
            assert (sb.path / "pkg/mod.py").read_text().endswith("return 2  # uncommitted\n")
            twin_dir = twin.path.parent
        assert not twin_dir.exists() and sb.changed_files() == []
    assert worktree_paths(user_repo) == [str(user_repo)]
    with pytest.raises(SandboxError, match="open the sandbox"):
        Sandbox(user_repo).twin()
