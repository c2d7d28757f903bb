"""--commit, dagent undo and push: real git repos in tmp_path, the user's checkout never touched."""

from __future__ import annotations

import re
from pathlib import Path

import git
import pytest

from dagent.agent.app.gitops import commit_to_new_branch, is_dagent_commit, push_branch, undo_last
from dagent.errors import DagentError
from helpers.repos import fingerprint, make_repo, worktree_paths, write_files

FILES = {
    "README.md": "hello\n",
    ".gitignore": "*.log\n",
    "lib/pyproject.toml": "[project]\nname = 'lib'\n",
    "lib/stats.py": "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n",
    "lib/other.py": "X = 1\n",
}
# Paths relative to the project directory lib/, as a RunReport's `ops` has them.
FIX = "@@replace stats.py:2\n    return sum(xs) / (len(xs) - 1)\n@@with\n    return sum(xs) / len(xs)\n@@end\n"


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    """A repo on `main` with a staged change, an unstaged change, an untracked and an ignored file."""
    root = tmp_path / "repo"
    repo = make_repo(root, FILES)
    repo.git.branch("-M", "main")
    write_files(root, {"lib/other.py": "X = 2  # staged\n"})
    repo.git.add("lib/other.py")
    write_files(root, {"README.md": "hello, unstaged\n", "notes.txt": "untracked\n", "run.log": "ignored\n"})
    return root


def _branches(root: Path) -> list[str]:
    return sorted(h.name for h in git.Repo(root).heads)


def _commit_fix(root: Path, **kwargs: str) -> tuple[str, str]:
    return commit_to_new_branch(root, root / "lib", FIX, "dagent: fix lib/test_stats.py::test_mean", **kwargs)


def _no_leftover_worktrees(root: Path) -> bool:
    state_dir = root / ".git/dagent/sandboxes"
    return worktree_paths(root) == [str(root)] and not list(state_dir.glob("*.json"))


def test_commit_to_new_branch_leaves_the_checkout_byte_identical(repo_root: Path) -> None:
    before = fingerprint(repo_root)
    branch, sha = _commit_fix(repo_root)
    after = fingerprint(repo_root)
    assert (after.files, after.index, after.head) == (before.files, before.index, before.head)
    assert after.stash == before.stash
    assert git.Repo(repo_root).active_branch.name == "main"
    assert _no_leftover_worktrees(repo_root)

    repo = git.Repo(repo_root)
    assert re.fullmatch(r"dagent/fix-\d{8}-\d{6}", branch)
    commit = repo.commit(branch)
    assert commit.hexsha == sha and [p.hexsha for p in commit.parents] == [before.head]
    # The branch holds exactly the fix, with the path relative to the repo root (lib/ is the project).
    assert repo.git.diff("--name-only", "HEAD", branch) == "lib/stats.py"
    assert repo.git.show(f"{branch}:lib/stats.py") == "def mean(xs):\n    return sum(xs) / len(xs)"
    # Committed from HEAD, not from the user's uncommitted work.
    assert repo.git.show(f"{branch}:lib/other.py") == "X = 1"
    assert commit.message.startswith("dagent: fix lib/test_stats.py::test_mean\n\n")
    assert commit.message.rstrip().endswith("Dagent-Commit: true") and is_dagent_commit(commit.message)
    assert (commit.author.name, commit.author.email) == ("dagent tests", "tests@dagent.invalid")


def test_a_named_branch_is_used_and_an_existing_one_refused(repo_root: Path) -> None:
    branch, _ = _commit_fix(repo_root, branch="fixes/mean")
    assert branch == "fixes/mean" and "fixes/mean" in _branches(repo_root)
    with pytest.raises(DagentError, match="already exists"):
        _commit_fix(repo_root, branch="fixes/mean")
    with pytest.raises(DagentError, match="not a valid branch name"):
        _commit_fix(repo_root, branch="bad..name")
    assert _no_leftover_worktrees(repo_root)


def test_ops_that_need_uncommitted_work_fail_and_leave_no_branch(repo_root: Path) -> None:
    before = fingerprint(repo_root)
    needs_staged = "@@replace other.py\nX = 2  # staged\n@@with\nX = 3\n@@end\n"
    with pytest.raises(DagentError, match="does not apply on HEAD.*uncommitted"):
        commit_to_new_branch(repo_root, repo_root / "lib", needs_staged, "dagent: fix")
    assert fingerprint(repo_root) == before  # refs included: no branch was made
    assert _no_leftover_worktrees(repo_root)


def test_every_file_the_fix_writes_is_committed_even_an_ignored_one(repo_root: Path) -> None:
    ops = FIX + "@@create data/seed.log\nseed\n@@end\n@@move other.py renamed.py\n"
    branch, _ = commit_to_new_branch(repo_root, repo_root / "lib", ops, "dagent: fix")
    changed = git.Repo(repo_root).git.diff("--name-status", "--no-renames", "HEAD", branch).splitlines()
    assert changed == ["A\tlib/data/seed.log", "D\tlib/other.py", "A\tlib/renamed.py", "M\tlib/stats.py"]
    assert _no_leftover_worktrees(repo_root)


def test_without_a_configured_identity_the_commit_is_by_dagent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "anon"
    make_repo(root, FILES)
    with git.Repo(root).config_writer() as config:
        config.remove_section("user")
    # Hide the machine's own global and system config, and any identity in the environment.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    _, sha = _commit_fix(root)
    commit = git.Repo(root).commit(sha)
    assert (commit.author.name, commit.author.email) == ("dagent", "dagent@localhost")
    assert (commit.committer.name, commit.committer.email) == ("dagent", "dagent@localhost")


def test_undo_deletes_an_unpushed_dagent_branch(repo_root: Path) -> None:
    branch, sha = _commit_fix(repo_root)
    before = fingerprint(repo_root)
    message = undo_last(repo_root)
    assert f"deleted branch {branch}" in message and sha in message  # says how to get it back
    assert _branches(repo_root) == ["main"]
    after = fingerprint(repo_root)
    assert (after.files, after.index, after.head) == (before.files, before.index, before.head)


def test_undo_of_a_checked_out_dagent_branch_moves_it_back_and_needs_a_clean_tree(repo_root: Path) -> None:
    branch, sha = _commit_fix(repo_root)
    repo = git.Repo(repo_root)
    repo.git.stash("push", "-q")  # the fixture's work, out of the way of the checkout
    repo.git.checkout("-q", branch)
    write_files(repo_root, {"README.md": "user work in progress\n"})
    with pytest.raises(DagentError, match="uncommitted changes"):
        undo_last(repo_root)
    assert repo.head.commit.hexsha == sha
    repo.git.checkout("--", "README.md")
    message = undo_last(repo_root)
    assert f"moved {branch}" in message and "back one commit" in message
    assert repo.head.commit.hexsha == repo.commit("main").hexsha and repo.active_branch.name == branch
    assert (repo_root / "lib/stats.py").read_text() == FILES["lib/stats.py"]
    assert (repo_root / "notes.txt").read_text() == "untracked\n"  # untracked files are kept


def test_undo_of_a_branch_not_made_by_dagent_moves_its_ref_back(repo_root: Path) -> None:
    repo = git.Repo(repo_root)
    repo.git.branch("feature", "main")
    _, sha = commit_to_new_branch(repo_root, repo_root / "lib", FIX, "dagent: fix", branch="scratch")
    repo.git.update_ref("refs/heads/feature", sha)  # the dagent commit now tops a user branch, alone
    repo.git.branch("-D", "scratch")
    message = undo_last(repo_root)
    assert "moved feature back one commit" in message
    assert repo.commit("feature").hexsha == repo.commit("main").hexsha


def test_undo_refuses_a_pushed_dagent_commit_and_names_the_remote(repo_root: Path, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    git.Repo.init(bare, bare=True)
    repo = git.Repo(repo_root)
    repo.create_remote("origin", str(bare))
    branch, sha = _commit_fix(repo_root)
    push_branch(repo_root, "origin", branch)
    with pytest.raises(DagentError, match=r"already pushed to origin .*origin/dagent/fix-") as info:
        undo_last(repo_root)
    assert "git revert" in str(info.value)
    assert repo.commit(branch).hexsha == sha  # nothing was touched


def test_undo_refuses_commits_dagent_did_not_make(repo_root: Path) -> None:
    repo = git.Repo(repo_root)
    with pytest.raises(DagentError, match="nothing to undo.*was not made by dagent"):
        undo_last(repo_root)
    # A user commit on top of a dagent commit: the branch tip is the user's, so it is not undone either.
    branch, _ = _commit_fix(repo_root)
    repo.git.stash("push", "-q")
    repo.git.checkout("-q", branch)
    write_files(repo_root, {"lib/extra.py": "Y = 1\n"})
    repo.git.add("lib/extra.py")
    repo.git.commit("-q", "-m", "user work\n\nDagent-Commit: false")
    tip = repo.head.commit.hexsha
    with pytest.raises(DagentError, match="nothing to undo"):
        undo_last(repo_root)
    assert repo.head.commit.hexsha == tip and repo.commit(branch).hexsha == tip


def test_undo_refuses_a_dagent_commit_merged_into_another_branch(repo_root: Path) -> None:
    branch, sha = _commit_fix(repo_root)
    repo = git.Repo(repo_root)
    repo.git.update_ref("refs/heads/release", sha)
    with pytest.raises(DagentError, match=rf"more than one local branch \({branch}, release\)"):
        undo_last(repo_root)
    assert repo.commit(branch).hexsha == sha


def test_push_branch_creates_the_ref_on_a_bare_remote(repo_root: Path, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True)
    git.Repo(repo_root).create_remote("origin", str(bare))
    branch, sha = _commit_fix(repo_root, branch="dagent/ci-fix")
    push_branch(repo_root, "origin", branch)
    assert git.Repo(bare).commit("refs/heads/dagent/ci-fix").hexsha == sha


def test_push_errors_carry_gits_message(repo_root: Path) -> None:
    branch, _ = _commit_fix(repo_root)
    with pytest.raises(DagentError, match="does not appear to be a git repository"):
        push_branch(repo_root, "nowhere", branch)
    with pytest.raises(DagentError, match="no local branch"):
        push_branch(repo_root, "origin", "dagent/missing")


def test_trailer_detection_needs_a_trailer_block() -> None:
    assert is_dagent_commit("fix\n\nDagent-Commit: true\n")
    assert is_dagent_commit("fix\n\nbody\n\nSigned-off-by: a <a@b>\ndagent-commit: TRUE\n")
    assert not is_dagent_commit("Dagent-Commit: true\n")  # a subject is not a trailer
    assert not is_dagent_commit("fix\n\nDagent-Commit: true\n\nmore text after it\n")
    assert not is_dagent_commit("fix\n\nDagent-Commit: false\n")
