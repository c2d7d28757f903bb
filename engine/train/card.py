"""The model card of a trained model: data, split, steps, wall time, the loss curve as a PNG, and
the held-out scores that `dagent eval mutations` measured."""

from __future__ import annotations

import json
from pathlib import Path

from dagent.engine.train.data import corpus_modules, split_modules

SPLIT_FILE = "heldout_modules.txt"


def read_log(log_file: Path) -> list[dict]:
    return [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]


def plot_loss(rows: list[dict], png: Path, window: int = 50) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=110)
    for key, label in (("diffusion", "canvas (diffusion) loss"), ("ar", "encoder AR loss")):
        values = [r[key] for r in rows]
        smooth = [sum(values[max(0, i - window + 1): i + 1]) / len(values[max(0, i - window + 1): i + 1]) for i in range(len(values))]
        ax.plot(steps, values, alpha=0.2)
        ax.plot(steps, smooth, label=f"{label} ({window}-step mean)")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats)")
    ax.set_title("dagent-tiny training loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)


def _table(scores: dict) -> str:
    k = scores.get("k", "k")
    lines = [f"| mutation kind | examples | exact fix @1 | exact fix @{k} | AST-equivalent @{k} | valid candidates |",
             "|---|---|---|---|---|---|"]
    rows = [*sorted(scores["per_kind"].items()), ("**all**", scores["overall"])]
    for kind, row in rows:
        lines.append(f"| {kind} | {row['n']} | {row['top1']:.1%} | {row['topk']:.1%} | {row['ast_topk']:.1%} | {row['valid']:.1%} |")
    return "\n".join(lines)


def write_card(model_dir: Path, run_dir: Path, scores: dict | None, command: str) -> Path:
    """Write README.md, loss.png and the held-out module list into `model_dir`."""
    rows = read_log(run_dir / "train_log.jsonl")
    plot_loss(rows, model_dir / "loss.png")
    config = json.loads((run_dir / "train_config.json").read_text())
    modules = corpus_modules()
    heldout = split_modules(modules, "heldout")
    (model_dir / SPLIT_FILE).write_text("".join(m.name + "\n" for m in heldout))
    last = rows[-50:]
    mean = {k: sum(r[k] for r in last) / len(last) for k in ("diffusion", "ar")}
    params = json.loads((model_dir / "config.json").read_text())["text_config"]
    scores_text = _table(scores) if scores else "not measured yet"
    card = f"""# dagent-tiny

The embedded model of dagent: transformers' own `DiffusionGemmaForBlockDiffusion` at a tiny size
(hidden {params['hidden_size']}, {params['num_hidden_layers']} layers, {params['num_experts']} experts top-1,
vocab {params['vocab_size']}, canvas {config['canvas_length']} tokens, context {config['context_length']} tokens),
trained from scratch on 2 CPU cores by `dagent train`. Stored in bfloat16.

## Data
Real Python that nobody on the project wrote: the interpreter's standard library and the pure-Python
packages dagent depends on ({len(modules)} modules). Modules are split by a hash of their dotted name:
{len(modules) - len(heldout)} train, {len(heldout)} held out (listed in `{SPLIT_FILE}`). Repair examples come
from mutations of real functions (operators, comparisons, off-by-one constants and slices, swapped names
or arguments, wrong attributes, a missing or extra line, a dropped `return`, wrong booleans), each with the
op stream that restores the original, in the planner's context format; edit examples from libcst-style
codemod ops with templated instructions (rename, make static, add a parameter, add an import).

## Training
DiffusionGemma's recipe: corruption t ~ U(0.001, 1) with uniform-random tokens, cross-entropy on the canvas,
an autoregressive loss on the encoder (weight 1), two-pass self-conditioning with p = 0.5; the planner's
skeleton (op header, old line, `@@with`) is pinned in {1 - config['free_canvas_p']:.0%} of examples.
AdamW (lr {config['lr']}, warm-up {config['warmup']}, cosine), batch {config['batch_size']}, {rows[-1]['step']} steps,
{rows[-1]['seconds'] / 60:.0f} minutes wall time. Mean loss over the last 50 steps: canvas {mean['diffusion']:.3f},
encoder AR {mean['ar']:.3f}.

![loss](loss.png)

## Held-out scores
Held-out modules only; the planner's skeleton for the true location is given (oracle localisation),
a replace starts from the old line as its draft (as in `dagent fix`), k candidates are sampled in one
batch and ranked by the model's own score; "valid" is the share of candidates that parse and apply. "AST-equivalent" counts a
candidate whose result parses to the same AST as the original. Reproduce with:

    {command}

{scores_text}

## Limits
A model this small copies the old line and changes a token or two: it fixes single-token bugs when the
planner points it at the right line, and little else. Candidates are validated by your tests, never trusted.
"""
    (model_dir / "README.md").write_text(card)
    return model_dir / "README.md"
