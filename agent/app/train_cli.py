"""What `dagent train` does beyond parsing: pick the starting model and report where the result is."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dagent.errors import DagentError


def embedded_model_dir() -> Path:
    import dagent.engine

    return Path(dagent.engine.__file__).parent / "models" / "dagent-tiny"


def run_training(out: Path, steps: int, batch_size: int, lr: float | None, device: str, repo: Path | None,
                 init_from: Path | None, seed: int, console: Console, minutes: float | None = None) -> Path:
    from dagent.engine.train.loop import TrainConfig, train

    if repo is not None:
        if not repo.is_dir():
            raise DagentError(f"--repo {repo} is not a directory")
        init_from = init_from or embedded_model_dir()
    if init_from is not None and not (init_from / "config.json").is_file():
        raise DagentError(f"no model at {init_from} (expected config.json): pass a directory made by `dagent train`")
    if lr is None:
        lr = 3e-4 if init_from is not None else 2e-3
    config = TrainConfig(out_dir=out, steps=steps, batch_size=batch_size, lr=lr, device=device, repo=repo,
                         init_from=init_from, seed=seed, warmup=min(100, max(1, steps // 10)), max_minutes=minutes)
    final = train(config)
    console.print(f"[green]model written to[/] {final}  (use it with --model {final})")
    return final


def print_eval_table(report, console: Console) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    table = Table(title=f"held-out mutation repair: {report.examples} examples, k={report.k}, {report.seconds:.0f} s")
    for column in ("mutation kind", "n", "exact @1", f"exact @{report.k}", f"AST-equal @{report.k}", "valid candidates"):
        table.add_column(column, justify="right" if column != "mutation kind" else "left")
    rows = [*report.per_kind.items(), ("all", report.overall)]
    for kind, score in rows:
        table.add_row(kind, str(score.n), f"{score.top1:.1%}", f"{score.topk:.1%}", f"{score.ast_topk:.1%}", f"{score.valid:.1%}")
    console.print(table)


def run_mutation_eval(model: str | None, examples: int, k: int, seed: int, json_out: Path | None) -> None:
    from rich.progress import Progress

    from dagent.engine.train.evaluate import evaluate_mutations

    console = Console()
    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("evaluating", total=examples)
        report = evaluate_mutations(model, n=examples, k=k, seed=seed,
                                    on_example=lambda done, total: progress.update(task, completed=done, total=total))
    print_eval_table(report, console)
    if json_out is not None:
        json_out.write_text(report.model_dump_json(indent=2))
        console.print(f"report written to {json_out}")


def run_rank_eval(model: str | None, examples: int, seed: int, json_out: Path | None) -> None:
    from rich.progress import Progress
    from rich.table import Table

    from dagent.agent.bench.rank import CUTS, evaluate_ranks

    console = Console()
    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("ranking", total=examples)
        report = evaluate_ranks(model, n=examples, seed=seed,
                                on_example=lambda done, total: progress.update(task, completed=done, total=total))
    table = Table(title=f"repair-search order on {report.examples} held-out mutations (bug line given), {report.seconds:.0f} s")
    for column in ("order", "fix among candidates", *(f"fix @{c}" for c in CUTS), "median position", "candidates"):
        table.add_column(column, justify="left" if column == "order" else "right")
    for r in report.ranks:
        median = "-" if r.median_position is None else f"{r.median_position:g}"
        table.add_row(r.rank, str(r.fix_among), *(str(r.within[c]) for c in CUTS), median, f"{r.mean_candidates:g}")
    console.print(table)
    if json_out is not None:
        json_out.write_text(report.model_dump_json(indent=2))
        console.print(f"report written to {json_out}")
