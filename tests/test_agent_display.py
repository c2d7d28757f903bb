"""What a person sees: the live status line, the short summary, -q / -v, plain output off a terminal,
and --json (validated against the committed schema). The CLI runs are real (`dagent fix` on a copy of
examples/buggy_stats), the terminal a real pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from dagent.agent.app.display import Display, explain, function_at, ordinal, print_result
from dagent.agent.progress import Suspect, Tracker
from dagent.agent.report import REPORT, Attempt, RunReport, TestReport, Timings, report_schema
from helpers import repos as sandbox_testing

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FIX_LINE = "+    for start in range(len(values) - window + 1):"


# ---------------------------------------------------------------- the display, fed events


def _events(display: Display) -> None:
    """A short run as the loop reports it: setup notes, the baseline, a level, three candidates."""
    tracker = Tracker(display.progress, time.perf_counter(), 60.0)
    tracker.phase("setup")
    display.say("tests run with /usr/bin/python3 (dagent's own)")
    tracker.phase("baseline")
    display.say("running the tests in a sandbox, then coverage of the tests that can localise the failure")
    tracker.failing(["t::a", "t::b"])
    display.say("failing: t::a: assert 1 == 2")
    tracker.level(1, 40, (Suspect("m.py", 2, 1.5), Suspect("m.py", 3, 0.5)))
    display.say("level 1: 2 failing; 40 candidate edits at 2 suspect statement(s), ranked by grammar")
    display.say("  still_failing  m.py:2 operator   `+` → `-`")
    tracker.tried("still_failing", "grammar:operator", "m.py:2 operator   `+` → `-`", ["t::a", "t::b"], 38, 1)
    display.say("  partial        m.py:3 literal    `1` → `2`")
    tracker.tried("partial", "grammar:literal", "m.py:3 literal    `1` → `2`", ["t::b"], 37, 2)


def _plain(verbosity: str) -> tuple[Display, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=100)
    return Display(console, verbosity), buffer  # type: ignore[arg-type]


def test_status_line_shows_phase_level_counts_best_and_elapsed_against_the_budget() -> None:
    display, _ = _plain("normal")
    _events(display)
    line = display.status_text().plain
    assert line.startswith("repair search · level 1 · 40 made · 2 validated · 37 left · best: 1 of 2 failing tests pass · ")
    assert re.search(r"\d+\.\ds / 60s$", line)


def test_normal_display_keeps_notes_suspects_and_progress_and_drops_candidate_chatter() -> None:
    display, buffer = _plain("normal")
    with display:
        _events(display)
    text = buffer.getvalue()
    assert "\x1b" not in text  # not a terminal: no live line, no colour
    assert "tests run with /usr/bin/python3" in text and "failing: t::a" in text
    assert "suspect lines: 2, 40 candidate edits" in text and "1.50  m.py:2" in text
    assert "partial  m.py:3 literal" in text and "(1 of 2 failing tests pass)" in text
    assert "still_failing" not in text and "running the tests" not in text and "level 1:" not in text


def test_verbose_lists_every_candidate_and_quiet_prints_nothing() -> None:
    verbose, buffer = _plain("verbose")
    _events(verbose)
    assert "still_failing  m.py:2 operator" in buffer.getvalue() and "running the tests" in buffer.getvalue()
    quiet, buffer = _plain("quiet")
    _events(quiet)
    assert buffer.getvalue() == ""


def _report(project: Path, **changes: Any) -> RunReport:
    winner = Attempt(round=1, source="grammar:off_by_one", ops="", verdict="passes", path="stats/core.py", line=4,
                     family="off_by_one", note="`len(v) - w` → `len(v) - w + 1`", rank=2, of=30, kept=True)
    loser = Attempt(round=1, source="grammar:operator", ops="", verdict="still_failing", failing_after=["t::a", "t::b"],
                    path="stats/core.py", line=4, family="operator", note="`-` → `+`", rank=1, of=30)
    fields: dict[str, Any] = dict(command="fix", project=str(project), fixed=True, status="fixed: the whole suite passes",
                                  failing_before=["t::a"], attempts=[loser, winner], rounds=1, candidates_tried=2,
                                  timings=Timings(wall_s=3.0, test_s=2.0, baseline_s=1.0))
    return RunReport(**{**fields, **changes})


def test_explanation_names_the_function_the_change_the_family_and_its_rank(tmp_path: Path) -> None:
    sandbox_testing.write_files(tmp_path, {"stats/core.py": "class Stats:\n    def window(self, v, w):\n"
                                                            "        out = []\n        for s in range(len(v) - w):\n"
                                                            "            out.append(s)\n        return out\n"})
    assert function_at(tmp_path, "stats/core.py", 4) == "Stats.window"
    sentence = explain(_report(tmp_path))
    assert sentence == ("`Stats.window` (stats/core.py:4) was off by one: `len(v) - w` → `len(v) - w + 1`; "
                        "the ±1 family, ranked 2nd of 30.")
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]


def test_tried_says_where_the_search_took_the_winner_up_when_that_is_not_its_rank(tmp_path: Path) -> None:
    report = _report(tmp_path)
    report.attempts[1] = report.attempts[1].model_copy(update={"taken": 5})
    assert explain(report).endswith("the ±1 family, ranked 2nd of 30, tried 5th.")
    late = report.attempts[0].model_copy(update={"rank": 3})  # its verdict came back before the winner's
    report = _report(tmp_path, attempts=[late, report.attempts[0], report.attempts[1].model_copy(update={"taken": 2})])
    assert explain(report).endswith("ranked 2nd of 30.")  # taken where ranked: the arrival order does not count


def test_a_run_not_fixed_says_how_close_it_came(tmp_path: Path) -> None:
    report = _report(tmp_path, fixed=False, status="time budget of 20s spent", failing_before=["t::a", "t::b"])
    report.attempts[1] = report.attempts[1].model_copy(update={"verdict": "partial", "failing_after": ["t::b"], "kept": False})
    assert explain(report) == ("The closest candidate made 1 of 2 failing tests pass: stats/core.py:4, "
                               "`len(v) - w` → `len(v) - w + 1` (the ±1 family, ranked 2nd of 30).")
    buffer = io.StringIO()
    report.explanation = explain(report)
    print_result(report, Console(file=buffer, force_terminal=False), "normal")
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "time budget of 20s spent" and lines[1].startswith("The closest")
    assert lines[2].startswith("not fixed in 3.0s: 1 level, 2 candidates validated; baseline 1.0s")


# ---------------------------------------------------------------- the JSON schema


def test_the_committed_schema_is_the_one_the_models_generate() -> None:
    committed = json.loads((ROOT / "docs/report.schema.json").read_text(encoding="utf-8"))
    assert committed == report_schema(), "regenerate: python -m dagent.agent.report > docs/report.schema.json"
    assert "schema_version" in (ROOT / "docs/report-json.md").read_text(encoding="utf-8")


def validate(document: dict[str, Any]) -> None:
    """Against docs/report.schema.json: with jsonschema when installed, else through the pydantic models
    and the schema's required keys."""
    schema = json.loads((ROOT / "docs/report.schema.json").read_text(encoding="utf-8"))
    try:
        import jsonschema
    except ImportError:
        model = REPORT.validate_python(document)
        name = type(model).__name__
        missing = set(schema["$defs"][name]["required"]) - set(document)
        assert not missing, missing
        for attempt in document.get("attempts", []):
            assert not set(schema["$defs"]["Attempt"]["required"]) - set(attempt)
        assert json.loads(model.model_dump_json()) == document
    else:
        jsonschema.validate(document, schema)


def test_a_report_round_trips_through_the_schema(tmp_path: Path) -> None:
    validate(json.loads(_report(tmp_path).model_dump_json()))
    validate(json.loads(TestReport(project="/p", interpreter="python", ok=True, summary="1 passed").model_dump_json()))
    with pytest.raises(Exception):
        validate({"command": "fix", "schema_version": 1})


# ---------------------------------------------------------------- the real CLI


def _buggy_stats(tmp_path: Path) -> Path:
    task = tmp_path / "buggy_stats"
    source = ROOT / "examples/buggy_stats"
    sandbox_testing.make_repo(task, {p.relative_to(source).as_posix(): p.read_text() for p in source.rglob("*.py")}
                              | {"pyproject.toml": (source / "pyproject.toml").read_text()})
    return task


def dagent(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")}
    return subprocess.run([sys.executable, "-m", "dagent.agent.app.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def run_in_pty(args: list[str], timeout_s: float = 300) -> tuple[int, str]:
    """Run under a real pseudo-terminal (160 columns); everything it wrote, control codes included."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI", "FORCE_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(master)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_a_terminal_sees_one_live_status_line_then_the_result(tmp_path: Path) -> None:
    code, raw = run_in_pty([sys.executable, "-m", "dagent.agent.app.cli", "fix", str(_buggy_stats(tmp_path)), "--budget", "60"])
    assert code == 0, raw[-3000:]
    assert "\x1b[" in raw  # a terminal gets colour and a redrawn line
    frames = [ANSI.sub("", frame).strip() for frame in re.split(r"[\r\n]", raw)]
    status = [f for f in frames if re.search(r"repair search · level 1 · \d+ made · \d+ validated · \d+ left", f)]
    assert status, "no live status line seen"
    assert any(re.search(r"best: \d of 1 failing tests pass · \d+\.\ds / 60s$", f) for f in status), status[-3:]
    assert any(re.search(r"baseline tests · .* · \d+\.\ds / 60s$", f) for f in frames)
    text = ANSI.sub("", raw)
    assert FIX_LINE in text and "fixed: the whole suite passes" in text
    assert "was off by one" in text and "the ±1 family, ranked" in text
    assert "suspect lines: " in text and "still_failing" not in text  # only what matters, not every candidate


@pytest.mark.slow
def test_a_pipe_gets_plain_lines_without_control_codes(tmp_path: Path) -> None:
    result = dagent("fix", str(_buggy_stats(tmp_path)), "--budget", "60", "-v")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    assert FIX_LINE in result.stdout and result.stdout.startswith("diff --git")
    assert "still_failing" in result.stderr  # -v: every candidate with its verdict
    assert "fixed: the whole suite passes" in result.stderr and "was off by one" in result.stderr
    assert all(len(line) < 400 for line in result.stderr.splitlines())


@pytest.mark.slow
def test_json_is_the_only_thing_on_stdout_and_matches_the_schema(tmp_path: Path) -> None:
    project = _buggy_stats(tmp_path)
    result = dagent("fix", str(project), "--budget", "60", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(result.stdout)  # one document, nothing around it
    validate(document)
    assert document["schema_version"] == 1 and document["command"] == "fix" and document["fixed"] is True
    assert FIX_LINE in document["diff"] and "was off by one" in document["explanation"]
    assert [a["family"] for a in document["attempts"] if a["kept"]] == ["off_by_one"]
    # every candidate the search took up has its place in that order, a fixed order whichever lane answers first
    taken = [a["taken"] for a in document["attempts"]]
    assert all(isinstance(t, int) for t in taken) and sorted(taken) == list(range(1, len(taken) + 1))
    winner = next(a for a in document["attempts"] if a["kept"])
    assert winner["taken"] == winner["rank"]  # the grammar's order, no evidence to move it before the fix
    tested = dagent("test", "--repo", str(project), "--json")
    assert tested.returncode == 1
    document = json.loads(tested.stdout)
    validate(document)
    assert document["command"] == "test" and document["ok"] is False
    assert [o["test_id"] for o in document["outcomes"] if o["outcome"] == "failed"] == ["tests/test_core.py::test_moving_average"]


@pytest.mark.slow
def test_edit_json_matches_the_schema(tmp_path: Path) -> None:
    project = _buggy_stats(tmp_path)
    result = dagent("edit", "rename median to middle", str(project / "stats/core.py"), "--json", "-q")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""  # -q: not even the verdict
    document = json.loads(result.stdout)
    validate(document)
    assert document["command"] == "edit" and document["fixed"] is True and "def middle" in document["diff"]


@pytest.mark.slow
def test_quiet_prints_the_result_alone(tmp_path: Path) -> None:
    result = dagent("fix", str(_buggy_stats(tmp_path)), "--budget", "60", "-q")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("diff --git") and FIX_LINE in result.stdout
    lines = result.stderr.splitlines()
    assert lines[0] == "fixed: the whole suite passes" and "was off by one" in lines[1] and len(lines) == 2, lines
