"""Helpers for tests that need a small real git repo, and a check that the user's repo was not touched.

Shared by dagent's own tests (sandbox, agent loop, CLI): `make_repo` builds a repo with an identity
configured and one commit; `fingerprint` captures every file's bytes, the index, HEAD, refs, the stash
list and the worktree list, so a test can assert that a dagent run left all of it identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import git


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def make_repo(root: Path, files: Mapping[str, str], commit: bool = True) -> git.Repo:
    """A git repo at `root` with `files` written and, unless `commit` is False, committed."""
    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "dagent tests")
        config.set_value("user", "email", "tests@dagent.invalid")
        config.set_value("commit", "gpgsign", "false")
    write_files(root, files)
    if commit:
        repo.git.add("-A")
        repo.git.commit("-q", "-m", "initial")
    return repo


def worktree_paths(root: Path) -> list[str]:
    """`git worktree list` as paths; the first one is the main work tree."""
    out = git.Repo(root).git.worktree("list", "--porcelain")
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("worktree ")]


@dataclass(frozen=True)
class RepoFingerprint:
    files: dict[str, bytes]  # every file outside .git, by path relative to the root
    index: bytes | None  # .git/index, byte for byte
    head: str | None
    refs: str
    stash: str
    worktrees: tuple[str, ...]


def _file_bytes(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not (dirpath == str(root) and d == ".git")]
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            files[rel] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return files


def fingerprint(root: Path) -> RepoFingerprint:
    repo = git.Repo(root)
    index = Path(repo.git_dir) / "index"
    return RepoFingerprint(
        files=_file_bytes(root),
        index=index.read_bytes() if index.exists() else None,
        head=repo.head.commit.hexsha if repo.head.is_valid() else None,
        refs=repo.git.execute(["git", "for-each-ref"]),
        stash=repo.git.execute(["git", "stash", "list"]),
        worktrees=tuple(worktree_paths(root)),
    )


_HOLDER = """
import sys, time
from dagent.sandbox import Sandbox
try:
    with Sandbox(sys.argv[1]) as sb:
        print(sb.path, flush=True)
        time.sleep(600)
except KeyboardInterrupt:
    print("cleaned up", flush=True)
    sys.exit(130)
"""


def start_sandbox_holder(repo_path: Path) -> tuple[subprocess.Popen[str], str]:
    """A child process holding an open sandbox of `repo_path`; returns it and the sandbox path."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(repo_path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise RuntimeError(f"the sandbox holder exited early with code {proc.wait()}")
    return proc, line


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a running process (a zombie counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
