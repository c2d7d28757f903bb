"""`dagent ops apply|check|grammar` through typer's CliRunner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dagent.agent.app.cli import app, main
from dagent.ops.anchors import AnchorError

runner = CliRunner()
FIX = "@@replace stats.py:2\n    return total / (len(xs) - 1)\n@@with\n    return total / len(xs)\n@@end\n"
ORIGINAL = "def mean(xs):\n    return total / (len(xs) - 1)\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "stats.py").write_text(ORIGINAL)
    return root


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_apply_dry_run_prints_the_diff_and_writes_nothing(repo: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ops", "apply", write(tmp_path, "fix.ops", FIX), "--repo", str(repo), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("diff --git a/stats.py b/stats.py\n--- a/stats.py\n+++ b/stats.py\n")
    assert "-    return total / (len(xs) - 1)\n+    return total / len(xs)\n" in result.stdout
    assert "dry run, nothing written" in result.stderr
    assert (repo / "stats.py").read_text() == ORIGINAL


def test_apply_writes(repo: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ops", "apply", write(tmp_path, "fix.ops", FIX), "-C", str(repo)])
    assert result.exit_code == 0, result.output
    assert (repo / "stats.py").read_text() == "def mean(xs):\n    return total / len(xs)\n"
    assert "applied: 1 op(s); 1 modified" in result.stderr


def test_apply_reads_search_replace_from_stdin(repo: Path) -> None:
    blocks = "stats.py\n<<<<<<< SEARCH\ndef mean(xs):\n=======\ndef average(xs):\n>>>>>>> REPLACE\n"
    result = runner.invoke(app, ["ops", "apply", "-", "--repo", str(repo)], input=blocks)
    assert result.exit_code == 0, result.output
    assert (repo / "stats.py").read_text().startswith("def average(xs):\n")


def test_apply_failure_changes_nothing_and_exits_2_through_main(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stream = write(tmp_path, "bad.ops", FIX + "@@delete stats.py\nnot there\n@@end\n")
    result = runner.invoke(app, ["ops", "apply", stream, "--repo", str(repo)])
    assert isinstance(result.exception, AnchorError)
    assert (repo / "stats.py").read_text() == ORIGINAL
    monkeypatch.setattr(sys, "argv", ["dagent", "ops", "apply", stream, "--repo", str(repo)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "op 2 of 2 (@@delete stats.py)" in capsys.readouterr().err


def test_check_exit_codes(repo: Path, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["ops", "check", write(tmp_path, "fix.ops", FIX), "--repo", str(repo)])
    assert ok.exit_code == 0 and "ok" in ok.stdout
    broken = FIX.replace("return total / len(xs)", "return total / len(xs")
    bad = runner.invoke(app, ["ops", "check", write(tmp_path, "bad.ops", broken + "@@remove ../x.py\n"), "--repo", str(repo)])
    assert bad.exit_code == 1
    assert "@@remove ../x.py" in bad.stdout and "stats.py:2: the result is not valid Python" in bad.stdout
    unparsable = runner.invoke(app, ["ops", "check", write(tmp_path, "junk.ops", "@@replace stats.py\nx\n"), "--repo", str(repo)])
    assert unparsable.exit_code == 1 and "line 3" in unparsable.stdout
    assert (repo / "stats.py").read_text() == ORIGINAL


def test_grammar_and_help() -> None:
    grammar = runner.invoke(app, ["ops", "grammar"])
    assert grammar.exit_code == 0 and 'delete      = "@@delete " PATH' in grammar.stdout
    helped = runner.invoke(app, ["ops", "apply", "--help"])
    assert helped.exit_code == 0 and "dagent ops apply fix.ops --dry-run" in helped.stdout


def test_missing_file_is_a_usage_error(repo: Path) -> None:
    result = runner.invoke(app, ["ops", "apply", str(repo / "nope.ops"), "--repo", str(repo)])
    assert result.exit_code == 2 and "cannot read" in result.output
