"""When a project must be installed to be tested, read from its baseline run."""

from __future__ import annotations

from pathlib import Path

from dagent.sandbox.editable import distribution_name, needs_install
from dagent.sandbox.results import TestOutcome, TestRun

PYPROJECT = '[build-system]\nrequires = ["setuptools"]\n\n[project]\nname = "Versioned-Tool"\nversion = "1"\n\n[tool.x]\nname = "no"\n'


def _run(text: str) -> TestRun:
    return TestRun([TestOutcome("tests/test_a.py::test_a", "error", "", text)], 2, False, 0.1, "")


def test_the_distribution_name_comes_from_the_project_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert distribution_name(tmp_path) == "Versioned-Tool"
    assert distribution_name(tmp_path / "nowhere") is None


def test_missing_own_metadata_or_module_needs_an_install_and_nothing_else_does(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    own = "importlib.metadata.PackageNotFoundError: No package metadata was found for versioned-tool"
    assert needs_install(_run(own), tmp_path) == "the tests read Versioned-Tool's installed metadata"
    assert "only an install provides" in (needs_install(_run("ModuleNotFoundError: No module named 'versioned_tool.cli'"), tmp_path) or "")
    assert needs_install(_run("ModuleNotFoundError: No module named 'requests'"), tmp_path) is None
    assert needs_install(_run("PackageNotFoundError: No package metadata was found for other"), tmp_path) is None
    (tmp_path / "pyproject.toml").unlink()
    assert needs_install(_run(own), tmp_path) is None  # nothing to install
