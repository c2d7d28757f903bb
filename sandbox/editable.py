"""A sandbox-only environment for a project that must be installed to be imported.

Most projects run their tests from a plain checkout (the sandbox puts the project and `src/` first on
the path). Some cannot: the package reads its own metadata (`importlib.metadata.version("pkg")`), or
is imported under a name no directory of the checkout has. Where the baseline shows that, dagent makes a
virtual environment of its own in the sandbox's temp dir, seeing the project interpreter's packages
(`--system-site-packages`: the dependencies are already there), and installs the sandbox's copy into it
in editable mode, offline (`pip install -e . --no-deps --no-build-isolation`). The user's environment
is never touched, and every lane's sandbox reads its own copy through the `.pth` path hook it adds.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from dagent.errors import SandboxError
from dagent.sandbox.results import TestRun

_MISSING_DIST = re.compile(r"PackageNotFoundError: (?:No package metadata was found for )?'?([\w.\-]+)'?")
_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")
INSTALL_TIMEOUT_S = 300.0


def distribution_name(project: Path) -> str | None:
    """The project's distribution name, from pyproject.toml's [project] table or setup.cfg's [metadata]."""
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():  # the [project] table's name (a regex: tomllib is not in Python 3.10)
        text = pyproject.read_text(encoding="utf-8", errors="replace")
        table = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        found = table and re.search(r"^\s*name\s*=\s*[\"']([^\"']+)[\"']", table.group(1), re.M)
        if found:
            return found.group(1)
    setup_cfg = project / "setup.cfg"
    if setup_cfg.is_file():
        found = re.search(r"^\s*name\s*=\s*(\S+)", setup_cfg.read_text(encoding="utf-8", errors="replace"), re.M)
        if found:
            return found.group(1)
    return None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def needs_install(run: TestRun, project: Path) -> str | None:
    """Why the project must be installed to be tested, read from its baseline run; None when it need not be.

    The symptoms: its own distribution's metadata is missing, or a module of that name cannot be imported.
    """
    dist = distribution_name(project)
    if dist is None or not ((project / "pyproject.toml").is_file() or (project / "setup.py").is_file()):
        return None
    texts = [run.output, *run.collection_errors, *(o.details for o in run.outcomes)]
    for text in texts:
        for match in _MISSING_DIST.finditer(text):
            if _normal(match.group(1)) == _normal(dist):
                return f"the tests read {dist}'s installed metadata"
        for match in _MISSING_MODULE.finditer(text):
            if _normal(match.group(1).split(".")[0]) == _normal(dist):
                return f"the tests import {match.group(1)}, which only an install provides"
    return None


def sandbox_environment(python: str, project: Path, where: Path) -> str:
    """Create a venv at `where` on top of `python`'s packages, install `project` into it in editable mode,
    offline; the venv's interpreter. A failure is a SandboxError with pip's last lines."""
    _run([python, "-m", "venv", "--system-site-packages", "--without-pip", str(where)], "create a virtual environment")
    venv_python = where / "bin" / "python"
    site = _site_packages(str(venv_python))
    # a venv sees its base interpreter's packages, not those of the venv `python` may itself be in: name them
    (site / "_dagent_project_packages.pth").write_text("\n".join(_site_paths(python)) + "\n")
    # the venv has no pip of its own: the project interpreter's pip installs into it by --prefix
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "--prefix", str(where), "-e", str(project)], f"install {project.name} in editable mode (offline)")  # fmt: skip
    return str(venv_python)


_SITE = "import sys, sysconfig; print(sysconfig.get_paths()['purelib'])"
_PATHS = "import sys; print('\\n'.join(p for p in sys.path if p.endswith(('site-packages', 'dist-packages'))))"


def _site_packages(python: str) -> Path:
    return Path(_output([python, "-c", _SITE], "find the environment's site-packages"))


def _site_paths(python: str) -> list[str]:
    """The site-packages directories on `python`'s path: where the project's dependencies are."""
    return _output([python, "-c", _PATHS], "list the interpreter's site-packages").splitlines()


def _output(argv: list[str], what: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SandboxError(f"could not {what}: {err}") from None
    if done.returncode != 0:
        raise SandboxError(f"could not {what}: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def _run(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SandboxError(f"could not {what}: {err}") from None
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise SandboxError(f"could not {what} for the sandbox:\n{tail}")
