"""Apply an op stream to a repo: resolve anchors (ops/anchors.py), keep file formats (ops/textfile.py),
refuse paths outside the repo (ops/paths.py), write all-or-nothing (ops/write.py); the result and its
diff are ops/changes.py.

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

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from dagent.errors import ApplyError, PathRefused
from dagent.ops import cst as cstops
from dagent.ops.anchors import find_anchor, reindent
from dagent.ops.changes import ApplyResult, FileChange
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
from dagent.ops.paths import check_path
from dagent.ops.syntax import render_op
from dagent.ops.textfile import TextFile, TextFormat, decode, disk_text, encode_text, split_lines_kept
from dagent.ops.write import write_changes

_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}


class EmptyStream(ApplyError):
    """The stream holds no op (an empty or blank text): there is nothing to apply, and reporting
    "applied" would hide that the edit went missing. load_ops, plan_ops, apply_ops and check all raise
    or report it alike."""

    def __init__(self, message: str = "the stream holds no op: nothing to apply (is the file empty, or was the edit cut off?)") -> None:
        super().__init__(message)


class _Tree:
    """The files the ops touch, loaded lazily from disk, changed in memory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.disk: dict[str, TextFile | None] = {}
        self.state: dict[str, TextFile | None] = {}
        self.notes: list[str] = []  # what the ops skipped without failing (files a rename could not scan)
        self._python: list[str] | None = None

    def key(self, path: str) -> tuple[str, bool]:
        return check_path(self.root, path)

    def _load(self, key: str) -> TextFile | None:
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
        return TextFile(text, fmt, key, full.stat().st_mode & 0o7777)

    def get(self, key: str) -> TextFile | None:
        if key not in self.disk:
            self.disk[key] = self._load(key)
        return self.state[key] if key in self.state else self.disk[key]

    def put(self, key: str, file: TextFile | None) -> None:
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


def _text_file(tree: _Tree, path: str) -> tuple[str, TextFile]:
    key, _ = tree.key(path)
    current = tree.get(key)
    if current is None:
        raise ApplyError(f"{path}: no such file")
    return key, current


def _edit(tree: _Tree, op: Replace | Insert | Delete) -> None:
    key, current = _text_file(tree, op.path)
    lines = split_lines_kept(current.text)
    if isinstance(op, Replace):
        span = find_anchor(current.text, op.old, op.line, op.path, op.new)
        lines[span.start : span.end] = split_lines_kept(reindent(op.new, span.indent_from, span.indent_to))
    elif isinstance(op, Delete):
        span = find_anchor(current.text, op.old, op.line, op.path)
        del lines[span.start : span.end]
    else:
        span = find_anchor(current.text, op.anchor, op.line, op.path, op.text)
        at = span.end if op.kind == "insert_after" else span.start
        lines[at:at] = split_lines_kept(reindent(op.text, span.indent_from, span.indent_to))
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


def _rename(tree: _Tree, key: str, current: TextFile, op: RenameSymbol) -> None:
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


def _move_module(tree: _Tree, key: str, current: TextFile, op: MoveModule) -> None:
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
        tree.put(key, TextFile(op.content, TextFormat(), None))
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
        data = encode_text(new.text, new.fmt, key)
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
    write_changes(Path(root).resolve(), result.changes)
    return replace(result, written=True)
