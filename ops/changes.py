"""What an op stream does to a repo (`ApplyResult`, one `FileChange` a file), and its git-style diff."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileChange:
    """One file's change. `before`/`after` are the texts as on disk (None: absent before / after)."""

    path: str
    before: str | None
    after: str | None
    old_path: str | None = None  # set when the file was moved here
    mode: int | None = None  # permission bits (of the file before, or None for a new one)
    data: bytes | None = field(default=None, repr=False, compare=False)  # encoded `after`

    @property
    def kind(self) -> str:
        if self.after is None:
            return "removed"
        if self.old_path is not None:
            return "moved"
        return "created" if self.before is None else "modified"


@dataclass(frozen=True)
class ApplyResult:
    """What an op stream does to a repo (computed by plan_ops; written too by apply_ops)."""

    changes: list[FileChange]
    written: bool = False
    notes: list[str] = field(default_factory=list)  # files skipped by a rename (too deep for libcst), to show the user

    @property
    def changed(self) -> dict[str, tuple[str, str]]:
        """Files that exist before and after with new text (moved ones under their new path)."""
        both = [c for c in self.changes if c.before is not None and c.after is not None]
        return {c.path: (c.before, c.after) for c in both if c.before != c.after}  # type: ignore[misc]

    @property
    def created(self) -> list[str]:
        return [c.path for c in self.changes if c.kind == "created"]

    @property
    def removed(self) -> list[str]:
        return [c.path for c in self.changes if c.kind == "removed"]

    @property
    def moved(self) -> list[tuple[str, str]]:
        return [(c.old_path, c.path) for c in self.changes if c.old_path is not None]  # type: ignore[misc]

    def paths(self) -> list[str]:
        """Every path written or removed (a moved file's old and new path)."""
        return sorted({c.path for c in self.changes} | {c.old_path for c in self.changes if c.old_path})

    def summary(self) -> str:
        kinds = [c.kind for c in self.changes]
        parts = [f"{kinds.count(k)} {k}" for k in ("modified", "created", "removed", "moved") if k in kinds]
        return ", ".join(parts) if parts else "no change"

    def unified_diff(self, context: int = 3) -> str:
        """A git-style unified diff (a/ and b/ prefixes) of every change."""
        return "".join(file_diff(c, context) for c in self.changes)


def new_file_mode(old: int | None) -> int:
    if old is not None:
        return old
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _quote(path: str) -> str:
    """Quote a path the way git does when it holds a quote, a backslash, a control or non-ASCII byte."""
    if not re.search(r'["\\\x00-\x1f\x7f-\U0010ffff]', path):
        return path
    out = []
    for byte in path.encode("utf-8", "surrogateescape"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\t\n\r":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r"}[char])
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\{byte:03o}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _prefixed(prefix: str, path: str) -> str:
    quoted = _quote(path)
    return f'"{prefix}{quoted[1:]}' if quoted.startswith('"') else prefix + quoted


def _keep_lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _hunks(before: list[str], after: list[str], context: int) -> str:
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [_diff_line(" ", ln) for ln in before[i1:i2]]
                continue
            out += [_diff_line("-", ln) for ln in before[i1:i2]]
            out += [_diff_line("+", ln) for ln in after[j1:j2]]
    return "".join(out)


def _diff_line(sign: str, line: str) -> str:
    return sign + line if line.endswith("\n") else f"{sign}{line}\n\\ No newline at end of file\n"


def file_diff(change: FileChange, context: int) -> str:
    old_path = change.old_path or change.path
    mode = f"{0o100000 | (change.mode if change.mode is not None else new_file_mode(None)):o}"
    head = [f"diff --git {_prefixed('a/', old_path)} {_prefixed('b/', change.path)}\n"]
    before = _keep_lines(change.before or "")
    after = _keep_lines(change.after or "")
    if change.before is None:
        head.append(f"new file mode {mode}\n")
    elif change.after is None:
        head.append(f"deleted file mode {mode}\n")
    elif change.old_path is not None:
        similarity = int(difflib.SequenceMatcher(None, before, after, autojunk=False).ratio() * 100)
        head += [f"similarity index {similarity}%\n", f"rename from {_quote(old_path)}\n", f"rename to {_quote(change.path)}\n"]
    if before == after:
        return "".join(head)
    head.append(f"--- {'/dev/null' if change.before is None else _prefixed('a/', old_path)}\n")
    head.append(f"+++ {'/dev/null' if change.after is None else _prefixed('b/', change.path)}\n")
    return "".join(head) + _hunks(before, after, context)
