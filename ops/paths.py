"""Where an op may write: paths inside the repo, lexically and through symlinks."""

from __future__ import annotations

import os
import re
from pathlib import Path

from dagent.errors import PathRefused


def check_path(root: Path, path: str) -> tuple[str, bool]:
    """Check an op path; returns (the repo-relative key of the file it reaches after symlinks, whether
    the path itself is a symlink). Refuses absolute paths, `..`, `.git/` and anything outside the repo."""
    why = _lexical_problem(path)
    if why:
        raise PathRefused(f"{path!r}: refused: {why}")
    lexical = "/".join(p for p in path.split("/") if p not in ("", "."))
    root = root.resolve()
    full = root / lexical
    try:
        resolved = full.resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise PathRefused(f"{path!r}: refused: cannot resolve it ({err})") from None
    if not resolved.is_relative_to(root):
        link = _first_symlink(root, lexical)
        via = f" through the symlink {link!r} -> {os.readlink(root / link)!r}" if link else ""
        raise PathRefused(f"{path!r}: refused: it resolves outside the repo{via}")
    key = resolved.relative_to(root).as_posix()
    if key == ".":
        raise PathRefused(f"{path!r}: refused: it is the repo root, not a file")
    if any(p.lower() == ".git" for p in key.split("/")):
        raise PathRefused(f"{path!r}: refused: it resolves into .git/ (through a symlink)")
    return key, full.is_symlink()


def _lexical_problem(path: str) -> str | None:
    if "\x00" in path:
        return "a NUL character in a path"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return "absolute path (op paths are relative to the repo root)"
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts:
        return "empty path"
    if ".." in parts:
        return "'..' would leave the repo (op paths are relative to the repo root, without '..')"
    if any(p.lower() == ".git" for p in parts):
        return "paths under .git/ are never edited"
    return None


def _first_symlink(root: Path, lexical: str) -> str | None:
    parts = lexical.split("/")
    for i in range(1, len(parts) + 1):
        if (root / "/".join(parts[:i])).is_symlink():
            return "/".join(parts[:i])
    return None
