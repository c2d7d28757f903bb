"""Which interpreter runs the project's tests, in the documented order."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dagent.errors import SandboxError
from dagent.sandbox.interpreter import Interpreter, choose_interpreter, missing_modules, require_test_modules


def _fake_venv(where: Path) -> Path:
    python = where / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    return python


def test_the_order_is_flag_then_active_venv_then_project_then_repo_root_then_dagents(tmp_path: Path) -> None:
    repo, project = tmp_path / "repo", tmp_path / "repo" / "sub"
    project.mkdir(parents=True)
    assert choose_interpreter(project, repo, environ={}).path == sys.executable
    root_venv = _fake_venv(repo / "venv")
    assert choose_interpreter(project, repo, environ={}) == Interpreter(str(root_venv), "venv in the repository root")
    project_venv = _fake_venv(project / ".venv")
    assert choose_interpreter(project, repo, environ={}).path == str(project_venv)
    active = _fake_venv(tmp_path / "active")
    assert choose_interpreter(project, repo, environ={"VIRTUAL_ENV": str(tmp_path / "active")}).path == str(active)
    assert choose_interpreter(project, repo, explicit=str(root_venv), environ={"VIRTUAL_ENV": str(tmp_path / "active")}).source == "--python"


def test_a_python_flag_that_is_not_an_executable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="no executable there"):
        choose_interpreter(tmp_path, tmp_path, explicit=str(tmp_path / "nope"))


def test_missing_modules_are_named_with_the_install_command(tmp_path: Path) -> None:
    assert missing_modules(sys.executable) == []
    assert missing_modules(sys.executable, ["pytest", "no_such_module_here"]) == ["no_such_module_here"]
    broken = Interpreter(str(_fake_venv(tmp_path / "v")), "--python")  # a script that prints nothing
    with pytest.raises(SandboxError, match=r"pytest and coverage are not installed .* -m pip install pytest coverage"):
        require_test_modules(broken)
