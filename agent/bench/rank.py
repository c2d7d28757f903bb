"""`dagent eval mutations --rank`: where each order puts the fix of a held-out mutation.

For each held-out repair example (the same examples as the model's own eval: mutations of held-out
corpus modules, the bug line given, i.e. oracle localisation), the repair search's candidates at the
bug line are ordered three ways side by side: the grammar's own order (family priors), the model's
(the grammar's order plus the engine's score, and the model's hole fillings), and a shuffle. A
candidate is the fix when the module it makes parses to the original's AST. No tests run: the
position of the fix is the number of candidates a validator would run before it finds it.
"""

from __future__ import annotations

import ast
import statistics
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from dagent.agent.search import Candidate, Location, RankMode, fill_candidates, grammar_candidates, order

RANKS: tuple[RankMode, ...] = ("grammar", "model", "random")
CUTS = (1, 5, 20)


class RankScore(BaseModel):
    rank: str
    examples: int
    fix_among: int  # examples whose fix is among the candidates
    within: dict[int, int]  # cut -> examples whose fix is at position <= cut
    median_position: float | None  # over the examples whose fix is among the candidates
    mean_candidates: float


class RankReport(BaseModel):
    model: str
    examples: int
    seed: int
    seconds: float
    ranks: list[RankScore]


def _dump(text: str) -> str | None:
    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return None


def fix_position(ordered: Sequence[Candidate], mutated: str, original_ast: str | None) -> int | None:
    """1-based position of the first candidate that restores the original AST, or None."""
    lines = mutated.splitlines(keepends=True)
    for position, candidate in enumerate(ordered, start=1):
        r = candidate.repair
        if _dump("".join([*lines[: r.start - 1], r.new, *lines[r.end :]])) == original_ast:
            return position
    return None


def evaluate_ranks(model: str | None, n: int = 100, seed: int = 0, cap: int = 10_000,
                   on_example: Callable[[int, int], None] | None = None) -> RankReport:
    from dagent.agent.scoring import ranker_factory
    from dagent.engine.load import resolve_model_dir
    from dagent.engine.train.evaluate import heldout_repairs

    examples = heldout_repairs(n, seed)
    rankers = ranker_factory(model)
    positions: dict[str, list[int | None]] = {rank: [] for rank in RANKS}
    counts: dict[str, list[int]] = {rank: [] for rank in RANKS}
    began = time.time()
    for i, example in enumerate(examples):
        path, mutated = example.path, example.meta["mutated"]
        sources = {path: mutated}
        where = [Location(path, example.meta["line"], 1.0)]
        grammar = grammar_candidates(where, sources)
        ranker = rankers(example.context)
        with_fills = grammar + fill_candidates(where, sources, ranker.fill) if ranker.fill else grammar
        original = _dump(example.meta["original"])
        for rank in RANKS:
            pool = with_fills if rank == "model" else grammar
            ordered = order(pool, rank, ranker.score if rank == "model" else None, seed + i, cap)
            positions[rank].append(fix_position(ordered, mutated, original))
            counts[rank].append(len(ordered))
        if on_example:
            on_example(i + 1, len(examples))
    return RankReport(model=str(resolve_model_dir(model)), examples=len(examples), seed=seed,
                      seconds=round(time.time() - began, 1),
                      ranks=[_score(rank, positions[rank], counts[rank]) for rank in RANKS])


def _score(rank: str, positions: list[int | None], counts: list[int]) -> RankScore:
    found = [p for p in positions if p is not None]
    return RankScore(rank=rank, examples=len(positions), fix_among=len(found),
                     within={cut: sum(p <= cut for p in found) for cut in CUTS},
                     median_position=statistics.median(found) if found else None,
                     mean_candidates=round(statistics.fmean(counts), 1) if counts else 0.0)


__all__ = ["RankReport", "RankScore", "evaluate_ranks", "fix_position"]
