"""The records dagent keeps of what it creates (sandboxes, temporary worktrees), so `dagent clean` can
remove what a killed process left behind, and only that: one JSON file each under .git/dagent/sandboxes/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import git

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


def proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a process from /proc, or None where that is not available."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], fields[19]


def read_record(path: Path) -> SandboxRecord | None:
    try:
        return SandboxRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
