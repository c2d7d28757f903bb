"""Git operations behind `--commit`, `dagent undo` and `dagent ci --push`.

The user's checkout is never written by a commit: the fix is applied in a temporary detached worktree
of HEAD (its own index and files), committed there, and only then is a new branch pointed at that
commit, so a failure at any step leaves no branch behind. Every dagent commit carries the trailer
`Dagent-Commit: true`; `undo_last` only ever removes a commit with that trailer, and only one that no
remote-tracking ref contains (an unpushed one).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

import git

from dagent.errors import ApplyError, DagentError
from dagent.ops.apply import apply_ops
from dagent.ops.syntax import OpParseError, parse
from dagent.sandbox.worktree import (
    _NO_HOOKS,
    PREFIX,
    _git,
    _interrupts_deferred,
    _open_repo,
    _proc_stat,
    _remove_worktree,
    _State,
    _state_dir,
)

TRAILER_KEY = "Dagent-Commit"
TRAILER = f"{TRAILER_KEY}: true"
BRANCH_PREFIX = "dagent/"
PUSH_TIMEOUT_S = 300
# The temp worktree is checked out only to apply text ops: skipping LFS smudge keeps it offline and fast
# (an untouched pointer file still matches its index entry, so the commit keeps it as it was).
_CHECKOUT_ENV = {"GIT_LFS_SKIP_SMUDGE": "1"}
_FALLBACK_IDENTITY = {"name": "dagent", "email": "dagent@localhost"}


# ---------------------------------------------------------------- small helpers


def _short(sha: str) -> str:
    return sha[:10]


def _git_message(err: git.GitCommandError) -> str:
    """git's own stderr, without gitpython's `stderr: '...'` wrapping."""
    text = str(err.stderr or "").strip()
    match = re.fullmatch(r"stderr: '(.*)'", text, flags=re.S)
    return (match.group(1) if match else text).strip() or str(err)


def _config(repo: git.Repo, key: str) -> str | None:
    """A git config value as git resolves it (every scope, includes), or None when unset."""
    try:
        value = repo.git.config("--get", key)
    except git.GitCommandError:
        return None
    return value.strip() or None


def _ref_exists(repo: git.Repo, ref: str) -> bool:
    try:
        repo.git.show_ref("--verify", "--quiet", ref)
    except git.GitCommandError:
        return False
    return True


def _refs_containing(repo: git.Repo, sha: str, *namespaces: str) -> list[str]:
    """Full names of the refs under `namespaces` whose history contains `sha`."""
    out = _git(repo, "for-each-ref", "--contains", sha, "--format=%(refname)", *namespaces)
    return [line for line in out.splitlines() if line and not line.endswith("/HEAD")]


def is_dagent_commit(message: str) -> bool:
    """Whether a commit message ends in a trailer block holding `Dagent-Commit: true`."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:  # a trailer block follows the subject, never is it
        return False
    lines = paragraphs[-1].splitlines()
    return any(re.fullmatch(rf"{TRAILER_KEY}:\s*true", line.strip(), flags=re.I) for line in lines)


def _with_trailer(message: str) -> str:
    body = message.strip() or "dagent: fix"
    return f"{body}\n\n{TRAILER}\n"


def _identity_env(repo: git.Repo) -> dict[str, str]:
    """GIT_AUTHOR_*/GIT_COMMITTER_* for what the user has not set, so git never guesses from the host name."""
    env: dict[str, str] = {}
    for role in ("author", "committer"):
        for field, fallback in _FALLBACK_IDENTITY.items():
            var = f"GIT_{role.upper()}_{field.upper()}"
            if os.environ.get(var) or _config(repo, f"{role}.{field}") or _config(repo, f"user.{field}"):
                continue
            env[var] = fallback
    return env


# ---------------------------------------------------------------- commit on a new branch


def _valid_branch(repo: git.Repo, branch: str) -> str:
    # check-ref-format on the full ref name: `--branch` would expand `@{-1}` into another branch.
    if not branch or branch.startswith("-"):
        raise DagentError(f"{branch!r} is not a valid branch name")
    try:
        repo.git.check_ref_format(f"refs/heads/{branch}")
    except git.GitCommandError:
        raise DagentError(f"{branch!r} is not a valid branch name (see `git check-ref-format`)") from None
    if _ref_exists(repo, f"refs/heads/{branch}"):
        raise DagentError(f"branch {branch} already exists; pass another name with --branch, or delete it first")
    return branch


def _default_branch(repo: git.Repo) -> str:
    base = f"{BRANCH_PREFIX}fix-{time.strftime('%Y%m%d-%H%M%S')}"
    name, n = base, 1
    while _ref_exists(repo, f"refs/heads/{name}"):  # two commits within one second
        n += 1
        name = f"{base}-{n}"
    return name


@contextlib.contextmanager
def _temp_worktree(repo: git.Repo, commit: str) -> Iterator[Path]:
    """A detached worktree of `commit` in a `dagent-sandbox-*` temp dir, removed on every exit path.

    It is recorded like a Sandbox's (a state file naming this process), so if the process is killed,
    `dagent clean` finds and removes it.
    """
    tmpdir = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
    path = tmpdir / "commit"
    state_file = _state_dir(repo) / f"{tmpdir.name}.json"
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        stat = _proc_stat(os.getpid())
        state = _State(str(path), str(tmpdir), os.getpid(), stat and stat[1], time.time(), commit)
        state_file.write_text(json.dumps(asdict(state)))  # before the worktree: never an untracked leftover
        _git(repo, *_NO_HOOKS, "worktree", "add", "--detach", "--quiet", str(path), commit, env=_CHECKOUT_ENV)
        yield path
    finally:
        with _interrupts_deferred():
            _remove_worktree(repo, path, tmpdir)
            state_file.unlink(missing_ok=True)


def _apply_in(worktree: Path, subdir: str, ops_text: str, head: str) -> None:
    """Apply the ops to the worktree's copy of the project (all or nothing)."""
    try:
        ops = parse(ops_text)
    except OpParseError as err:
        raise DagentError(f"the fix's op stream does not parse: {err}") from None
    project = worktree / subdir if subdir else worktree
    if not project.is_dir():
        raise DagentError(
            f"{subdir} is not in HEAD ({_short(head)}): commit the project first, or use --apply instead of --commit"
        )
    try:
        apply_ops(project, ops)
    except ApplyError as err:
        raise DagentError(
            f"the fix does not apply on HEAD ({_short(head)}), so nothing was committed and no branch was made: {err}. "
            "It probably depends on uncommitted changes: commit them first, or use --apply to write it to your tree"
        ) from None


def _commit_in(worktree: Path, message: str, env: dict[str, str]) -> str:
    """Stage the worktree's changes in its own index, commit, and return the commit's sha.

    The worktree is a fresh checkout, so its only changes (and its only untracked files) are the fix's.
    """
    wt = git.Repo(worktree)
    try:
        # --force: a file the fix writes is part of the fix even where a .gitignore pattern matches it.
        _git(wt, "add", "--all", "--force")
        if _git(wt, "write-tree") == _git(wt, "rev-parse", "HEAD^{tree}"):
            raise DagentError("the fix changes nothing on HEAD: there is nothing to commit")
        # The user's hooks are for the user's own commits; this one lands on a side branch for review.
        _git(wt, *_NO_HOOKS, "commit", "--quiet", "--no-verify", "-m", message, env=env)
        return _git(wt, "rev-parse", "HEAD")
    finally:
        wt.close()


def commit_to_new_branch(
    repo_path: Path, project_dir: Path, ops_text: str, message: str, branch: str | None = None
) -> tuple[str, str]:
    """Commit the fix `ops_text` (paths relative to `project_dir`) on HEAD, on a new branch.

    Returns (branch, commit sha). The user's checkout, index and working tree are not touched.
    Raises DagentError, and leaves no branch, when the ops do not apply on HEAD.
    """
    repo, root = _open_repo(Path(repo_path).expanduser().resolve())
    try:
        project = Path(project_dir).expanduser().resolve()
        if not project.is_relative_to(root):
            raise DagentError(f"{project} is not inside the repository at {root}")
        subdir = "" if project == root else project.relative_to(root).as_posix()
        if not repo.head.is_valid():
            raise DagentError(f"{root} has no commits yet: make a first commit, or use --apply instead of --commit")
        head = repo.head.commit.hexsha
        name = _valid_branch(repo, branch) if branch else _default_branch(repo)
        with _temp_worktree(repo, head) as worktree:
            _apply_in(worktree, subdir, ops_text, head)
            sha = _commit_in(worktree, _with_trailer(message), _identity_env(repo))
        # Last, and atomically (empty old value: the ref must not exist yet): no branch unless all worked.
        _git(repo, "update-ref", "-m", f"dagent: commit {_short(sha)}", f"refs/heads/{name}", sha, "")
        return name, sha
    finally:
        repo.close()


# ---------------------------------------------------------------- undo


def _newest_dagent_tip(repo: git.Repo) -> tuple[str, git.Commit]:
    """The local branch whose tip is the newest commit with dagent's trailer, and that commit."""
    tips: list[tuple[int, str, git.Commit]] = []
    for line in _git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads").splitlines():
        sha, ref = line.split(" ", 1)
        commit = repo.commit(sha)
        if is_dagent_commit(commit.message):  # type: ignore[arg-type]
            tips.append((commit.committed_date, ref.removeprefix("refs/heads/"), commit))
    if not tips:
        raise DagentError(_nothing_to_undo(repo))
    _, name, commit = max(tips, key=lambda t: (t[0], t[1]))
    return name, commit


def _nothing_to_undo(repo: git.Repo) -> str:
    message = (
        f"nothing to undo: no local branch ends in a commit dagent made (one with the trailer `{TRAILER}`); "
        "dagent undo only removes its own unpushed commits"
    )
    if repo.head.is_valid():
        head = repo.head.commit
        message += f". HEAD {_short(head.hexsha)} ({head.summary!r}) was not made by dagent"
    return message


def _remote_of(repo: git.Repo, ref: str) -> str:
    short = ref.removeprefix("refs/remotes/")
    names = sorted((r.name for r in repo.remotes), key=len, reverse=True)  # remote names may hold "/"
    return next((n for n in names if short.startswith(f"{n}/")), short.split("/", 1)[0])


def _refuse_if_pushed(repo: git.Repo, commit: git.Commit) -> None:
    pushed = _refs_containing(repo, commit.hexsha, "refs/remotes")
    if not pushed:
        return
    remotes = sorted({_remote_of(repo, ref) for ref in pushed})
    where = ", ".join(ref.removeprefix("refs/remotes/") for ref in pushed)
    raise DagentError(
        f"refusing to undo {_short(commit.hexsha)} ({commit.summary!r}): it is already pushed to "
        f"{', '.join(remotes)} (on {where}). dagent only undoes unpushed commits; "
        f"to take it back, run `git revert {_short(commit.hexsha)}` and push that"
    )


def _refuse_if_elsewhere(repo: git.Repo, branch: str, commit: git.Commit) -> None:
    # Merged into (or fast-forwarded onto) another local branch: removing it from one branch would not undo it.
    on = [r.removeprefix("refs/heads/") for r in _refs_containing(repo, commit.hexsha, "refs/heads")]
    if any(name != branch for name in on):
        raise DagentError(
            f"refusing to undo {_short(commit.hexsha)} ({commit.summary!r}): it is on more than one local branch "
            f"({', '.join(sorted(on))}); undo it by hand where you mean to (`git revert` or `git reset --keep`)"
        )


def _checked_out_at(repo: git.Repo, branch: str) -> Path | None:
    """The worktree (the main one or a linked one) that has `branch` checked out, if any."""
    path: Path | None = None
    for line in _git(repo, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = Path(line[len("worktree ") :])
        elif line == f"branch refs/heads/{branch}":
            return path
    return None


def _reset_checked_out(worktree: Path, branch: str, commit: git.Commit, parent: git.Commit) -> str:
    wt = git.Repo(worktree)
    try:
        if _git(wt, "status", "--porcelain", "--untracked-files=no"):
            raise DagentError(
                f"branch {branch} is checked out at {worktree} with uncommitted changes; "
                "commit or stash them, then run dagent undo again"
            )
        # --keep, not --hard: git refuses rather than overwrite anything the user has in the tree.
        _git(wt, "reset", "--quiet", "--keep", parent.hexsha)
    finally:
        wt.close()
    return (
        f"moved {branch} (checked out at {worktree}) back one commit to {_short(parent.hexsha)}, undoing "
        f"{_short(commit.hexsha)} ({commit.summary!r}); to get it back: git reset --keep {commit.hexsha}"
    )


def _parent_kept_elsewhere(repo: git.Repo, branch: str, parent: git.Commit) -> bool:
    """Whether deleting `branch` keeps its parent commit reachable (so only dagent's commit goes)."""
    refs = _refs_containing(repo, parent.hexsha, "refs/heads", "refs/remotes", "refs/tags")
    return any(ref != f"refs/heads/{branch}" for ref in refs)


def undo_last(repo_path: Path) -> str:
    """Undo the newest unpushed dagent commit at the tip of a local branch; return what was done.

    A checked-out branch is moved back one commit (its work tree must be clean); a `dagent/...` branch
    that holds nothing but that commit is deleted; any other branch is moved back one commit.
    """
    repo, _root = _open_repo(Path(repo_path).expanduser().resolve())
    try:
        branch, commit = _newest_dagent_tip(repo)
        _refuse_if_pushed(repo, commit)
        _refuse_if_elsewhere(repo, branch, commit)
        if len(commit.parents) != 1:
            raise DagentError(f"refusing to undo {_short(commit.hexsha)}: dagent commits have exactly one parent")
        parent = commit.parents[0]
        worktree = _checked_out_at(repo, branch)
        if worktree is not None:
            return _reset_checked_out(worktree, branch, commit, parent)
        ref = f"refs/heads/{branch}"
        if branch.startswith(BRANCH_PREFIX) and _parent_kept_elsewhere(repo, branch, parent):
            _git(repo, "update-ref", "-d", ref, commit.hexsha)  # old value: only if it still points there
            return (
                f"deleted branch {branch}, which held only dagent's commit {_short(commit.hexsha)} "
                f"({commit.summary!r}); to get it back: git branch {branch} {commit.hexsha}"
            )
        _git(repo, "update-ref", "-m", f"dagent undo {_short(commit.hexsha)}", ref, parent.hexsha, commit.hexsha)
        return (
            f"moved {branch} back one commit to {_short(parent.hexsha)}, undoing {_short(commit.hexsha)} "
            f"({commit.summary!r}); to get it back: git branch -f {branch} {commit.hexsha}"
        )
    finally:
        repo.close()


# ---------------------------------------------------------------- push


def push_branch(repo_path: Path, remote: str, branch: str) -> None:
    """`git push REMOTE BRANCH` (a new branch, no force); git's own message on failure."""
    repo, _root = _open_repo(Path(repo_path).expanduser().resolve())
    try:
        if not remote or remote.startswith("-"):
            raise DagentError(f"{remote!r} is not a remote name or URL")
        if branch.startswith("-") or not _ref_exists(repo, f"refs/heads/{branch}"):
            raise DagentError(f"there is no local branch {branch!r} to push")
        refspec = f"refs/heads/{branch}:refs/heads/{branch}"  # full names: a tag of the same name is no issue
        try:
            # No terminal prompt: in CI a missing credential must fail, not wait for a password forever.
            repo.git.execute(["git", "push", "--quiet", remote, refspec], env={"GIT_TERMINAL_PROMPT": "0"},
                             kill_after_timeout=PUSH_TIMEOUT_S)  # fmt: skip
        except git.GitCommandError as err:
            raise DagentError(f"`git push {remote} {branch}` failed: {_git_message(err)}") from err
    finally:
        repo.close()
