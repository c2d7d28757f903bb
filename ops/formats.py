"""Import edits written in other tools' formats into ops, and read any of the three forms.

- Unified diffs (`git diff`, `diff -u`; several files, new, deleted and renamed files): each hunk
  becomes an insert (pure addition next to context), a delete (pure removal) or a replace (context
  included, for a robust anchor), with a line hint taken from the hunk header; a new file becomes
  @@create, a deleted one @@remove, a rename @@move (then the hunks on its new path).
- Aider's SEARCH/REPLACE blocks: a path line, then `<<<<<<< SEARCH`, `=======`, `>>>>>>> REPLACE`,
  possibly inside ``` fences; an empty SEARCH creates the file (or, with `root` given and the file
  there, appends to it).

A hunk's body must hold exactly the lines its header counts (`@@ -a,b +c,d @@`), as `git apply`
insists: a diff cut mid-hunk is refused rather than applied in part; so is a file header with no hunk
and a diff that holds no change at all.

Limits: ops keep a file's final-newline state, so `\\ No newline at end of file` is read and dropped;
a hunk without any context line in an existing file has nothing to anchor on and is refused (make the
diff with some context, the default -U3 is fine); binary patches and copies are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from dagent.errors import DagentError
from dagent.ops.apply import EmptyStream
from dagent.ops.model import CreateFile, Delete, Insert, MoveFile, Op, RemoveFile, Replace
from dagent.ops.paths import check_path
from dagent.ops.syntax import OP_MARKERS, OpParseError, parse
from dagent.ops.textfile import decode

Format = Literal["ops", "diff", "search_replace"]

SEARCH = re.compile(r"^<{5,9} SEARCH\s*$")
DIVIDER = re.compile(r"^={5,9}\s*$")
REPLACE = re.compile(r"^>{5,9} REPLACE\s*$")
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_OP_HEADER = re.compile(r"^(@@[a-z_]+)(?: |$)")
_FENCE = re.compile(r"^\s*(```|~~~)")


class FormatError(DagentError):
    """Input that is not a valid op stream, unified diff or SEARCH/REPLACE text; `line` is 1-based."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


# ---------------------------------------------------------------- detection and loading


def detect_format(text: str) -> Format:
    """Which form `text` is written in (after CRLF and BOM normalisation, see load_ops)."""
    lines = text.split("\n")
    first = next((ln for ln in lines if ln.strip()), "")
    header = _OP_HEADER.match(first)
    if not first or (header and header[1] in OP_MARKERS):
        return "ops"
    if any(SEARCH.match(ln) for ln in lines):
        return "search_replace"
    for i, line in enumerate(lines):
        if line.startswith("diff --git ") or _HUNK.match(line) or (line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")):
            return "diff"
    raise FormatError(f"not an op stream (first line '@@replace ...'), a unified diff or SEARCH/REPLACE blocks: {first[:60]!r}", 1)


def load_ops(text: str, root: Path | None = None) -> list[Op]:
    """Read ops from `text` in any of the three forms. `root` (the repo) only serves SEARCH/REPLACE
    blocks with an empty SEARCH on an existing file (an append rather than a create)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    kind = detect_format(text)
    if kind == "diff":
        ops = diff_to_ops(text)
    elif kind == "search_replace":
        ops = search_replace_to_ops(text, root)
    else:
        try:
            ops = parse(text)
        except OpParseError as err:
            raise FormatError(f"expected {err.expected}, got {err.got!r}", err.line) from None
    if not ops:  # applying it would report success for doing nothing
        raise EmptyStream()
    return ops


# ---------------------------------------------------------------- unified diff


@dataclass
class _Hunk:
    line: int  # where its header is, for messages
    old_start: int
    new_start: int
    new_len: int
    body: list[tuple[str, str]] = field(default_factory=list)  # (sign, line with "\n")


@dataclass
class _Patch:
    line: int
    old: str | None = None  # None: /dev/null
    new: str | None = None
    git: bool = False
    new_file: bool = False
    deleted: bool = False
    rename_from: str | None = None
    rename_to: str | None = None
    headers: bool = False  # it has '---'/'+++' lines, so hunks must follow
    hunks: list[_Hunk] = field(default_factory=list)

    def name(self) -> str:
        """The path to name in messages."""
        old, new = _patch_paths(self)
        return new or old or "?"


def unquote_path(text: str) -> str:
    """A path as git writes it: bare, or C-quoted ("a\\303\\251.py") when it holds special bytes."""
    if not text.startswith('"'):
        return text
    if len(text) < 2 or not text.endswith('"'):
        raise ValueError(f"unterminated quoted path {text!r}")
    out = bytearray()
    body, i = text[1:-1], 0
    escapes = {"n": 10, "t": 9, "r": 13, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "v": 11}
    while i < len(body):
        char = body[i]
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
        elif body[i + 1 : i + 2] in escapes:
            out.append(escapes[body[i + 1]])
            i += 2
        elif re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        else:
            raise ValueError(f"bad escape in quoted path {text!r}")
    return out.decode("utf-8", "surrogateescape")


def _header_path(text: str, lineno: int) -> str | None:
    """The path of a `---`/`+++` line: tab-separated timestamp dropped, quotes undone; None for /dev/null."""
    raw = text if text.startswith('"') else text.split("\t")[0]
    try:
        path = unquote_path(raw.rstrip() if not raw.startswith('"') else raw.strip())
    except ValueError as err:
        raise FormatError(str(err), lineno) from None
    return None if path == "/dev/null" else path


def _git_line_paths(rest: str, lineno: int) -> tuple[str, str]:
    """`a/x b/y` of a `diff --git` line (used when no ---/+++ lines follow: renames, empty files)."""
    try:
        if rest.startswith('"'):
            end = rest.index('" ', 1)
            return unquote_path(rest[: end + 1]), unquote_path(rest[end + 2 :])
        if rest.endswith('"'):
            start = rest.rindex(' "')
            return rest[:start], unquote_path(rest[start + 1 :])
    except ValueError as err:
        raise FormatError(f"cannot read the paths of 'diff --git {rest}' ({err})", lineno) from None
    splits = [m.start() for m in re.finditer(" ", rest)]
    for at in splits:  # prefer the split where both sides name the same file (paths with spaces)
        a, b = rest[:at], rest[at + 1 :]
        if a[2:] == b[2:]:
            return a, b
    if not splits:
        raise FormatError(f"cannot read the paths of 'diff --git {rest}'", lineno)
    return rest[: splits[0]], rest[splits[0] + 1 :]


def _strip_prefix(path: str | None, prefix: str) -> str | None:
    return path[len(prefix) :] if path is not None and path.startswith(prefix) else path


class _DiffReader:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.i = 0
        self.patches: list[_Patch] = []

    def read(self) -> list[_Patch]:
        patch: _Patch | None = None
        while self.i < len(self.lines):
            line, lineno = self.lines[self.i], self.i + 1
            self.i += 1
            if line.startswith("diff --git "):
                patch = _Patch(lineno, git=True)
                patch.old, patch.new = _git_line_paths(line[len("diff --git ") :], lineno)
                self.patches.append(patch)
            elif line.startswith("--- ") and self.i < len(self.lines) and self.lines[self.i].startswith("+++ "):
                if patch is None or patch.hunks or not patch.git:
                    patch = _Patch(lineno)
                    self.patches.append(patch)
                patch.old = _header_path(line[4:], lineno)
                patch.new = _header_path(self.lines[self.i][4:], lineno + 1)
                patch.headers = True
                self.i += 1
            elif line.startswith("@@"):
                if patch is None:
                    raise FormatError("a hunk before any file header ('diff --git' or '---'/'+++')", lineno)
                patch.hunks.append(self._hunk(patch, line, lineno))
            elif patch is not None:
                self._extended_header(patch, line, lineno)
        return self.patches

    def _extended_header(self, patch: _Patch, line: str, lineno: int) -> None:
        if line.startswith("new file mode"):
            patch.new_file = True
        elif line.startswith("deleted file mode"):
            patch.deleted = True
        elif line.startswith("rename from "):
            patch.rename_from = unquote_path(line[len("rename from ") :])
        elif line.startswith("rename to "):
            patch.rename_to = unquote_path(line[len("rename to ") :])
        elif line.startswith(("copy from ", "copy to ")):
            raise FormatError("copies are not supported: write the new file as a new file", lineno)
        elif line.startswith(("Binary files ", "GIT binary patch")):
            raise FormatError("binary patches are not supported (ops edit text files)", lineno)
        elif line == "-- ":
            pass  # `git format-patch` signature: what follows is the git version, not a patch
        elif line[:1] in ("+", "-") and not line.startswith(("+++", "---")) and patch.hunks:
            raise FormatError("a changed line after the hunk ended: the hunk header's line counts are too small", lineno)

    def _hunk(self, patch: _Patch, header: str, lineno: int) -> _Hunk:
        match = _HUNK.match(header)
        if not match:
            raise FormatError(f"a hunk header '@@ -START,COUNT +START,COUNT @@', got {header[:60]!r}", lineno)
        old_len = int(match[2]) if match[2] is not None else 1
        new_len = int(match[4]) if match[4] is not None else 1
        hunk = _Hunk(lineno, int(match[1]), int(match[3]), new_len)
        while (old_len > 0 or new_len > 0) and self.i < len(self.lines):
            line = self.lines[self.i]
            sign, body = (line[0], line[1:]) if line else (" ", "")  # a blank context line lost its space
            if sign == "\\":
                self.i += 1
                continue
            if line.startswith(("diff --git ", "@@ ")) or (sign in " -" and old_len == 0) or (sign in " +" and new_len == 0):
                break  # the body ends before the header's counts are met: reported below
            if sign not in " -+":
                raise FormatError(f"a hunk line starting with ' ', '-' or '+', got {line[:60]!r}", self.i + 1)
            hunk.body.append((sign, body + "\n"))
            old_len -= sign in " -"
            new_len -= sign in " +"
            self.i += 1
        if old_len > 0 or new_len > 0:
            raise _cut_short(patch, len(patch.hunks) + 1, match, hunk, lineno)
        if self.i < len(self.lines) and self.lines[self.i].startswith("\\"):
            self.i += 1  # "\ No newline at end of file" after the last line
        return hunk


def _cut_short(patch: _Patch, number: int, match: re.Match[str], hunk: _Hunk, lineno: int) -> FormatError:
    """A hunk whose body does not hold the lines its header counts: applying the part read would lose the rest."""
    counted = [int(match[i]) if match[i] is not None else 1 for i in (2, 4)]
    held = [sum(sign in signs for sign, _ in hunk.body) for signs in (" -", " +")]
    return FormatError(
        f"{patch.name()}: hunk {number} ({match[0]!r}) is cut short: its header counts {counted[0]} old and "
        f"{counted[1]} new line(s), its body holds {held[0]} and {held[1]}; the diff was truncated or its counts "
        "are wrong, so none of it is applied",
        lineno,
    )


def diff_to_ops(text: str) -> list[Op]:
    """Ops equivalent to a unified diff (one or many files)."""
    patches = _DiffReader(text).read()
    if not patches:
        raise FormatError("no file in this diff (expected 'diff --git' or '---'/'+++' lines)", 1)
    ops: list[Op] = []
    for patch in patches:
        if patch.headers and not patch.hunks:
            raise FormatError(f"{patch.name()}: a file header ('---'/'+++') with no hunk after it: the diff is cut short or empty", patch.line)
        try:
            ops += _patch_ops(patch)
        except ValidationError as err:  # e.g. an empty path
            raise FormatError(f"this file patch does not make a valid op: {_first_error(err)}", patch.line) from None
    if not ops:
        raise FormatError("this diff holds no change that ops can apply (only mode changes or unchanged files)", 1)
    return ops


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"


def _patch_paths(patch: _Patch) -> tuple[str | None, str | None]:
    """(old, new) repo paths; None for an absent side. Only a git patch can rename a file."""
    old, new = patch.old, patch.new
    prefixed = all(p is None or p.startswith(pre) for p, pre in ((old, "a/"), (new, "b/")))
    if patch.git or prefixed:
        old, new = _strip_prefix(old, "a/"), _strip_prefix(new, "b/")
    elif old is not None and new is not None:
        # `diff -u x.py.orig x.py` or `diff -ru old/ new/`: both name the one file being edited
        a, b = old.split("/", 1), new.split("/", 1)
        new = b[1] if len(a) == 2 and len(b) == 2 and a[1] == b[1] else new
        old = new
    if patch.new_file:
        old = None
    if patch.deleted:
        new = None
    return old, new


def _patch_ops(patch: _Patch) -> list[Op]:
    old, new = _patch_paths(patch)
    if patch.rename_from is not None and patch.rename_to is not None:
        old, new = patch.rename_from, patch.rename_to
    if old is None and new is None:
        raise FormatError("a file patch with /dev/null on both sides", patch.line)
    if new is None:
        return [RemoveFile(path=old)]  # type: ignore[arg-type]
    if old is None:
        content = "".join(body for h in patch.hunks for sign, body in h.body if sign == "+")
        return [CreateFile(path=new, content=content)]
    ops: list[Op] = [MoveFile(path=old, to=new)] if old != new else []
    return ops + [op for hunk in patch.hunks for op in _hunk_ops(new, hunk)]


def _hunk_ops(path: str, hunk: _Hunk) -> list[Op]:
    signs = "".join(sign for sign, _ in hunk.body)
    old = "".join(body for sign, body in hunk.body if sign in " -")
    new = "".join(body for sign, body in hunk.body if sign in " +")
    if "-" not in signs and "+" not in signs:
        return []
    # where the hunk's first old line stands once the earlier hunks are applied: its new-side start
    at = max(1, hunk.new_start if hunk.new_len > 0 else hunk.new_start + 1)
    lead = len(signs) - len(signs.lstrip(" "))
    core = signs.strip(" ")
    if not old:
        raise FormatError("a hunk that adds lines to an existing file without any context line to anchor on; make the diff with context (-U1 or more)", hunk.line)
    if set(core) == {"+"}:  # one block of added lines next to context
        added = "".join(body for sign, body in hunk.body if sign == "+")
        if lead:
            anchor = "".join(body for _, body in hunk.body[:lead])
            return [Insert(kind="insert_after", path=path, anchor=anchor, text=added, line=at)]
        anchor = "".join(body for sign, body in hunk.body if sign == " ")
        return [Insert(kind="insert_before", path=path, anchor=anchor, text=added, line=at)]
    if set(core) == {"-"}:  # one block of removed lines
        removed = "".join(body for sign, body in hunk.body if sign == "-")
        return [Delete(path=path, old=removed, line=at + lead)]
    return [Replace(path=path, old=old, new=new, line=at)]


# ---------------------------------------------------------------- SEARCH/REPLACE


def _clean_path(line: str) -> str:
    """`**src/a.py**`, `` `src/a.py` ``, `src/a.py:` or `# src/a.py` -> `src/a.py`."""
    path = line.strip().strip("*`").strip()
    path = path.rstrip(":").strip()
    return path.lstrip("#").strip().strip("*`").strip()


def _looks_like_path(text: str) -> bool:
    return bool(text) and (("." in text or "/" in text) and " " not in text.strip() or "/" in text)


def _block_path(lines: list[str], at: int, previous: str | None) -> str | None:
    """The file a SEARCH block at line index `at` edits: the nearest path-like line above it."""
    for i in range(at - 1, max(-1, at - 4), -1):
        line = lines[i]
        if not line.strip() or _FENCE.match(line):
            continue
        if REPLACE.match(line):
            break
        candidate = _clean_path(line)
        if _looks_like_path(candidate):
            return candidate
        break
    return previous


def _read_until(lines: list[str], start: int, stop: re.Pattern[str], what: str, forbidden: tuple[re.Pattern[str], ...]) -> tuple[str, int]:
    collected: list[str] = []
    for i in range(start, len(lines)):
        if stop.match(lines[i]):
            return "".join(ln + "\n" for ln in collected), i + 1
        if any(p.match(lines[i]) for p in forbidden):
            raise FormatError(f"expected {what} before {lines[i].strip()!r}", i + 1)
        collected.append(lines[i])
    raise FormatError(f"expected {what}, got the end of the text", len(lines) + 1)


def search_replace_to_ops(text: str, root: Path | None = None) -> list[Op]:
    """Ops for Aider-style SEARCH/REPLACE blocks; text outside the blocks is ignored."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the text's final newline ends the last line; it starts no new one
    ops: list[Op] = []
    previous: str | None = None
    i = 0
    while i < len(lines):
        if not SEARCH.match(lines[i]):
            i += 1
            continue
        start = i
        path = _block_path(lines, i, previous)
        if path is None:
            raise FormatError("no file path before this SEARCH block (write the path on the line above it)", i + 1)
        search, i = _read_until(lines, i + 1, DIVIDER, "'======='", (SEARCH, REPLACE))
        replacement, i = _read_until(lines, i, REPLACE, "'>>>>>>> REPLACE'", (SEARCH, DIVIDER))
        try:
            ops += _block_ops(path, search, replacement, root)
        except ValidationError as err:
            raise FormatError(f"this block does not make a valid op: {_first_error(err)}", start + 1) from None
        previous = path
    return ops


def _block_ops(path: str, search: str, replacement: str, root: Path | None) -> list[Op]:
    if search.strip():
        if not replacement:
            return [Delete(path=path, old=search)]
        return [Replace(path=path, old=search, new=replacement)]
    existing = _existing_lines(root, path)
    if existing is None:
        return [CreateFile(path=path, content=replacement)]
    if not replacement:
        return []
    if not existing:  # an empty file: nothing to anchor on, so write it anew
        return [RemoveFile(path=path), CreateFile(path=path, content=replacement)]
    return [Insert(kind="insert_after", path=path, anchor=existing[-1], text=replacement, line=len(existing))]


def _existing_lines(root: Path | None, path: str) -> list[str] | None:
    """The file's lines when `root` is given and it is a readable text file of the repo; else None
    (then the block becomes a create, which apply checks and refuses with its own reason)."""
    if root is None:
        return None
    try:
        key, _ = check_path(Path(root), path)
        full = Path(root).resolve() / key
        if not full.is_file():
            return None
        text, _ = decode(full.read_bytes(), key)
    except (DagentError, OSError):
        return None
    return [part + "\n" for part in text.split("\n")[:-1]]
