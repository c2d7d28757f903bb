"""`dagent eval mutations --rank` (agent/bench/rank.py) and its n-gram baseline (agent/bench/ngram.py)."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import pytest

from dagent.agent.bench.ngram import NgramModel, edit_score
from dagent.agent.bench.rank import ORDERS, evaluate_ranks, fix_position, task_cases
from dagent.agent.search import Location, grammar_candidates, order
from dagent.engine.load import EMBEDDED_MODEL
from helpers.engine import tiny_tokenizer

ORIGINAL = "def last(xs):\n    return xs[len(xs) - 1]\n"
MUTATED = "def last(xs):\n    return xs[len(xs)]\n"
TASKS = Path(__file__).parent.parent / "examples" / "tasks"


def test_the_fix_position_counts_candidates_up_to_the_first_that_restores_the_ast() -> None:
    ordered = order(grammar_candidates([Location("m.py", 2, 1.0)], {"m.py": MUTATED}), "grammar")
    position = fix_position(ordered, MUTATED, ast.dump(ast.parse(ORIGINAL)))
    assert position is not None and position >= 1
    fix = ordered[position - 1].repair
    assert fix.new == "    return xs[len(xs) - 1]\n"
    assert fix_position(ordered[: position - 1], MUTATED, ast.dump(ast.parse(ORIGINAL))) is None


def test_the_ngram_model_is_a_distribution_and_prefers_what_it_has_seen() -> None:
    model = NgramModel.train([[1, 2, 3, 1, 2, 3, 1, 2, 4]], vocab=6, order=3)
    for history in ([], [1], [1, 2], [5, 5]):
        assert math.isclose(sum(math.exp(model.logp(history, t)) for t in range(6)), 1.0, rel_tol=1e-9)
    assert model.logp([1, 2], 3) > model.logp([1, 2], 4) > model.logp([1, 2], 5)


def test_an_edit_toward_seen_code_scores_above_zero() -> None:
    tok = tiny_tokenizer()
    from dagent.engine.tokenizer import encode

    corpus = ["def last(xs):\n    return xs[len(xs) - 1]\n" * 30]
    model = NgramModel.train([encode(tok, text) for text in corpus], len(tok))
    lines = MUTATED.splitlines(keepends=True)
    assert edit_score(model, tok, lines, 2, 2, "    return xs[len(xs) - 1]\n") > 0
    assert edit_score(model, tok, lines, 2, 2, lines[1]) == 0


def test_the_task_set_gives_its_single_line_bugs_with_their_line_and_fix() -> None:
    cases = task_cases(TASKS)
    assert len(cases) >= 15
    for case in cases:
        old, new = case.mutated.splitlines(), case.original.splitlines()
        assert len(old) == len(new) and old[case.line - 1] != new[case.line - 1]
        assert sum(a != b for a, b in zip(old, new)) == 1
        assert case.line_text.strip() in case.contexts[0] and case.line_text.strip() in case.contexts[-1]


@pytest.mark.slow
@pytest.mark.skipif(not (EMBEDDED_MODEL / "config.json").is_file(), reason="embedded model not built")
def test_every_order_is_measured_on_the_same_bugs_per_kind() -> None:
    report = evaluate_ranks(None, n=4, seed=0)
    assert report.examples == 4 and report.line_in_context == 4 and report.mean_candidates > 0
    assert report.score_precision in ("bf16", "fp32")
    assert {r.order for r in report.rows} == set(ORDERS)
    for name in ORDERS:
        overall = report.row(name)
        assert overall.examples == 4
        assert overall.within[1] <= overall.within[5] <= overall.within[20] <= overall.fix_among <= 4
        assert 0 <= overall.mrr <= 1
        kinds = [r for r in report.rows if r.order == name and r.kind != "all"]
        assert sum(r.examples for r in kinds) == 4 and sum(r.fix_among for r in kinds) == overall.fix_among
    # every order ranks the same pool: the fix is among the candidates for all or for none
    assert len({report.row(name).fix_among for name in ORDERS}) == 1


def test_the_model_card_table_shows_kinds_with_ten_or_more_bugs_and_all() -> None:
    from dagent.agent.bench.rank import RankReport, _row
    from dagent.engine.train.card import rank_table

    found = [("comparison", 1)] * 10 + [("slice", 3)] * 4 + [("comparison", None)]
    rows = [_row(name, kind, found) for name in ORDERS for kind in ("all", "comparison", "slice")]
    report = RankReport(model="m", source="held-out mutations", examples=15, seed=0, seconds=1.0,
                        mean_candidates=9.0, line_in_context=15, rows=rows)
    table = rank_table(json.loads(report.model_dump_json()))
    lines = table.splitlines()
    assert len(lines) == 4 and lines[2].startswith("| **all** | 15 |") and lines[3].startswith("| comparison | 11 |")
    assert "10 / 10 / 10 · 0.91" in lines[3]  # 10 of 11 first; MRR 10/11
    assert "slice" not in table
