"""The model as the search's ranker: the engine's score of each candidate, and its fillings of the
hole templates, in context.

The engine loads once per process (the first time the search ranks by model) and is shared by every
run after it; a candidate's score is the engine's pseudo-log-likelihood of its changed tokens
relative to the original's, given the plan's context block.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import lru_cache

from dagent.agent.holes import HoleTemplate
from dagent.agent.plan import LineContext
from dagent.agent.search import Candidate, ModelRanker
from dagent.engine.engine import Engine
from dagent.engine.fill import FillRequest
from dagent.engine.prompt import fitted_context

LineContexts = Callable[[str, int], LineContext]

FILLINGS = 3  # per template
FILL_BATCH = 8  # templates filled per engine call: the deadline is checked between calls


@lru_cache(maxsize=2)
def engine_for(model: str | None) -> Engine:
    """The engine of `model`, loaded once per process."""
    return Engine.load(model)


def ranker_factory(model: str | None) -> Callable[..., ModelRanker]:
    """For a plan, the model's scorer and filler (loads the engine on first use).

    Edits at a line are scored in that line's own context (`contexts(path, line)`): its window, kept
    narrow enough that the line itself is inside the model's context window. Fillings read the plan's
    whole block (`fill_context`). With a `deadline` (a perf_counter time) both stop between batched
    engine calls once it has passed: candidates not scored by then keep a neutral score of 0 (their
    grammar order), templates not filled get no fillings. The budget the user set holds for the model too.
    """

    def for_plan(contexts: LineContexts, fill_context: str, deadline: float = math.inf) -> ModelRanker:
        def score(candidates: Sequence[Candidate]) -> list[float]:
            return score_candidates(engine_for(model), contexts, candidates, deadline)

        def fill(templates: Sequence[HoleTemplate]) -> list[list[str]]:
            return fill_templates(engine_for(model), fill_context, templates, deadline)

        return ModelRanker(score, fill)

    return for_plan


def fill_templates(engine: Engine, context: str, templates: Sequence[HoleTemplate],
                   deadline: float = math.inf) -> list[list[str]]:
    """Up to FILLINGS texts for each template's hole, best first, a few templates per batched fill."""
    names = {name for t in templates for name in t.names}
    texts: list[list[str]] = []
    for start in range(0, len(templates), FILL_BATCH):
        batch = templates[start : start + FILL_BATCH]
        if time.perf_counter() > deadline:
            texts += [[] for _ in batch]
            continue
        requests = [FillRequest(t.path, t.start, t.old, t.before, t.after) for t in batch]
        texts += [[f.text for f in found] for found in engine.fill(context, requests, names, k=FILLINGS)]
    return texts


def score_candidates(engine: Engine, contexts: LineContexts | str, candidates: Sequence[Candidate],
                     deadline: float = math.inf) -> list[float]:
    """One batched engine call per edited statement (the candidates there share path, line and old
    text), in the context of that line (or in one context text for all)."""
    groups: dict[tuple[str, int, str], list[int]] = defaultdict(list)
    for i, candidate in enumerate(candidates):
        r = candidate.repair
        groups[(r.path, r.start, r.old)].append(i)
    scores = [0.0] * len(candidates)  # neutral: the same as the original, so the prior order decides
    for (path, line, old), members in groups.items():
        if time.perf_counter() > deadline:
            break
        context = contexts if isinstance(contexts, str) else fitted(engine, contexts(path, line))
        news = [candidates[i].repair.new for i in members]
        for i, value in zip(members, engine.score_repairs(context, path, line, old, news), strict=True):
            scores[i] = value
    return scores


def fitted(engine: Engine, context: LineContext) -> str:
    """The widest render of a line's context whose first tokens (the model's window) hold the line."""
    return fitted_context(engine.tokenizer, context.renders, context.line_text, engine.context_tokens)[0]
