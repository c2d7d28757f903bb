"""Which Python runs the project's tests: the project's own, not dagent's.

A real project keeps its dependencies in its own virtual environment; run with dagent's interpreter,
every test would fail with an ImportError inside the sandbox and `fix` would chase a phantom. The order:
`--python PATH`, the active `$VIRTUAL_ENV`, a `.venv` or `venv` in the project directory or the repo
root, and only then dagent's own interpreter. The chosen one must have pytest (and coverage, which
localisation needs); if it lacks them, the error says which and the command that installs them.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dagent.errors import SandboxError

VENV_NAMES = (".venv", "venv")
NEEDED = ("pytest", "coverage")
_PROBE = "import importlib.util as u, sys; print('missing:', *(m for m in sys.argv[1:] if u.find_spec(m) is None))"


@dataclass(frozen=True)
class Interpreter:
    """A Python executable and why it was chosen (said in the first line of a run)."""

    path: str
    source: str

    def describe(self) -> str:
        return f"tests run with {self.path} ({self.source})"


def _venv_python(venv: Path) -> Path | None:
    for rel in ("bin/python", "bin/python3", "Scripts/python.exe"):
        if (venv / rel).is_file():
            return venv / rel
    return None


def choose_interpreter(project: Path, repo_root: Path, explicit: str | None = None,
                       environ: Mapping[str, str] | None = None) -> Interpreter:
    """The interpreter for `project` (a directory inside the repo at `repo_root`), in the order above."""
    env = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise SandboxError(f"--python {explicit}: no executable there; pass the path of a Python interpreter")
        return Interpreter(str(path.absolute()), "--python")
    active = env.get("VIRTUAL_ENV")
    if active and (found := _venv_python(Path(active))) is not None:
        return Interpreter(str(found), "the active virtual environment, $VIRTUAL_ENV")
    for where, label in ((project, "the project"), (repo_root, "the repository root")):
        for name in VENV_NAMES:
            if (found := _venv_python(where / name)) is not None:
                return Interpreter(str(found), f"{name} in {label}")
    return Interpreter(sys.executable, "dagent's own: no virtual environment found in the project")


def missing_modules(python: str, modules: Sequence[str] = NEEDED) -> list[str]:
    """Which of `modules` the interpreter cannot import (all of them when it cannot start); asked once
    per process for each interpreter, since every sandbox of a run (the lanes' twins) asks again."""
    return list(_probe(python, tuple(modules)))


@functools.lru_cache(maxsize=16)
def _probe(python: str, modules: tuple[str, ...]) -> tuple[str, ...]:
    try:
        done = subprocess.run([python, "-c", _PROBE, *modules], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return modules
    words = done.stdout.split()
    if done.returncode != 0 or not words or words[0] != "missing:":  # not a Python that ran the probe
        return modules
    return tuple(words[1:])


def require_test_modules(interpreter: Interpreter, modules: Sequence[str] = NEEDED) -> None:
    """A clear error when the project's interpreter cannot run dagent's test runs."""
    if interpreter.path == sys.executable:
        return  # dagent's own interpreter has both: they are dagent's dependencies
    missing = missing_modules(interpreter.path, modules)
    if missing:
        raise SandboxError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed for {interpreter.path} "
            f"({interpreter.source}); install with `{interpreter.path} -m pip install {' '.join(missing)}`, "
            "or pass --python with an interpreter that has them"
        )
