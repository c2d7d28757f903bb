"""Writing changes all-or-nothing: each file staged beside its target, swapped in with the old one kept,
every swapped file restored if a later write fails or a signal or exception cuts the write (signals are
held while files are swapped, and re-delivered once the tree is whole)."""

from __future__ import annotations

import os
import signal
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from dagent.errors import ApplyError
from dagent.ops.changes import FileChange, new_file_mode
from dagent.signals import held


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
    os.chmod(temp, new_file_mode(change.mode))
    return temp, target


def _backup_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.dagent-bak")


class _Interrupted(Exception):
    """A held signal arrived while files were being staged: stop, undo, and let it through."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def write_changes(root: Path, changes: list[FileChange]) -> None:
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
