"""Training lists for the ranking objective: the repair grammar's own candidates at a mutated line.

For each repair example of the training modules (engine/train/data.py), the grammar lists its edits
at the bug line, exactly as the search would; the one that restores the original code is the
positive, and up to `size - 1` others are the list it must beat: the grammar's likeliest first (the
ones the model has to overtake), then a random draw of the rest.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from dagent.agent.fix_check import parsed_ast, restores, squashed
from dagent.agent.search import Candidate, Location, grammar_candidates, order
from dagent.engine.prompt import fitted_context
from dagent.engine.train.data import Example, Module, iter_examples
from dagent.engine.train.rank import RankExample

LIST_SIZE = 8


@dataclass(frozen=True)
class _Modules:
    """An example's mutated and original module, split and parsed once for every check of its candidates."""

    mutated: list[str]
    original: list[str]
    original_ast: str | None

    @classmethod
    def of(cls, example: Example) -> _Modules:
        original = example.meta["original"]
        return cls(example.meta["mutated"].splitlines(keepends=True), original.splitlines(keepends=True),
                   parsed_ast(original))


def fix_among(example: Example, candidates: list[Candidate]) -> Candidate | None:
    """The first candidate whose edit gives back the original module (its AST: agent/fix_check.py), or
    None. Only candidates whose lines match the original's whitespace aside are parsed (a cheap filter:
    the grammar lists hundreds of candidates at a line)."""
    return _fix_in(_Modules.of(example), candidates)


def _fix_in(modules: _Modules, candidates: list[Candidate]) -> Candidate | None:
    mutated, original = modules.mutated, modules.original
    shift = len(original) - len(mutated)
    for candidate in candidates:
        r = candidate.repair
        if mutated[: r.start - 1] != original[: r.start - 1] or mutated[r.end :] != original[r.end + shift :]:
            continue
        same_text = squashed(r.new) == squashed("".join(original[r.start - 1 : r.end + shift]))
        if same_text and restores(r, mutated, modules.original_ast):
            return candidate
    return None


def rank_list(example: Example, tokenizer, context_tokens: int, rng: random.Random,  # type: ignore[no-untyped-def]
              size: int = LIST_SIZE) -> RankExample | None:
    """The example's candidate list with the fix first, or None when the grammar cannot fix it."""
    path, line = example.path, example.meta["line"]
    candidates = grammar_candidates([Location(path, line, 1.0)], {path: example.meta["mutated"]})
    modules = _Modules.of(example)
    fix = _fix_in(modules, candidates)
    if fix is None:
        return None
    same = [c for c in order(candidates, "grammar", cap=len(candidates))
            if c is not fix and (c.repair.start, c.repair.old) == (fix.repair.start, fix.repair.old)]
    top, rest = same[: size // 2], same[size // 2 :]
    drawn = top + rng.sample(rest, min(len(rest), size - 1 - len(top)))
    # another spelling of the fix (other parentheses, say) is no negative: the eval counts it as the fix
    negatives = [c for c in drawn if not restores(c.repair, modules.mutated, modules.original_ast)]
    context, _ = fitted_context(tokenizer, example.meta["contexts"], example.meta["line_text"], context_tokens)
    return RankExample(context, path, fix.repair.start, fix.repair.old,
                       (fix.repair.new, *(c.repair.new for c in negatives)), example.kind)


def rank_stream(modules: list[Module], tokenizer, context_tokens: int, seed: int,  # type: ignore[no-untyped-def]
                size: int = LIST_SIZE) -> Iterator[RankExample]:
    """An endless stream of candidate lists from repair examples of `modules` the grammar can fix."""
    rng = random.Random(seed)
    for example in iter_examples(modules, seed=seed, edit_share=0.0):
        if "contexts" not in example.meta:
            continue
        try:
            found = rank_list(example, tokenizer, context_tokens, rng, size)
        except Exception as err:  # a grammar bug met in real code must not end hours of training: say it, go on
            print(f"rank list skipped at {example.path}:{example.meta['line']}: {type(err).__name__}: {err}",
                  file=sys.stderr)
            continue
        if found is not None and len(found.candidates) > 1:
            yield found


__all__ = ["LIST_SIZE", "fix_among", "rank_list", "rank_stream"]
