"""`dagent eval mutations --rank` (agent/bench/rank.py): the fix's position under each order."""

from __future__ import annotations

import ast

import pytest

from dagent.agent.bench.rank import RANKS, evaluate_ranks, fix_position
from dagent.agent.search import Location, grammar_candidates, order
from dagent.engine.load import EMBEDDED_MODEL

ORIGINAL = "def last(xs):\n    return xs[len(xs) - 1]\n"
MUTATED = "def last(xs):\n    return xs[len(xs)]\n"


def test_the_fix_position_counts_candidates_up_to_the_first_that_restores_the_ast() -> None:
    ordered = order(grammar_candidates([Location("m.py", 2, 1.0)], {"m.py": MUTATED}), "grammar")
    position = fix_position(ordered, MUTATED, ast.dump(ast.parse(ORIGINAL)))
    assert position is not None and position >= 1
    fix = ordered[position - 1].repair
    assert fix.new == "    return xs[len(xs) - 1]\n"
    assert fix_position(ordered[: position - 1], MUTATED, ast.dump(ast.parse(ORIGINAL))) is None


@pytest.mark.slow
@pytest.mark.skipif(not (EMBEDDED_MODEL / "config.json").is_file(), reason="embedded model not built")
def test_every_order_is_measured_on_the_same_examples() -> None:
    report = evaluate_ranks(None, n=3, seed=0)
    assert [r.rank for r in report.ranks] == list(RANKS)
    for r in report.ranks:
        assert r.examples == report.examples == 3
        assert r.within[1] <= r.within[5] <= r.within[20] <= r.fix_among <= 3
        assert r.mean_candidates > 0
    grammar, model, _ = report.ranks
    assert model.fix_among >= grammar.fix_among  # the model's pool is the grammar's plus its fillings
