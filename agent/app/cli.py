"""dagent's command line: it only parses arguments and delegates to the library.

Every command's --help has examples. Exit codes: 0 success (or fixed), 1 not fixed / checks failed,
2 usage or environment error (any DagentError).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from dagent.agent.budget import DEFAULT_BUDGET_S, PER_TEST_TIMEOUT_S, TEST_RUN_TIMEOUT_S
from dagent.errors import DagentError

app = typer.Typer(
    name="dagent",
    help="dagent: a text-diffusion model writes edits; a git sandbox validates them against your tests.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
ops_app = typer.Typer(help="Read, check and apply edit-op streams.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks: speed and quality, measured side by side.", no_args_is_help=True)
eval_app = typer.Typer(help="Quality evaluations of the model.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)
_STARTED = time.perf_counter()  # a --budget counts from here: the user's wall clock, imports included


_PYTHON_HELP = ("The Python that runs your tests (default: $VIRTUAL_ENV, else a .venv/venv in the project or "
                "the repo root, else dagent's own); it needs pytest and coverage.")
_JSON_HELP = ("Print the whole report as one JSON document on stdout and nothing else there "
              "(schema: docs/report.schema.json, fields: docs/report-json.md); progress stays on stderr.")
_QUIET_HELP = "Print the result alone: the diff and the verdict, no progress."
_VERBOSE_HELP = "Also list every candidate with its verdict, and every suspect line."
_ISOLATE_HELP = ("Run the tests under bubblewrap (bwrap): your repo and home read-only, only the sandbox and the "
                 "temp dir writable, so a test writing through an absolute path cannot reach your files.")


def _seconds(value: float) -> float:
    """A duration option: a finite number of seconds above zero (nan, inf and 0 are refused)."""
    if not math.isfinite(value) or value <= 0:
        raise typer.BadParameter(f"must be a finite number of seconds above 0, not {value}")
    return value


# ---------------------------------------------------------------- ops
# (commands are added below by area: ops, sandbox, engine, train, agent)


def _read_stream(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise typer.BadParameter(f"cannot read {file}: {err}", param_hint="FILE") from None


def _print_diff(diff: str) -> None:
    from dagent.agent.app.commands import print_diff  # the one home of how a diff is shown

    print_diff(diff)


_STREAM_ARG = typer.Argument(..., help="An op stream, a unified diff or SEARCH/REPLACE blocks ('-': stdin).")
_REPO_OPT = typer.Option(Path("."), "--repo", "-C", help="The repo the paths are relative to.", exists=True, file_okay=False)


@ops_app.command("apply")
def ops_apply(
    file: str = _STREAM_ARG,
    repo: Path = _REPO_OPT,
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Print the diff; write nothing."),
) -> None:
    """Apply an edit stream to a repo, all or nothing, and print the unified diff.

    The file may hold dagent ops, a unified diff (`git diff`) or SEARCH/REPLACE blocks.
    If any op fails (a missing anchor, a refused path), no file changes.

    Examples:

        dagent ops apply fix.ops --dry-run
        dagent ops apply patch.diff --repo ../project
        git diff | dagent ops apply - -C /tmp/copy
    """
    from dagent.ops.apply import apply_ops, plan_ops
    from dagent.ops.formats import load_ops

    ops = load_ops(_read_stream(file), repo)
    result = plan_ops(repo, ops) if dry_run else apply_ops(repo, ops)
    _print_diff(result.unified_diff())
    verdict = "dry run, nothing written" if dry_run else "applied"
    console.print(f"[bold]{verdict}[/]: {len(ops)} op(s); {result.summary()}")
    for note in result.notes:  # files a structural op had to skip (too deeply nested for libcst)
        console.print(f"[yellow]note:[/] {note}", highlight=False)


@ops_app.command("check")
def ops_check(file: str = _STREAM_ARG, repo: Path = _REPO_OPT) -> None:
    """Check that an edit stream parses and applies cleanly; writes nothing.

    Exit 0 when it is valid; exit 1 with every problem listed (unparsable stream, refused path,
    anchor not found or ambiguous, a Python file left with a syntax error).

    Examples:

        dagent ops check fix.ops
        dagent ops check patch.diff --repo ../project
    """
    from dagent.ops.check import check_text

    problems = check_text(repo, _read_stream(file))
    for problem in problems:
        typer.echo(f"- {problem}")
    if problems:
        console.print(f"[red]{len(problems)} problem(s)[/]")
        raise typer.Exit(1)
    typer.echo("ok: the stream applies cleanly")


@ops_app.command("grammar")
def ops_grammar() -> None:
    """Print the grammar (EBNF) of the op language; see docs/ops.md for the full reference.

    Example:

        dagent ops grammar
    """
    from dagent.ops.syntax import GRAMMAR

    typer.echo(GRAMMAR, nl=False)


# ---------------------------------------------------------------- sandbox

_OUTCOME_STYLE = {"passed": "green", "failed": "red", "error": "bold red", "skipped": "yellow"}


@app.command("test")
def test_command(
    repo: Path = typer.Option(Path("."), "--repo", help="A directory inside the git repo; pytest runs there."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds before the whole run is killed.", callback=_seconds),
    keyword: Optional[str] = typer.Option(None, "-k", help="Only tests matching this pytest -k expression."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="List only the tests that did not pass."),
    isolate: bool = typer.Option(False, "--isolate", help=_ISOLATE_HELP),
    python: Optional[str] = typer.Option(None, "--python", help=_PYTHON_HELP),
    json_out: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Run the test suite in a sandbox: a repository of its own holding your tree as it is now (uncommitted and
    untracked files included). Your files, index and stash are never touched.

    Prints each test's outcome and a summary line; exits 0 when all passed, 1 otherwise.

    Example: `dagent test --repo ~/src/proj -k parser --timeout 120`
    """
    from dagent.sandbox import Sandbox

    with Sandbox(repo, isolate=isolate, python=python) as sandbox:
        interpreter = sandbox.interpreter.describe()
        console.print(interpreter, highlight=False)
        run = sandbox.run_tests(timeout_s=timeout, extra_args=["-k", keyword] if keyword else [])
    if json_out:
        from dagent.agent.app.commands import print_json
        from dagent.agent.report import TestReport

        print_json(TestReport.from_run(run, str(repo.resolve()), interpreter))
    else:
        _print_test_run(run, quiet, timeout)
    raise typer.Exit(0 if run.ok else 1)


def _print_test_run(run: TestRun, quiet: bool, timeout: float) -> None:  # noqa: F821
    from rich.table import Table
    from rich.text import Text

    out = Console(soft_wrap=False)
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("outcome", no_wrap=True)
    table.add_column("test", overflow="fold")
    table.add_column("message", overflow="fold")
    for o in run.outcomes:
        if not (quiet and o.outcome == "passed"):
            table.add_row(Text(o.outcome, style=_OUTCOME_STYLE[o.outcome]), Text(o.test_id), Text(o.message))
    if table.rows:
        out.print(table)
    for error in run.collection_errors:
        out.print(Text("collection error: ", style="bold red") + Text(error))
    if run.timed_out:
        out.print(Text(f"timed out after {timeout:g}s: the run and its child processes were killed", style="yellow"))
    out.print(Text(run.summary(), style="green" if run.ok else "red"))


@app.command("clean")
def clean_command(
    repo: Path = typer.Option(Path("."), "--repo", help="A directory inside the git repo."),
) -> None:
    """Remove sandboxes (git worktrees in `dagent-sandbox-*` temp dirs) that a killed dagent left
    behind. Sandboxes of dagent processes still running are kept.

    Example: `dagent clean --repo ~/src/proj`
    """
    from dagent.sandbox import clean_leftovers

    out = Console()
    removed = clean_leftovers(repo)
    for path in removed:
        out.print(f"removed {path}", highlight=False)
    out.print(f"{len(removed)} leftover sandbox(es) removed" if removed else "nothing to clean")


# ---------------------------------------------------------------- engine


@bench_app.command("engine")
def bench_engine_command(
    model: Optional[str] = typer.Option(None, "--model", help="Model directory or downloaded HF id (default: the embedded dagent-tiny)."),
    examples: int = typer.Option(20, "--examples", help="How many held-out examples."),
    k: int = typer.Option(1, "--k", help="Candidates per example, denoised in one batch."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the figures to this JSON file."),
    steps: int = typer.Option(48, "--steps", help="Denoising step budget per canvas."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:1 ..."),
    dtype: str = typer.Option("auto", "--dtype", help="auto, bf16, fp16 or fp32."),
    examples_file: Optional[Path] = typer.Option(None, "--examples-file", help="JSONL of {context, pinned_prefix, target} instead of the held-out split."),
    confidence: Optional[float] = typer.Option(None, "--confidence", help="The confidence rule's threshold on the model's untempered probability (default: the sampler's, 0.3)."),
    entropy_bound: Optional[float] = typer.Option(None, "--entropy-bound", help="The entropy rule's bound in nats (default: the sampler's, 0.1)."),
    free_window: Optional[int] = typer.Option(None, "--free-window", help="The confidence rule's window on free canvases, in columns from a row's first undecided position (default: the sampler's, 6; 0: none)."),
    fixed_canvas: bool = typer.Option(False, "--fixed-canvas", help="Never grow a canvas past the trained length (long lines then get cut off)."),
    score_precision: str = typer.Option("auto", "--score-precision", help="Scoring's matmuls: auto (bf16 where the CPU has bf16 instructions, as dagent fix scores), bf16 or fp32."),
) -> None:
    """Decoding speed and quality side by side on one checkpoint: dagent's sampler (entropy and
    confidence rules), transformers' `generate()` and one-token-per-forward decoding.

    Examples:

        dagent bench engine --examples 20 --json engine.json

        dagent bench engine --model ~/models/diffusiongemma --device cuda --k 4
    """
    from dagent.agent.bench.engine import BenchSettings, bench_engine

    rules: dict[str, float | int | None] = {
        name: value for name, value in (("confidence", confidence), ("entropy_bound", entropy_bound)) if value is not None}
    if free_window is not None:
        rules["free_window"] = free_window or None
    settings = BenchSettings(k=k, steps=steps, seed=seed, fixed_canvas=fixed_canvas, **rules)  # type: ignore[arg-type]
    bench_engine(model, examples, settings, json_out, examples_file,
                 device=device, dtype=dtype, score_precision=score_precision, console=Console())


# ---------------------------------------------------------------- agent

_MODEL_HELP = "Model directory or downloaded Hugging Face id (default: the embedded dagent-tiny)."


def _budget(max_rounds: int, k: int, targets: int, budget: float, timeout: float,  # type: ignore[no-untyped-def]
            per_test_timeout: float | None = None, isolated_tests: bool = False, lanes: int | None = None,
            isolate: bool = False, python: str | None = None):
    from dagent.agent.budget import Budget

    extra: dict[str, object] = {"isolated_tests": isolated_tests, "lanes": lanes, "isolate": isolate, "python": python,
                                "started_at": _STARTED}
    if per_test_timeout is not None:
        extra["per_test_timeout_s"] = per_test_timeout
    return Budget(max_rounds=max_rounds, k=k, max_targets=targets, time_s=budget, test_timeout_s=timeout, **extra)


@app.command("fix")
def fix_command(
    path: Path = typer.Argument(Path("."), help="The project directory (where its tests run), inside a git repo."),
    test_expr: Optional[str] = typer.Option(None, "-k", help="Only the tests matching this pytest -k expression."),
    model: Optional[str] = typer.Option(None, help=_MODEL_HELP),
    apply: bool = typer.Option(False, "--apply", help="Write the fix into your working tree."),
    commit: bool = typer.Option(False, "--commit", help="Commit the fix on a new branch dagent/fix-... (your checkout is unchanged)."),
    max_rounds: int = typer.Option(3, help="Rounds of propose-and-validate."),
    k: int = typer.Option(4, "-n", "--candidates", help="Model candidates per edit skeleton, denoised in one batch."),
    targets: int = typer.Option(6, help="Suspect lines to write edits for in the first round."),
    budget: float = typer.Option(DEFAULT_BUDGET_S["fix"], help="Wall-time budget in seconds for the whole run.", callback=_seconds),
    timeout: float = typer.Option(TEST_RUN_TIMEOUT_S, help="Timeout of one test run, in seconds.", callback=_seconds),
    per_test_timeout: float = typer.Option(PER_TEST_TIMEOUT_S, "--per-test-timeout", help="A test still running after this many seconds in the first run is hung: a failing test, with its stack.", callback=_seconds),
    rank: str = typer.Option("grammar", "--rank", help="The repair search's order: grammar (family priors), model (+ the model's score and hole fillings) or random."),
    isolated_tests: bool = typer.Option(False, "--isolated-tests", help="Run every candidate's tests in a fresh interpreter instead of a fork of a warm pytest worker."),
    lanes: Optional[int] = typer.Option(None, "--lanes", min=1, help="Candidates validated at once, each in its own sandbox (default: one per core, up to 2)."),
    isolate: bool = typer.Option(False, "--isolate", help=_ISOLATE_HELP),
    python: Optional[str] = typer.Option(None, "--python", help=_PYTHON_HELP),
    show_canvas: bool = typer.Option(False, "--show-canvas", help="Show the canvas settling, live (on a terminal)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=_QUIET_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=_VERBOSE_HELP),
    json_out: bool = typer.Option(False, "--json", help=_JSON_HELP),
    seed: int = typer.Option(0, help="Sampler seed."),
) -> None:
    """Fix failing tests: localise, let the diffusion model write candidate edits, keep the one that turns the suite green.

    Exit code 0 fixed, 1 not fixed, 2 usage or environment error. Without --apply or --commit
    nothing outside a temporary sandbox is written.

    Examples:

        dagent fix examples/buggy_stats

        dagent fix . -k test_parser --apply

        dagent fix --commit --max-rounds 5 --budget 300

        dagent fix . --json > report.json
    """
    from dagent.agent.app.commands import fix

    raise typer.Exit(fix(path, test_expr, model, apply, commit, _budget(max_rounds, k, targets, budget, timeout, per_test_timeout, isolated_tests, lanes, isolate, python),
                         show_canvas, seed, _rank(rank), _output(quiet, verbose, json_out, show_canvas)))


def _output(quiet: bool, verbose: bool, json_out: bool, show_canvas: bool = False):  # type: ignore[no-untyped-def]
    from dagent.agent.app.commands import Output

    if quiet and verbose:
        raise typer.BadParameter("choose one of -q and -v")
    return Output("quiet" if quiet else "verbose" if verbose else "normal", json_out, show_canvas)


@app.command("edit")
def edit_command(
    instruction: str = typer.Argument(..., help='What to do, e.g. "rename load to read", "make parse_config static".'),
    target: str = typer.Argument(..., help="FILE or FILE:SYMBOL the edit is about."),
    model: Optional[str] = typer.Option(None, help=_MODEL_HELP),
    apply: bool = typer.Option(False, "--apply", help="Write the edit into your working tree."),
    k: int = typer.Option(8, "-n", "--candidates", help="Model candidates when no structural op fits."),
    budget: float = typer.Option(DEFAULT_BUDGET_S["edit"], help="Wall-time budget in seconds.", callback=_seconds),
    timeout: float = typer.Option(TEST_RUN_TIMEOUT_S, help="Timeout of one test run, in seconds.", callback=_seconds),
    isolate: bool = typer.Option(False, "--isolate", help=_ISOLATE_HELP),
    python: Optional[str] = typer.Option(None, "--python", help=_PYTHON_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=_QUIET_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=_VERBOSE_HELP),
    json_out: bool = typer.Option(False, "--json", help=_JSON_HELP),
    seed: int = typer.Option(0, help="Sampler seed."),
) -> None:
    """A targeted edit, validated by your tests (tests that passed must still pass), shown as a diff.

    Renames, make-static, add-a-parameter and add-an-import run as structural libcst ops; the model
    writes other edits.

    Examples:

        dagent edit "rename load to read" src/store.py

        dagent edit "make parse_config static" src/config.py:Config.parse_config --apply

        dagent edit "add a timeout parameter to fetch (default 5)" src/net.py
    """
    from dagent.agent.app.commands import edit

    raise typer.Exit(edit(instruction, target, model, apply, _budget(1, k, 1, budget, timeout, isolate=isolate, python=python), seed,
                          _output(quiet, verbose, json_out)))


@app.command("ci")
def ci_command(
    path: Path = typer.Argument(Path("."), help="The project directory, inside a git repo."),
    test_expr: Optional[str] = typer.Option(None, "-k", help="Only the tests matching this pytest -k expression."),
    model: Optional[str] = typer.Option(None, help=_MODEL_HELP),
    out: Path = typer.Option(Path("dagent-out"), help="Where dagent.patch, dagent-summary.md and dagent-report.json go."),
    branch: Optional[str] = typer.Option(None, help="Commit the fix on this new branch."),
    push: Optional[str] = typer.Option(None, help="Push the branch to this remote (implies a commit)."),
    allow_ci_config: bool = typer.Option(False, "--allow-ci-config", help="Allow fixes that touch CI configuration (.github/ ...)."),
    max_rounds: int = typer.Option(3, help="Rounds of propose-and-validate."),
    k: int = typer.Option(4, "-n", "--candidates", help="Model candidates per edit skeleton."),
    budget: float = typer.Option(DEFAULT_BUDGET_S["ci"], help="Wall-time budget in seconds.", callback=_seconds),
    timeout: float = typer.Option(TEST_RUN_TIMEOUT_S, help="Timeout of one test run, in seconds.", callback=_seconds),
    isolate: Optional[bool] = typer.Option(None, "--isolate/--no-isolate", help=_ISOLATE_HELP + " Default: on where bwrap is installed."),
    python: Optional[str] = typer.Option(None, "--python", help=_PYTHON_HELP),
    seed: int = typer.Option(0, help="Sampler seed."),
) -> None:
    """`dagent fix` for CI: no prompts, a patch, a Markdown summary for a PR comment, a JSON report.

    Exit code 0 fixed, 1 not fixed, 2 usage or environment error.

    Examples:

        dagent ci . --out dagent-out

        dagent ci . --branch dagent/ci-fix --push origin
    """
    from dagent.agent.app.commands import ci

    raise typer.Exit(ci(path, test_expr, model, out, branch, push, allow_ci_config,
                        _budget(max_rounds, k, 6, budget, timeout, isolate=_ci_isolation(isolate), python=python), seed))


def _ci_isolation(asked: bool | None) -> bool:
    from dagent.sandbox.isolation import bwrap_path

    return asked if asked is not None else bwrap_path() is not None


@app.command("undo")
def undo_command(
    path: Path = typer.Argument(Path("."), help="A directory inside the git repo."),
) -> None:
    """Revert the last commit dagent made, if it is not pushed (only dagent's own commits).

    Example:

        dagent undo
    """
    from dagent.agent.app.commands import undo

    raise typer.Exit(undo(path))


def _rank(value: str):  # type: ignore[no-untyped-def]
    if value not in ("grammar", "model", "random"):
        raise typer.BadParameter(f"--rank is grammar, model or random, not {value!r}")
    return value


@bench_app.command("fix")
def bench_fix_command(
    tasks: Path = typer.Argument(..., help="A task set (e.g. examples/tasks) or one task folder."),
    model: Optional[str] = typer.Option(None, "--model", help=_MODEL_HELP),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Tasks run at once, each in its own process (1 torch thread each)."),
    budget: float = typer.Option(DEFAULT_BUDGET_S["bench"], "--budget", help="Wall-time budget of one task, in seconds.", callback=_seconds),
    k: int = typer.Option(4, "--k", min=1, help="Model candidates per edit skeleton."),
    max_rounds: int = typer.Option(3, "--max-rounds", min=1, help="Rounds of propose-and-validate per task."),
    targets: int = typer.Option(6, "--targets", min=1, help="Suspect lines to write edits for in the first round."),
    timeout: float = typer.Option(60.0, "--timeout", help="Timeout of one test run, in seconds.", callback=_seconds),
    out: Path = typer.Option(Path("runs/bench-fix"), "--out", help="Where bench-fix.json, bench-fix.md and bench-fix.png go."),
    only: Optional[str] = typer.Option(None, "--only", help="Only the tasks whose name contains this."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many tasks (after --only)."),
    seed: int = typer.Option(0, "--seed", help="Sampler seed."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="Torch threads per task (default: torch's choice with --jobs 1, else 1 per worker)."),
    rank: str = typer.Option("grammar", "--rank", help="The repair search's order: grammar (family priors), model (+ the model's score) or random."),
    model_rewrites: bool = typer.Option(True, "--model-rewrites/--no-model-rewrites", help="After the grammar, let the model rewrite whole lines."),
    lanes: Optional[int] = typer.Option(None, "--lanes", min=1, help="Candidates validated at once per task (default: the cores left per job, up to 2)."),
) -> None:
    """Run `dagent fix` (`dagent edit` for edit tasks) on every task, each in a fresh temporary repo:
    fixed or not, whether the listed failing tests pass, wall time, rounds, candidates, model and test time.

    Writes bench-fix.json, bench-fix.md and bench-fix.png into --out; prints a table and the summary.
    A task whose run fails is recorded as not fixed, with its error.

    Examples:

        dagent bench fix examples/tasks

        dagent bench fix examples/tasks --jobs 2 --budget 60 --out runs/bench-fix

        dagent bench fix examples/tasks --only rename --model runs/tiny/final --k 8
    """
    from dagent.agent.bench.fix import FixBenchSettings, TaskResult, bench_fix, print_report, write_outputs

    settings = FixBenchSettings(model=model, jobs=jobs, budget_s=budget, k=k, max_rounds=max_rounds,
                                max_targets=targets, test_timeout_s=timeout, seed=seed, threads=threads,
                                rank=_rank(rank), model_rewrites=model_rewrites, lanes=lanes)

    def progress(result: TaskResult, done: int, total: int) -> None:
        verdict = "[green]fixed[/]" if result.fixed else "[red]not fixed[/]"
        console.print(f"[{done}/{total}] {result.name}: {verdict} in {result.wall_s:.1f}s", highlight=False)

    report = bench_fix(tasks, settings, only=only, limit=limit, progress=progress)
    paths = write_outputs(report, out)
    print_report(report, Console() if sys.stdout.isatty() else Console(width=160))
    console.print("wrote " + ", ".join(str(p) for p in paths.values()), highlight=False)


# ---------------------------------------------------------------- train


@app.command("train")
def train_command(
    out: Path = typer.Option(Path("runs/dagent-tiny"), "--out", help="Where checkpoints, logs and the final model go."),
    steps: int = typer.Option(2800, help="Optimizer steps."),
    batch_size: int = typer.Option(16, help="Examples per step."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate (default 2e-3 from scratch, 3e-4 fine-tuning)."),
    minutes: Optional[float] = typer.Option(None, help="Wall-time budget: the schedule decays over whichever of --steps and --minutes ends first."),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:1 ..."),
    repo: Optional[Path] = typer.Option(None, help="Fine-tune the shipped model on this repository's own code."),
    init_from: Optional[Path] = typer.Option(None, help="Start from this model directory instead of from scratch."),
    seed: int = typer.Option(0, help="Seed for data and initialisation."),
    rank_weight: float = typer.Option(1.0, help="Weight of the listwise ranking loss over the repair grammar's candidates (0: off)."),
    span_share: float = typer.Option(0.3, help="Share of examples corrupted at one short span (1-8 tokens) instead of throughout."),
    threads: Optional[int] = typer.Option(None, help="CPU threads for torch (default: torch's own choice)."),
) -> None:
    """Train dagent-tiny from scratch (stdlib + installed packages), or fine-tune it on a repository.

    Re-running with the same --out resumes from its last checkpoint.

    Examples:

        dagent train --out runs/tiny --steps 2800

        dagent train --repo ~/src/myproject --steps 300 --out runs/myproject
    """
    from dagent.agent.app.train_cli import run_training

    run_training(out=out, steps=steps, batch_size=batch_size, lr=lr, device=device, repo=repo,
                 init_from=init_from, seed=seed, minutes=minutes, console=console, rank_weight=rank_weight,
                 span_share=span_share, threads=threads)


@eval_app.command("mutations")
def eval_mutations_command(
    model: Optional[str] = typer.Option(None, help="Model directory or downloaded HF id (default: the embedded dagent-tiny)."),
    examples: int = typer.Option(200, "--examples", "-n", help="Held-out repair examples to score."),
    k: int = typer.Option(8, "-k", help="Candidates per example, denoised in one batch."),
    seed: int = typer.Option(0, help="Seed for the examples and the sampler."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the report as JSON here."),
    rank: bool = typer.Option(False, "--rank", help="Instead: where each order (grammar, n-gram, model, model+grammar, random) puts the fix among the grammar's candidates, per mutation kind."),
    tasks: Optional[Path] = typer.Option(None, "--tasks", help="With --rank: the single-line bugs of this task set instead of held-out mutations."),
) -> None:
    """Held-out mutation repair: the share of mutations fixed at top-1 and within k, per mutation kind.
    With --rank: the position of the fix among the repair search's candidates under each order.

    Examples:

        dagent eval mutations

        dagent eval mutations --model runs/tiny/final -n 500 -k 8 --json eval.json

        dagent eval mutations --rank -n 100
    """
    from dagent.agent.app.train_cli import run_mutation_eval, run_rank_eval

    if rank:
        run_rank_eval(model=model, examples=examples, seed=seed, json_out=json_out, tasks=tasks)
    else:
        run_mutation_eval(model=model, examples=examples, k=k, seed=seed, json_out=json_out)


def _interrupted(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt (Ctrl-C, or SIGTERM/SIGHUP turned into one) is behind `exc`:
    typer turns it into a silent exit 130."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def main() -> None:
    try:
        app()
    except DagentError as err:
        console.print(f"[bold red]error:[/] {err}")
        sys.exit(2)
    except (KeyboardInterrupt, SystemExit) as exc:
        if not _interrupted(exc):
            raise
        console.print("[yellow]interrupted[/]: stopped; sandboxes and test processes were cleaned up, your tree is untouched")
        sys.exit(130)


if __name__ == "__main__":
    main()
