"""What `dagent ci` leaves behind: a patch, a Markdown summary for a PR comment, a JSON report.

    dagent-out/dagent.patch         the fix as a git diff from the repo root (empty when not fixed)
    dagent-out/dagent-summary.md    for `gh pr comment --body-file`
    dagent-out/dagent-report.json   the RunReport, for tools

Also the guard that keeps an automated fix out of the CI configuration that runs it, and the exit code.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from dagent.agent.report import Attempt, RunReport
from dagent.errors import DagentError
from dagent.ops.syntax import OpParseError, parse

PATCH_NAME = "dagent.patch"
SUMMARY_NAME = "dagent-summary.md"
REPORT_NAME = "dagent-report.json"

# GitHub refuses comments over 65,536 characters; the diff gets most of that, the rest stays short.
MAX_DIFF_LINES = 400
MAX_DIFF_CHARS = 36_000
MAX_TESTS = 20
MAX_TEST_ID = 300
MAX_INSTRUCTION = 2_000
MAX_ROWS = 20
MAX_CELL = 100
MAX_SUMMARY_CHARS = 65_000

# Directories (any path component) and file names that configure CI on the common hosts. A fix that
# edits them could change what CI checks, so the CLI refuses it unless --allow-ci-config.
CI_DIRS = {
    ".github", ".gitlab", ".circleci", ".ci", ".buildkite", ".azure-pipelines", ".gitea", ".forgejo",
    ".woodpecker", ".semaphore", ".teamcity", ".tekton", ".drone", ".jenkins",
}  # fmt: skip
CI_FILES = {
    ".gitlab-ci.yml", ".gitlab-ci.yaml", ".travis.yml", "jenkinsfile", "azure-pipelines.yml",
    "azure-pipelines.yaml", "bitbucket-pipelines.yml", ".drone.yml", ".woodpecker.yml", "appveyor.yml",
    ".appveyor.yml", ".cirrus.yml", "cloudbuild.yaml", "cloudbuild.yml", "codefresh.yml",
    ".pre-commit-config.yaml",  # pre-commit.ci and most workflows run it
}  # fmt: skip


@dataclass(frozen=True)
class CiOutputs:
    patch: Path
    summary: Path
    report: Path

    def __str__(self) -> str:
        return ", ".join(str(p) for p in (self.patch, self.summary, self.report))


def ci_exit_code(report: RunReport) -> int:
    """0 fixed, 1 not fixed (2, a usage or environment error, is the CLI's)."""
    return 0 if report.fixed else 1


def touches_ci_config(ops_text: str) -> list[str]:
    """The paths (as the ops name them) under CI configuration that the op stream writes, moves or removes.

    Repo-wide renames never reach these: apply skips hidden directories and they hold no .py to rename.
    """
    try:
        ops = parse(ops_text)
    except OpParseError as err:
        # A guard that cannot read the ops must not wave them through.
        raise DagentError(f"cannot check the fix for CI configuration changes: its ops do not parse: {err}") from None
    touched = {posixpath.normpath(path) for op in ops for path in op.paths()}
    return sorted(path for path in touched if _is_ci_config(path))


def _is_ci_config(path: str) -> bool:
    parts = [p.lower() for p in path.split("/")]  # lower: on a case-insensitive disk .GitHub is .github
    return any(p in CI_DIRS for p in parts[:-1]) or parts[-1] in CI_FILES


def write_ci_outputs(report: RunReport, out_dir: Path) -> CiOutputs:
    """Write the patch, the Markdown summary and the JSON report into `out_dir` (created if needed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = CiOutputs(out_dir / PATCH_NAME, out_dir / SUMMARY_NAME, out_dir / REPORT_NAME)
    # newline="": the patch's bytes are git's, with no platform newline translation.
    outputs.patch.write_text(_patch_text(report), encoding="utf-8", newline="")
    outputs.summary.write_text(summary_markdown(report), encoding="utf-8", newline="")
    outputs.report.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8", newline="")
    return outputs


def _patch_text(report: RunReport) -> str:
    if not report.fixed or not report.diff:
        return ""
    # git apply calls a patch whose last line has no newline corrupt.
    return report.diff if report.diff.endswith("\n") else report.diff + "\n"


# ---------------------------------------------------------------- Markdown


def _fence(text: str, lang: str = "") -> str:
    """A fenced code block that `text` cannot close: the fence is longer than any backtick run in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{lang}\n{body}{fence}\n"


def _code(text: str) -> str:
    """An inline code span holding `text` exactly (backticks in it included)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(text: str, code: bool = False) -> str:
    """One table cell: one line, capped, `|` escaped (GFM splits cells on it even inside code spans)."""
    line = _capped(" ".join(text.split()), MAX_CELL)
    if not line:
        return ""
    # Outside a code span, "<" could open an HTML tag that GitHub then swallows.
    return (_code(line) if code else line.replace("<", "&lt;")).replace("|", "\\|")


def _cut_diff(diff: str) -> tuple[str, str]:
    """The diff capped to MAX_DIFF_LINES / MAX_DIFF_CHARS, and a note saying so when it was cut."""
    lines = diff.splitlines(keepends=True)
    kept: list[str] = []
    size = 0
    for line in lines[:MAX_DIFF_LINES]:
        if size + len(line) > MAX_DIFF_CHARS:
            break
        kept.append(line)
        size += len(line)
    if len(kept) == len(lines):
        return diff, ""
    note = (
        f"_The diff is cut here: {len(kept)} of {len(lines)} lines shown. "
        f"The whole change is in `{PATCH_NAME}` (in this run's artifact)._\n"
    )
    return "".join(kept), note


def _test_list(title: str, tests: list[str]) -> str:
    if not tests:
        return ""
    items = "".join(f"- {_code(_capped(t, MAX_TEST_ID))}\n" for t in tests[:MAX_TESTS])
    more = f"- … and {len(tests) - MAX_TESTS} more\n" if len(tests) > MAX_TESTS else ""
    return f"### {title} ({len(tests)})\n\n{items}{more}\n"


def _title(report: RunReport) -> str:
    if report.command == "edit":
        what = "made the edit" if report.fixed else "could not make the edit"
    else:
        what = "fixed the failing tests" if report.fixed else "could not fix the failing tests"
    return f"## {'✅' if report.fixed else '❌'} dagent {what}\n\n{report.status}\n\n"


def _what_was_asked(report: RunReport) -> str:
    parts = []
    if report.instruction:
        parts.append(f"### Instruction\n\n{_fence(_capped(report.instruction, MAX_INSTRUCTION))}\n")
    parts.append(_test_list("Failing before", report.failing_before))
    if not report.fixed:
        parts.append(_test_list("Still failing", report.failing_after))
    return "".join(parts)


def _fix_section(report: RunReport) -> str:
    if not report.fixed or not report.diff:
        return f"No change to propose: `{PATCH_NAME}` is empty.\n\n"
    shown, note = _cut_diff(report.diff)
    where = ""
    if report.branch:
        commit = f" as {_code(report.commit[:10])}" if report.commit else ""
        where = f"Committed{commit} on branch {_code(report.branch)}.\n\n"
    title = "The change" if report.command == "edit" else "The fix"
    return f"### {title}\n\n{where}{_fence(shown, 'diff')}{note}\n"


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _attempt_row(a: Attempt) -> str:
    score = f"{a.score:.2f}" if a.score is not None else ""
    verdict = f"✅ {a.verdict}" if a.verdict == "passes" else a.verdict
    cells = [str(a.round), _cell(a.source), verdict, score, _cell(_first_line(a.ops), code=True), _cell(a.reason)]
    return "| " + " | ".join(cells) + " |\n"


def _candidates_section(report: RunReport) -> str:
    attempts = report.attempts
    if not attempts:
        return "### Candidates tried\n\nNone: no candidate was tried.\n\n"
    rows = "".join(_attempt_row(a) for a in attempts[:MAX_ROWS])
    more = f"\n_… and {len(attempts) - MAX_ROWS} more in `{REPORT_NAME}`._\n" if len(attempts) > MAX_ROWS else ""
    header = "| Round | Source | Verdict | Score | Edit | Why |\n|---:|---|---|---:|---|---|\n"
    return f"### Candidates tried ({len(attempts)})\n\n{header}{rows}{more}\n"


def _timings_section(report: RunReport) -> str:
    t = report.timings
    header = "| Wall | Model | Tests | Model load | Rounds | Forwards | Tokens/forward |\n" + "|---:" * 7 + "|\n"
    row = (
        f"| {t.wall_s:.1f}s | {t.model_s:.1f}s | {t.test_s:.1f}s | {t.model_load_s:.1f}s | "
        f"{report.rounds} | {t.forwards} | {t.tokens_per_forward:.1f} |\n"
    )
    return f"### Timings\n\n{header}{row}\n"


def _apply_section(report: RunReport) -> str:
    if not report.fixed or not report.diff:
        return ""
    branch = f"\nOr take the branch {_code(report.branch)} from the remote it was pushed to.\n" if report.branch else ""
    return (
        "### Apply it\n\n"
        f"Download `{PATCH_NAME}` from this run's artifact and, from the repository root:\n\n"
        f"{_fence(f'git apply {PATCH_NAME}', 'sh')}{branch}\n"
    )


def summary_markdown(report: RunReport) -> str:
    """The PR comment: title, what failed, the diff, the candidates, timings, how to apply."""
    text = "".join(
        [
            _title(report),
            _what_was_asked(report),
            _fix_section(report),
            _candidates_section(report),
            _timings_section(report),
            _apply_section(report),
            f"<sub>{report.summary_line()}</sub>\n",
        ]
    )
    if len(text) > MAX_SUMMARY_CHARS:  # a safety net: the caps above keep a summary well under it
        text = text[:MAX_SUMMARY_CHARS] + f"\n\n_Summary cut; see `{REPORT_NAME}`._\n"
    return text
