"""`dagent eval mutations --rank`: where each order puts the fix among the grammar's candidates.

Cases are bugs with a known fix and a known line (oracle localisation): mutations of held-out corpus
modules (the same examples as the model's own eval), or with `--tasks DIR` the single-line bugs of a
task set (the line and the fix read from each task's reference solution). At the bug line the repair
grammar lists its candidates, exactly as the search would; each order ranks that same pool:

- grammar: the search's prior order (family priors, in-family decay);
- ngram: a token n-gram model of the training modules (agent/bench/ngram.py), the cheap baseline;
- model: the engine's score alone (ties: grammar order), in the context the ranker builds for a line;
- model+grammar: prior plus score, the order `dagent fix --rank model` uses;
- random: a shuffle.

A candidate is the fix when the module it makes parses to the original's AST. The position of the fix
is the number of candidates a validator would run before it finds it. Figures per mutation kind: fix
within the top 1, 5 and 20, mean reciprocal rank (0 where the fix is not among the candidates), median
position where it is.
"""

from __future__ import annotations

import ast
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from dagent.agent.fix_check import parsed_ast, restores
from dagent.agent.search import Candidate, Location, by_model, grammar_candidates, order

ORDERS = ("grammar", "ngram", "model", "model+grammar", "random")
CUTS = (1, 5, 20)


@dataclass(frozen=True)
class RankCase:
    """A bug with a known fix: the file as it is, the line, and what the encoder may see of it."""

    path: str
    line: int
    mutated: str
    original: str
    contexts: tuple[str, ...]  # the same block with narrower windows above the line, widest first
    line_text: str
    kind: str


class RankRow(BaseModel):
    order: str
    kind: str
    examples: int
    fix_among: int  # examples whose fix is among the candidates
    within: dict[int, int]  # cut -> examples whose fix is at position <= cut
    mrr: float
    median_position: float | None  # over the examples whose fix is among the candidates


class RankReport(BaseModel):
    model: str
    source: str
    examples: int
    seed: int
    seconds: float
    mean_candidates: float
    line_in_context: int  # cases whose bug line the model's encoder saw
    score_precision: str = "fp32"  # the dtype of scoring's matmuls (bf16 under the engine's autocast)
    rows: list[RankRow]

    def row(self, order_name: str, kind: str = "all") -> RankRow:
        return next(r for r in self.rows if r.order == order_name and r.kind == kind)


def fix_position(ordered: Sequence[Candidate], mutated: str, original_ast: str | None) -> int | None:
    """1-based position of the first candidate that restores the original AST, or None."""
    lines = mutated.splitlines(keepends=True)
    return next((p for p, candidate in enumerate(ordered, start=1) if restores(candidate.repair, lines, original_ast)), None)


# ---------------------------------------------------------------- cases


def heldout_cases(n: int, seed: int, split: str = "heldout") -> list[RankCase]:
    from dagent.engine.train.evaluate import heldout_repairs

    return [RankCase(e.path, e.meta["line"], e.meta["mutated"], e.meta["original"], e.meta["contexts"],
                     e.meta["line_text"], e.kind) for e in heldout_repairs(n, seed, split)]


def task_cases(root: Path) -> list[RankCase]:
    """The single-line bugs of a task set: one .py file whose reference fix replaces one line."""
    import difflib

    from dagent.agent.bench.tasks import load_tasks

    cases = []
    for task in load_tasks(root):
        files = [f for f in task.solution_files() if f.suffix == ".py"]
        if task.kind == "edit" or len(files) != 1 or task.deleted_paths():
            continue
        rel = files[0].as_posix()
        before = (task.repo_dir / rel).read_text()
        after = (task.solution_dir / rel).read_text()
        old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
        changes = [op for op in difflib.SequenceMatcher(a=old, b=new).get_opcodes() if op[0] != "equal"]
        if len(changes) != 1 or changes[0][0] != "replace" or changes[0][2] - changes[0][1] != 1 or changes[0][4] - changes[0][3] != 1:
            continue
        line = changes[0][1] + 1
        contexts = _task_contexts(rel, old, line, task.failing_tests)
        cases.append(RankCase(rel, line, before, after, contexts, old[line - 1], task.kind))
    return cases


def _task_contexts(path: str, lines: list[str], line: int, tests: Sequence[str]) -> tuple[str, ...]:
    """The line's window in its function, narrowing as the ranker's, the first failing test standing in
    for its error message."""
    from dagent.engine.context import narrowing_contexts

    first, last = _enclosing_function(lines, line)
    return narrowing_contexts([f"{t}: failed" for t in tests[:1]], path, lines, line, first, last)


def _enclosing_function(lines: list[str], line: int) -> tuple[int, int]:
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return 1, len(lines)
    best = (1, len(lines))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
            if node.lineno <= line <= node.end_lineno and node.lineno >= best[0]:
                best = (node.lineno, node.end_lineno)
    return best


# ---------------------------------------------------------------- orders


def _orders(pool: list[Candidate], model_scores: Sequence[float], ngram_scores: Sequence[float],
            seed: int) -> dict[str, list[Candidate]]:
    prior = order(pool, "grammar", cap=len(pool))
    rank_of = {id(c): i for i, c in enumerate(prior)}
    model = {id(c): s for c, s in zip(pool, model_scores, strict=True)}
    ngram = {id(c): s for c, s in zip(pool, ngram_scores, strict=True)}
    shuffled = list(pool)
    random.Random(seed).shuffle(shuffled)
    return {
        "grammar": prior,
        "ngram": sorted(pool, key=lambda c: (-ngram[id(c)], rank_of[id(c)])),
        "model": sorted(pool, key=lambda c: (-model[id(c)], rank_of[id(c)])),
        "model+grammar": by_model(prior, [model[id(c)] for c in prior]),
        "random": shuffled,
    }


def evaluate_ranks(model: str | None, n: int = 100, seed: int = 0, tasks: Path | None = None,
                   on_example: Callable[[int, int], None] | None = None) -> RankReport:
    from dagent.agent.bench.ngram import edit_score, train_on_modules
    from dagent.agent.scoring import engine_for, score_candidates
    from dagent.engine.load import resolve_model_dir
    from dagent.engine.precision import precision_name
    from dagent.engine.prompt import fitted_context
    from dagent.engine.train.data import corpus_modules, split_modules

    cases = task_cases(tasks) if tasks is not None else heldout_cases(n, seed)
    engine = engine_for(model)
    began = time.time()
    training = split_modules(corpus_modules(), "train")
    ngram = train_on_modules(engine.tokenizer, random.Random(seed).sample(training, len(training)))
    positions: dict[str, list[tuple[str, int | None]]] = {name: [] for name in ORDERS}
    sizes, inside = [], 0
    for i, case in enumerate(cases):
        pool = grammar_candidates([Location(case.path, case.line, 1.0)], {case.path: case.mutated})
        context, seen = fitted_context(engine.tokenizer, case.contexts, case.line_text, engine.context_tokens)
        inside += seen
        lines = case.mutated.splitlines(keepends=True)
        memo: dict[str, float] = {}
        ngram_scores = [edit_score(ngram, engine.tokenizer, lines, c.repair.start, c.repair.end, c.repair.new, memo)
                        for c in pool]
        original = parsed_ast(case.original)
        for name, ordered in _orders(pool, score_candidates(engine, context, pool), ngram_scores, seed + i).items():
            positions[name].append((case.kind, fix_position(ordered, case.mutated, original)))
        sizes.append(len(pool))
        if on_example:
            on_example(i + 1, len(cases))
    rows = [_row(name, kind, positions[name]) for name in ORDERS
            for kind in ["all", *sorted({c.kind for c in cases})]]
    return RankReport(model=str(resolve_model_dir(model)), source=str(tasks) if tasks else "held-out mutations",
                      examples=len(cases), seed=seed, seconds=round(time.time() - began, 1),
                      mean_candidates=round(statistics.fmean(sizes), 1) if sizes else 0.0, line_in_context=inside,
                      score_precision=precision_name(engine.score_matmul_dtype), rows=rows)


def _row(order_name: str, kind: str, found: list[tuple[str, int | None]]) -> RankRow:
    mine = [p for k, p in found if kind in ("all", k)]
    among = [p for p in mine if p is not None]
    return RankRow(order=order_name, kind=kind, examples=len(mine), fix_among=len(among),
                   within={cut: sum(p <= cut for p in among) for cut in CUTS},
                   mrr=round(sum(1 / p for p in among) / len(mine), 4) if mine else 0.0,
                   median_position=statistics.median(among) if among else None)


__all__ = ["CUTS", "ORDERS", "RankCase", "RankReport", "RankRow", "evaluate_ranks", "fix_position", "heldout_cases",
           "task_cases"]
