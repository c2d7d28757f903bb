"""`dagent bench fix`: run dagent on every task of a task set and report what it fixed, and at what cost.

Each task is materialized into its own temporary git repo (`tasks.materialize`); `run_fix` works on it
(`run_edit` with the task's `instruction` for kind "edit"; the model never sees a task's description,
which names the bug). A run that raises is recorded as not fixed, with its error; the bench goes on.

dagent's own verdict (`fixed`) is checked independently: the winning change is applied to the
materialized repo and the task's listed failing tests must pass (`tests_pass`). For edit tasks this
matters: `run_edit` accepts any change that breaks no passing test, while the listed tests check
that the instruction was carried out.

Outputs, in `--out`: bench-fix.json (`BenchReport`), bench-fix.md (a table per task and the summary)
and bench-fix.png (fixed share per kind; wall time per task, by kind).

    dagent bench fix examples/tasks --out runs/bench-fix
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from rich import box
from rich.console import Console
from rich.table import Table

from dagent.agent.bench.tasks import KINDS, Task, load_tasks, materialize, outcome, run_task_suite
from dagent.agent.budget import DEFAULT_BUDGET_S, Budget, default_lanes
from dagent.agent.loop import run_edit, run_fix
from dagent.agent.proposer import Proposer
from dagent.agent.report import RunReport
from dagent.agent.search import RankMode
from dagent.engine.engine import EngineStats
from dagent.errors import DagentError
from dagent.sandbox.runner import die_with_parent
from dagent.signals import terminating_as_interrupt

JSON_NAME, MARKDOWN_NAME, FIGURE_NAME = "bench-fix.json", "bench-fix.md", "bench-fix.png"
DEFAULT_OUT = Path("runs/bench-fix")
Progress = Callable[["TaskResult", int, int], None]  # (result, done so far, total)


@dataclass(frozen=True)
class FixBenchSettings:
    model: str | None = None
    jobs: int = 1
    budget_s: float = DEFAULT_BUDGET_S["bench"]  # wall-time budget of one task (Budget.time_s)
    k: int = 4
    max_rounds: int = 3
    max_targets: int = 6
    test_timeout_s: float = 60.0
    seed: int = 0
    threads: int | None = None  # torch threads per task run; None: torch's choice with 1 job, 1 per worker otherwise
    rank: RankMode = "grammar"  # the search's order: grammar prior, + model score, or shuffled
    model_rewrites: bool = True  # the model's whole-line rewrites after the grammar
    lanes: int | None = None  # candidates validated at once per task; None: the cores left per job, up to 2

    def task_lanes(self) -> int:
        return self.lanes or default_lanes(self.jobs)

    def torch_threads(self) -> int | None:
        return self.threads or (1 if self.jobs > 1 else None)

    def budget(self) -> Budget:
        return Budget(max_rounds=self.max_rounds, k=self.k, max_targets=self.max_targets,
                      time_s=self.budget_s, test_timeout_s=self.test_timeout_s, model_rewrites=self.model_rewrites,
                      lanes=self.task_lanes())


# ---------------------------------------------------------------- records


class TaskResult(BaseModel):
    """One task's run. `fixed` is dagent's verdict; `tests_pass` that the listed failing tests pass with its change."""

    name: str
    kind: str
    fixed: bool
    tests_pass: bool = False
    wall_s: float = 0.0
    rounds: int = 0
    candidates_tried: int = 0
    model_s: float = 0.0
    model_load_s: float = 0.0
    test_s: float = 0.0
    tokens_per_forward: float = 0.0
    status: str = ""
    error: str = ""  # the exception a run raised, when it raised
    diff: str = ""


class KindSummary(BaseModel):
    kind: str
    tasks: int
    fixed: int
    tests_pass: int
    fixed_share: float
    pass_share: float
    median_wall_s: float


class BenchSummary(BaseModel):
    tasks: int
    fixed: int
    tests_pass: int
    errors: int
    fixed_share: float
    pass_share: float
    median_wall_s: float
    total_wall_s: float
    by_kind: list[KindSummary] = Field(default_factory=list)
    bug: KindSummary | None = None  # every kind but edit: the bug-fix tasks
    candidates: int = 0  # validated, over all tasks
    candidates_per_s: float = 0.0  # validated per second of task wall time
    median_candidates_to_fix: float = 0.0  # over the fixed tasks: candidates validated up to the fix

    def line(self) -> str:
        kinds = ", ".join(f"{k.kind} {k.fixed}/{k.tasks}" for k in self.by_kind)
        bug = (f"; bug tasks {self.bug.fixed}/{self.bug.tasks}, median wall {self.bug.median_wall_s:.1f}s"
               if self.bug and self.bug.tasks != self.tasks else "")
        return (f"fixed {self.fixed}/{self.tasks} ({self.fixed_share:.0%}); listed tests pass {self.tests_pass}/{self.tasks} "
                f"({self.pass_share:.0%}); errors {self.errors}; median wall {self.median_wall_s:.1f}s{bug}; "
                f"{self.candidates_per_s:.2f} candidates validated/s, median {self.median_candidates_to_fix:g} to a fix"
                + (f"; by kind: {kinds}" if kinds else ""))


class Machine(BaseModel):
    cpu_count: int
    platform: str
    python: str
    torch_version: str
    torch_threads: int  # per task run
    model: str
    date: str


class BenchReport(BaseModel):
    machine: Machine
    tasks_root: str
    settings: dict[str, object]
    wall_s: float
    results: list[TaskResult]
    summary: BenchSummary


# ---------------------------------------------------------------- summary


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def _kind_summary(kind: str, results: Sequence[TaskResult]) -> KindSummary:
    fixed, passing = sum(r.fixed for r in results), sum(r.tests_pass for r in results)
    return KindSummary(kind=kind, tasks=len(results), fixed=fixed, tests_pass=passing,
                       fixed_share=_share(fixed, len(results)), pass_share=_share(passing, len(results)),
                       median_wall_s=_median([r.wall_s for r in results]))


def _kinds_in_order(results: Sequence[TaskResult]) -> list[str]:
    present = {r.kind for r in results}
    return [k for k in KINDS if k in present] + sorted(present - set(KINDS))


def summarize(results: Sequence[TaskResult]) -> BenchSummary:
    """Shares fixed and passing, overall and per kind (in the task set's kind order), and wall times."""
    overall = _kind_summary("all", results)
    by_kind = [_kind_summary(kind, [r for r in results if r.kind == kind]) for kind in _kinds_in_order(results)]
    return BenchSummary(tasks=overall.tasks, fixed=overall.fixed, tests_pass=overall.tests_pass,
                        errors=sum(bool(r.error) for r in results), fixed_share=overall.fixed_share,
                        pass_share=overall.pass_share, median_wall_s=overall.median_wall_s,
                        total_wall_s=sum(r.wall_s for r in results), by_kind=by_kind,
                        bug=_kind_summary("bug", [r for r in results if r.kind != "edit"]),
                        candidates=sum(r.candidates_tried for r in results),
                        candidates_per_s=_share(sum(r.candidates_tried for r in results), sum(r.wall_s for r in results)),
                        median_candidates_to_fix=_median([r.candidates_tried for r in results if r.fixed]))


# ---------------------------------------------------------------- one task


def run_task(task: Task, settings: FixBenchSettings, proposer: Proposer | None) -> TaskResult:
    """Run dagent on a fresh copy of the task; never raises (an error is recorded as not fixed)."""
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dagent-bench-") as tmp:
        try:
            repo = materialize(task, Path(tmp) / "repo")
            report = _run_dagent(task, repo, settings, proposer)
            passing = report.fixed and _listed_tests_pass(task, repo, report, Path(tmp), settings.test_timeout_s)
        except Exception as exc:  # noqa: BLE001 - a task that raises must not stop the bench
            return _failed(task, exc, time.perf_counter() - began)
    return _result(task, report, passing)


def _run_dagent(task: Task, repo: Path, settings: FixBenchSettings, proposer: Proposer | None) -> RunReport:
    budget = settings.budget()
    if task.kind == "edit":
        return run_edit(task.instruction, repo, repo, model=settings.model, budget=budget, seed=settings.seed)
    if proposer is not None:
        proposer.engine.stats = EngineStats()  # its counters add up across runs: count this task's only
    factory = None
    if settings.rank == "model":
        from dagent.agent.scoring import ranker_factory  # loads torch and the engine only when it ranks

        factory = ranker_factory(settings.model)
    return run_fix(repo, settings.model, budget, proposer=proposer, seed=settings.seed, rank=settings.rank,
                   ranker_factory=factory)


def _listed_tests_pass(task: Task, repo: Path, report: RunReport, tmp: Path, timeout_s: float) -> bool:
    """Apply dagent's change to the task's repo and run its suite: do the listed failing tests pass?"""
    from dagent.ops.apply import apply_ops
    from dagent.ops.syntax import parse

    if report.ops:
        apply_ops(repo, parse(report.ops))
    run = run_task_suite(repo, timeout_s)
    return not run.timed_out and all(outcome(run, node_id) == "passed" for node_id in task.failing_tests)


def _result(task: Task, report: RunReport, passing: bool) -> TaskResult:
    t = report.timings
    return TaskResult(
        name=task.name, kind=task.kind, fixed=report.fixed, tests_pass=passing, wall_s=t.wall_s,
        rounds=report.rounds, candidates_tried=report.candidates_tried, model_s=t.model_s,
        model_load_s=t.model_load_s, test_s=t.test_s, tokens_per_forward=t.tokens_per_forward,
        status=report.status or ("fixed" if report.fixed else "not fixed"), diff=report.diff,
    )


def _failed(task: Task, exc: Exception, wall_s: float) -> TaskResult:
    text = str(exc).strip()
    message = f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
    return TaskResult(name=task.name, kind=task.kind, fixed=False, wall_s=wall_s, status=f"error: {message}",
                      error=message)


# ---------------------------------------------------------------- many tasks


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)  # N workers on N cores: more threads each only oversubscribe


@lru_cache(maxsize=1)
def _worker_proposer(model: str | None, k: int) -> Proposer:
    return Proposer(model, k=k)


def _worker_run(task: Task, settings: FixBenchSettings) -> TaskResult:
    """In a worker process: the model loads once per worker (on its first fix task), then the task runs."""
    proposer = None
    if task.kind != "edit":
        try:
            proposer = _worker_proposer(settings.model, settings.k)
        except Exception as exc:  # noqa: BLE001 - recorded like any other failed run
            return _failed(task, exc, 0.0)
    return run_task(task, settings, proposer)


def _run_serial(tasks: Sequence[Task], settings: FixBenchSettings) -> Iterator[tuple[int, TaskResult]]:
    _set_threads(settings.torch_threads())
    proposer = Proposer(settings.model, k=settings.k) if any(t.kind != "edit" for t in tasks) else None
    for index, task in enumerate(tasks):
        yield index, run_task(task, settings, proposer)


def _pool_worker_setup(threads: int | None) -> None:
    """A pool worker dies with the bench (SIGTERM, which removes its sandboxes on the way out) instead of
    running on unseen, and uses the given number of torch threads."""
    die_with_parent()
    _set_threads(threads)


def _run_parallel(tasks: Sequence[Task], settings: FixBenchSettings) -> Iterator[tuple[int, TaskResult]]:
    context = multiprocessing.get_context("spawn")  # torch and fork do not mix
    pool = ProcessPoolExecutor(settings.jobs, mp_context=context, initializer=_pool_worker_setup,
                               initargs=(settings.torch_threads(),))
    try:
        with terminating_as_interrupt():
            futures = {pool.submit(_worker_run, t, settings): i for i, t in enumerate(tasks)}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    yield index, future.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died
                    yield index, _failed(tasks[index], exc, 0.0)
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: stop the workers now rather than wait for their tasks
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """SIGTERM each worker (each removes its sandboxes as it goes) and drop the tasks not started.
    The executor offers no public way to reach its processes; `_processes` has held them since 3.2."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=30)


def run_tasks(tasks: Sequence[Task], settings: FixBenchSettings, progress: Progress | None = None) -> list[TaskResult]:
    """Every task, `settings.jobs` at a time; results in the tasks' order."""
    runner = _run_parallel if settings.jobs > 1 and len(tasks) > 1 else _run_serial
    results: list[TaskResult | None] = [None] * len(tasks)
    for done, (index, result) in enumerate(runner(tasks, settings), start=1):
        results[index] = result
        if progress:
            progress(result, done, len(tasks))
    return [r for r in results if r is not None]


def select_tasks(root: Path, only: str | None = None, limit: int | None = None) -> list[Task]:
    tasks = [t for t in load_tasks(root) if not only or only in t.name]
    tasks = tasks[:limit] if limit is not None else tasks
    if not tasks:
        raise DagentError(f"no task under {root}" + (f" has {only!r} in its name" if only else ""))
    return tasks


def describe_machine(settings: FixBenchSettings) -> Machine:
    import torch

    from dagent.engine.load import resolve_model_dir

    return Machine(
        cpu_count=os.cpu_count() or 0, platform=platform.platform(), python=platform.python_version(),
        torch_version=torch.__version__, torch_threads=settings.torch_threads() or torch.get_num_threads(),
        model=str(resolve_model_dir(settings.model)), date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def bench_fix(root: Path, settings: FixBenchSettings, only: str | None = None, limit: int | None = None,
              progress: Progress | None = None) -> BenchReport:
    """Run the bench (no files written): the model directory is checked first, then every task runs."""
    tasks = select_tasks(root, only, limit)
    machine = describe_machine(settings)  # raises ModelLoadError on a bad --model before any task runs
    began = time.perf_counter()
    results = run_tasks(tasks, settings, progress)
    return BenchReport(machine=machine, tasks_root=str(root), settings={**asdict(settings), "lanes": settings.task_lanes()},
                       wall_s=time.perf_counter() - began, results=results, summary=summarize(results))


# ---------------------------------------------------------------- outputs


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


_SHOWN_SETTINGS = ("rank", "budget_s", "jobs", "lanes", "model_rewrites", "seed")


def render_markdown(report: BenchReport) -> str:
    m, s = report.machine, report.summary
    lines = ["# dagent bench fix", "",
             f"{m.date} · {m.platform} · {m.cpu_count} CPUs · torch {m.torch_version} ({m.torch_threads} thread(s)) · "
             f"model `{m.model}` · tasks `{report.tasks_root}`", "",
             "settings: " + ", ".join(f"{k}={v}" for k, v in report.settings.items() if k in _SHOWN_SETTINGS), "",
             "| task | kind | fixed | listed tests pass | wall s | rounds | candidates | model s | test s | tokens/forward | status |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in report.results:
        lines.append(f"| {r.name} | {r.kind} | {_yes(r.fixed)} | {_yes(r.tests_pass)} | {r.wall_s:.1f} | {r.rounds} | "
                     f"{r.candidates_tried} | {r.model_s:.1f} | {r.test_s:.1f} | {r.tokens_per_forward:.1f} | {_cell(r.status)} |")
    lines += ["", "## Summary", "", "| kind | tasks | fixed | fixed share | listed tests pass | pass share | median wall s |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    bug = [_kind_summary("**bug tasks**", [r for r in report.results if r.kind != "edit"])] if s.bug and s.bug.tasks != s.tasks else []
    for k in [*s.by_kind, *bug, _kind_summary("**all**", report.results)]:
        lines.append(f"| {k.kind} | {k.tasks} | {k.fixed} | {k.fixed_share:.0%} | {k.tests_pass} | {k.pass_share:.0%} | "
                     f"{k.median_wall_s:.1f} |")
    lines += ["", s.line() + f"; bench wall time {report.wall_s:.0f}s", ""]
    return "\n".join(lines)


def draw_figure(report: BenchReport, path: Path) -> None:
    """Left: fixed share per kind (dagent's verdict and listed tests passing); right: wall time per task by kind."""
    from matplotlib.figure import Figure  # no pyplot: no global backend state, renders with Agg

    summary = report.summary
    kinds = [k.kind for k in summary.by_kind]
    fig = Figure(figsize=(max(10.0, 1.6 * len(kinds) + 4), 4.2), layout="constrained")
    bars, strip = fig.subplots(1, 2)
    xs = list(range(len(kinds)))
    bars.bar([x - 0.2 for x in xs], [k.fixed_share for k in summary.by_kind], 0.4, label="fixed (dagent)")
    bars.bar([x + 0.2 for x in xs], [k.pass_share for k in summary.by_kind], 0.4, label="listed tests pass")
    labels = [f"{k.kind} ({k.tasks})" for k in summary.by_kind]
    bars.set(xticks=xs, ylim=(0, 1.22), yticks=[0, 0.25, 0.5, 0.75, 1.0], ylabel="share of tasks",
             title=f"fixed share per kind ({summary.tasks} tasks)")
    bars.set_xticklabels(labels, rotation=30, ha="right")
    bars.legend(loc="upper left", ncols=2, fontsize="small")
    _strip_plot(strip, report.results, labels)
    fig.suptitle(f"dagent bench fix · {report.machine.cpu_count} CPUs · {Path(report.machine.model).name}")
    fig.savefig(path, dpi=120)


def _strip_plot(ax, results: Sequence[TaskResult], labels: list[str]) -> None:  # type: ignore[no-untyped-def]
    for x, kind in enumerate(_kinds_in_order(results)):
        runs = [r for r in results if r.kind == kind]
        offsets = [((i * 0.618) % 1.0 - 0.5) * 0.5 for i in range(len(runs))]  # deterministic jitter
        colours = ["tab:green" if r.tests_pass else "tab:red" for r in runs]
        ax.scatter([x + o for o in offsets], [r.wall_s for r in runs], c=colours, s=22, alpha=0.8)
        if runs:
            ax.hlines(_median([r.wall_s for r in runs]), x - 0.3, x + 0.3, colors="black", linewidth=1.5)
    ax.set(xticks=list(range(len(labels))), ylabel="seconds")
    ax.set_title("wall time per task (green: listed tests pass; bar: median)", fontsize="medium")
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylim(0, 1.1 * max([r.wall_s for r in results], default=1.0) or 1.0)


def write_outputs(report: BenchReport, out: Path) -> dict[str, Path]:
    """bench-fix.json, bench-fix.md and bench-fix.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / JSON_NAME, "markdown": out / MARKDOWN_NAME, "figure": out / FIGURE_NAME}
    paths["json"].write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    draw_figure(report, paths["figure"])
    return paths


def load_report(path: Path) -> BenchReport:
    """A bench-fix.json read back (e.g. to redraw the figure: `draw_figure(load_report(p), png)`)."""
    return BenchReport.model_validate_json(Path(path).read_text(encoding="utf-8"))


def print_report(report: BenchReport, console: Console) -> None:
    table = Table(title="dagent bench fix", box=box.SIMPLE, show_edge=False)
    for column in ("task", "kind", "fixed", "tests pass"):
        table.add_column(column, no_wrap=True)
    for column in ("wall s", "rounds", "cand.", "model s", "test s", "tok/fwd"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("status", overflow="fold", min_width=16)
    for r in report.results:
        mark = "[green]yes[/]" if r.fixed else "[red]no[/]"
        passing = "[green]yes[/]" if r.tests_pass else "[red]no[/]"
        table.add_row(r.name, r.kind, mark, passing, f"{r.wall_s:.1f}", str(r.rounds), str(r.candidates_tried),
                      f"{r.model_s:.1f}", f"{r.test_s:.1f}", f"{r.tokens_per_forward:.1f}", _escape(r.status))
    console.print(table)
    console.print(report.summary.line(), highlight=False)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
