"""Reliability attacks on the sandbox: what a test suite does through git, odd trees and `dagent clean`.

Each test is one attack from the adversarial pass (issue 13); docs/reliability.md lists them all.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import git

from dagent.sandbox import Sandbox, clean_leftovers
from helpers.repos import fingerprint, make_repo, worktree_paths, write_files

GIT_ATTACK = '''
import subprocess


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True)


def test_rewrites_the_repo_through_git():
    open("scratch.txt", "w").write("x")
    git("add", "scratch.txt")
    assert git("-c", "user.name=t", "-c", "user.email=t@t", "stash", "push", "-q").returncode == 0
    git("branch", "-f", "main", "HEAD~0")
    git("branch", "-f", "feature", "HEAD")
    git("tag", "attack-tag")
    git("config", "attack.key", "value")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--allow-empty", "-qm", "attack")
    git("update-ref", "refs/heads/main", "HEAD")
'''


def _repo_with(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    make_repo(root, files)
    return root


def test_a_test_that_runs_git_changes_only_the_sandbox(tmp_path: Path) -> None:
    """Attack: the suite runs git stash, branch -f, tag, config and commit in its working directory."""
    root = _repo_with(tmp_path, {"test_attack.py": GIT_ATTACK})
    repo = git.Repo(root)
    repo.git.branch("-M", "main")
    repo.git.branch("feature")
    config_before = (root / ".git" / "config").read_bytes()
    before = fingerprint(root)
    with Sandbox(root) as sb:
        run = sb.run_tests(timeout_s=60)
        assert run.ok, run.output
        assert "attack-tag" in git.Repo(sb.path).git.tag()  # it happened, in the sandbox
    assert fingerprint(root) == before
    assert (root / ".git" / "config").read_bytes() == config_before
    assert repo.git.tag() == "" and repo.git.stash("list") == ""


def test_the_sandbox_sees_the_users_branches_and_history(tmp_path: Path) -> None:
    """A suite that reads `git log` or branch names sees the same as in the user's tree."""
    root = _repo_with(tmp_path, {"a.py": "A = 1\n"})
    repo = git.Repo(root)
    repo.git.branch("feature")
    with Sandbox(root) as sb:
        sandbox_git = git.Repo(sb.path).git
        assert "feature" in sandbox_git.branch("--list", "feature")
        assert sandbox_git.log("--format=%s", sb.head) == "initial"


def test_no_user_worktree_is_pruned(tmp_path: Path) -> None:
    """Attack: the user's linked worktree lives on a disk that is unmounted while dagent runs."""
    root = _repo_with(tmp_path, {"a.py": "A = 1\n"})
    linked = tmp_path / "usb" / "wt"
    git.Repo(root).git.worktree("add", "--detach", "--quiet", str(linked), "HEAD")
    away = tmp_path / "unmounted"
    shutil.move(str(linked.parent), str(away))  # the disk goes away for a moment
    with Sandbox(root):
        pass
    clean_leftovers(root)
    shutil.move(str(away), str(linked.parent))
    assert worktree_paths(root) == [str(root), str(linked)]


def test_a_submodules_contents_are_in_the_sandbox(tmp_path: Path) -> None:
    """Attack: a suite that imports from a submodule is green in the user's tree, so it must be in the sandbox."""
    lib = tmp_path / "lib"
    make_repo(lib, {"helper.py": "def answer():\n    return 41\n"})
    root = _repo_with(tmp_path, {"test_uses_lib.py": "from vendor.lib.helper import answer\n\n\n"
                                 "def test_answer():\n    assert answer() == 42\n"})  # fmt: skip
    repo = git.Repo(root)
    repo.git.execute(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib"])
    write_files(root, {"vendor/__init__.py": ""})
    repo.git.add("-A")
    repo.git.commit("-qm", "vendor lib")
    write_files(root, {"vendor/lib/helper.py": "def answer():\n    return 42\n"})  # uncommitted, in the submodule
    before = fingerprint(root)
    assert subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, capture_output=True).returncode == 0
    with Sandbox(root) as sb:
        assert (sb.path / "vendor/lib/helper.py").read_text().endswith("return 42\n")
        assert sb.run_tests(timeout_s=60).ok
        assert sb.diff() == ""
    assert fingerprint(root) == before


def test_assume_unchanged_and_skip_worktree_edits_are_snapshotted(tmp_path: Path) -> None:
    """Attack: the user edited files git was told not to look at; the sandbox must hold the edits."""
    root = _repo_with(tmp_path, {"a.py": "A = 1\n", "b.py": "B = 1\n", "c.py": "C = 1\n"})
    repo = git.Repo(root)
    repo.git.update_index("--assume-unchanged", "a.py")
    repo.git.update_index("--skip-worktree", "b.py")
    write_files(root, {"a.py": "A = 2\n", "b.py": "B = 2\n"})
    before = fingerprint(root)
    with Sandbox(root) as sb:
        assert (sb.path / "a.py").read_text() == "A = 2\n"
        assert (sb.path / "b.py").read_text() == "B = 2\n"
        assert (sb.path / "c.py").read_text() == "C = 1\n"
    assert fingerprint(root) == before
    assert repo.git.ls_files("-v", "a.py").startswith("h ")  # the user's flags are untouched
    assert repo.git.ls_files("-v", "b.py").startswith("S ")


def test_a_sparse_checkout_keeps_files_absent_from_disk(tmp_path: Path) -> None:
    """A skip-worktree file that is not on disk (sparse checkout) is not taken as deleted."""
    root = _repo_with(tmp_path, {"keep/a.py": "A = 1\n", "away/b.py": "B = 1\n"})
    repo = git.Repo(root)
    repo.git.update_index("--skip-worktree", "away/b.py")
    (root / "away/b.py").unlink()
    with Sandbox(root) as sb:
        assert (sb.path / "away/b.py").read_text() == "B = 1\n"
