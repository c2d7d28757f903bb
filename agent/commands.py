"""What `dagent fix`, `dagent edit`, `dagent ci` and `dagent undo` do beyond parsing: run the loop
with a progress display, print the diff and the summary, and write to the user's tree only when asked."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.status import Status
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from dagent.agent.loop import Budget, apply_to_tree, find_project, run_edit, run_fix
from dagent.agent.report import RunReport
from dagent.agent.search import RankMode
from dagent.errors import DagentError

out = Console()  # results: the diff and the summary, on stdout
err = Console(stderr=True)  # progress, on stderr


def print_diff(diff: str) -> None:
    """The diff on stdout: highlighted on a terminal, plain when piped (so it can go to `git apply`)."""
    if not diff:
        return
    if out.is_terminal:
        out.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default", word_wrap=False))
    else:
        sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
        sys.stdout.flush()


def _progress(status: Status) -> Callable[[str], None]:
    """A run's events: each a dim line on stderr, the latest also in the status spinner."""

    def say(message: str) -> None:
        err.print(f"[dim]{message}[/]")
        status.update(message.strip())

    return say


def _print_outcome(report: RunReport) -> None:
    print_diff(report.diff)
    colour = "green" if report.fixed else "red"
    err.print(f"[{colour}]{report.status}[/]")
    err.print(report.summary_line())


class _CanvasView:
    """--show-canvas: the current draft of the canvas, redrawn as it settles."""

    def __init__(self) -> None:
        self.live = Live(Panel(Text("")), console=err, refresh_per_second=12, transient=True)

    def __call__(self, label: str, text: str) -> None:
        self.live.update(Panel(Text(text), title=label, border_style="cyan"))


def fix(path: Path, test_expr: str | None, model: str | None, apply: bool, commit: bool, budget: Budget,
        show_canvas: bool, seed: int, rank: RankMode = "grammar") -> int:
    if apply and commit:
        raise DagentError("choose one of --apply and --commit")
    project = path.resolve()
    if not project.is_dir():
        raise DagentError(f"{path} is not a directory: pass the project directory (where its tests run)")
    view = _CanvasView() if show_canvas else None
    with err.status("dagent fix", spinner="dots") as status:
        say = _progress(status)
        if view:
            status.stop()
        proposer_factory = (lambda: _proposer(model, budget.k, view)) if view else None
        rankers = _rankers(model) if rank == "model" else None
        if view:
            with view.live:
                report = run_fix(project, model, budget, test_expr, say, proposer_factory(), seed, rank, rankers)  # type: ignore[misc]
        else:
            report = run_fix(project, model, budget, test_expr, say, None, seed, rank, rankers)
    _print_outcome(report)
    _land(report, project, apply, commit, f"dagent: fix {', '.join(report.failing_before[:3])}")
    return 0 if report.fixed else 1


def _rankers(model: str | None):  # type: ignore[no-untyped-def]
    from dagent.agent.scoring import ranker_factory  # torch loads only when the model ranks

    return ranker_factory(model)


def _land(report: RunReport, project: Path, apply: bool, commit: bool, message: str) -> None:
    if not report.fixed or not report.ops:
        return
    if apply:
        apply_to_tree(report)
        err.print(f"[green]applied to[/] {project}")
    elif commit:
        from dagent.agent.gitops import commit_to_new_branch

        report.branch, report.commit = commit_to_new_branch(project, project, report.ops, message)
        err.print(f"[green]committed[/] {report.commit[:10]} on branch {report.branch} (your checkout is unchanged)")
    else:
        err.print("[dim]nothing was written: --apply writes the change, --commit puts it on a new branch[/]")


def edit(instruction: str, target: str, model: str | None, apply: bool, budget: Budget, seed: int) -> int:
    path_text, _, symbol = target.partition(":") if not Path(target).exists() else (target, "", "")
    path = Path(path_text).resolve()
    if not path.exists():
        raise DagentError(f"{path_text} does not exist: pass a file or a directory, optionally FILE:SYMBOL")
    project = find_project(path)
    with err.status("dagent edit", spinner="dots") as status:
        say = _progress(status)
        report = run_edit(instruction, path, project, symbol or None, model, budget, say, seed)
    _print_outcome(report)
    if apply and report.fixed:
        apply_to_tree(report)
        err.print(f"[green]applied to[/] {project}")
    elif report.fixed:
        err.print("[dim]nothing was written: --apply writes the change[/]")
    return 0 if report.fixed else 1


def ci(path: Path, test_expr: str | None, model: str | None, out_dir: Path, branch: str | None, push: str | None,
       allow_ci_config: bool, budget: Budget, seed: int) -> int:
    from dagent.agent.ci import ci_exit_code, touches_ci_config, write_ci_outputs

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
    from dagent.agent.gitops import commit_to_new_branch, push_branch

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
    from dagent.agent.gitops import undo_last

    err.print(undo_last(path.resolve()))
    return 0


def _proposer(model: str | None, k: int, view):  # type: ignore[no-untyped-def]
    from dagent.agent.proposer import Proposer  # torch loads only when the model is wanted

    return Proposer(model, k=k, on_draft=view)
