"""The model card of a trained model: data, split, steps, wall time, the loss curve as a PNG, the
held-out scores that `dagent eval mutations` measured, and the lineage: every training run the shipped
weights went through, oldest first (`lineage.json`, carried over when a run continues from them)."""

from __future__ import annotations

import json
from pathlib import Path

from dagent.engine.train.data import corpus_modules, split_modules
from dagent.engine.train.lineage import LINEAGE_FILE, describe, lineage_of_run, model_name

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


RANK_ORDERS = ("grammar", "ngram", "model", "model+grammar", "random")


def rank_table(report: dict) -> str:
    """A ranking report (`dagent eval mutations --rank --json`) as markdown: per kind with 10 or more
    bugs (and all), per order, the fix within the top 1/5/20 and the mean reciprocal rank."""
    rows = {(r["order"], r["kind"]): r for r in report["rows"]}
    kinds = [k for k in dict.fromkeys(r["kind"] for r in report["rows"]) if k == "all" or rows[("grammar", k)]["examples"] >= 10]
    head = "| kind | n | " + " | ".join(f"{o}: top1 / top5 / top20 · MRR" for o in RANK_ORDERS) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(RANK_ORDERS)]
    for kind in kinds:
        cells = []
        for order in RANK_ORDERS:
            r = rows[(order, kind)]
            w = {str(key): value for key, value in r["within"].items()}
            cells.append(f"{w['1']} / {w['5']} / {w['20']} · {r['mrr']:.2f}")
        lines.append(f"| {'**all**' if kind == 'all' else kind} | {rows[('grammar', kind)]['examples']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rank_section(reports: list[tuple[dict, str]]) -> str:
    if not reports:
        return ""
    parts = ["## Ranking the repair grammar's candidates\n",
             "Where each order puts the fix among the grammar's candidates at the bug line (the line given): the",
             "grammar's own prior order, a token 4-gram model of the same training modules (the cheap baseline),",
             "the model's score alone, the score added to the prior (what `dagent fix --rank model` uses), and a",
             "shuffle. Kinds with fewer than 10 bugs are only in **all**.\n"]
    for report, command in reports:
        parts += [f"{report['source']}: {report['examples']} bugs, {report['mean_candidates']:g} candidates per bug on "
                  f"average, the bug line inside the model's context window for {report['line_in_context']} of them. "
                  f"Reproduce: `{command}`\n", rank_table(report), ""]
    return "\n".join(parts) + "\n"


def _origin(config: dict) -> str:
    return f", continued from {Path(config['init_from']).name}" if config.get("init_from") else ""


def _recipe(config: dict) -> str:
    """The ranking and infill objectives, when the run used them."""
    parts = []
    if config.get("rank_weight"):
        parts.append(
            f"\n\nThe score the repair search asks for is trained directly (weight {config['rank_weight']:g},"
            f" {config.get('rank_batch', 0)} lists a step): for a mutated line of a training module, the repair grammar's own"
            " candidates at that line (the fix, the grammar's likeliest others and a random draw of the rest, 8 in all),"
            " each scored as the engine scores it (its changed tokens corrupted, mean log-probability of the true tokens"
            " there, minus the same for the buggy line; a candidate and the buggy line that differ inside a span of the"
            " same place and length read one corrupted input, the paired comparison of run time), the buggy line itself"
            " in the list at score 0; cross-entropy of the softmax over the list against the fix.")
    if config.get("span_p"):
        parts.append(f" {config['span_p']:.0%} of the canvas examples are corrupted at one span of 1 to 8 tokens inside"
                     " the written lines instead of throughout: the short infill a candidate's score reads.")
    if parts:
        parts.append(" The context holds the bug line: the window above it narrows until the line is inside the"
                     " first context tokens, as the ranker builds it at run time.")
    return "".join(parts)


def write_card(model_dir: Path, run_dir: Path, scores: dict | None, command: str,
               rank_reports: list[tuple[dict, str]] | None = None) -> Path:
    """Write README.md, loss.png, the held-out module list and the lineage (engine/train/lineage.py) into `model_dir`."""
    rows = read_log(run_dir / "train_log.jsonl")
    plot_loss(rows, model_dir / "loss.png")
    config = json.loads((run_dir / "train_config.json").read_text())
    modules = corpus_modules()
    heldout = split_modules(modules, "heldout")
    (model_dir / SPLIT_FILE).write_text("".join(m.name + "\n" for m in heldout))
    last = rows[-50:]
    mean = {k: sum(r[k] for r in last) / len(last) for k in ("diffusion", "ar")}
    ranked = [r for r in last if "rank" in r]
    rank_loss = (f" Listwise ranking loss over the last 50 steps: {sum(r['rank'] for r in ranked) / len(ranked):.3f} "
                 f"(the fix first in {sum(r['rank_top1'] for r in ranked) / len(ranked):.0%} of the lists)." if ranked else "")
    params = json.loads((model_dir / "config.json").read_text())["text_config"]
    same_model = config.get("init_from") and model_name(Path(config["init_from"])) == model_dir.name
    runs = lineage_of_run(run_dir, config, rows, legacy_base=model_dir if same_model else None)
    (model_dir / LINEAGE_FILE).write_text(json.dumps(runs, indent=2) + "\n")
    scores_text = _table(scores) if scores else "not measured yet"
    card = f"""# dagent-tiny

The embedded model of dagent: transformers' own `DiffusionGemmaForBlockDiffusion` at a tiny size
(hidden {params['hidden_size']}, {params['num_hidden_layers']} layers, {params['num_experts']} experts top-1,
vocab {params['vocab_size']}, canvas {config['canvas_length']} tokens, context {config['context_length']} tokens),
trained on 2 CPU cores by `dagent train`, {len(runs)} run{'s' if len(runs) > 1 else ''} in all (the lineage
below). Stored in bfloat16.

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
{rows[-1]['seconds'] / 60:.0f} minutes wall time{_origin(config)}. Mean loss over the last 50 steps: canvas {mean['diffusion']:.3f},
encoder AR {mean['ar']:.3f}.{rank_loss}{_recipe(config)}

![loss](loss.png)

Lineage of the shipped weights (`{LINEAGE_FILE}`), oldest first; the figures above are the last run's:

{describe(runs)}

## Held-out scores
Held-out modules only; the planner's skeleton for the true location is given (oracle localisation),
a replace starts from the old line as its draft (as in `dagent fix`), k candidates are sampled in one
batch and ranked by the model's own score (a row that copied its draft unchanged takes the one-token edit the model
liked best there, engine/sampler.py); "valid" is the share of candidates that parse and apply. "AST-equivalent" counts a
candidate whose result parses to the same AST as the original. Reproduce with:

    {command}

{scores_text}

{_rank_section(rank_reports or [])}## Limits
A model this small copies the old line and changes a token or two: it fixes single-token bugs when the
planner points it at the right line, and little else. Candidates are validated by your tests, never trusted.
"""
    (model_dir / "README.md").write_text(card)
    return model_dir / "README.md"
