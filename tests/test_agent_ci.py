"""dagent ci's outputs: the patch applies with `git apply`, the summary reads as a PR comment, the JSON round-trips."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dagent.agent.app.ci import MAX_DIFF_LINES, ci_exit_code, touches_ci_config, write_ci_outputs
from dagent.agent.report import Attempt, RunReport, Timings
from dagent.errors import DagentError
from helpers.repos import make_repo, write_files

BUGGY = "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n"
FIXED = "def mean(xs):\n    return sum(xs) / len(xs)\n"
OPS = "@@replace stats.py:2\n    return sum(xs) / (len(xs) - 1)\n@@with\n    return sum(xs) / len(xs)\n@@end\n"
FAILING = ["lib/tests/test_stats.py::test_mean", "lib/tests/test_stats.py::test_mean_one"]


def _real_diff(tmp_path: Path) -> tuple[Path, str]:
    """A repo with the bug committed, and git's own diff of the fix (then undone in the tree)."""
    root = tmp_path / "repo"
    repo = make_repo(root, {"lib/stats.py": BUGGY})
    write_files(root, {"lib/stats.py": FIXED})
    diff = repo.git.diff("--no-color") + "\n"
    repo.git.checkout("--", "lib/stats.py")
    return root, diff


def _attempts() -> list[Attempt]:
    return [
        Attempt(round=1, source="model", ops="@@delete stats.py:2\n    return x\n@@end\n", score=-1.25,
                verdict="apply_error", reason="op 1 of 1: stats.py: anchor not found | closest: line 2"),
        Attempt(round=1, source="model", ops=OPS, score=-0.5, verdict="passes"),
    ]  # fmt: skip


def _report(fixed: bool, diff: str = "", **extra: object) -> RunReport:
    return RunReport(
        command="fix", project="/ci/repo/lib", fixed=fixed,
        status="fixed: all tests pass" if fixed else "not fixed: 2 candidates tried, none passed",
        failing_before=FAILING, failing_after=[] if fixed else FAILING[:1], rounds=1, candidates_tried=2,
        ops=OPS if fixed else "", diff=diff, attempts=_attempts() if fixed else _attempts()[:1],
        timings=Timings(wall_s=12.5, model_s=3.25, test_s=8.0, model_load_s=1.0, forwards=40, tokens_written=120),
        **extra,
    )  # fmt: skip


def test_a_fixed_report_gives_a_patch_that_applies_and_a_summary(tmp_path: Path) -> None:
    root, diff = _real_diff(tmp_path)
    report = _report(True, diff, branch="dagent/ci-fix", commit="0123456789abcdef")
    out = write_ci_outputs(report, tmp_path / "dagent-out")
    names = {p.name for p in (tmp_path / "dagent-out").iterdir()}
    assert names == {"dagent.patch", "dagent-summary.md", "dagent-report.json"}

    assert out.patch.read_text() == diff
    subprocess.run(["git", "apply", str(out.patch)], cwd=root, check=True)
    assert (root / "lib/stats.py").read_text() == FIXED

    md = out.summary.read_text()
    assert md.startswith("## ✅ dagent fixed the failing tests\n\nfixed: all tests pass\n")
    assert "### Failing before (2)\n\n- `lib/tests/test_stats.py::test_mean`\n" in md
    assert f"```diff\n{diff}```\n" in md
    assert "Committed as `0123456789` on branch `dagent/ci-fix`." in md
    assert "| Round | Source | Verdict | Score | Edit | Why |" in md
    assert "| 1 | model | ✅ passes | -0.50 | `@@replace stats.py:2` |  |" in md
    assert "anchor not found \\| closest" in md  # a | in a cell is escaped, not a column break
    assert "| 12.5s | 3.2s | 8.0s | 1.0s | 1 | 40 | 3.0 |" in md
    assert "```sh\ngit apply dagent.patch\n```" in md
    assert RunReport.model_validate_json(out.report.read_text()) == report
    assert ci_exit_code(report) == 0


def test_a_not_fixed_report_gives_an_empty_patch_and_says_why(tmp_path: Path) -> None:
    report = _report(False)
    out = write_ci_outputs(report, tmp_path / "out")
    assert out.patch.exists() and out.patch.read_bytes() == b""
    md = out.summary.read_text()
    assert md.startswith("## ❌ dagent could not fix the failing tests\n\nnot fixed: 2 candidates tried")
    assert "### Still failing (1)\n\n- `lib/tests/test_stats.py::test_mean`\n" in md
    assert "```diff" not in md and "git apply" not in md
    assert "`dagent.patch` is empty" in md
    assert "| 1 | model | apply_error | -1.25 | `@@delete stats.py:2` |" in md
    assert RunReport.model_validate_json(out.report.read_text()) == report
    assert ci_exit_code(report) == 1


def test_a_refused_fix_writes_no_patch_even_with_a_diff(tmp_path: Path) -> None:
    # The CLI marks a fix that touches CI config as not fixed; the patch must then stay empty.
    out = write_ci_outputs(_report(False, diff="diff --git a/x b/x\n"), tmp_path / "out")
    assert out.patch.read_text() == ""


def test_a_long_diff_is_cut_with_a_note_and_the_patch_stays_whole(tmp_path: Path) -> None:
    diff = "diff --git a/big.py b/big.py\n" + "".join(f"+line {i}\n" for i in range(MAX_DIFF_LINES + 50))
    out = write_ci_outputs(_report(True, diff), tmp_path / "out")
    md = out.summary.read_text()
    assert f"{MAX_DIFF_LINES} of {MAX_DIFF_LINES + 51} lines shown" in md
    assert "+line 10\n" in md and f"+line {MAX_DIFF_LINES + 49}\n" not in md
    assert out.patch.read_text() == diff


def test_backticks_in_the_diff_cannot_close_its_fence(tmp_path: Path) -> None:
    diff = 'diff --git a/doc.md b/doc.md\n+```python\n+x = "``"\n+```\n'
    md = write_ci_outputs(_report(True, diff), tmp_path / "out").summary.read_text()
    assert f"````diff\n{diff}````\n" in md


@pytest.mark.parametrize(
    "ops, touched",
    [
        ("@@create .github/workflows/x.yml\non: push\n@@end\n", [".github/workflows/x.yml"]),
        ("@@replace .gitlab-ci.yml\na: 1\n@@with\na: 2\n@@end\n", [".gitlab-ci.yml"]),
        ("@@move ci.yml .circleci/config.yml\n", [".circleci/config.yml"]),
        ("@@remove ./.ci/run\n", [".ci/run"]),
        ("@@remove Jenkinsfile\n" + OPS, ["Jenkinsfile"]),
        (OPS + "@@create docs/github.md\nx\n@@end\n", []),
    ],
)
def test_touches_ci_config(ops: str, touched: list[str]) -> None:
    assert touches_ci_config(ops) == touched


def test_touches_ci_config_refuses_what_it_cannot_read() -> None:
    with pytest.raises(DagentError, match="ops do not parse"):
        touches_ci_config("@@replace x.py\nno end marker\n")
