"""What `dagent train` does beyond parsing: pick the starting model and report where the result is."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dagent.errors import DagentError


def embedded_model_dir() -> Path:
    import dagent.engine

    return Path(dagent.engine.__file__).parent / "models" / "dagent-tiny"


def run_training(out: Path, steps: int, batch_size: int, lr: float, device: str, repo: Path | None,
                 init_from: Path | None, seed: int, console: Console) -> Path:
    from dagent.engine.train.loop import TrainConfig, train

    if repo is not None:
        if not repo.is_dir():
            raise DagentError(f"--repo {repo} is not a directory")
        init_from = init_from or embedded_model_dir()
    if init_from is not None and not (init_from / "config.json").is_file():
        raise DagentError(f"no model at {init_from} (expected config.json): pass a directory made by `dagent train`")
    config = TrainConfig(out_dir=out, steps=steps, batch_size=batch_size, lr=lr, device=device, repo=repo,
                         init_from=init_from, seed=seed, warmup=min(100, max(1, steps // 10)))
    final = train(config)
    console.print(f"[green]model written to[/] {final}  (use it with --model {final})")
    return final
