"""Git operations behind `--commit`, `dagent undo` and `dagent ci --push`.

The user's checkout is never written by a commit: the fix is applied in a temporary detached worktree
of HEAD (its own index and files), committed there, and only then is a new branch pointed at that
commit, so a failure at any step leaves no branch behind. SIGTERM and SIGHUP unwind like Ctrl-C
while that runs, so the temp worktree and any half-made branch go on a signal too.

dagent records each commit it makes (id and branch) in .git/dagent/commits.json, and each push it
makes of one. `undo_last` only ever removes a recorded commit (an amended or squashed one has a new
id, so it is the user's, whatever its message says), and only one that reached no remote: none that
a remote-tracking ref contains, that dagent pushed, or whose branch's upstream cannot be compared.
The `Dagent-Commit: true` trailer is still written, for people reading the log; nothing trusts it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import git

from dagent.errors import ApplyError, DagentError
from dagent.ops.apply import apply_ops
from dagent.ops.syntax import OpParseError, parse
from dagent.sandbox.git import NO_HOOKS, open_repo, remove_linked_worktree, run_git
from dagent.sandbox.records import write_record
from dagent.sandbox.worktree import PREFIX
from dagent.signals import held, terminating_as_interrupt

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
    out = run_git(repo, "for-each-ref", "--contains", sha, "--format=%(refname)", *namespaces)
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


# ---------------------------------------------------------------- signals


# ---------------------------------------------------------------- dagent's record of its commits


def _record_path(repo: git.Repo) -> Path:
    # The common dir: one record for the main worktree and every linked one.
    return Path(repo.common_dir) / "dagent" / "commits.json"


def _read_record(repo: git.Repo) -> dict[str, dict[str, Any]]:
    """sha -> {"branch", "created", "pushed_to": [{"remote", "branch"}]} of every commit dagent made."""
    path = _record_path(repo)
    try:
        data = json.loads(path.read_text())
        commits = data["commits"]
        if not isinstance(commits, dict) or not all(isinstance(e, dict) for e in commits.values()):
            raise ValueError("`commits` is not a map of commit ids")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DagentError(
            f"cannot read dagent's record of its commits at {path} ({err}); dagent undo acts only on the "
            "commits recorded there, so it will not guess. Restore the file, or delete it (then every "
            "commit counts as yours and dagent undo removes none)"
        ) from None
    return commits


def _write_atomically(path: Path, data: object) -> None:
    """Write via a temp file and rename: a crash leaves the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _record_for_update(repo: git.Repo) -> Iterator[dict[str, dict[str, Any]]]:
    """The record, to change in place; written back when the block ends without an error.

    An exclusive lock held throughout: two dagent processes must not drop each other's entries.
    """
    path = _record_path(repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / "commits.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        commits = _read_record(repo)
        yield commits
        _write_atomically(path, {"version": 1, "commits": commits})


def _record_commit(repo: git.Repo, sha: str, branch: str) -> None:
    with _record_for_update(repo) as commits:
        commits[sha] = {"branch": branch, "created": time.time(), "pushed_to": []}


def _forget_commit(repo: git.Repo, sha: str) -> None:
    with _record_for_update(repo) as commits:
        commits.pop(sha, None)


def _is_ancestor(repo: git.Repo, ancestor: str, tip: str) -> bool:
    try:
        repo.git.merge_base("--is-ancestor", ancestor, tip)
    except git.GitCommandError:  # not an ancestor, or a recorded commit since garbage-collected
        return False
    return True


def _mark_pushed(repo: git.Repo, remote: str, branch: str) -> list[str]:
    """Record that the recorded commits in `branch` went to `remote` (a name or a URL); return those
    newly marked. Called before the push: one killed half-way may have landed."""
    tip = repo.commit(f"refs/heads/{branch}").hexsha
    target = {"remote": remote, "branch": branch}
    marked: list[str] = []
    with _record_for_update(repo) as commits:
        for sha, entry in commits.items():
            pushed = entry.setdefault("pushed_to", [])
            if target not in pushed and _is_ancestor(repo, sha, tip):
                pushed.append(target)
                marked.append(sha)
    return marked


def _unmark_pushed(repo: git.Repo, shas: list[str], remote: str, branch: str) -> None:
    target = {"remote": remote, "branch": branch}
    with _record_for_update(repo) as commits:
        for sha in shas:
            with contextlib.suppress(KeyError, ValueError):
                commits[sha]["pushed_to"].remove(target)


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
    """A detached worktree of `commit` in a `dagent-sandbox-*` temp dir, removed on every exit path
    (exceptions, Ctrl-C, and SIGTERM/SIGHUP under `terminating_as_interrupt`).

    It is recorded like a Sandbox's (a state file naming this process), so if the process is killed
    outright (SIGKILL), `dagent clean` finds and removes it.
    """
    tmpdir: Path | None = None
    state_file: Path | None = None
    try:
        with held():  # made whole or not at all, and `tmpdir` set as soon as it exists
            tmpdir = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
            state_file = write_record(repo, tmpdir, tmpdir / "commit", commit, own_repo=False)
            run_git(repo, *NO_HOOKS, "worktree", "add", "--detach", "--quiet", str(tmpdir / "commit"), commit,
                 env=_CHECKOUT_ENV)  # fmt: skip
        yield tmpdir / "commit"
    finally:
        if tmpdir is not None:
            with held():
                remove_linked_worktree(repo, tmpdir / "commit", tmpdir)
                if state_file is not None:
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
        run_git(wt, "add", "--all", "--force")
        if run_git(wt, "write-tree") == run_git(wt, "rev-parse", "HEAD^{tree}"):
            raise DagentError("the fix changes nothing on HEAD: there is nothing to commit")
        # The user's hooks are for the user's own commits; this one lands on a side branch for review.
        run_git(wt, *NO_HOOKS, "commit", "--quiet", "--no-verify", "-m", message, env=env)
        return run_git(wt, "rev-parse", "HEAD")
    finally:
        wt.close()


def _make_branch(repo: git.Repo, name: str, sha: str) -> None:
    """Record `sha` as dagent's, then point the new branch at it, atomically (empty old value: the
    ref must not exist yet). Recorded first, so a branch dagent made is never unrecorded; on any
    exception or signal both are taken back, so no half-made branch stays."""
    ref = f"refs/heads/{name}"
    try:
        with held():
            _record_commit(repo, sha, name)
            run_git(repo, "update-ref", "-m", f"dagent: commit {_short(sha)}", ref, sha, "")
    except BaseException:
        with held():
            with contextlib.suppress(DagentError):
                # Old value `sha`: deleted only if it is ours (the commit was made just now, here).
                run_git(repo, "update-ref", "-d", ref, sha)
            with contextlib.suppress(DagentError, OSError):
                _forget_commit(repo, sha)
        raise


def commit_to_new_branch(
    repo_path: Path, project_dir: Path, ops_text: str, message: str, branch: str | None = None
) -> tuple[str, str]:
    """Commit the fix `ops_text` (paths relative to `project_dir`) on HEAD, on a new branch.

    Returns (branch, commit sha). The user's checkout, index and working tree are not touched.
    Raises DagentError, and leaves no branch, when the ops do not apply on HEAD; an interrupt or
    SIGTERM/SIGHUP (KeyboardInterrupt) leaves no branch and no temp worktree either.
    """
    with terminating_as_interrupt():
        repo, root = open_repo(Path(repo_path).expanduser().resolve())
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
                with held():  # a git commit cut half-way would race the worktree's removal
                    sha = _commit_in(worktree, _with_trailer(message), _identity_env(repo))
            _make_branch(repo, name, sha)  # last: no branch unless all worked
            return name, sha
        finally:
            repo.close()


# ---------------------------------------------------------------- undo


def _newest_dagent_tip(repo: git.Repo, recorded: dict[str, dict[str, Any]]) -> tuple[str, git.Commit]:
    """The local branch whose tip is the newest commit dagent recorded making, and that commit.

    By id, never by message: an amended or squashed commit keeps the trailer but not the id.
    """
    tips: list[tuple[int, str, git.Commit]] = []
    for line in run_git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads").splitlines():
        sha, ref = line.split(" ", 1)
        if sha in recorded:
            commit = repo.commit(sha)
            tips.append((commit.committed_date, ref.removeprefix("refs/heads/"), commit))
    if not tips:
        raise DagentError(_nothing_to_undo(repo))
    _, name, commit = max(tips, key=lambda t: (t[0], t[1]))
    return name, commit


def _nothing_to_undo(repo: git.Repo) -> str:
    message = (
        "nothing to undo: no local branch ends in a commit dagent made (dagent records the ids of its "
        f"commits in {_record_path(repo)}; one amended, squashed or rebased since has a new id and is yours). "
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


def _refuse_if_pushed(repo: git.Repo, branch: str, commit: git.Commit, entry: dict[str, Any]) -> None:
    """Refuse a commit that reached any remote: one a remote-tracking ref contains, or dagent pushed
    (to a remote or a URL, which leaves no tracking ref); then compare with the branch's upstream."""
    pushed = _refs_containing(repo, commit.hexsha, "refs/remotes")
    remotes = {_remote_of(repo, ref) for ref in pushed}
    where = [ref.removeprefix("refs/remotes/") for ref in pushed]
    for target in entry.get("pushed_to", []):
        remotes.add(str(target.get("remote")))
        where.append(f"{target.get('branch')}, pushed by dagent")
    if remotes:
        raise DagentError(
            f"refusing to undo {_short(commit.hexsha)} ({commit.summary!r}): it is already pushed to "
            f"{', '.join(sorted(remotes))} (on {', '.join(where)}). dagent only undoes unpushed commits; "
            f"to take it back, run `git revert {_short(commit.hexsha)}` and push that"
        )
    _refuse_if_upstream_unknown(repo, branch, commit)


def _refuse_if_upstream_unknown(repo: git.Repo, branch: str, commit: git.Commit) -> None:
    """A branch with an upstream on a remote may be pushed there; refuse when no local ref shows what that
    upstream holds (a URL, or a tracking ref never fetched). One that exists was checked by the caller."""
    remote = _config(repo, f"branch.{branch}.remote")
    merge = _config(repo, f"branch.{branch}.merge")
    if not remote or not merge or remote == ".":  # no upstream, or a local branch as one
        return
    tracking = run_git(repo, "for-each-ref", "--format=%(upstream)", f"refs/heads/{branch}")
    if tracking and _ref_exists(repo, tracking):
        return
    sha = _short(commit.hexsha)
    raise DagentError(
        f"refusing to undo {sha} ({commit.summary!r}): branch {branch} has an upstream ({merge} on {remote}) "
        "with no remote-tracking ref here to compare with, so it may already be pushed. If a fetch can "
        f"update it, run `git fetch {remote}` and try again; if you know it is not pushed, run "
        f"`git branch --unset-upstream {branch}` first; otherwise run `git revert {sha}` and push that"
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
    for line in run_git(repo, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = Path(line[len("worktree ") :])
        elif line == f"branch refs/heads/{branch}":
            return path
    return None


def _reset_checked_out(worktree: Path, branch: str, commit: git.Commit, parent: git.Commit) -> str:
    wt = git.Repo(worktree)
    try:
        if run_git(wt, "status", "--porcelain", "--untracked-files=no"):
            raise DagentError(
                f"branch {branch} is checked out at {worktree} with uncommitted changes; "
                "commit or stash them, then run dagent undo again"
            )
        # --keep, not --hard: git refuses rather than overwrite anything the user has in the tree.
        run_git(wt, "reset", "--quiet", "--keep", parent.hexsha)
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
    """Undo the newest unpushed commit dagent recorded making, at the tip of a local branch; return what was done.

    A checked-out branch is moved back one commit (its work tree must be clean); a `dagent/...` branch
    that holds nothing but that commit is deleted; any other branch is moved back one commit.
    """
    repo, _root = open_repo(Path(repo_path).expanduser().resolve())
    try:
        recorded = _read_record(repo)
        branch, commit = _newest_dagent_tip(repo, recorded)
        _refuse_if_pushed(repo, branch, commit, recorded[commit.hexsha])
        _refuse_if_elsewhere(repo, branch, commit)
        if len(commit.parents) != 1:
            raise DagentError(f"refusing to undo {_short(commit.hexsha)}: dagent commits have exactly one parent")
        parent = commit.parents[0]
        worktree = _checked_out_at(repo, branch)
        if worktree is not None:
            return _reset_checked_out(worktree, branch, commit, parent)
        ref = f"refs/heads/{branch}"
        if branch.startswith(BRANCH_PREFIX) and _parent_kept_elsewhere(repo, branch, parent):
            run_git(repo, "update-ref", "-d", ref, commit.hexsha)  # old value: only if it still points there
            return (
                f"deleted branch {branch}, which held only dagent's commit {_short(commit.hexsha)} "
                f"({commit.summary!r}); to get it back: git branch {branch} {commit.hexsha}"
            )
        run_git(repo, "update-ref", "-m", f"dagent undo {_short(commit.hexsha)}", ref, parent.hexsha, commit.hexsha)
        return (
            f"moved {branch} back one commit to {_short(parent.hexsha)}, undoing {_short(commit.hexsha)} "
            f"({commit.summary!r}); to get it back: git branch -f {branch} {commit.hexsha}"
        )
    finally:
        repo.close()


# ---------------------------------------------------------------- push


def _without_credentials(remote: str) -> str:
    """A remote name or URL with any `user:token@` removed: it is written to the record and to messages."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1", remote)


def push_branch(repo_path: Path, remote: str, branch: str) -> None:
    """`git push REMOTE BRANCH` (a new branch, no force); git's own message on failure.

    The dagent commits it carries are recorded as pushed to REMOTE (a name or a URL), so dagent undo
    refuses them even where no remote-tracking ref shows the push.
    """
    repo, _root = open_repo(Path(repo_path).expanduser().resolve())
    try:
        if not remote or remote.startswith("-"):
            raise DagentError(f"{remote!r} is not a remote name or URL")
        if branch.startswith("-") or not _ref_exists(repo, f"refs/heads/{branch}"):
            raise DagentError(f"there is no local branch {branch!r} to push")
        refspec = f"refs/heads/{branch}:refs/heads/{branch}"  # full names: a tag of the same name is no issue
        shown = _without_credentials(remote)
        marked = _mark_pushed(repo, shown, branch)  # before: a push cut half-way may have landed
        try:
            # No terminal prompt: in CI a missing credential must fail, not wait for a password forever.
            repo.git.execute(["git", "push", "--quiet", remote, refspec], env={"GIT_TERMINAL_PROMPT": "0"},
                             kill_after_timeout=PUSH_TIMEOUT_S)  # fmt: skip
        except git.GitCommandError as err:
            if isinstance(err.status, int) and err.status > 0:  # git itself said no; a kill (timeout) is < 0
                _unmark_pushed(repo, marked, shown, branch)
            raise DagentError(f"`git push {shown} {branch}` failed: {_git_message(err)}") from err
    finally:
        repo.close()
