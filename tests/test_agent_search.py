"""The search's order over grammar candidates: location x family prior x decay, the model's score
added when it ranks, a shuffle as the baseline, and the online evidence about locations."""

from __future__ import annotations

from dagent.agent.localize import Suspicion
from dagent.agent.search import Evidence, by_model, grammar_candidates, locations, next_candidate, order

SOURCE = """def moving_average(values, window):
    averages = []
    for start in range(len(values) - window):
        averages.append(sum(values[start : start + window]) / window)
    return averages
"""
SOURCES = {"stats.py": SOURCE}


def _suspicions(*lines_scores: tuple[int, float]) -> list[Suspicion]:
    return [Suspicion("stats.py", line, score) for line, score in lines_scores]


def test_locations_are_statements_weighted_against_the_top() -> None:
    found = locations(_suspicions((3, 0.8), (3, 0.8), (4, 0.4), (99, 0.3)), SOURCES)
    assert [(w.line, round(w.weight, 2)) for w in found] == [(3, 1.0), (4, 0.5)]  # line 99 is no statement


def test_grammar_order_puts_the_planted_fix_early_and_random_does_not_follow_it() -> None:
    candidates = grammar_candidates(locations(_suspicions((3, 1.0), (4, 0.9), (2, 0.5)), SOURCES), SOURCES)
    fix = "    for start in range(len(values) - window + 1):\n"
    grammar = order(candidates, "grammar")
    position = next(i for i, c in enumerate(grammar) if c.repair.new == fix)
    assert position < 15, [c.describe() for c in grammar[:15]]
    shuffled = order(candidates, "random", seed=1)
    assert sorted(map(id, shuffled)) == sorted(map(id, candidates)) and shuffled != grammar
    assert order(candidates, "random", seed=1) == shuffled  # a seed fixes the shuffle
    assert len(order(candidates, "grammar", cap=5)) == 5


def test_model_scores_reorder_and_unscorable_candidates_go_last() -> None:
    candidates = grammar_candidates(locations(_suspicions((3, 1.0)), SOURCES), SOURCES)
    favourite = candidates[-1]

    def scorer(batch):  # type: ignore[no-untyped-def]
        return [50.0 if c is favourite else float("-inf") if i == 0 else 0.0 for i, c in enumerate(batch)]

    ranked = order(candidates, "model", scorer)
    assert ranked[0].repair == favourite.repair and ranked[0].model_score == 50.0
    assert ranked[-1].model_score == -20.0


def test_the_model_weight_trades_score_against_prior_and_ties_keep_the_prior_order() -> None:
    prior = order(grammar_candidates(locations(_suspicions((3, 1.0)), SOURCES), SOURCES), "grammar")[:4]
    gap = prior[0].prior_key - prior[3].prior_key
    scores = [0.0, 0.0, 0.0, 1.0]  # the fourth is preferred by one nat
    assert [c.repair for c in by_model(prior, scores, weight=0.0)] == [c.repair for c in prior]
    assert by_model(prior, scores, weight=2 * gap + 1)[0].repair == prior[3].repair
    level = [prior[0].prior_key - c.prior_key for c in prior]  # every key the same at weight 1
    assert [c.repair for c in by_model(list(reversed(prior)), list(reversed(level)), weight=1.0)] == \
        [c.repair for c in reversed(prior)]  # ties keep the order given


def test_evidence_moves_the_search_off_a_location_whose_edits_change_nothing() -> None:
    candidates = order(grammar_candidates(locations(_suspicions((3, 1.0), (4, 1.0)), SOURCES), SOURCES))
    evidence = Evidence()
    remaining = list(candidates)
    first = next_candidate(remaining, evidence)
    for _ in range(6):  # six edits at the first location leave the failure as it was
        evidence.note(first, moved=False)
    second = next_candidate(remaining, evidence)
    assert second.location != first.location
    evidence.note(second, moved=True)
    assert evidence.adjustment(second) > 0 > evidence.adjustment(first)
    assert next_candidate(list(candidates), None) == candidates[0]  # no evidence: the order as it is
