"""`dagent eval mutations`: how often a model restores held-out mutated functions.

For each held-out repair example the planner's skeleton for the true location is pinned (oracle
localisation), a replace starts from the old line as its draft (as at run time), k candidates are
denoised in one batch, and each is applied to the mutated module
with dagent's own apply. A candidate counts as an exact fix when the result is byte-identical to
the original module, and as AST-equivalent when it parses to the same AST.
"""

from __future__ import annotations

import ast
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from dagent.engine.canvas import close_slot, drafted_canvas
from dagent.engine.load import load_denoiser, resolve_model_dir
from dagent.engine.prompt import context_limit, context_tensor
from dagent.engine.sampler import sample
from dagent.engine.skeleton import Skeleton
from dagent.engine.train.data import Example, make_examples
from dagent.errors import ApplyError
from dagent.ops.apply import plan_ops
from dagent.ops.syntax import OpParseError, parse, replace_draft


class KindScore(BaseModel):
    n: int = 0
    top1: float = 0.0
    topk: float = 0.0
    ast_topk: float = 0.0
    valid: float = 0.0  # share of all candidates that parse and apply


class EvalReport(BaseModel):
    model: str
    examples: int
    k: int
    seed: int
    seconds: float
    per_kind: dict[str, KindScore]
    overall: KindScore


@dataclass
class _Outcome:
    kind: str
    exact: list[bool]
    same_ast: list[bool]
    valid: list[bool]


def _ast_dump(text: str) -> str | None:
    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return None


def judge(example: Example, candidate_text: str) -> tuple[bool, bool, bool]:
    """(valid, exact, same AST) for one candidate canvas of a repair example."""
    original, mutated = example.meta["original"], example.meta["mutated"]
    try:
        ops = parse(candidate_text)
    except OpParseError:
        return False, False, False
    with tempfile.TemporaryDirectory(prefix="dagent-eval-") as tmp:
        target = Path(tmp) / example.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(mutated)
        try:
            result = plan_ops(tmp, ops)
        except ApplyError:
            return False, False, False
    changed = result.changed.get(example.path)
    after = changed[1] if changed else mutated
    return True, after == original, _ast_dump(after) == _ast_dump(original)


def _score(outcomes: list[_Outcome]) -> KindScore:
    n = len(outcomes)
    if n == 0:
        return KindScore()
    return KindScore(
        n=n,
        top1=sum(o.exact[0] for o in outcomes) / n,
        topk=sum(any(o.exact) for o in outcomes) / n,
        ast_topk=sum(any(o.same_ast) for o in outcomes) / n,
        valid=sum(sum(o.valid) / len(o.valid) for o in outcomes) / n,
    )


def heldout_repairs(n: int, seed: int, split: str = "heldout") -> list[Example]:
    """Held-out repair examples that the planner would hand the model a skeleton for (`split="train"`:
    the same from training modules, for tuning without touching the held-out ones)."""
    pool = make_examples(split, n * 3, seed=seed, edit_share=0.0)
    return [e for e in pool if e.pinned_prefix][:n]


def evaluate_mutations(model: str | None, n: int = 200, k: int = 8, seed: int = 0,
                       on_example: Callable[[int, int], None] | None = None) -> EvalReport:
    denoiser, tokenizer = load_denoiser(model)
    limit = context_limit(resolve_model_dir(model))
    examples = heldout_repairs(n, seed)
    outcomes: list[_Outcome] = []
    began = time.time()
    for i, example in enumerate(examples):
        prefix = denoiser.encode(context_tensor(tokenizer, example.context, limit))
        # as the planner starts a replace: from the old line, on a canvas grown to fit it
        canvas, init = drafted_canvas(tokenizer, [Skeleton.replace_line(example.pinned_prefix)],
                                      [replace_draft(example.pinned_prefix)], denoiser.canvas_length, denoiser.vocab_size)
        candidates = sample(denoiser, prefix, canvas, k=k, seed=seed + i, init=init)
        verdicts = [judge(example, close_slot(c.text, example.pinned_prefix)) for c in candidates]
        outcomes.append(_Outcome(example.kind, [v[1] for v in verdicts], [v[2] for v in verdicts], [v[0] for v in verdicts]))
        if on_example:
            on_example(i + 1, len(examples))
    by_kind: dict[str, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    return EvalReport(
        model=str(resolve_model_dir(model)), examples=len(outcomes), k=k, seed=seed,
        seconds=round(time.time() - began, 1),
        per_kind={kind: _score(items) for kind, items in sorted(by_kind.items())},
        overall=_score(outcomes),
    )
