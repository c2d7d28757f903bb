"""`--isolate`: a test that writes through an absolute path cannot reach the user's files.

Without it such a test runs as the user on the user's filesystem (same user, same disk), whatever the
sandbox does. The attack from the adversarial pass (issue 13), and the tool it asks for: bubblewrap.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers.repos import fingerprint, make_repo

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap (Debian: bubblewrap) is not installed")


def _attack(root: Path, home: Path) -> None:
    make_repo(root, {"test_escape.py": textwrap.dedent(f'''
        import os


        def test_writes_into_the_users_checkout():
            open({str(root / "escaped.txt")!r}, "w").write("pwned")


        def test_writes_into_home():
            open(os.path.join(os.path.expanduser("~"), "escaped.txt"), "w").write("pwned")


        def test_writes_its_own_files():
            open("scratch.txt", "w").write("fine")
        ''')})  # fmt: skip
    home.mkdir()


def _dagent(*args: str, home: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "PATH": path or os.environ["PATH"]}
    return subprocess.run([sys.executable, "-m", "dagent.agent.app.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)  # fmt: skip


@needs_bwrap
def test_isolated_tests_cannot_write_the_users_checkout_or_home(tmp_path: Path) -> None:
    root, home = tmp_path / "proj", tmp_path / "home"
    _attack(root, home)
    before = fingerprint(root)
    result = _dagent("test", "--repo", str(root), "--isolate", home=home)
    assert result.returncode == 1, result.stderr
    assert "1 passed, 2 failed" in result.stdout, result.stdout
    assert not (root / "escaped.txt").exists() and not (home / "escaped.txt").exists()
    assert fingerprint(root) == before


def test_without_isolation_the_attack_reaches_the_users_files(tmp_path: Path) -> None:
    """Why --isolate exists: the same suite, run plainly, writes into the user's checkout and home."""
    root, home = tmp_path / "proj", tmp_path / "home"
    _attack(root, home)
    result = _dagent("test", "--repo", str(root), home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "escaped.txt").exists() and (home / "escaped.txt").exists()


@needs_bwrap
@pytest.mark.slow
def test_fix_with_isolation_fixes_through_the_warm_worker(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    make_repo(root, {"calc.py": "def area(w, h):\n    return w + h\n",
                     "test_calc.py": "from calc import area\n\n\ndef test_area():\n    assert area(3, 4) == 12\n"})  # fmt: skip
    result = _dagent("fix", str(root), "--isolate", "--budget", "60", home=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "+    return w * h" in result.stdout
    assert "under bwrap" in result.stderr


def test_isolation_without_bwrap_is_a_clear_error(tmp_path: Path) -> None:
    root, home = tmp_path / "proj", tmp_path / "home"
    _attack(root, home)
    only_git = tmp_path / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    result = _dagent("test", "--repo", str(root), "--isolate", home=home, path=str(only_git))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "bwrap" in result.stderr and "bubblewrap" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "escaped.txt").exists()
