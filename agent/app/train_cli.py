"""What `dagent train` does beyond parsing: pick the starting model and report where the result is."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dagent.errors import DagentError


def embedded_model_dir() -> Path:
    import dagent.engine

    return Path(dagent.engine.__file__).parent / "models" / "dagent-tiny"


def run_training(out: Path, steps: int, batch_size: int, lr: float | None, device: str, repo: Path | None,
                 init_from: Path | None, seed: int, console: Console, minutes: float | None = None,
                 rank_weight: float = 0.0, span_share: float = 0.0, threads: int | None = None) -> Path:
    from dagent.agent.rank_examples import rank_stream
    from dagent.engine.train.loop import TrainConfig, train, training_modules

    if repo is not None:
        if not repo.is_dir():
            raise DagentError(f"--repo {repo} is not a directory")
        init_from = init_from or embedded_model_dir()
    if init_from is not None and not (init_from / "config.json").is_file():
        raise DagentError(f"no model at {init_from} (expected config.json): pass a directory made by `dagent train`")
    if lr is None:
        lr = 3e-4 if init_from is not None else 2e-3
    config = TrainConfig(out_dir=out, steps=steps, batch_size=batch_size, lr=lr, device=device, repo=repo,
                         init_from=init_from, seed=seed, warmup=min(100, max(1, steps // 10)), max_minutes=minutes,
                         rank_weight=rank_weight, span_p=span_share, threads=threads)
    modules = training_modules(config)
    final = train(config, rank_source=lambda tokenizer, at: rank_stream(modules, tokenizer, config.context_length, at))
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


def run_rank_eval(model: str | None, examples: int, seed: int, json_out: Path | None, tasks: Path | None = None) -> None:
    from rich.progress import Progress

    from dagent.agent.bench.rank import evaluate_ranks

    console = Console()
    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("ranking", total=examples)
        report = evaluate_ranks(model, n=examples, seed=seed, tasks=tasks,
                                on_example=lambda done, total: progress.update(task, completed=done, total=total))
    console.print(rank_table(report))
    console.print(f"the bug line inside the model's context window: {report.line_in_context}/{report.examples}; "
                  f"{report.mean_candidates:g} candidates per bug on average; scoring's matmuls in {report.score_precision}",
                  style="dim")
    if json_out is not None:
        json_out.write_text(report.model_dump_json(indent=2))
        console.print(f"report written to {json_out}")


def rank_table(report):  # type: ignore[no-untyped-def]
    """Per mutation kind, per order: the fix within the top 1/5/20, and the mean reciprocal rank."""
    from rich.table import Table

    from dagent.agent.bench.rank import CUTS, ORDERS

    table = Table(title=f"the fix's rank among the grammar's candidates at the bug line: {report.source}, "
                        f"{report.examples} bugs, {report.seconds:.0f} s")
    table.add_column("kind")
    table.add_column("n", justify="right")
    for name in ORDERS:
        table.add_column(f"{name}\ntop{'/'.join(map(str, CUTS))} · MRR", justify="right")
    kinds = list(dict.fromkeys(r.kind for r in report.rows))
    for kind in kinds:
        rows = [report.row(name, kind) for name in ORDERS]
        table.add_row(kind, str(rows[0].examples),
                      *(f"{'/'.join(str(r.within[c]) for c in CUTS)} · {r.mrr:.2f}" for r in rows))
    return table
