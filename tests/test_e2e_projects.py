"""End to end on real project layouts: the project's own virtual environment, a src/ layout with pytest
settings in pyproject.toml, a project in a subdirectory of its repo, and a unittest-style suite."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from helpers.repos import fingerprint, make_repo

pytestmark = pytest.mark.slow
CONVERT = '''
from unitconv import KM_PER_MILE


def miles_to_km(miles):
    return miles / KM_PER_MILE
'''
CONVERT_TEST = '''
from trips.convert import miles_to_km


def test_marathon():
    assert round(miles_to_km(26.2188), 1) == 42.2


def test_zero():
    assert miles_to_km(0) == 0
'''


def _dagent(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run([sys.executable, "-m", "dagent.agent.app.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)  # fmt: skip


def _project_venv(project: Path, with_test_tools: bool) -> Path:
    """A real venv in `project/.venv` holding `unitconv`, which dagent's own environment lacks; pytest and
    coverage come from dagent's site-packages through a .pth file when `with_test_tools`."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    found = list((project / ".venv" / "lib").glob("python*/site-packages"))
    assert found, "the venv has no site-packages"
    site = found[0]
    (site / "unitconv").mkdir()
    (site / "unitconv" / "__init__.py").write_text("KM_PER_MILE = 1.609344\n")
    if with_test_tools:
        (site / "dagent_test_tools.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return project / ".venv"


def test_fix_uses_the_projects_own_virtual_environment(tmp_path: Path) -> None:
    with pytest.raises(ImportError):
        __import__("unitconv")  # the dependency is not dagent's
    project = tmp_path / "proj"
    make_repo(project, {".gitignore": ".venv/\n", "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
                        "trips/__init__.py": "", "trips/convert.py": CONVERT, "tests/test_convert.py": CONVERT_TEST})  # fmt: skip
    _project_venv(project, with_test_tools=True)
    before = fingerprint(project)
    result = _dagent("fix", str(project), "--budget", "90")
    assert result.returncode == 0, result.stderr[-3000:]
    assert ".venv in the project" in result.stderr.splitlines()[0] or ".venv in the project" in result.stderr
    assert "+    return miles * KM_PER_MILE" in result.stdout
    assert fingerprint(project) == before


def test_an_interpreter_without_pytest_is_named_with_the_install_command(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    make_repo(project, {".gitignore": ".venv/\n", "trips/__init__.py": "", "trips/convert.py": CONVERT,
                        "tests/test_convert.py": CONVERT_TEST})  # fmt: skip
    venv = _project_venv(project, with_test_tools=False)
    result = _dagent("test", "--repo", str(project))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pytest and coverage are not installed for" in result.stderr and "-m pip install pytest coverage" in result.stderr
    assert str(venv) in result.stderr and "Traceback" not in result.stderr


def test_fix_on_a_src_layout_with_pytest_settings_in_pyproject(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    make_repo(project, {
        "pyproject.toml": textwrap.dedent('''
            [project]
            name = "shelf"
            version = "0.1"

            [tool.pytest.ini_options]
            testpaths = ["checks"]
            addopts = "--strict-markers -p no:doctest"
            markers = ["unit: fast tests"]
            '''),
        "src/shelf/__init__.py": "",
        "src/shelf/stock.py": "def restock_needed(count, threshold):\n    return count > threshold\n",
        "checks/test_stock.py": textwrap.dedent('''
            import pytest
            from shelf.stock import restock_needed


            @pytest.mark.unit
            def test_low_stock_needs_restock():
                assert restock_needed(2, 5)


            @pytest.mark.unit
            def test_full_stock_does_not():
                assert not restock_needed(9, 5)
            '''),
        "tests/test_decoy.py": "def test_not_collected():\n    raise AssertionError('testpaths says checks/ only')\n",
    })  # fmt: skip
    result = _dagent("fix", str(project), "--budget", "90")
    assert result.returncode == 0, result.stderr[-3000:]
    # Any edit that passes the suite may win: the two lanes' screening batches come back in either order.
    fixes = ("count < threshold", "threshold > count", "not count > threshold", "count <= threshold")
    assert any(f"+    return {fix}\n" in result.stdout for fix in fixes), result.stdout


def test_fix_on_a_project_in_a_subdirectory_with_a_unittest_suite(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    make_repo(repo, {
        "README.md": "a monorepo\n",
        "services/billing/billing/__init__.py": "",
        "services/billing/billing/tax.py": "def with_tax(cents, rate_percent):\n    return cents - cents * rate_percent // 100\n",
        "services/billing/tests/test_tax.py": textwrap.dedent('''
            import unittest

            from billing.tax import with_tax


            class WithTax(unittest.TestCase):
                def test_twenty_percent(self):
                    self.assertEqual(with_tax(1000, 20), 1200)

                def test_zero_rate(self):
                    self.assertEqual(with_tax(1000, 0), 1000)
            '''),
        "services/billing/pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    })  # fmt: skip
    result = _dagent("fix", str(repo / "services/billing"), "--budget", "90")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "+    return cents + cents * rate_percent // 100" in result.stdout, result.stdout
    assert "a/services/billing/billing/tax.py" in result.stdout  # paths relative to the repo root


def test_fix_installs_a_project_that_reads_its_own_metadata_into_a_sandbox_only_environment(tmp_path: Path) -> None:
    """A package that cannot be imported from a plain checkout: it reads its installed version."""
    project = tmp_path / "proj"
    make_repo(project, {
        "pyproject.toml": textwrap.dedent('''
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "versioned-tool"
            version = "1.2.0"

            [tool.setuptools.packages.find]
            where = ["src"]
            '''),
        "src/versioned_tool/__init__.py": 'from importlib.metadata import version\n\n__version__ = version("versioned-tool")\n',
        "src/versioned_tool/calc.py": "def clamp(x, low, high):\n    return max(low, min(x, low))\n",
        "tests/test_calc.py": textwrap.dedent('''
            import versioned_tool
            from versioned_tool.calc import clamp


            def test_version():
                assert versioned_tool.__version__ == "1.2.0"


            def test_clamp_inside():
                assert clamp(5, 0, 10) == 5


            def test_clamp_above():
                assert clamp(15, 0, 10) == 10
            '''),
    })  # fmt: skip
    before = fingerprint(project)
    result = _dagent("fix", str(project), "--budget", "120")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "editable" in result.stderr
    assert "+    return max(low, min(x, high))" in result.stdout
    assert fingerprint(project) == before
