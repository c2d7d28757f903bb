"""All of the sandbox's git plumbing: running git, snapshots of a work tree, and repositories that borrow
another's objects read-only.

The snapshot is a commit built through a temporary index (GIT_INDEX_FILE), so the user's index, work tree
and stash list are never written: only new objects land in the user's object store. A borrowing repository
reads the user's objects through objects/info/alternates and has refs, stash and config of its own.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import git

from dagent.errors import SandboxError

# Hooks are the user's business, not the sandbox's: a post-checkout hook must not run on our worktree.
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


# commit-tree needs an identity; the user may have none configured.
IDENTITY = {
    "GIT_AUTHOR_NAME": "dagent",
    "GIT_AUTHOR_EMAIL": "dagent@localhost",
    "GIT_COMMITTER_NAME": "dagent",
    "GIT_COMMITTER_EMAIL": "dagent@localhost",
}


def git_raw(repo: git.Repo, *args: str, env: dict[str, str] | None = None) -> bytes:
    try:
        out = repo.git.execute(
            ["git", *args], env=env, stdout_as_string=False, strip_newline_in_stdout=False
        )
    except git.GitCommandError as err:
        cmd = " ".join(a for a in args if not a.startswith("core.hooksPath"))
        raise SandboxError(f"`git {cmd}` failed in {repo.working_dir}: {str(err.stderr).strip()}") from err
    return out  # type: ignore[return-value]


def run_git(repo: git.Repo, *args: str, env: dict[str, str] | None = None) -> str:
    return git_raw(repo, *args, env=env).decode("utf-8", errors="replace").strip()


def open_repo(path: Path) -> tuple[git.Repo, Path]:
    """The repo containing `path`, and its work tree root."""
    if not path.exists():
        raise SandboxError(f"{path} does not exist; pass --repo with a directory inside a git repository")
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as err:
        raise SandboxError(f"{path} is not inside a git repository; run `git init` there first") from err
    if repo.bare or repo.working_tree_dir is None:
        raise SandboxError(f"{repo.git_dir} is a bare repository; dagent needs a work tree")
    return repo, Path(repo.working_tree_dir).resolve()


def tree_of_work_tree(repo: git.Repo, seed_index: Path | None, head: str | None) -> str:
    """Write a tree object of the work tree as git sees it (ignored files excluded), via a temp index.

    Seeding the temp index with a copy of the real one lets git reuse its stat cache, so unchanged
    files are not hashed again; the real index is only read.
    """
    with tempfile.TemporaryDirectory(prefix="dagent-index-") as tmp:
        index = Path(tmp) / "index"
        env = {"GIT_INDEX_FILE": str(index)}
        if seed_index is not None and seed_index.is_file():
            # copy2 keeps the mtime: git's racy-clean check compares file mtimes against the index's
            # own, and a newer copy would make it trust stale stat data of files edited just now.
            shutil.copy2(seed_index, index)
            _unflag_present_files(repo, env)
        elif head is not None:
            run_git(repo, "read-tree", head, env=env)
        run_git(repo, "add", "-A", env=env)
        return run_git(repo, "write-tree", env=env)


def _unflag_present_files(repo: git.Repo, env: dict[str, str]) -> None:
    """Clear assume-unchanged and skip-worktree in the temp index for files that are on disk.

    `git add -A` trusts both flags and would snapshot the committed blob instead of the user's edit;
    a skip-worktree file absent from disk (a sparse checkout) keeps its flag, so it is not taken as deleted.
    """
    listed = git_raw(repo, "ls-files", "-v", "-z", "--full-name", env=env).decode("utf-8", "surrogateescape")
    root = Path(repo.working_tree_dir or ".")
    entries = [(e[0], e[2:]) for e in listed.split("\0") if len(e) > 2]
    on_disk = [(tag, p) for tag, p in entries if (root / p).is_file() or (root / p).is_symlink()]
    # one flag per command: given both, update-index applies only the last one
    _update_flags(repo, env, "--no-assume-unchanged", [p for tag, p in on_disk if tag.islower()])
    _update_flags(repo, env, "--no-skip-worktree", [p for tag, p in on_disk if tag == "S"])


def _update_flags(repo: git.Repo, env: dict[str, str], flag: str, paths: list[str]) -> None:
    for start in range(0, len(paths), 500):  # keep each command line short
        run_git(repo, "update-index", flag, "--", *paths[start : start + 500], env=env)


def snapshot_commit(repo: git.Repo) -> tuple[str, str | None]:
    """A commit of HEAD plus uncommitted and untracked-not-ignored files, and the HEAD it sits on."""
    head = repo.head.commit.hexsha if repo.head.is_valid() else None
    tree = tree_of_work_tree(repo, Path(repo.git_dir) / "index", head)
    parents = ["-p", head] if head else []
    commit = run_git(
        repo, "commit-tree", "--no-gpg-sign", tree, *parents, "-m", "dagent snapshot", env=IDENTITY
    )
    return commit, head


def borrowing_repo(source: git.Repo, path: Path, head: str, tree: str) -> git.Repo:
    """A new repository at `path` that reads `source`'s objects (never writes them), HEAD detached at
    `head` and the work tree and index at `tree` (a commit or tree; equal to `head` but in a submodule
    with uncommitted changes)."""
    path.mkdir(parents=True, exist_ok=True)
    run_git(source, "-c", "init.defaultBranch=dagent-sandbox", "init", "--quiet", "--template=", str(path))
    git_dir = path / ".git"
    objects = Path(source.common_dir).resolve() / "objects"
    (git_dir / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    exclude = Path(source.common_dir) / "info" / "exclude"
    if exclude.is_file():  # the user's private ignores keep their build output out of the sandbox's diff
        (git_dir / "info").mkdir(exist_ok=True)
        shutil.copyfile(exclude, git_dir / "info" / "exclude")
    sandbox = git.Repo(path)
    run_git(sandbox, "update-ref", "--no-deref", "HEAD", head)
    run_git(sandbox, "read-tree", "-u", "--reset", tree)
    return sandbox


def copy_local_refs(source: git.Repo, sandbox: git.Repo) -> None:
    """The user's branches and tags, as copies: a test that reads them sees them, one that moves them
    moves the sandbox's."""
    refs = run_git(source, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")
    if refs:
        (Path(sandbox.git_dir) / "packed-refs").write_text(refs + "\n")


def _gitlinks(repo: git.Repo, treeish: str) -> list[tuple[str, str]]:
    """(path, commit) of every submodule recorded in `treeish`."""
    out = git_raw(repo, "ls-tree", "-r", "-z", "--full-tree", treeish).decode("utf-8", "surrogateescape")
    links = []
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, _kind, sha = meta.split()
        if mode == "160000":
            links.append((path, sha))
    return links


def populate_submodules(user_root: Path, sandbox: git.Repo, treeish: str) -> None:
    """Give each populated submodule of the user's a nested sandbox of its own, with its uncommitted work.

    HEAD stays at the recorded commit, so the superproject sees the same gitlink as in the snapshot.
    """
    for rel, commit in _gitlinks(sandbox, treeish):
        source_dir = user_root / rel
        if not (source_dir / ".git").exists():
            continue  # not checked out by the user either
        source = git.Repo(source_dir)
        try:
            tree = tree_of_work_tree(source, Path(source.git_dir) / "index", commit)
            nested = borrowing_repo(source, Path(sandbox.working_dir) / rel, commit, tree)
            populate_submodules(source_dir, nested, tree)
            nested.close()
        finally:
            source.close()


def listed_worktrees(repo: git.Repo) -> list[Path]:
    out = run_git(repo, "worktree", "list", "--porcelain")
    return [Path(line[len("worktree ") :]) for line in out.splitlines() if line.startswith("worktree ")]


def drop_worktree_entry(repo: git.Repo, worktree: Path) -> None:
    """Delete git's record of the one linked worktree at `worktree`: a scoped prune.

    A bare `git worktree prune` would also drop the user's worktrees whose directory is missing for
    a moment (an unmounted disk), so only the entry whose gitdir file names our path goes.
    """
    ours = (worktree / ".git").resolve()
    for entry in (Path(repo.common_dir) / "worktrees").glob("*"):
        with contextlib.suppress(OSError):
            if Path((entry / "gitdir").read_text().strip()).resolve() == ours:
                shutil.rmtree(entry, ignore_errors=True)


def remove_linked_worktree(repo: git.Repo, worktree: Path, tmpdir: Path) -> None:
    """Remove a linked worktree dagent made, by its path, with its temp dir and git's record of it
    (that one alone; `git worktree remove` may refuse one that is gone, locked or half-made)."""
    with contextlib.suppress(SandboxError):
        run_git(repo, "worktree", "remove", "--force", "--force", str(worktree))
    drop_worktree_entry(repo, worktree)
    remove_tree(tmpdir)


def remove_tree(tmpdir: Path) -> None:
    """Delete a temp dir dagent made; a clear error when something in it cannot be deleted."""
    shutil.rmtree(tmpdir, ignore_errors=True)
    if tmpdir.exists():
        raise SandboxError(f"could not remove {tmpdir}; delete it by hand, then run `dagent clean`")
