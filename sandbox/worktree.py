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
from dagent.sandbox.interpreter import Interpreter, choose_interpreter, require_test_modules
from dagent.sandbox.isolation import isolated_python

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
            _unflag_present_files(repo, env)
        elif head is not None:
            _git(repo, "read-tree", head, env=env)
        _git(repo, "add", "-A", env=env)
        return _git(repo, "write-tree", env=env)


def _unflag_present_files(repo: git.Repo, env: dict[str, str]) -> None:
    """Clear assume-unchanged and skip-worktree in the temp index for files that are on disk.

    `git add -A` trusts both flags and would snapshot the committed blob instead of the user's edit;
    a skip-worktree file absent from disk (a sparse checkout) keeps its flag, so it is not taken as deleted.
    """
    listed = _git_raw(repo, "ls-files", "-v", "-z", "--full-name", env=env).decode("utf-8", "surrogateescape")
    root = Path(repo.working_tree_dir or ".")
    entries = [(e[0], e[2:]) for e in listed.split("\0") if len(e) > 2]
    on_disk = [(tag, p) for tag, p in entries if (root / p).is_file() or (root / p).is_symlink()]
    # one flag per command: given both, update-index applies only the last one
    _update_flags(repo, env, "--no-assume-unchanged", [p for tag, p in on_disk if tag.islower()])
    _update_flags(repo, env, "--no-skip-worktree", [p for tag, p in on_disk if tag == "S"])


def _update_flags(repo: git.Repo, env: dict[str, str], flag: str, paths: list[str]) -> None:
    for start in range(0, len(paths), 500):  # keep each command line short
        _git(repo, "update-index", flag, "--", *paths[start : start + 500], env=env)


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
_TERMINATING = (signal.SIGTERM, signal.SIGHUP)
_saved_handlers: dict[int, object] = {}


def _sigterm_to_interrupt(signum: int, frame: FrameType | None) -> None:
    # A KeyboardInterrupt unwinds through every `with Sandbox(...)`, so the worktrees get removed.
    raise KeyboardInterrupt(f"received signal {signum}")


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _register(sandbox: Sandbox) -> None:
    """Track an open sandbox; the first one in the main thread turns SIGTERM and SIGHUP (the terminal
    closed) into KeyboardInterrupt."""
    global _saved_handlers, _sigterm_installed
    with _registry_lock:
        if not _sigterm_installed and _in_main_thread():
            previous = {sig: signal.signal(sig, _sigterm_to_interrupt) for sig in _TERMINATING}
            # None: a handler set outside Python
            _saved_handlers = {sig: signal.SIG_DFL if h is None else h for sig, h in previous.items()}
            _sigterm_installed = True
        _open_sandboxes.add(sandbox)


def _unregister(sandbox: Sandbox) -> None:
    """Forget a closed sandbox; the last one restores the handlers it found."""
    global _sigterm_installed
    with _registry_lock:
        _open_sandboxes.discard(sandbox)
        if not _open_sandboxes and _sigterm_installed and _in_main_thread():
            for sig, handler in _saved_handlers.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
            _sigterm_installed = False


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP while cleaning up, so a second Ctrl-C cannot leave a half-removed worktree."""
    if not _in_main_thread():
        yield
        return
    pending: list[int] = []
    sigs = (signal.SIGINT, *_TERMINATING)
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
    own_repo: bool = False  # a repository of its own (a Sandbox); False: a linked worktree of the user's repo


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


def _drop_worktree_entry(repo: git.Repo, worktree: Path) -> None:
    """Delete git's record of the one linked worktree at `worktree`: a scoped prune.

    A bare `git worktree prune` would also drop the user's worktrees whose directory is missing for
    a moment (an unmounted disk), so only the entry whose gitdir file names our path goes.
    """
    ours = str(worktree / ".git")
    for entry in (Path(repo.common_dir) / "worktrees").glob("*"):
        with contextlib.suppress(OSError):
            if (entry / "gitdir").read_text().strip() == ours:
                shutil.rmtree(entry, ignore_errors=True)


def _listed_worktrees(repo: git.Repo) -> list[Path]:
    out = _git(repo, "worktree", "list", "--porcelain")
    return [Path(line[len("worktree ") :]) for line in out.splitlines() if line.startswith("worktree ")]


def _remove_worktree(repo: git.Repo, worktree: Path, tmpdir: Path) -> None:
    """Remove a linked worktree dagent made, its temp dir and git's record of it (that one alone)."""
    if worktree in _listed_worktrees(repo):
        with contextlib.suppress(SandboxError):
            _git(repo, "worktree", "remove", "--force", "--force", str(worktree))
    _remove_tmpdir(tmpdir)
    _drop_worktree_entry(repo, worktree)


def _remove_tmpdir(tmpdir: Path) -> None:
    shutil.rmtree(tmpdir, ignore_errors=True)
    if tmpdir.exists():
        raise SandboxError(f"could not remove the sandbox at {tmpdir}; delete it by hand, then run `dagent clean`")


def _remove_recorded(repo: git.Repo, state: _State) -> bool:
    """Remove what one stale state file records; True if anything was there to remove.

    Only a `dagent-sandbox-*` temp dir is ever deleted, whatever the file says: a state file is
    ours, but a hand-edited or foreign one must not be able to point `dagent clean` at user data.
    """
    tmpdir, worktree = Path(state.tmpdir), Path(state.worktree)
    if not tmpdir.name.startswith(PREFIX) or tmpdir not in (worktree, worktree.parent):
        return False
    existed = tmpdir.exists()
    if state.own_repo:
        _remove_tmpdir(tmpdir)
    else:
        existed = existed or worktree in _listed_worktrees(repo)
        _remove_worktree(repo, worktree, tmpdir)
    return existed


def clean_leftovers(repo_path: str | Path = ".") -> list[str]:
    """Remove the sandboxes whose process is gone; return the sandbox paths removed.

    Only what dagent's own state files under .git/dagent/sandboxes/ record is removed: a worktree of
    the user's that merely has `dagent-sandbox` in its path is never touched, and nothing is pruned
    beyond the entries dagent made. Sandboxes of live processes are kept.
    """
    repo, _root = _open_repo(Path(repo_path).expanduser().resolve())
    removed: list[str] = []
    for state_file in sorted(_state_dir(repo).glob("*.json")):
        state = _read_state(state_file)
        if state is not None and _owner_alive(state):
            continue
        if state is not None and _remove_recorded(repo, state):
            removed.append(state.worktree)
        state_file.unlink(missing_ok=True)
    return sorted(removed)


# ---------------------------------------------------------------- the sandbox's own repository


def _borrowing_repo(source: git.Repo, path: Path, head: str, tree: str) -> git.Repo:
    """A new repository at `path` that reads `source`'s objects (never writes them), HEAD detached at
    `head` and the work tree and index at `tree` (a commit or tree; equal to `head` but in a submodule
    with uncommitted changes)."""
    path.mkdir(parents=True, exist_ok=True)
    _git(source, "-c", "init.defaultBranch=dagent-sandbox", "init", "--quiet", "--template=", str(path))
    git_dir = path / ".git"
    objects = Path(source.common_dir).resolve() / "objects"
    (git_dir / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    exclude = Path(source.common_dir) / "info" / "exclude"
    if exclude.is_file():  # the user's private ignores keep their build output out of the sandbox's diff
        (git_dir / "info").mkdir(exist_ok=True)
        shutil.copyfile(exclude, git_dir / "info" / "exclude")
    sandbox = git.Repo(path)
    _git(sandbox, "update-ref", "--no-deref", "HEAD", head)
    _git(sandbox, "read-tree", "-u", "--reset", tree)
    return sandbox


def _copy_local_refs(source: git.Repo, sandbox: git.Repo) -> None:
    """The user's branches and tags, as copies: a test that reads them sees them, one that moves them
    moves the sandbox's."""
    refs = _git(source, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")
    if refs:
        (Path(sandbox.git_dir) / "packed-refs").write_text(refs + "\n")


def _gitlinks(repo: git.Repo, treeish: str) -> list[tuple[str, str]]:
    """(path, commit) of every submodule recorded in `treeish`."""
    out = _git_raw(repo, "ls-tree", "-r", "-z", "--full-tree", treeish).decode("utf-8", "surrogateescape")
    links = []
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, _kind, sha = meta.split()
        if mode == "160000":
            links.append((path, sha))
    return links


def _populate_submodules(user_root: Path, sandbox: git.Repo, treeish: str) -> None:
    """Give each populated submodule of the user's a nested sandbox of its own, with its uncommitted work.

    HEAD stays at the recorded commit, so the superproject sees the same gitlink as in the snapshot.
    """
    for rel, commit in _gitlinks(sandbox, treeish):
        source_dir = user_root / rel
        if not (source_dir / ".git").exists():
            continue  # not checked out by the user either
        source = git.Repo(source_dir)
        try:
            tree = _tree_of_work_tree(source, Path(source.git_dir) / "index", commit)
            nested = _borrowing_repo(source, Path(sandbox.working_dir) / rel, commit, tree)
            _populate_submodules(source_dir, nested, tree)
            nested.close()
        finally:
            source.close()


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

    def __init__(self, repo_path: str | Path = ".", snapshot: tuple[str, str | None] | None = None,
                 isolate: bool = False, python: str | None = None) -> None:
        self.requested = Path(repo_path).expanduser().resolve()
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
        repo, root = _open_repo(self.requested)
        if not self.requested.is_dir():
            raise SandboxError(f"{self.requested} is not a directory; pass the project directory")
        self._repo, self.repo_root = repo, root
        rel = self.requested.relative_to(root).as_posix()
        self.project_subdir = "" if rel == "." else rel
        self.interpreter = choose_interpreter(self.requested, root, self._asked_python)
        require_test_modules(self.interpreter)
        self.python = self.interpreter.path
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
        state = _State(
            str(self.path), str(self._tmpdir), os.getpid(), stat and stat[1], time.time(), self.snapshot, own_repo=True
        )
        self._state_file.write_text(json.dumps(asdict(state)))  # before the sandbox: never untracked
        self._wt = _borrowing_repo(repo, self.path, self.snapshot, self.snapshot)
        _copy_local_refs(repo, self._wt)
        _populate_submodules(self.repo_root, self._wt, self.snapshot)
        if self.isolate:
            protected = [self.repo_root, Path(repo.common_dir), Path.home()]
            self.python = str(isolated_python(self._tmpdir, self.interpreter.path, protected, [self._tmpdir]))
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
        return Sandbox(self.requested, (self.snapshot, self.head), isolate=self.isolate, python=self.interpreter.path)

    def close(self) -> None:
        """Remove the worktree and its temp dir. Safe to call twice."""
        if self._tmpdir is None:
            return
        try:
            with _interrupts_deferred():
                assert self._repo is not None
                if self._wt is not None:
                    self._wt.close()
                _remove_tmpdir(self._tmpdir)
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
