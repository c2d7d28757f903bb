"""Apply an op stream to a repo: resolve anchors, keep file formats, write all-or-nothing.

Ops apply in order to an in-memory copy of the files they touch (a later op sees the earlier ones'
results, across files); nothing is written until every op has succeeded, and then every file is
replaced atomically, with the ones already replaced restored if a later write fails or an exception
(KeyboardInterrupt included) cuts the write; SIGINT, SIGTERM and SIGHUP are held while files are swapped
in or restored, and re-delivered once the tree is whole again (all old or all new).

Anchors (the `old` lines of a replace or delete, the `anchor` lines of an insert) resolve:
1. exactly, as whole lines;
2. else ignoring indentation, trailing whitespace and blank lines (the new text is then re-indented
   by the difference between the anchor's indentation and the file's);
3. several matches: the one nearest the line hint; without a hint that is an AnchorError, as is no
   match at all (it names the file, the anchor's first line and the closest lines found).

Files keep their encoding (UTF-8 with or without BOM, Latin-1 when not UTF-8), their line endings
(a file whose every line ends in CRLF stays CRLF) and whether they end in a newline.
"""

from __future__ import annotations

import difflib
import os
import re
import signal
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from dagent.errors import ApplyError, PathRefused
from dagent.ops import cst as cstops
from dagent.ops.model import (
    AddImport,
    AddParameter,
    CreateFile,
    Decorate,
    Delete,
    ForwardArgument,
    Insert,
    MakeDataclass,
    MakeStatic,
    MoveFile,
    MoveModule,
    Op,
    RemoveFile,
    RenameSymbol,
    Replace,
)
from dagent.ops.syntax import render_op
from dagent.signals import held

BINARY_PROBE = 8192  # bytes read to look for a NUL, as git does
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")  # bytes no Latin-1 text file holds


class AnchorError(ApplyError):
    """An anchor was not found, or found in several places with no line hint to choose between them."""

    def __init__(
        self, message: str, path: str, anchor: str, matches: list[int], closest: list[tuple[int, str]], already_applied: bool
    ) -> None:
        super().__init__(message)
        self.path = path
        self.anchor = anchor
        self.matches = matches  # 1-based lines where an ambiguous anchor matched
        self.closest = closest  # (1-based line, text) of the lines most like the anchor's first line
        self.already_applied = already_applied


class EmptyStream(ApplyError):
    """The stream holds no op (an empty or blank text): there is nothing to apply, and reporting
    "applied" would hide that the edit went missing. load_ops, plan_ops, apply_ops and check all raise
    or report it alike."""

    def __init__(self, message: str = "the stream holds no op: nothing to apply (is the file empty, or was the edit cut off?)") -> None:
        super().__init__(message)


# ---------------------------------------------------------------- file formats


@dataclass(frozen=True)
class TextFormat:
    """How a file is stored on disk, so that a rewrite keeps it."""

    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (with BOM) or "latin-1"
    crlf: bool = False
    final_newline: bool = True


@dataclass(frozen=True)
class _File:
    """A file's content in memory: LF line ends, always ending in "\\n" unless empty."""

    text: str
    fmt: TextFormat
    origin: str | None  # the repo path this content was read from (None: created by an op)
    mode: int | None = None  # permission bits on disk


def _lines(text: str) -> list[str]:
    """Whole lines of an LF text, each with its "\\n" (not splitlines: "\\r" or "\\f" are content here)."""
    return [part + "\n" for part in text.split("\n")[:-1]]


def decode(data: bytes, path: str) -> tuple[str, TextFormat]:
    """Bytes of a text file -> (text with LF line ends and a final "\\n", its format); binary is refused."""
    if b"\x00" in data[:BINARY_PROBE]:
        raise PathRefused(f"{path}: refused: binary file (NUL byte in the first {BINARY_PROBE} bytes)")
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        raw = data.decode(encoding)
    except UnicodeDecodeError:
        if _CONTROL.search(data):
            raise PathRefused(f"{path}: refused: binary file (not UTF-8 and holds control bytes)") from None
        encoding, raw = "latin-1", data.decode("latin-1")
    crlf = "\r\n" in raw and raw.count("\n") == raw.count("\r\n")
    text = raw.replace("\r\n", "\n") if crlf else raw
    final = text == "" or text.endswith("\n")
    return (text if final else text + "\n"), TextFormat(encoding, crlf, final)


def disk_text(text: str, fmt: TextFormat) -> str:
    """The in-memory text as it will stand on disk (final newline and line ends restored)."""
    if not fmt.final_newline and text.endswith("\n"):
        text = text[:-1]
    return text.replace("\n", "\r\n") if fmt.crlf else text


def _encode(text: str, fmt: TextFormat, path: str) -> bytes:
    try:
        return disk_text(text, fmt).encode(fmt.encoding)
    except UnicodeEncodeError as err:
        bad = err.object[err.start : err.end]
        raise ApplyError(f"{path}: the new text holds {bad!r}, which the file's encoding ({fmt.encoding}) cannot store") from None


# ---------------------------------------------------------------- paths


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


# ---------------------------------------------------------------- anchors


@dataclass(frozen=True)
class Span:
    """Where an anchor matched: lines [start, end) (0-based), and the indentation to map new text by."""

    start: int
    end: int
    indent_from: str = ""
    indent_to: str = ""


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())] if line.strip() else ""


def _first_content(lines: list[str]) -> str:
    return next((ln for ln in lines if ln.strip()), lines[0] if lines else "")


def _exact(lines: list[str], anchor: list[str]) -> list[int]:
    n = len(anchor)
    return [i for i in range(len(lines) - n + 1) if lines[i] == anchor[0] and lines[i : i + n] == anchor]


def _loose(lines: list[str], anchor: list[str]) -> list[tuple[int, int]]:
    """Spans matching `anchor` with indentation, trailing whitespace and blank lines ignored."""
    want = [a.strip() for a in anchor if a.strip()]
    if not want:
        return []
    index = [i for i, ln in enumerate(lines) if ln.strip()]
    have = [lines[i].strip() for i in index]
    m = len(want)
    return [(index[j], index[j + m - 1] + 1) for j in range(len(have) - m + 1) if have[j : j + m] == want]


def find_anchor(text: str, anchor: str, hint: int | None = None, path: str = "<text>", replacement: str = "") -> Span:
    """Locate the whole lines `anchor` in `text` (LF, final "\\n"); see the module docstring for the rules.

    `replacement` (the op's new text) only serves the error message: "already applied?" when it is
    found where the anchor is not.
    """
    lines, wanted = _lines(text), _lines(anchor)
    exact = [(start, start + len(wanted)) for start in _exact(lines, wanted)]
    for spans, loosely in ((exact, False), ([] if exact else _loose(lines, wanted), True)):
        if not spans:
            continue
        if len(spans) > 1 and hint is None:
            raise _ambiguous(path, wanted, lines, [start for start, _ in spans])
        start, end = spans[0] if len(spans) == 1 else min(spans, key=lambda span: (abs(span[0] + 1 - hint), span[0]))  # type: ignore[operator]
        if loosely:
            return Span(start, end, _indent(_first_content(wanted)), _indent(lines[start]))
        return Span(start, end)
    raise _missing(path, wanted, lines, hint, replacement)


def _ambiguous(path: str, anchor: list[str], lines: list[str], starts: list[int]) -> AnchorError:
    first = _first_content(anchor).rstrip("\n")
    shown = ", ".join(str(s + 1) for s in starts[:10]) + (" ..." if len(starts) > 10 else "")
    closest = [(s + 1, lines[s].rstrip("\n")) for s in starts[:5]]
    message = (
        f"{path}: the anchor starting {first!r} ({len(anchor)} line(s)) matches {len(starts)} places "
        f"(lines {shown}); add a line hint ({path}:LINE) or more lines of context to pick one"
    )
    return AnchorError(message, path, "".join(anchor), [s + 1 for s in starts], closest, False)


def _closest(lines: list[str], first: str, count: int = 3) -> list[tuple[int, str]]:
    stripped = [ln.strip() for ln in lines]
    close = difflib.get_close_matches(first.strip(), [s for s in stripped if s], n=count, cutoff=0.5)
    found: list[tuple[int, str]] = []
    for text in close:
        i = stripped.index(text)
        found.append((i + 1, lines[i].rstrip("\n")))
    return found


def _present(lines: list[str], text: str) -> bool:
    wanted = _lines(text)
    return bool(wanted and any(w.strip() for w in wanted) and (_exact(lines, wanted) or _loose(lines, wanted)))


def _missing(path: str, anchor: list[str], lines: list[str], hint: int | None, replacement: str) -> AnchorError:
    first = _first_content(anchor).rstrip("\n")
    closest = _closest(lines, first)
    applied = _present(lines, replacement)
    message = f"{path}: anchor not found: the {len(anchor)} line(s) starting {first!r}"
    message += f" (line hint {hint})" if hint is not None else ""
    if closest:
        message += "; closest lines in the file:" + "".join(f"\n  {n:>5} | {t}" for n, t in closest)
    else:
        message += "; no similar line in the file"
    if applied:
        message += "\nthe replacement text is already present: already applied?"
    return AnchorError(message, path, "".join(anchor), [], closest, applied)


def reindent(text: str, indent_from: str, indent_to: str) -> str:
    """Re-indent `text` by the offset between an anchor's indentation and the file's."""
    if indent_from == indent_to:
        return text
    out: list[str] = []
    for line in _lines(text):
        if not line.strip():
            out.append(line)
        elif line.startswith(indent_from):
            out.append(indent_to + line[len(indent_from) :])
        elif indent_to.startswith(indent_from):  # the file is deeper: add the difference
            out.append(indent_to[len(indent_from) :] + line)
        elif indent_from.startswith(indent_to):  # the file is shallower: remove what we can
            extra = len(indent_from) - len(indent_to)
            out.append(line[min(extra, len(_indent(line))) :])
        else:
            out.append(line)
    return "".join(out)


# ---------------------------------------------------------------- the in-memory tree


class _Tree:
    """The files the ops touch, loaded lazily from disk, changed in memory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.disk: dict[str, _File | None] = {}
        self.state: dict[str, _File | None] = {}
        self.notes: list[str] = []  # what the ops skipped without failing (files a rename could not scan)
        self._python: list[str] | None = None

    def key(self, path: str) -> tuple[str, bool]:
        return check_path(self.root, path)

    def _load(self, key: str) -> _File | None:
        full = self.root / key
        if not full.exists():
            return None
        if full.is_dir():
            raise ApplyError(f"{key}: is a directory, not a file")
        try:
            data = full.read_bytes()
        except OSError as err:
            raise ApplyError(f"{key}: cannot read it ({err.strerror})") from None
        text, fmt = decode(data, key)
        return _File(text, fmt, key, full.stat().st_mode & 0o7777)

    def get(self, key: str) -> _File | None:
        if key not in self.disk:
            self.disk[key] = self._load(key)
        return self.state[key] if key in self.state else self.disk[key]

    def put(self, key: str, file: _File | None) -> None:
        self.get(key)  # the original must be known, for the result and the rollback
        self.state[key] = file

    def check_parents(self, key: str) -> None:
        """A new file needs its parent directories to be directories (not files, in memory or on disk)."""
        parts = key.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent in self.state and self.state[parent] is not None or (self.root / parent).is_file():
                raise ApplyError(f"{key}: cannot create it: {parent} is a file")

    def python_files(self) -> dict[str, str]:
        """Every readable .py file of the repo as it stands in memory (for a repo-wide rename)."""
        if self._python is None:
            self._python = _walk_python(self.root)
        keys = set(self._python) | {k for k, f in self.state.items() if f is not None and k.endswith(".py")}
        files: dict[str, str] = {}
        for key in sorted(keys):
            try:
                current = self.get(key)
            except ApplyError:
                continue  # binary or unreadable: nothing to rename there
            if current is not None:
                files[key] = current.text
        return files


def _walk_python(root: Path) -> list[str]:
    found: list[str] = []
    for directory, dirs, names in os.walk(root):
        here = Path(directory)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS and not (here / d / "pyvenv.cfg").exists()]
        for name in names:
            if name.endswith(".py") and not (here / name).is_symlink():
                found.append((here / name).relative_to(root).as_posix())
    return found


# ---------------------------------------------------------------- one op


def _text_file(tree: _Tree, path: str) -> tuple[str, _File]:
    key, _ = tree.key(path)
    current = tree.get(key)
    if current is None:
        raise ApplyError(f"{path}: no such file")
    return key, current


def _edit(tree: _Tree, op: Replace | Insert | Delete) -> None:
    key, current = _text_file(tree, op.path)
    lines = _lines(current.text)
    if isinstance(op, Replace):
        span = find_anchor(current.text, op.old, op.line, op.path, op.new)
        lines[span.start : span.end] = _lines(reindent(op.new, span.indent_from, span.indent_to))
    elif isinstance(op, Delete):
        span = find_anchor(current.text, op.old, op.line, op.path)
        del lines[span.start : span.end]
    else:
        span = find_anchor(current.text, op.anchor, op.line, op.path, op.text)
        at = span.end if op.kind == "insert_after" else span.start
        lines[at:at] = _lines(reindent(op.text, span.indent_from, span.indent_to))
    tree.put(key, replace(current, text="".join(lines)))


Structural = AddImport | MakeStatic | AddParameter | RenameSymbol | ForwardArgument | Decorate | MakeDataclass | MoveModule


def _structural(tree: _Tree, op: Structural) -> None:
    key, current = _text_file(tree, op.path)
    try:
        if isinstance(op, RenameSymbol):
            _rename(tree, key, current, op)
            return
        if isinstance(op, MoveModule):
            _move_module(tree, key, current, op)
            return
        if isinstance(op, AddImport):
            text = cstops.add_import(current.text, op.statement, op.path)
        elif isinstance(op, MakeStatic):
            text = cstops.make_static(current.text, op.symbol, op.path)
        elif isinstance(op, ForwardArgument):
            text = cstops.forward_argument(current.text, op.symbol, op.name, op.callee, op.path)
        elif isinstance(op, Decorate):
            text = cstops.decorate(current.text, op.symbol, op.decorator, op.path)
        elif isinstance(op, MakeDataclass):
            text = cstops.make_dataclass(current.text, op.symbol, op.options, op.path)
        else:
            text = cstops.add_parameter(current.text, op.symbol, op.parameter, op.path)
    except ApplyError:
        raise
    except RecursionError:  # a libcst pass on code deep enough to pass the gauge: a refusal, not a crash
        raise cstops.NestingRefused(op.path, f"RecursionError in @@{op.kind}") from None
    except Exception as err:  # libcst on odd code: still a refusal with a reason, never a crash
        raise ApplyError(f"{op.path}: @@{op.kind} failed: {type(err).__name__}: {err}") from None
    tree.put(key, replace(current, text=text))


def _rename(tree: _Tree, key: str, current: _File, op: RenameSymbol) -> None:
    """A repo-wide rename over every Python file in memory; files libcst cannot take are noted, not fatal."""
    files = tree.python_files()
    files.setdefault(key, current.text)
    renamed = cstops.rename_symbol(files, key, op.symbol, op.new_name, skipped=tree.notes)
    for changed_key, text in renamed.items():
        tree.put(changed_key, replace(tree.get(changed_key), text=text))  # type: ignore[arg-type]


def _link_refused(path: str) -> PathRefused:
    return PathRefused(f"{path}: refused: it is a symlink; ops edit the file it points to but do not remove or move links")


def _move_target(tree: _Tree, key: str, path: str, to: str) -> str:
    """The key a move of `path` (at `key`) to `to` lands on; refused onto itself, onto an existing file or
    link, or under a file."""
    target, target_link = tree.key(to)
    if target == key:
        raise ApplyError(f"{path}: moving it onto itself")
    if target_link or tree.get(target) is not None:
        raise ApplyError(f"{to}: already exists; remove it first to move {path} there")
    tree.check_parents(target)
    return target


def _move_module(tree: _Tree, key: str, current: _File, op: MoveModule) -> None:
    """Move a module (like @@move, with the same refusals) and rewrite its imports across the repo."""
    if tree.key(op.path)[1]:
        raise _link_refused(op.path)
    target = _move_target(tree, key, op.path, op.to)
    files = tree.python_files()
    files[key] = current.text
    files.pop(target, None)
    changed = cstops.move_module(files, key, target, skipped=tree.notes)
    tree.put(target, replace(current, text=changed.pop(target, current.text)))
    tree.put(key, None)
    for changed_key, text in changed.items():
        tree.put(changed_key, replace(tree.get(changed_key), text=text))  # type: ignore[arg-type]


def _file_op(tree: _Tree, op: CreateFile | RemoveFile | MoveFile) -> None:
    key, is_link = tree.key(op.path)
    if isinstance(op, CreateFile):
        if is_link or tree.get(key) is not None:
            raise ApplyError(f"{op.path}: already exists; edit it with @@replace or remove it first")
        tree.check_parents(key)
        tree.put(key, _File(op.content, TextFormat(), None))
        return
    if is_link:
        raise _link_refused(op.path)
    current = tree.get(key)
    if current is None:
        raise ApplyError(f"{op.path}: no such file")
    if isinstance(op, RemoveFile):
        tree.put(key, None)
        return
    target = _move_target(tree, key, op.path, op.to)
    tree.put(target, current)
    tree.put(key, None)


def _apply_one(tree: _Tree, op: Op) -> None:
    if isinstance(op, (Replace, Insert, Delete)):
        _edit(tree, op)
    elif isinstance(op, (CreateFile, RemoveFile, MoveFile)):
        _file_op(tree, op)
    else:
        _structural(tree, op)


def _op_label(index: int, total: int, op: Op) -> str:
    return f"op {index} of {total} ({render_op(op).split(chr(10))[0]})"


# ---------------------------------------------------------------- the result


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
        return "".join(_file_diff(c, context) for c in self.changes)


def _moves(tree: _Tree) -> dict[str, str]:
    """origin -> new path of every moved file: its origin is gone and its new path did not exist.
    (Content whose origin still exists, or that lands on an existing file, counts as written there.)"""
    moves: dict[str, str] = {}
    for key, file in tree.state.items():
        origin = file.origin if file is not None else None
        if origin not in (None, key) and tree.state.get(origin) is None and tree.disk.get(key) is None:  # type: ignore[arg-type]
            moves[origin] = key  # type: ignore[index]
    return moves


def _changes(tree: _Tree) -> list[FileChange]:
    final = tree.state
    moved_from = _moves(tree)
    changes: list[FileChange] = []
    for key in sorted(final):
        new, old = final[key], tree.disk[key]
        if new is None:
            if old is not None and key not in moved_from:
                changes.append(FileChange(key, disk_text(old.text, old.fmt), None, mode=old.mode))
            continue
        data = _encode(new.text, new.fmt, key)
        after = disk_text(new.text, new.fmt)
        if moved_from.get(new.origin or "") == key:
            source = tree.disk[new.origin]  # type: ignore[index]
            assert source is not None
            changes.append(FileChange(key, disk_text(source.text, source.fmt), after, new.origin, source.mode, data))
        elif old is None:
            changes.append(FileChange(key, None, after, None, None, data))
        elif disk_text(old.text, old.fmt) != after or old.fmt != new.fmt:
            changes.append(FileChange(key, disk_text(old.text, old.fmt), after, None, old.mode, data))
    return changes


def plan_changes(root: Path, ops: Sequence[Op], problems: list[str] | None = None) -> ApplyResult:
    """Run the ops in memory. With `problems` given, a failing op is recorded there and skipped."""
    if not ops:
        raise EmptyStream()
    tree = _Tree(Path(root))
    refused: set[int] = set()
    for index, op in enumerate(ops, 1):  # every path first: a refusal wins over any anchor problem
        try:
            for path in op.paths():
                tree.key(path)
        except ApplyError as err:
            refused.add(index)
            _fail(err, index, len(ops), op, problems)
    for index, op in enumerate(ops, 1):
        if index in refused:
            continue
        snapshot, noted = dict(tree.state), len(tree.notes)
        try:
            _apply_one(tree, op)
        except ApplyError as err:
            tree.state = snapshot
            del tree.notes[noted:]
            _fail(err, index, len(ops), op, problems)
    return ApplyResult(_changes(tree), notes=list(dict.fromkeys(tree.notes)))


def _fail(err: ApplyError, index: int, total: int, op: Op, problems: list[str] | None) -> None:
    err.args = (f"{_op_label(index, total, op)}: {err.args[0] if err.args else err}",)
    if problems is None:
        raise err
    problems.append(str(err))


def plan_ops(root: Path | str, ops: Sequence[Op]) -> ApplyResult:
    """Everything apply_ops would do, computed in memory; writes nothing (a dry run). No ops: EmptyStream."""
    return plan_changes(Path(root), ops)


def apply_ops(root: Path | str, ops: Sequence[Op]) -> ApplyResult:
    """Apply `ops` to the repo at `root`, all or nothing: on any error no file changes. No ops: EmptyStream."""
    result = plan_changes(Path(root), ops)
    _commit(Path(root).resolve(), result.changes)
    return replace(result, written=True)


# ---------------------------------------------------------------- writing


def _new_mode(old: int | None) -> int:
    if old is not None:
        return old
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@dataclass
class _Journal:
    """What the commit has done so far, to undo it."""

    made_dirs: list[Path] = field(default_factory=list)
    temps: list[Path] = field(default_factory=list)
    swapped: list[tuple[Path, Path | None]] = field(default_factory=list)  # (target, backup of the old one)

    def undo(self) -> list[str]:
        """Restore every swapped file, drop temp files and new directories; returns what could not be undone."""
        failed: list[str] = []
        for target, backup in reversed(self.swapped):
            try:
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
            except OSError as err:
                failed.append(f"{target} (backup {backup}): {err}")
        for path in [*self.temps, *reversed(self.made_dirs)]:
            try:
                path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
            except OSError:
                pass  # a leftover temp file or directory is harmless
        return failed

    def drop_backups(self) -> None:
        """The swap is complete: the moved-aside originals are no longer needed."""
        for _, backup in self.swapped:
            if backup is not None:
                backup.unlink(missing_ok=True)
        self.swapped.clear()


def _stage(root: Path, change: FileChange, journal: _Journal) -> tuple[Path, Path]:
    target = root / change.path
    missing: list[Path] = []
    parent = target.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        directory.mkdir()
        journal.made_dirs.append(directory)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".dagent-tmp")
    temp = Path(name)
    journal.temps.append(temp)
    with os.fdopen(fd, "wb") as handle:
        handle.write(change.data or b"")
    os.chmod(temp, _new_mode(change.mode))
    return temp, target


def _backup_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.dagent-bak")


class _Interrupted(Exception):
    """A held signal arrived while files were being staged: stop, undo, and let it through."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def _commit(root: Path, changes: list[FileChange]) -> None:
    """Stage every new file next to its target, then swap them in; on any failure or interrupt, undo
    everything. Signals are held throughout: one arriving while files are staged stops the staging,
    one arriving during the swap waits for it to end; either is re-delivered once the tree is whole."""
    journal = _Journal()
    removals = [root / c.path for c in changes if c.after is None] + [root / c.old_path for c in changes if c.old_path]
    with held(deliver_on_error=True) as pending:  # the signal wins over the error it caused
        try:
            staged: list[tuple[Path, Path]] = []
            for change in (c for c in changes if c.after is not None):
                if pending:
                    raise _Interrupted(pending[0])
                staged.append(_stage(root, change, journal))
            _swap_in(journal, staged, removals)
        except BaseException as err:
            failed = journal.undo()
            if isinstance(err, (OSError, _Interrupted)):
                raise _write_error(err, failed) from None
            _note_unrestored(err, failed)
            raise
        journal.drop_backups()
    for target in removals:
        _prune_empty_dirs(root, target.parent)


def _swap_in(journal: _Journal, staged: list[tuple[Path, Path]], removals: list[Path]) -> None:
    """Move each target aside and its staged file in, then move the removed files aside; all journaled."""
    for temp, target in staged:
        backup = _backup_name(target) if target.exists() else None
        if backup is not None:
            os.replace(target, backup)
            journal.swapped.append((target, backup))
        os.replace(temp, target)
        journal.temps.remove(temp)
        if backup is None:
            journal.swapped.append((target, None))
    for target in removals:
        backup = _backup_name(target)
        os.replace(target, backup)
        journal.swapped.append((target, backup))


def _write_error(err: OSError | _Interrupted, failed: list[str]) -> ApplyError:
    what = str(err) if isinstance(err, _Interrupted) else f"writing failed ({err})"
    if failed:
        return ApplyError(f"{what} and these could not be restored: " + "; ".join(failed))
    return ApplyError(f"{what}; every file was restored, nothing was changed")


def _note_unrestored(err: BaseException, failed: list[str]) -> None:
    if failed and hasattr(err, "add_note"):  # Python 3.11+: shown under the traceback
        err.add_note("dagent: the interrupted apply could not restore: " + "; ".join(failed))


def _prune_empty_dirs(root: Path, directory: Path) -> None:
    """Remove directories left empty by a removal or a move (git does not keep them either)."""
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


# ---------------------------------------------------------------- diff


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


def _file_diff(change: FileChange, context: int) -> str:
    old_path = change.old_path or change.path
    mode = f"{0o100000 | (change.mode if change.mode is not None else _new_mode(None)):o}"
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
