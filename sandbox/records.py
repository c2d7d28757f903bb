"""The records dagent keeps of what it creates (sandboxes, temporary worktrees), so `dagent clean` can
remove what a killed process left behind, and only that: one JSON file each under .git/dagent/sandboxes/."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import git

from dagent.sandbox.runner import read_proc

@dataclass
class SandboxRecord:
    worktree: str
    tmpdir: str
    pid: int
    pid_start: str | None  # /proc start time: tells a live owner from a reused pid
    created: float
    snapshot: str
    own_repo: bool = False  # a repository of its own (a Sandbox); False: a linked worktree of the user's repo


def records_dir(repo: git.Repo) -> Path:
    return Path(repo.common_dir) / "dagent" / "sandboxes"


def write_record(repo: git.Repo, tmpdir: Path, worktree: Path, snapshot: str, own_repo: bool) -> Path:
    """Record a sandbox or temp worktree about to be made in `tmpdir`, as this process's: written before
    it exists, so it is never an untracked leftover. Returns the record's path, to remove with it."""
    path = records_dir(repo) / f"{tmpdir.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    me = read_proc(os.getpid())
    record = SandboxRecord(str(worktree), str(tmpdir), os.getpid(), me and str(me.start), time.time(), snapshot,
                           own_repo=own_repo)  # fmt: skip
    path.write_text(json.dumps(asdict(record)))
    return path


def owner_alive(record: SandboxRecord) -> bool | None:
    """Whether the process that made `record` still runs (its pid not reused since); None where /proc
    cannot tell."""
    info = read_proc(record.pid)
    if info is None:
        return None
    return info.live and record.pid_start in (None, str(info.start))


def read_record(path: Path) -> SandboxRecord | None:
    try:
        return SandboxRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
