"""`dagent bench fix` (agent/bench/fix.py): the summary math on hand-made results, the outputs, a task that
raises, and the whole command end to end on three copied tasks with a tiny random model."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dagent.agent.app.cli import app
from dagent.agent.bench import fix as bench
from dagent.agent.bench.fix import (
    BenchReport,
    FixBenchSettings,
    Machine,
    TaskResult,
    bench_fix,
    load_report,
    run_task,
    select_tasks,
    summarize,
    write_outputs,
)
from dagent.agent.bench.tasks import load_tasks
from dagent.errors import DagentError, ModelLoadError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "tasks"
SUBSET = ("09-word-frequency", "10-leap-year", "44-static-parse-config")  # token, condition, edit (structural)
# The budget leaves room for a candidate after the baseline: that alone took 4.1 s in a slow hour of the
# 2-core machine, and a 5 s budget then tried nothing.
QUICK = ["--budget", "15", "--k", "1", "--max-rounds", "1", "--targets", "1", "--threads", "1", "--timeout", "30"]


def result(name: str, kind: str, fixed: bool, passing: bool, wall: float, error: str = "", tried: int = 0) -> TaskResult:
    return TaskResult(name=name, kind=kind, fixed=fixed, tests_pass=passing, wall_s=wall, error=error,
                      status=error or ("fixed" if fixed else "not fixed"), candidates_tried=tried)


HAND_MADE = [
    result("a", "edit", True, False, 4.0),  # dagent says edited, but the listed tests still fail
    result("b", "token", True, True, 10.0, tried=30),
    result("c", "token", False, False, 2.0, tried=12),
    result("d", "token", True, True, 6.0, tried=10),
    result("e", "condition", False, False, 1.0, error="RuntimeError: boom"),
    result("f", "weird", False, False, 3.0),
]


@pytest.fixture
def tiny_model(tiny_model_factory: Callable[[int, int], Path]) -> Path:
    """A random DiffusionGemma whose canvas holds the fix skeletons (the engine tests' 32 does not)."""
    return tiny_model_factory(128, 2)


@pytest.fixture()
def task_dir(tmp_path: Path) -> Path:
    root = tmp_path / "tasks"
    for name in SUBSET:
        shutil.copytree(EXAMPLES / name, root / name)
    return root


# ---------------------------------------------------------------- summary and outputs


def test_summary_math_on_hand_made_results() -> None:
    s = summarize(HAND_MADE)
    assert (s.tasks, s.fixed, s.tests_pass, s.errors) == (6, 3, 2, 1)
    assert s.fixed_share == pytest.approx(0.5) and s.pass_share == pytest.approx(2 / 6)
    assert s.median_wall_s == pytest.approx(3.5) and s.total_wall_s == pytest.approx(26.0)
    assert [k.kind for k in s.by_kind] == ["token", "condition", "edit", "weird"]  # the task set's order, unknown last
    token = s.by_kind[0]
    assert (token.tasks, token.fixed, token.tests_pass) == (3, 2, 2)
    assert token.fixed_share == pytest.approx(2 / 3) and token.median_wall_s == pytest.approx(6.0)
    edit = s.by_kind[2]
    assert (edit.fixed_share, edit.pass_share) == (1.0, 0.0)
    assert "fixed 3/6 (50%)" in s.line() and "token 2/3" in s.line()
    assert s.bug is not None and (s.bug.tasks, s.bug.fixed, s.bug.median_wall_s) == (5, 2, 3.0)  # all but the edit
    assert s.candidates == 52 and s.candidates_per_s == pytest.approx(2.0)
    assert s.median_candidates_to_fix == 10.0  # fixed tasks: a (0), b (30), d (10)


def test_summary_of_no_results_is_zeros() -> None:
    s = summarize([])
    assert (s.tasks, s.fixed_share, s.median_wall_s, s.by_kind) == (0, 0.0, 0.0, [])


def test_outputs_written_and_read_back(tmp_path: Path) -> None:
    machine = Machine(cpu_count=2, platform="test", python="3", torch_version="x", torch_threads=1,
                      model="/m/tiny", date="2026-01-01T00:00:00+00:00")
    report = BenchReport(machine=machine, tasks_root="tasks", settings={"k": 1}, wall_s=26.0,
                         results=HAND_MADE, summary=summarize(HAND_MADE))
    paths = write_outputs(report, tmp_path / "out")
    assert load_report(paths["json"]) == report
    assert paths["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = paths["markdown"].read_text()
    assert "| b | token | yes | yes | 10.0 |" in markdown
    assert "| token | 3 | 2 | 67% | 2 | 67% | 6.0 |" in markdown
    assert "| **all** | 6 | 3 | 50% | 2 | 33% | 3.5 |" in markdown


# ---------------------------------------------------------------- selecting and running tasks


def test_select_tasks_by_name_and_limit() -> None:
    renames = select_tasks(EXAMPLES, only="rename")
    assert renames and all("rename" in t.name for t in renames)
    assert [t.name for t in select_tasks(EXAMPLES, only="rename", limit=1)] == [renames[0].name]
    with pytest.raises(DagentError, match="no task"):
        select_tasks(EXAMPLES, only="no-such-task")


def test_a_bad_model_stops_the_bench_before_any_task(task_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError):
        bench_fix(task_dir, FixBenchSettings(model=str(tmp_path / "missing")))


def test_a_task_that_raises_is_recorded_as_not_fixed(task_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the loop fell over\nsecond line")

    monkeypatch.setattr(bench, "run_fix", explode)
    task = load_tasks(task_dir / "10-leap-year")[0]
    got = run_task(task, FixBenchSettings(), proposer=None)
    assert (got.name, got.kind, got.fixed, got.tests_pass) == ("10-leap-year", "condition", False, False)
    assert got.error == "RuntimeError: the loop fell over" and got.status == "error: RuntimeError: the loop fell over"


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
def test_bench_fix_end_to_end(task_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["bench", "fix", str(task_dir), "--model", str(tiny_model), "--out", str(out), *QUICK]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    for name in SUBSET:
        assert name in run.output
    report = BenchReport.model_validate(json.loads((out / "bench-fix.json").read_text()))
    assert [r.name for r in report.results] == list(SUBSET)
    assert report.machine.cpu_count == os.cpu_count() and report.machine.model == str(tiny_model)
    assert report.machine.torch_threads == 1 and report.settings["k"] == 1
    fix_runs, edit = report.results[:2], report.results[2]
    for r in fix_runs:  # the grammar's search, then (if unfixed) the random model: either way timed
        assert r.error == "" and r.rounds >= 1 and r.test_s > 0 and r.candidates_tried >= 1
        assert r.tests_pass == r.fixed and (r.fixed or r.model_s > 0 or "time budget" in r.status)
    assert edit.fixed and edit.tests_pass and "@staticmethod" in edit.diff  # a structural op: no model needed
    assert report.summary == summarize(report.results)
    assert report.summary.fixed == 1 + sum(r.fixed for r in fix_runs)
    assert " ".join(report.summary.line().split()) in " ".join(run.output.split())  # rich wraps long lines
    assert "## Summary" in (out / "bench-fix.md").read_text()
    assert (out / "bench-fix.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_bench_fix_with_two_worker_processes(task_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["bench", "fix", str(task_dir), "--model", str(tiny_model), "--out", str(out), "--jobs", "2",
            "--limit", "2", *QUICK]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    report = load_report(out / "bench-fix.json")
    assert [r.name for r in report.results] == list(SUBSET[:2])  # in the tasks' order, whichever finished first
    for r in report.results:  # each worker process ran its task
        assert r.error == "" and r.rounds >= 1 and r.test_s > 0
    assert report.settings["jobs"] == 2 and report.machine.torch_threads == 1
