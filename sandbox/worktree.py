"""The git sandbox: a detached worktree of the user's repo as it is on disk right now.

Opening one snapshots HEAD plus the uncommitted changes and the untracked files that are not ignored.
The snapshot is a commit built through a temporary index (GIT_INDEX_FILE), so the user's index, work
tree and stash list are never written: only new objects land in .git/objects. The worktree lives in
a temp dir named `dagent-sandbox-*`, and a state file under .git/dagent/sandboxes/ records it, so
`clean_leftovers` (`dagent clean`) can remove what a killed process left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import git

from dagent.errors import SandboxError

if TYPE_CHECKING:
    from dagent.sandbox.results import TestRun
    from dagent.sandbox.worker import TestWorker

PREFIX = "dagent-sandbox-"
# Hooks are the user's business, not the sandbox's: a post-checkout hook must not run on our worktree.
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
# commit-tree needs an identity; the user may have none configured.
_IDENTITY = {
    "GIT_AUTHOR_NAME": "dagent",
    "GIT_AUTHOR_EMAIL": "dagent@localhost",
    "GIT_COMMITTER_NAME": "dagent",
    "GIT_COMMITTER_EMAIL": "dagent@localhost",
}
_DIFF_ARGS = (
    "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--no-relative",
    "--binary", "-U3", "--src-prefix=a/", "--dst-prefix=b/",
)  # fmt: skip


# ---------------------------------------------------------------- git helpers


def _git_raw(repo: git.Repo, *args: str, env: dict[str, str] | None = None) -> bytes:
    try:
        out = repo.git.execute(
            ["git", *args], env=env, stdout_as_string=False, strip_newline_in_stdout=False
        )
    except git.GitCommandError as err:
        cmd = " ".join(a for a in args if not a.startswith("core.hooksPath"))
        raise SandboxError(f"`git {cmd}` failed in {repo.working_dir}: {str(err.stderr).strip()}") from err
    return out  # type: ignore[return-value]


def _git(repo: git.Repo, *args: str, env: dict[str, str] | None = None) -> str:
    return _git_raw(repo, *args, env=env).decode("utf-8", errors="replace").strip()


def _open_repo(path: Path) -> tuple[git.Repo, Path]:
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


def _tree_of_work_tree(repo: git.Repo, seed_index: Path | None, head: str | None) -> str:
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
        elif head is not None:
            _git(repo, "read-tree", head, env=env)
        _git(repo, "add", "-A", env=env)
        return _git(repo, "write-tree", env=env)


def _snapshot(repo: git.Repo) -> tuple[str, str | None]:
    """A commit of HEAD plus uncommitted and untracked-not-ignored files, and the HEAD it sits on."""
    head = repo.head.commit.hexsha if repo.head.is_valid() else None
    tree = _tree_of_work_tree(repo, Path(repo.git_dir) / "index", head)
    parents = ["-p", head] if head else []
    commit = _git(
        repo, "commit-tree", "--no-gpg-sign", tree, *parents, "-m", "dagent snapshot", env=_IDENTITY
    )
    return commit, head


# ---------------------------------------------------------------- signals


_open_sandboxes: set[Sandbox] = set()
_registry_lock = threading.Lock()
_sigterm_installed = False
_saved_sigterm: object = signal.SIG_DFL


def _sigterm_to_interrupt(signum: int, frame: FrameType | None) -> None:
    # A KeyboardInterrupt unwinds through every `with Sandbox(...)`, so the worktrees get removed.
    raise KeyboardInterrupt(f"received signal {signum}")


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _register(sandbox: Sandbox) -> None:
    """Track an open sandbox; the first one in the main thread turns SIGTERM into KeyboardInterrupt."""
    global _saved_sigterm, _sigterm_installed
    with _registry_lock:
        if not _sigterm_installed and _in_main_thread():
            previous = signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
            _saved_sigterm = signal.SIG_DFL if previous is None else previous  # None: set outside Python
            _sigterm_installed = True
        _open_sandboxes.add(sandbox)


def _unregister(sandbox: Sandbox) -> None:
    """Forget a closed sandbox; the last one restores the SIGTERM handler it found."""
    global _sigterm_installed
    with _registry_lock:
        _open_sandboxes.discard(sandbox)
        if not _open_sandboxes and _sigterm_installed and _in_main_thread():
            signal.signal(signal.SIGTERM, _saved_sigterm)  # type: ignore[arg-type]
            _sigterm_installed = False


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while cleaning up, so a second Ctrl-C cannot leave a half-removed worktree."""
    if not _in_main_thread():
        yield
        return
    pending: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM)
    saved = {sig: signal.signal(sig, lambda signum, _frame: pending.append(signum)) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        if pending and sys.exc_info()[0] is None:
            raise KeyboardInterrupt("interrupted during sandbox cleanup")


def _close_all() -> None:
    for sandbox in list(_open_sandboxes):
        with contextlib.suppress(Exception):
            sandbox.close()


atexit.register(_close_all)


# ---------------------------------------------------------------- state files


@dataclass
class _State:
    worktree: str
    tmpdir: str
    pid: int
    pid_start: str | None  # /proc start time: tells a live owner from a reused pid
    created: float
    snapshot: str


def _state_dir(repo: git.Repo) -> Path:
    return Path(repo.common_dir) / "dagent" / "sandboxes"


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a process from /proc, or None where that is not available."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], fields[19]


def _owner_alive(state: _State) -> bool:
    if state.pid == os.getpid():
        return any(str(s.path) == state.worktree for s in _open_sandboxes)
    stat = _proc_stat(state.pid)
    if stat is not None:
        return stat[0] not in ("Z", "X") and state.pid_start in (None, stat[1])
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_state(path: Path) -> _State | None:
    try:
        return _State(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _remove_worktree(repo: git.Repo, worktree: Path, tmpdir: Path) -> None:
    """Remove a sandbox worktree, its temp dir and git's record of it; tolerate any of them missing."""
    with contextlib.suppress(SandboxError):
        _git(repo, "worktree", "remove", "--force", "--force", str(worktree))
    shutil.rmtree(tmpdir, ignore_errors=True)
    _git(repo, "worktree", "prune")
    if tmpdir.exists():
        raise SandboxError(f"could not remove the sandbox at {tmpdir}; delete it by hand, then run `dagent clean`")


def _listed_worktrees(repo: git.Repo) -> list[Path]:
    out = _git(repo, "worktree", "list", "--porcelain")
    return [Path(line[len("worktree ") :]) for line in out.splitlines() if line.startswith("worktree ")]


def _is_sandbox_path(path: Path) -> bool:
    return path.parent.name.startswith(PREFIX) or path.name.startswith(PREFIX)


def _sandbox_tmpdir(path: Path) -> Path:
    return path.parent if path.parent.name.startswith(PREFIX) else path


def clean_leftovers(repo_path: str | Path = ".") -> list[str]:
    """Remove dagent worktrees whose process is gone; return the worktree paths removed.

    Leftovers are found from the state files under .git/dagent/sandboxes/ and from `git worktree list`
    entries inside a `dagent-sandbox-*` temp dir. Sandboxes of live processes are kept.
    """
    repo, _root = _open_repo(Path(repo_path).expanduser().resolve())
    live: set[Path] = set()
    stale: set[Path] = set()
    for state_file in sorted(_state_dir(repo).glob("*.json")):
        state = _read_state(state_file)
        if state is not None and _owner_alive(state):
            live.add(Path(state.worktree))
            continue
        if state is not None:
            stale.add(Path(state.worktree))
        state_file.unlink(missing_ok=True)
    listed = set(_listed_worktrees(repo))
    stale |= {p for p in listed if _is_sandbox_path(p) and p not in live}
    removed = [p for p in sorted(stale) if p in listed or _sandbox_tmpdir(p).exists()]
    for path in stale:
        _remove_worktree(repo, path, _sandbox_tmpdir(path))
    _git(repo, "worktree", "prune")
    return [str(p) for p in removed]


# ---------------------------------------------------------------- the sandbox


class Sandbox:
    """A throwaway worktree of the repo at `repo_path` (any directory inside the work tree).

    Use it as a context manager; it is removed on exit, on an exception, on Ctrl-C and on SIGTERM:

        with Sandbox("~/src/proj/pkg") as sb:
            run = sb.run_tests()             # pytest in sb.project_dir (the `pkg` subdir)
            (sb.path / "pkg/mod.py").write_text(...)
            print(sb.diff())                 # a/ b/ paths relative to the repo root
            sb.reset()                       # back to the snapshot
    """

    def __init__(self, repo_path: str | Path = ".", snapshot: tuple[str, str | None] | None = None) -> None:
        self.requested = Path(repo_path).expanduser().resolve()
        self._given_snapshot = snapshot  # a twin's: the first sandbox's snapshot, not a new one
        self._repo: git.Repo | None = None
        self._wt: git.Repo | None = None
        self._tmpdir: Path | None = None
        self._state_file: Path | None = None
        self.repo_root = Path()  # the user's work tree root
        self.path = Path()  # the sandbox's work tree root
        self.project_subdir = ""  # the requested directory, relative to the repo root ("" for the root)
        self.snapshot = ""  # commit of the user's tree as it was when the sandbox was opened
        self.head: str | None = None  # the user's HEAD then (None in a repo with no commits)

    # -- lifecycle

    def __enter__(self) -> Sandbox:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._tmpdir is not None

    def open(self) -> Sandbox:
        """Snapshot the user's tree and check it out in a new detached worktree."""
        if self.is_open:
            return self
        repo, root = _open_repo(self.requested)
        if not self.requested.is_dir():
            raise SandboxError(f"{self.requested} is not a directory; pass the project directory")
        self._repo, self.repo_root = repo, root
        rel = self.requested.relative_to(root).as_posix()
        self.project_subdir = "" if rel == "." else rel
        self.snapshot, self.head = self._given_snapshot or _snapshot(repo)
        self._tmpdir = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
        self.path = self._tmpdir / root.name
        _register(self)
        try:
            self._create_worktree(repo)
        except BaseException:
            self.close()
            raise
        return self

    def _create_worktree(self, repo: git.Repo) -> None:
        assert self._tmpdir is not None
        self._state_file = _state_dir(repo) / f"{self._tmpdir.name}.json"
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        stat = _proc_stat(os.getpid())
        state = _State(str(self.path), str(self._tmpdir), os.getpid(), stat and stat[1], time.time(), self.snapshot)
        self._state_file.write_text(json.dumps(asdict(state)))  # before the worktree: never untracked
        _git(repo, *_NO_HOOKS, "worktree", "add", "--detach", "--quiet", str(self.path), self.snapshot)
        self._wt = git.Repo(self.path)
        if not self.project_dir.is_dir():
            raise SandboxError(
                f"{self.project_subdir} has no files git tracks or would add (all ignored?); "
                "pass a directory with tracked or untracked-not-ignored files"
            )

    def twin(self) -> Sandbox:
        """A second, unopened sandbox of the same snapshot (two candidates validated at once, one in
        each): the user's tree is not read again, so an edit they make meanwhile cannot split the two."""
        if not self.is_open:
            raise SandboxError("open the sandbox before making its twin")
        return Sandbox(self.requested, (self.snapshot, self.head))

    def close(self) -> None:
        """Remove the worktree and its temp dir. Safe to call twice."""
        if self._tmpdir is None:
            return
        try:
            with _interrupts_deferred():
                assert self._repo is not None
                if self._wt is not None:
                    self._wt.close()
                _remove_worktree(self._repo, self.path, self._tmpdir)
                if self._state_file is not None:
                    self._state_file.unlink(missing_ok=True)
                self._repo.close()
        finally:
            self._tmpdir = None
            _unregister(self)

    # -- use

    @property
    def project_dir(self) -> Path:
        """Where tests run: the requested directory's twin inside the sandbox."""
        return self.path / self.project_subdir if self.project_subdir else self.path

    def _worktree(self) -> git.Repo:
        if self._wt is None or not self.is_open:
            raise SandboxError("the sandbox is closed; open it (use `with Sandbox(...)`) before using it")
        return self._wt

    def reset(self, keep_ignored: bool = True) -> None:
        """Put the sandbox back to the snapshot: tracked files restored, untracked files removed.

        Ignored files (caches, build output) survive unless `keep_ignored` is False; the snapshot
        never contains ignored files, so a False here gives exactly the state of a fresh sandbox.
        """
        wt = self._worktree()
        _git(wt, "reset", "--quiet", "--hard", self.snapshot)
        _git(wt, "clean", "-ffdq" if keep_ignored else "-ffdqx")

    def restore(self, paths: Iterable[str]) -> None:
        """Put only `paths` (relative to the repo root) back to the snapshot; much cheaper than `reset`.

        Files in the snapshot are checked out from it; files it lacks are deleted, with the folders
        left empty by that. Meant for undoing one candidate edit whose changed files are known.
        """
        wt = self._worktree()
        wanted = sorted({p.replace(os.sep, "/").strip("/") for p in paths} - {""})
        if not wanted:
            return
        listed = _git_raw(wt, "ls-tree", "-r", "-z", "--name-only", "--full-tree", self.snapshot, "--", *wanted)
        tracked = {p for p in listed.decode("utf-8", errors="surrogateescape").split("\0") if p}
        if tracked:
            _git(wt, *_NO_HOOKS, "checkout", "--quiet", self.snapshot, "--", *sorted(tracked))
        for rel in wanted:
            if rel not in tracked:
                self._delete_untracked(rel)

    def _delete_untracked(self, rel: str) -> None:
        path = self.path / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
        parent = path.parent
        while parent != self.path and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def _current_tree(self) -> str:
        wt = self._worktree()
        return _tree_of_work_tree(wt, Path(wt.git_dir) / "index", self.snapshot)

    def diff_bytes(self) -> bytes:
        """The exact git diff (binary-safe) of the sandbox against the snapshot."""
        tree = self._current_tree()
        return _git_raw(self._worktree(), "-c", "core.quotePath=false", *_DIFF_ARGS, self.snapshot, tree)

    def diff(self) -> str:
        """Unified diff of the sandbox vs the snapshot, a/ b/ paths relative to the repo root.

        New, deleted and changed files are included (untracked-not-ignored files count as new);
        no rename detection, so a move shows as a delete plus an add.
        """
        return self.diff_bytes().decode("utf-8", errors="replace")

    def changed_files(self) -> list[str]:
        """Paths (relative to the repo root) that differ from the snapshot: added, deleted or modified."""
        out = _git_raw(self._worktree(), "diff", "--name-only", "--no-renames", "--no-relative", "-z",
                       self.snapshot, self._current_tree())  # fmt: skip
        return sorted(p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p)

    def run_tests(
        self,
        test_ids: Sequence[str] | None = None,
        timeout_s: float = 300,
        extra_args: Sequence[str] = (),
        python: str = sys.executable,
    ) -> TestRun:
        """pytest in `project_dir`; see `dagent.sandbox.results.run_pytest`."""
        from dagent.sandbox.results import run_pytest

        self._worktree()
        return run_pytest(self.project_dir, test_ids, timeout_s=timeout_s, extra_args=extra_args, python=python)

    def worker(self, python: str = sys.executable, test_timeout_s: float | None = None) -> TestWorker:
        """A warm `TestWorker` in `project_dir` (see `dagent.sandbox.worker`); close it before the sandbox."""
        from dagent.sandbox.worker import TestWorker

        self._worktree()
        return TestWorker(self.project_dir, python=python, test_timeout_s=test_timeout_s)

    def __repr__(self) -> str:
        where = self.path if self.is_open else "closed"
        return f"Sandbox({str(self.requested)!r}, at {where})"
