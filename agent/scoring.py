"""The model as the search's ranker: the engine's score of each grammar candidate, in context.

The engine loads once per process (the first time the search ranks by model) and is shared by every
run after it; a candidate's score is the engine's pseudo-log-likelihood of its changed tokens
relative to the original's, given the plan's context block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import lru_cache

from dagent.agent.search import Candidate, Scorer
from dagent.engine.engine import Engine


@lru_cache(maxsize=2)
def _engine(model: str | None) -> Engine:
    return Engine.load(model)


def scorer_factory(model: str | None) -> Callable[[str], Scorer]:
    """For a plan's context text, a scorer of candidates (loads the engine on first use)."""

    def for_context(context: str) -> Scorer:
        def score(candidates: Sequence[Candidate]) -> list[float]:
            return score_candidates(_engine(model), context, candidates)

        return score

    return for_context


def score_candidates(engine: Engine, context: str, candidates: Sequence[Candidate]) -> list[float]:
    """One batched engine call per edited statement (the candidates there share path, line and old text)."""
    groups: dict[tuple[str, int, str], list[int]] = defaultdict(list)
    for i, candidate in enumerate(candidates):
        r = candidate.repair
        groups[(r.path, r.start, r.old)].append(i)
    scores = [float("-inf")] * len(candidates)
    for (path, line, old), members in groups.items():
        news = [candidates[i].repair.new for i in members]
        for i, value in zip(members, engine.score_repairs(context, path, line, old, news), strict=True):
            scores[i] = value
    return scores
