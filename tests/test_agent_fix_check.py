"""The one check of "this repair gives back the original code" (agent/fix_check.py), and the training
lists built on it (agent/rank_examples.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from dagent.agent.fix_check import parsed_ast, restores
from dagent.agent.rank_examples import fix_among, rank_list
from dagent.agent.repairs import Repair
from dagent.engine.train.data import Example
from helpers.engine import tiny_tokenizer

ORIGINAL = "def f(x):\n    if x:\n        raise ValueError(x)\n    return x\n"
MUTATED = "def f(x):\n    if x:\n        raise ValueError(x)\n"  # the return dropped
LINES = MUTATED.splitlines(keepends=True)


@dataclass(frozen=True)
class _Candidate:
    repair: Repair


def _insert_after_raise(new_tail: str) -> _Candidate:
    return _Candidate(Repair("m.py", 3, 3, LINES[2], LINES[2] + new_tail, "missing_line", "insert"))


INSIDE = _insert_after_raise("        return x\n")  # reads the same whitespace aside: dead code after the raise
OUTSIDE = _insert_after_raise("    return x\n")  # the original
PARENS = _insert_after_raise("    return (x)\n")  # the original, spelled otherwise
WRONG = _insert_after_raise("    return None\n")


def _example() -> Example:
    meta = {"mutated": MUTATED, "original": ORIGINAL, "line": 3, "contexts": ["<|fix|>\n" + MUTATED],
            "line_text": LINES[2]}
    return Example("<|fix|>\n" + MUTATED, "", "", "missing_line", "m.py", meta)


def test_the_ast_decides_indentation_and_parentheses_do_not() -> None:
    original = parsed_ast(ORIGINAL)
    assert restores(OUTSIDE.repair, LINES, original) and restores(PARENS.repair, LINES, original)
    assert not restores(INSIDE.repair, LINES, original) and not restores(WRONG.repair, LINES, original)
    assert not restores(OUTSIDE.repair, LINES, None) and parsed_ast("def (") is None


def test_the_fix_is_the_candidate_with_the_original_indentation_not_the_first_whitespace_match() -> None:
    assert fix_among(_example(), [INSIDE, WRONG, OUTSIDE]) is OUTSIDE
    assert fix_among(_example(), [INSIDE, WRONG]) is None


def test_another_spelling_of_the_fix_is_never_a_negative(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dagent.agent.rank_examples as rank_examples

    pool = [OUTSIDE, PARENS, INSIDE, WRONG]
    monkeypatch.setattr(rank_examples, "grammar_candidates", lambda locations, sources: pool)
    monkeypatch.setattr(rank_examples, "order", lambda candidates, how, cap: candidates)
    found = rank_list(_example(), tiny_tokenizer(), 64, random.Random(0), size=8)
    assert found is not None and found.candidates[0] == OUTSIDE.repair.new
    assert PARENS.repair.new not in found.candidates and {INSIDE.repair.new, WRONG.repair.new} <= set(found.candidates)
