"""The git sandbox: a repository of its own holding the user's tree as it is on disk right now.

Opening one snapshots HEAD plus the uncommitted changes and the untracked files that are not ignored.
The snapshot is a commit built through a temporary index (GIT_INDEX_FILE), so the user's index, work
tree and stash list are never written: only new objects land in .git/objects. The sandbox is a new
repository that borrows the user's objects read-only (objects/info/alternates) and has refs, stash and
config of its own, so a test that runs `git stash`, `git branch -f` or `git tag` changes the sandbox,
never the user's repo. Populated submodules become nested sandboxes the same way. It lives in a temp
dir named `dagent-sandbox-*`, and a state file under .git/dagent/sandboxes/ records it, so
`clean_leftovers` (`dagent clean`) can remove what a killed process left behind, and only that.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Iterable, Sequence

import git

from dagent.errors import SandboxError
from dagent.sandbox.git import (
    NO_HOOKS,
    borrowing_repo,
    copy_local_refs,
    git_raw,
    listed_worktrees,
    open_repo,
    populate_submodules,
    remove_linked_worktree,
    remove_tree,
    run_git,
    snapshot_commit,
    tree_of_work_tree,
)
from dagent.sandbox.records import SandboxRecord, owner_alive, read_record, records_dir, write_record
from dagent.sandbox.interpreter import Interpreter, choose_interpreter, require_test_modules
from dagent.sandbox.editable import sandbox_environment
from dagent.sandbox.isolation import isolated_python
from dagent.signals import held, in_main_thread, terminating_as_interrupt

if TYPE_CHECKING:
    from dagent.sandbox.results import TestRun
    from dagent.sandbox.worker import TestWorker

PREFIX = "dagent-sandbox-"
_DIFF_ARGS = (
    "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--no-relative",
    "--binary", "-U3", "--src-prefix=a/", "--dst-prefix=b/",
)  # fmt: skip


# ---------------------------------------------------------------- signals


_open_sandboxes: set[Sandbox] = set()
_registry_lock = threading.Lock()
_interrupting = contextlib.ExitStack()  # holds terminating_as_interrupt() while any sandbox is open


def _register(sandbox: Sandbox) -> None:
    """Track an open sandbox; the first one in the main thread turns SIGTERM and SIGHUP (the terminal
    closed) into KeyboardInterrupt, which unwinds through every `with Sandbox(...)` and removes them."""
    with _registry_lock:
        if not _open_sandboxes and in_main_thread():
            _interrupting.enter_context(terminating_as_interrupt())
        _open_sandboxes.add(sandbox)


def _unregister(sandbox: Sandbox) -> None:
    """Forget a closed sandbox; the last one gives back the handlers the first found."""
    with _registry_lock:
        _open_sandboxes.discard(sandbox)
        if not _open_sandboxes and in_main_thread():
            _interrupting.close()


def _close_all() -> None:
    for sandbox in list(_open_sandboxes):
        with contextlib.suppress(Exception):
            sandbox.close()


atexit.register(_close_all)


# ---------------------------------------------------------------- leftovers


def _owner_alive(state: SandboxRecord) -> bool:
    if state.pid == os.getpid():
        return any(str(s.path) == state.worktree for s in _open_sandboxes)
    alive = owner_alive(state)
    if alive is not None:
        return alive
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_recorded(repo: git.Repo, state: SandboxRecord) -> bool:
    """Remove what one stale state file records; True if anything was there to remove.

    Only a `dagent-sandbox-*` temp dir is ever deleted, whatever the file says: a state file is
    ours, but a hand-edited or foreign one must not be able to point `dagent clean` at user data.
    """
    tmpdir, worktree = Path(state.tmpdir), Path(state.worktree)
    if not tmpdir.name.startswith(PREFIX) or tmpdir not in (worktree, worktree.parent):
        return False
    existed = tmpdir.exists()
    if state.own_repo:
        remove_tree(tmpdir)
    else:
        existed = existed or worktree in listed_worktrees(repo)
        remove_linked_worktree(repo, worktree, tmpdir)
    return existed


def clean_leftovers(repo_path: str | Path = ".") -> list[str]:
    """Remove the sandboxes whose process is gone; return the sandbox paths removed.

    Only what dagent's own state files under .git/dagent/sandboxes/ record is removed: a worktree of
    the user's that merely has `dagent-sandbox` in its path is never touched, and nothing is pruned
    beyond the entries dagent made. Sandboxes of live processes are kept.
    """
    repo, _root = open_repo(Path(repo_path).expanduser().resolve())
    removed: list[str] = []
    for state_file in sorted(records_dir(repo).glob("*.json")):
        state = read_record(state_file)
        if state is not None and _owner_alive(state):
            continue
        if state is not None and _remove_recorded(repo, state):
            removed.append(state.worktree)
        state_file.unlink(missing_ok=True)
    return sorted(removed)


# ---------------------------------------------------------------- the sandbox


class Sandbox:
    """A throwaway repository holding the work tree of the repo at `repo_path` (any directory inside it).

    Use it as a context manager; it is removed on exit, on an exception, on Ctrl-C and on SIGTERM:

        with Sandbox("~/src/proj/pkg") as sb:
            run = sb.run_tests()             # pytest in sb.project_dir (the `pkg` subdir)
            (sb.path / "pkg/mod.py").write_text(...)
            print(sb.diff())                 # a/ b/ paths relative to the repo root
            sb.reset()                       # back to the snapshot
    """

    def __init__(self, repo_path: str | Path = ".", snapshot: tuple[str, str | None] | None = None,
                 isolate: bool = False, python: str | None = None, installed: bool = False) -> None:
        self.requested = Path(repo_path).expanduser().resolve()
        self.installed = installed  # the project installed (editable) in a sandbox-only environment
        self.isolate = isolate  # tests under bwrap: the user's files read-only (see sandbox/isolation.py)
        self._asked_python = python  # --python; None: the project's own (see sandbox/interpreter.py)
        self.interpreter = Interpreter(sys.executable, "dagent's own")
        self.python = sys.executable  # how tests start: the interpreter, or a wrapper that isolates it
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
        repo, root = open_repo(self.requested)
        if not self.requested.is_dir():
            raise SandboxError(f"{self.requested} is not a directory; pass the project directory")
        self._repo, self.repo_root = repo, root
        rel = self.requested.relative_to(root).as_posix()
        self.project_subdir = "" if rel == "." else rel
        self.interpreter = choose_interpreter(self.requested, root, self._asked_python)
        require_test_modules(self.interpreter)
        self.python = self.interpreter.path
        self.snapshot, self.head = self._given_snapshot or snapshot_commit(repo)
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
        self._state_file = write_record(repo, self._tmpdir, self.path, self.snapshot, own_repo=True)
        self._wt = borrowing_repo(repo, self.path, self.snapshot, self.snapshot)
        copy_local_refs(repo, self._wt)
        populate_submodules(self.repo_root, self._wt, self.snapshot)
        if not self.project_dir.is_dir():
            raise SandboxError(
                f"{self.project_subdir} has no files git tracks or would add (all ignored?); "
                "pass a directory with tracked or untracked-not-ignored files"
            )
        if self.installed:
            self.install()
        else:
            self._use_python(self.interpreter.path)

    def _use_python(self, python: str) -> None:
        """Run the tests with `python`, through the bwrap wrapper with --isolate."""
        self.python = python
        if self.isolate and self._tmpdir is not None and self._repo is not None:
            protected = [self.repo_root, Path(self._repo.common_dir), Path.home()]
            self.python = str(isolated_python(self._tmpdir, python, protected, [self._tmpdir]))

    def install(self) -> None:
        """Install the sandbox's copy of the project in editable mode into an environment of the sandbox's
        own (see sandbox/editable.py), and run the tests with it from now on."""
        if self._tmpdir is None:
            raise SandboxError("open the sandbox before installing the project in it")
        venv = sandbox_environment(self.interpreter.path, self.project_dir, self._tmpdir / "venv")
        self.installed = True
        self._use_python(venv)

    def twin(self) -> Sandbox:
        """A second, unopened sandbox of the same snapshot (two candidates validated at once, one in
        each): the user's tree is not read again, so an edit they make meanwhile cannot split the two."""
        if not self.is_open:
            raise SandboxError("open the sandbox before making its twin")
        return Sandbox(self.requested, (self.snapshot, self.head), isolate=self.isolate, python=self.interpreter.path,
                       installed=self.installed)

    def close(self) -> None:
        """Remove the worktree and its temp dir. Safe to call twice."""
        if self._tmpdir is None:
            return
        try:
            with held():  # a second Ctrl-C cannot leave a half-removed sandbox
                assert self._repo is not None
                if self._wt is not None:
                    self._wt.close()
                remove_tree(self._tmpdir)
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
        run_git(wt, "reset", "--quiet", "--hard", self.snapshot)
        run_git(wt, "clean", "-ffdq" if keep_ignored else "-ffdqx")

    def restore(self, paths: Iterable[str]) -> None:
        """Put only `paths` (relative to the repo root) back to the snapshot; much cheaper than `reset`.

        Files in the snapshot are checked out from it; files it lacks are deleted, with the folders
        left empty by that. Meant for undoing one candidate edit whose changed files are known.
        """
        wt = self._worktree()
        wanted = sorted({p.replace(os.sep, "/").strip("/") for p in paths} - {""})
        if not wanted:
            return
        listed = git_raw(wt, "ls-tree", "-r", "-z", "--name-only", "--full-tree", self.snapshot, "--", *wanted)
        tracked = {p for p in listed.decode("utf-8", errors="surrogateescape").split("\0") if p}
        if tracked:
            run_git(wt, *NO_HOOKS, "checkout", "--quiet", self.snapshot, "--", *sorted(tracked))
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
        return tree_of_work_tree(wt, Path(wt.git_dir) / "index", self.snapshot)

    def diff_bytes(self) -> bytes:
        """The exact git diff (binary-safe) of the sandbox against the snapshot."""
        tree = self._current_tree()
        return git_raw(self._worktree(), "-c", "core.quotePath=false", *_DIFF_ARGS, self.snapshot, tree)

    def diff(self) -> str:
        """Unified diff of the sandbox vs the snapshot, a/ b/ paths relative to the repo root.

        New, deleted and changed files are included (untracked-not-ignored files count as new);
        no rename detection, so a move shows as a delete plus an add.
        """
        return self.diff_bytes().decode("utf-8", errors="replace")

    def changed_files(self) -> list[str]:
        """Paths (relative to the repo root) that differ from the snapshot: added, deleted or modified."""
        out = git_raw(self._worktree(), "diff", "--name-only", "--no-renames", "--no-relative", "-z",
                       self.snapshot, self._current_tree())  # fmt: skip
        return sorted(p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p)

    def run_tests(
        self,
        test_ids: Sequence[str] | None = None,
        timeout_s: float = 300,
        extra_args: Sequence[str] = (),
        python: str | None = None,
    ) -> TestRun:
        """pytest in `project_dir` with `python` (default: the sandbox's); see `dagent.sandbox.results.run_pytest`."""
        from dagent.sandbox.results import run_pytest

        self._worktree()
        return run_pytest(self.project_dir, test_ids, timeout_s=timeout_s, extra_args=extra_args,
                          python=python or self.python)  # fmt: skip

    def worker(self, python: str | None = None, test_timeout_s: float | None = None) -> TestWorker:
        """A warm `TestWorker` in `project_dir` (see `dagent.sandbox.worker`); close it before the sandbox."""
        from dagent.sandbox.worker import TestWorker

        self._worktree()
        return TestWorker(self.project_dir, python=python or self.python, test_timeout_s=test_timeout_s)

    def __repr__(self) -> str:
        where = self.path if self.is_open else "closed"
        return f"Sandbox({str(self.requested)!r}, at {where})"
