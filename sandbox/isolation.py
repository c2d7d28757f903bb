"""`--isolate`: run the tests under bubblewrap, the user's files read-only and only the sandbox writable.

Without it a test runs as the user on the user's filesystem, so one that writes through an absolute path
(`open(os.path.expanduser("~/.config/x"), "w")`, a path into the user's checkout) reaches the user's files
whatever the sandbox does. With it the whole filesystem is mounted read-only in a private mount
namespace; the temp dir stays writable (the sandbox and the runner's exchange files live there), and the
user's repository, its git dir and the home directory are mounted read-only again on top, in case they
sit inside the temp dir. Where `bwrap` (Debian's `bubblewrap`) is missing, isolation is unavailable and
asking for it is a clear error.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dagent.errors import SandboxError

BWRAP = "bwrap"
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`) or run without --isolate"


def bwrap_path() -> str | None:
    """The bwrap binary, or None where it is not installed."""
    return shutil.which(BWRAP)


def isolation_prefix(protected: Sequence[Path], writable: Sequence[Path] = ()) -> list[str]:
    """The argv prefix that runs a command with everything read-only except the temp dir and `writable`;
    `protected` paths stay read-only even inside the temp dir. Raises SandboxError without bwrap."""
    binary = bwrap_path()
    if binary is None:
        raise SandboxError(f"--isolate needs bwrap, which is not on PATH; {INSTALL_HINT}")
    tmp = os.path.realpath(tempfile.gettempdir())
    args = [binary, "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--bind", tmp, tmp]  # fmt: skip
    for path in _existing(protected):
        args += ["--ro-bind", path, path]
    for path in _existing(writable):
        args += ["--bind", path, path]
    return [*args, "--"]


def _existing(paths: Sequence[Path]) -> list[str]:
    """Real, existing paths, parents first, each once (bwrap fails on a missing mount source)."""
    seen = {os.path.realpath(p) for p in paths if os.path.exists(p)}
    return sorted(seen, key=lambda p: (p.count(os.sep), p))


def isolated_python(where: Path, python: str, protected: Sequence[Path], writable: Sequence[Path]) -> Path:
    """An executable at `where/isolated-python` that runs `python` under bwrap with its arguments.

    Every part of dagent that starts the project's interpreter takes a `python` path, so a wrapper
    script isolates the plain runs, the coverage run and the warm worker alike.
    """
    command = [*isolation_prefix(protected, writable), python]
    script = where / "isolated-python"
    script.write_text("#!/bin/sh\n" + "exec " + " ".join(shlex.quote(part) for part in command) + ' "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script
