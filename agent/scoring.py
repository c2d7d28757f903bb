"""The model as the search's ranker: the engine's score of each candidate, and its fillings of the
hole templates, in context.

The engine loads once per process (the first time the search ranks by model) and is shared by every
run after it; a candidate's score is the engine's pseudo-log-likelihood of its changed tokens
relative to the original's, given the plan's context block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import lru_cache

from dagent.agent.holes import HoleTemplate
from dagent.agent.search import Candidate, ModelRanker
from dagent.engine.engine import Engine
from dagent.engine.fill import FillRequest

FILLINGS = 3  # per template


@lru_cache(maxsize=2)
def _engine(model: str | None) -> Engine:
    return Engine.load(model)


def ranker_factory(model: str | None) -> Callable[[str], ModelRanker]:
    """For a plan's context text, the model's scorer and filler (loads the engine on first use)."""

    def for_context(context: str) -> ModelRanker:
        def score(candidates: Sequence[Candidate]) -> list[float]:
            return score_candidates(_engine(model), context, candidates)

        def fill(templates: Sequence[HoleTemplate]) -> list[list[str]]:
            return fill_templates(_engine(model), context, templates)

        return ModelRanker(score, fill)

    return for_context


def fill_templates(engine: Engine, context: str, templates: Sequence[HoleTemplate]) -> list[list[str]]:
    """Up to FILLINGS texts for each template's hole, best first, in one batched fill."""
    requests = [FillRequest(t.path, t.start, t.old, t.before, t.after) for t in templates]
    names = {name for t in templates for name in t.names}
    return [[f.text for f in found] for found in engine.fill(context, requests, names, k=FILLINGS)]


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
