"""What `dagent fix`, `dagent edit`, `dagent ci` and `dagent undo` do beyond parsing: run the loop
with a progress display (agent/app/display.py), print the diff and the summary (or, with --json, the report
alone on stdout), and write to the user's tree only when asked."""

from __future__ import annotations

import contextlib
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from dagent.agent.app.display import Display, Verbosity, explain, print_result
from dagent.agent.budget import MODEL_PHASE_MIN_S, Budget
from dagent.agent.loop import apply_to_tree, find_project, run_edit, run_fix
from dagent.agent.report import RunReport
from dagent.agent.search import RankMode
from dagent.errors import DagentError

out = Console()  # results: the diff (or the --json report), on stdout
err = Console(stderr=True)  # progress and the verdict, on stderr


@dataclass(frozen=True)
class Output:
    """How a run is shown: how much (-q / -v), the report as JSON on stdout (--json), the canvas view."""

    verbosity: Verbosity = "normal"
    json: bool = False
    show_canvas: bool = False


def print_json(report: BaseModel) -> None:
    """The whole report as one JSON document on stdout (schema: docs/report.schema.json)."""
    sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    sys.stdout.flush()


def print_diff(diff: str) -> None:
    """The diff on stdout: highlighted on a terminal, plain when piped (so it can go to `git apply`)."""
    if not diff:
        return
    if out.is_terminal:
        out.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default", word_wrap=False))
    else:
        sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
        sys.stdout.flush()


def _print_outcome(report: RunReport, output: Output = Output()) -> None:
    """The result: the diff on stdout, the verdict on stderr; with --json the report alone on stdout."""
    if not report.explanation:
        report.explanation = explain(report)
    if not output.json:
        print_diff(report.diff)
        print_result(report, err, output.verbosity)
    elif output.verbosity != "quiet":
        print_result(report, err, "quiet")  # the verdict on stderr; the report follows on stdout


class _CanvasView:
    """--show-canvas: the current draft of the canvas, redrawn as it settles, above the status line."""

    def __init__(self, status: RenderableType) -> None:
        self.status = status
        self.live = Live(Group(Panel(Text("")), status), console=err, refresh_per_second=12, transient=True)

    def __call__(self, label: str, text: str) -> None:
        self.live.update(Group(Panel(Text(text), title=label, border_style="cyan"), self.status))


def fix(path: Path, test_expr: str | None, model: str | None, apply: bool, commit: bool, budget: Budget,
        show_canvas: bool, seed: int, rank: RankMode = "grammar", output: Output | None = None) -> int:
    if apply and commit:
        raise DagentError("choose one of --apply and --commit")
    output = output or Output(show_canvas=show_canvas)
    project = path.resolve()
    if not project.is_dir():
        raise DagentError(f"{path} is not a directory: pass the project directory (where its tests run)")
    # the canvas view is a live display of its own (one at a time): it takes the status line's place
    canvas = show_canvas and err.is_terminal
    if show_canvas and not canvas and output.verbosity != "quiet":
        err.print("--show-canvas needs a terminal: not shown", highlight=False)
    display = Display(err, output.verbosity, live=False if canvas else None, project=project)
    view = _CanvasView(display.status_line()) if canvas else None
    rankers = _rankers(model, budget) if rank == "model" else None
    with display, (view.live if view else contextlib.nullcontext()):
        proposer = _proposer(model, budget.k, view) if view else None
        report = run_fix(project, model, budget, test_expr, display.say, proposer, seed, rank, rankers,
                         on_progress=display.progress)
    _print_outcome(report, output)
    _land(report, project, apply, commit, f"dagent: fix {', '.join(report.failing_before[:3])}", output)
    if output.json:
        print_json(report)
    return 0 if report.fixed else 1


def _rankers(model: str | None, budget: Budget):  # type: ignore[no-untyped-def]
    """The model's ranker factory, with torch and the weights loading in a thread from now on: they load
    while the sandbox is made and the baseline's tests run (subprocesses), instead of before them (about
    3 s of a run's budget on 2 cores). A load that fails raises where the search first asks for the ranker.
    Under MODEL_PHASE_MIN_S of budget the search never asks (it ranks by the grammar), so nothing loads."""
    if budget.time_s < MODEL_PHASE_MIN_S:
        return lambda *args, **kwargs: _loaded_rankers(model)(*args, **kwargs)
    loading = ThreadPoolExecutor(1, thread_name_prefix="dagent-model-load")
    ready = loading.submit(_loaded_rankers, model)
    loading.shutdown(wait=False)  # the thread ends with the load; the process waits for it at exit

    def factory(*args, **kwargs):  # type: ignore[no-untyped-def]
        return ready.result()(*args, **kwargs)

    return factory


def _loaded_rankers(model: str | None):  # type: ignore[no-untyped-def]
    from dagent.agent.scoring import engine_for, ranker_factory  # torch loads only when the model ranks

    engine_for(model)
    return ranker_factory(model)


def _land(report: RunReport, project: Path, apply: bool, commit: bool, message: str, output: Output = Output()) -> None:
    if not report.fixed or not report.ops:
        return
    if apply:
        apply_to_tree(report)
        err.print(f"[green]applied to[/] {project}")
    elif commit:
        from dagent.agent.app.gitops import commit_to_new_branch

        report.branch, report.commit = commit_to_new_branch(project, project, report.ops, message)
        err.print(f"[green]committed[/] {report.commit[:10]} on branch {report.branch} (your checkout is unchanged)")
    elif output.verbosity != "quiet" and not output.json:
        err.print("[dim]nothing was written: --apply writes the change, --commit puts it on a new branch[/]")


def edit(instruction: str, target: str, model: str | None, apply: bool, budget: Budget, seed: int,
         output: Output = Output()) -> int:
    path_text, _, symbol = target.partition(":") if not Path(target).exists() else (target, "", "")
    path = Path(path_text).resolve()
    if not path.exists():
        raise DagentError(f"{path_text} does not exist: pass a file or a directory, optionally FILE:SYMBOL")
    project = find_project(path)
    display = Display(err, output.verbosity, project=project)
    with display:
        report = run_edit(instruction, path, project, symbol or None, model, budget, display.say, seed,
                          on_progress=display.progress)
    _print_outcome(report, output)
    if apply and report.fixed:
        apply_to_tree(report)
        err.print(f"[green]applied to[/] {project}")
    elif report.fixed and output.verbosity != "quiet" and not output.json:
        err.print("[dim]nothing was written: --apply writes the change[/]")
    if output.json:
        print_json(report)
    return 0 if report.fixed else 1


def ci(path: Path, test_expr: str | None, model: str | None, out_dir: Path, branch: str | None, push: str | None,
       allow_ci_config: bool, budget: Budget, seed: int) -> int:
    from dagent.agent.app.ci import ci_exit_code, touches_ci_config, write_ci_outputs

    project = path.resolve()
    report = run_fix(project, model, budget, test_expr, lambda m: err.print(m), None, seed)
    touched = touches_ci_config(report.ops) if report.fixed else []
    if touched and not allow_ci_config:
        report.fixed, report.status = False, f"refused: the fix touches CI configuration ({', '.join(touched)}); pass --allow-ci-config"
        report.diff = ""
    landed = _commit_and_push(report, project, branch, push) if report.fixed and (branch or push) else True
    outputs = write_ci_outputs(report, out_dir)
    err.print(f"wrote {outputs}")
    _print_outcome(report)
    return ci_exit_code(report) if landed else 2


def _commit_and_push(report: RunReport, project: Path, branch: str | None, push: str | None) -> bool:
    """A failed commit or push is reported in the outputs, which CI still needs to upload (exit 2)."""
    from dagent.agent.app.gitops import commit_to_new_branch, push_branch

    try:
        report.branch, report.commit = commit_to_new_branch(project, project, report.ops,
                                                            f"dagent: fix {', '.join(report.failing_before[:3])}", branch)
        if push:
            push_branch(project, push, report.branch)
            err.print(f"pushed {report.branch} to {push}")
    except DagentError as error:
        report.status += f"; but the commit or push failed: {error}"
        err.print(f"[red]{error}[/]")
        return False
    return True


def undo(path: Path) -> int:
    from dagent.agent.app.gitops import undo_last

    err.print(undo_last(path.resolve()))
    return 0


def _proposer(model: str | None, k: int, view):  # type: ignore[no-untyped-def]
    from dagent.agent.proposer import Proposer  # torch loads only when the model is wanted

    return Proposer(model, k=k, on_draft=view)
