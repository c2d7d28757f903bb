"""Reliability of `--commit` and `dagent undo` against real git: what dagent recorded, signals, and
worktrees that are not dagent's. Real repos in tmp_path; the commit path under signals runs in a child."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import git
import pytest

from dagent.agent.app import gitops
from dagent.agent.app.gitops import commit_to_new_branch, push_branch, undo_last
from dagent.errors import DagentError
from helpers.repos import make_repo, worktree_paths, write_files

FILES = {
    "README.md": "hello\n",
    "lib/pyproject.toml": "[project]\nname = 'lib'\n",
    "lib/stats.py": "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n",
}
FIX = "@@replace stats.py:2\n    return sum(xs) / (len(xs) - 1)\n@@with\n    return sum(xs) / len(xs)\n@@end\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    make_repo(path, FILES).git.branch("-M", "main")
    return path


def _commit_fix(root: Path, branch: str | None = None) -> tuple[str, str]:
    return commit_to_new_branch(root, root / "lib", FIX, "dagent: fix lib", branch)


def _branches(root: Path) -> list[str]:
    return sorted(h.name for h in git.Repo(root).heads)


def _bare(tmp_path: Path, name: str = "origin.git") -> Path:
    path = tmp_path / name
    git.Repo.init(path, bare=True)
    return path


# ---------------------------------------------------------------- 1. undo acts on recorded commits only


def test_each_commit_is_recorded_with_its_branch_in_the_git_dir(root: Path) -> None:
    branch, sha = _commit_fix(root)
    record = json.loads((root / ".git/dagent/commits.json").read_text())
    assert record["commits"][sha]["branch"] == branch


def test_undo_refuses_an_amended_dagent_commit_that_keeps_the_trailer(root: Path) -> None:
    branch, sha = _commit_fix(root)
    repo = git.Repo(root)
    repo.git.checkout("-q", branch)
    write_files(root, {"lib/extra.py": "Y = 1\n"})
    repo.git.add("lib/extra.py")
    repo.git.commit("-q", "--amend", "--no-edit")  # the user's commit now, trailer and all
    amended = repo.head.commit.hexsha
    assert amended != sha and gitops.is_dagent_commit(repo.head.commit.message)  # type: ignore[arg-type]
    with pytest.raises(DagentError, match="nothing to undo"):
        undo_last(root)
    assert repo.head.commit.hexsha == amended and repo.active_branch.name == branch


def test_undo_refuses_a_user_squash_commit_that_carries_the_trailer(root: Path) -> None:
    branch, _ = _commit_fix(root)
    repo = git.Repo(root)
    repo.git.merge("--squash", branch)
    repo.git.commit("-q", "-m", "squash of the fix\n\nDagent-Commit: true")
    repo.git.branch("-D", branch)
    squashed = repo.head.commit.hexsha
    with pytest.raises(DagentError, match="nothing to undo"):
        undo_last(root)
    assert repo.commit("main").hexsha == squashed


def test_undo_refuses_a_branch_dagent_pushed_to_a_url(root: Path, tmp_path: Path) -> None:
    bare = _bare(tmp_path)
    branch, sha = _commit_fix(root)
    push_branch(root, str(bare), branch)  # `dagent ci --push URL`: no remote-tracking ref is made
    assert not git.Repo(root).git.branch("-r", "--contains", sha)
    with pytest.raises(DagentError, match=rf"already pushed to {bare}") as info:
        undo_last(root)
    assert "git revert" in str(info.value)
    assert git.Repo(root).commit(branch).hexsha == sha


def test_undo_refuses_a_branch_whose_upstream_is_a_url_it_cannot_compare(root: Path, tmp_path: Path) -> None:
    bare = _bare(tmp_path)
    branch, sha = _commit_fix(root)
    git.Repo(root).git.push("-q", "-u", str(bare), branch)  # the user's own push: only the upstream knows
    with pytest.raises(DagentError, match=rf"upstream.*{bare}.*may already be pushed"):
        undo_last(root)
    assert git.Repo(root).commit(branch).hexsha == sha


def test_undo_refuses_a_commit_its_upstream_tracking_ref_contains(root: Path, tmp_path: Path) -> None:
    bare = _bare(tmp_path)
    repo = git.Repo(root)
    repo.create_remote("origin", str(bare))
    branch, sha = _commit_fix(root)
    repo.git.push("-q", "-u", "origin", branch)
    with pytest.raises(DagentError, match="already pushed to origin"):
        undo_last(root)
    assert repo.commit(branch).hexsha == sha


def test_a_push_git_rejected_does_not_count_as_pushed(root: Path, tmp_path: Path) -> None:
    branch, sha = _commit_fix(root)
    with pytest.raises(DagentError, match="failed"):
        push_branch(root, str(tmp_path / "nowhere.git"), branch)
    assert f"deleted branch {branch}" in undo_last(root)
    with pytest.raises(DagentError, match="nothing to undo"):  # undone once, not twice
        undo_last(root)


def test_undo_explains_an_unreadable_record(root: Path) -> None:
    branch, _ = _commit_fix(root)
    (root / ".git/dagent/commits.json").write_text("{not json")
    with pytest.raises(DagentError, match="commits.json"):
        undo_last(root)
    assert branch in _branches(root)


# ---------------------------------------------------------------- 2. signals during --commit

_CHILD = """
import signal, sys, time
from pathlib import Path
import dagent.agent.app.gitops as gitops

# As in a terminal, whatever this test runner inherited (nohup, a background job).
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)

real_apply = gitops._apply_in

def slow_apply(*args, **kwargs):
    real_apply(*args, **kwargs)
    time.sleep(60)  # a slow step: the parent signals us while the temp worktree exists

gitops._apply_in = slow_apply
root = Path(sys.argv[1])
gitops.commit_to_new_branch(root, root / "lib", sys.argv[2], "dagent: fix")
"""


def _temp_worktrees(root: Path) -> list[str]:
    return [p for p in worktree_paths(root) if "dagent-sandbox-" in p]


def _user_worktree(root: Path, tmp_path: Path) -> Path:
    path = tmp_path / "user-wt"
    git.Repo(root).git.worktree("add", "-q", "-b", "user-work", str(path))
    return path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_during_commit_leaves_no_worktree_temp_dir_or_branch(
    root: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    user_wt = _user_worktree(root, tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(root), FIX], env=env)
    try:
        deadline = time.monotonic() + 30
        while not _temp_worktrees(root):
            assert child.poll() is None and time.monotonic() < deadline, "the temp worktree never appeared"
            time.sleep(0.05)
        child.send_signal(signum)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0
    assert worktree_paths(root) == [str(root), str(user_wt)]
    assert list(tmp.iterdir()) == []
    assert _branches(root) == ["main", "user-work"]
    assert not list((root / ".git/dagent/sandboxes").glob("*.json"))


def test_an_error_after_the_branch_is_made_removes_that_branch(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = gitops.run_git

    def failing_after_update_ref(repo: git.Repo, *args: str, **kwargs: object) -> str:
        out = real(repo, *args, **kwargs)  # type: ignore[arg-type]
        if args[:1] == ("update-ref",) and "-d" not in args:
            raise KeyboardInterrupt("signal right after the branch was made")
        return out

    monkeypatch.setattr(gitops, "run_git", failing_after_update_ref)
    with pytest.raises(KeyboardInterrupt):
        _commit_fix(root, branch="dagent/half")
    assert _branches(root) == ["main"]
    assert worktree_paths(root) == [str(root)]
    monkeypatch.undo()
    with pytest.raises(DagentError, match="nothing to undo"):
        undo_last(root)


def test_commit_gives_back_the_signal_handlers_it_found_and_keeps_an_ignored_one(root: Path) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    previous_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # run under nohup
    try:
        _commit_fix(root)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert {sig: signal.getsignal(sig) for sig in before} == before
    finally:
        signal.signal(signal.SIGHUP, previous_hup)


# ---------------------------------------------------------------- 3. no unscoped `git worktree prune`


def test_commit_keeps_a_user_worktree_whose_directory_is_missing_for_a_moment(root: Path, tmp_path: Path) -> None:
    user_wt = _user_worktree(root, tmp_path)
    away = tmp_path / "unmounted"
    user_wt.rename(away)  # an unmounted disk
    _commit_fix(root)
    away.rename(user_wt)
    assert worktree_paths(root) == [str(root), str(user_wt)]
    assert git.Repo(user_wt).active_branch.name == "user-work"


def test_a_vanished_temp_worktree_is_dropped_by_its_own_admin_entry_only(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_wt = _user_worktree(root, tmp_path)
    away = tmp_path / "unmounted"
    user_wt.rename(away)
    real_commit_in = gitops._commit_in

    def commit_then_lose_the_dir(worktree: Path, message: str, env: dict[str, str]) -> str:
        sha = real_commit_in(worktree, message, env)
        shutil.rmtree(worktree)  # the temp worktree's directory is gone before cleanup runs
        return sha

    monkeypatch.setattr(gitops, "_commit_in", commit_then_lose_the_dir)
    branch, _ = _commit_fix(root)
    away.rename(user_wt)
    assert worktree_paths(root) == [str(root), str(user_wt)]
    admin = [p.name for p in (root / ".git/worktrees").iterdir()]
    assert admin == ["user-wt"]
    assert branch in _branches(root)
