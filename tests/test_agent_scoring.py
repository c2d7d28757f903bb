"""The model as the search's ranker (agent/scoring.py): every line is scored in a context that holds it."""

from __future__ import annotations

from dagent.agent.plan import FailureInfo, line_contexts, plan_fix
from dagent.agent.scoring import fitted, score_candidates
from dagent.agent.search import Location, grammar_candidates
from dagent.engine.engine import Engine
from dagent.engine.tokenizer import decode, encode
from helpers.engine import tiny_denoiser, tiny_tokenizer

BODY = "".join(f"    step_{i} = compute_something_long(values, index={i}, scale=factor * {i})\n" for i in range(12))
SOURCE = f"def total(values, factor):\n    count = len(values) + 1\n{BODY}    return sum(values) - 1\n"
PATH = "pkg/calc.py"


def _plan():  # type: ignore[no-untyped-def]
    failure = FailureInfo(test_id="tests/test_calc.py::test_total", message="assert 5 == 6", details="")
    return plan_fix([failure], {PATH: SOURCE, "tests/test_calc.py": "def test_total():\n    assert 1\n"})


def test_a_lines_context_is_its_window_with_narrower_and_narrower_tops() -> None:
    contexts = line_contexts(_plan(), {PATH: SOURCE})
    found = contexts(PATH, 15)
    assert found.line_text == "    return sum(values) - 1\n"
    assert all(found.line_text in r for r in found.renders)
    assert len(found.renders[0]) > len(found.renders[-1])
    assert "step_3" in found.renders[0] and "step_3" not in found.renders[-1]
    assert found.renders[0].startswith("<|fix|>\n<|error|> tests/test_calc.py::test_total: assert 5 == 6\n")


def test_the_ranker_keeps_the_widest_window_whose_first_tokens_hold_the_line() -> None:
    engine = Engine(tiny_denoiser(), tiny_tokenizer(), context_tokens=96)
    found = line_contexts(_plan(), {PATH: SOURCE})(PATH, 15)
    chosen = fitted(engine, found)
    assert chosen != found.renders[0]  # the whole window would push the line out of 96 tokens
    assert "return sum(values) - 1" in decode(engine.tokenizer, encode(engine.tokenizer, chosen)[:96])


def test_candidates_are_scored_line_by_line_in_their_own_context() -> None:
    engine = Engine(tiny_denoiser(), tiny_tokenizer(), context_tokens=96)
    contexts = line_contexts(_plan(), {PATH: SOURCE})
    pool = grammar_candidates([Location(PATH, 15, 1.0), Location(PATH, 2, 0.5)], {PATH: SOURCE})
    encoded = engine.stats.encoder_calls
    scores = score_candidates(engine, contexts, pool)
    assert len(scores) == len(pool) and any(s != 0 for s in scores)
    assert engine.stats.encoder_calls - encoded == 2  # one context per edited line


def test_the_ranker_loads_beside_the_run_and_a_failed_load_raises_where_the_search_asks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from dagent.agent.app.commands import _rankers
    from dagent.agent.budget import Budget
    from dagent.errors import ModelLoadError

    for budget in (Budget(time_s=60.0), Budget(time_s=5.0)):  # loading beside the run; too short to load at all
        factory = _rankers(str(tmp_path / "no-model"), budget)  # returns at once
        with pytest.raises(ModelLoadError, match="no model directory"):
            factory(lambda path, line: None, "", 0.0)
