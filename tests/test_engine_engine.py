"""The engine (engine/engine.py): scoring repairs by pseudo-log-likelihood, on a tiny random model of
the real class and on the embedded trained dagent-tiny."""

from __future__ import annotations

import math

import pytest
import torch

from dagent.engine.backends.decoder_pass import read_columns
from dagent.engine.engine import Engine, ScoreRequest, changed_spans
from dagent.engine.fill import FillRequest, vocabulary_mask
from dagent.engine.load import EMBEDDED_MODEL
from dagent.engine.tokenizer import encode
from helpers.engine import tiny_denoiser, tiny_tokenizer

CONTEXT = "<|fix|>\n<|error|> tests/test_stats.py::test_last: IndexError\n<|file|> pkg/stats.py:1\ndef last(xs):\n    return xs[len(xs)]\n"
OLD = "    return xs[len(xs)]\n"
NEWS = ["    return xs[len(xs) - 1]\n", "    return xs[0]\n", "    return xs[-1]\n", "    return ys[len(xs)]\n", OLD]


@pytest.fixture(scope="module")
def tiny() -> Engine:
    # float32 scoring: these tests compare scores exactly (bf16 autocast has its own tests below)
    return Engine(tiny_denoiser(seed=3), tiny_tokenizer(), context_tokens=128, score_precision="fp32")


@pytest.fixture(scope="module")
def tiny_bf16() -> Engine:
    return Engine(tiny_denoiser(seed=3), tiny_tokenizer(), context_tokens=128, score_precision="bf16")


def expected_positions(engine: Engine, requests: list[ScoreRequest]) -> int:
    """Scored positions of the distinct inputs a call runs: each candidate's span and its original's,
    once per corrupted input (rows differing only inside a same-place, same-length span share one)."""
    inputs = {}
    for request in requests:
        pair = engine._rows(request)
        if pair is not None and pair[0] != pair[1]:
            inputs.update({(row.ids[: row.start], row.ids[row.end :], row.start, row.end): row for row in pair})
    return sum(row.end - row.start for row in inputs.values()) * engine.draws


# ---------------------------------------------------------------- spans


def test_changed_spans_cover_only_the_differing_tokens() -> None:
    assert changed_spans([1, 2, 3, 4], [1, 9, 3, 4]) == ((1, 2), (1, 2))
    assert changed_spans([1, 2, 7, 8, 4], [1, 2, 3, 4]) == ((2, 4), (2, 3))


def test_an_insertion_or_deletion_scores_the_seam_on_both_sides() -> None:
    # [1, 2, 4] drops token 3: the empty side widens to its neighbours, the other side by one each way.
    assert changed_spans([1, 2, 4], [1, 2, 3, 4]) == ((1, 3), (1, 4))


# ---------------------------------------------------------------- tiny random model


def test_scores_have_one_finite_value_per_candidate_and_are_deterministic(tiny: Engine) -> None:
    first = tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, NEWS)
    again = tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, NEWS)
    assert len(first) == len(NEWS) and all(math.isfinite(s) for s in first)
    assert first == again


def test_a_candidate_equal_to_the_original_scores_zero_without_a_forward(tiny: Engine) -> None:
    forwards = tiny.stats.forwards
    assert tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, [OLD]) == [0.0]
    assert tiny.stats.forwards == forwards


def test_a_score_does_not_depend_on_the_rest_of_its_batch(tiny: Engine) -> None:
    together = tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, NEWS)
    alone = [tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, [new])[0] for new in NEWS]
    assert together == pytest.approx(alone, abs=1e-4)


def test_the_projection_runs_only_at_the_scored_positions(tiny: Engine) -> None:
    requests = [ScoreRequest("pkg/stats.py", 2, OLD, new) for new in NEWS]
    before = tiny.stats.projected_positions
    tiny.score(CONTEXT, requests)
    projected = tiny.stats.projected_positions - before
    assert projected == expected_positions(tiny, requests) > 0
    canvas_positions = sum(tiny.canvas_length_for(len(tiny._rows(r)[0].ids)) for r in requests)  # type: ignore[index]
    assert projected < canvas_positions  # far fewer than the whole canvases


def test_the_selected_projection_equals_the_full_projection_there(tiny: Engine) -> None:
    prefix = tiny.encode(CONTEXT).prefix
    canvas = torch.randint(len(tiny_tokenizer()), (3, tiny.canvas_length), generator=torch.Generator().manual_seed(0))
    index = torch.tensor([1, 5, 40, 70])
    targets = canvas.reshape(-1)[index]
    selected = tiny.projected_log_probs(prefix, canvas, index).gather(1, targets[:, None]).squeeze(1)
    full, _ = tiny.denoiser.denoise(prefix, canvas, None)
    expected = torch.log_softmax(full.reshape(-1, full.shape[-1])[index], dim=-1).gather(1, targets[:, None]).squeeze(1)
    torch.testing.assert_close(selected, expected, atol=1e-4, rtol=1e-4)


def test_read_columns_keep_the_asked_order_and_pad_short_rows_with_a_repeat() -> None:
    read, order = read_columns([1, 5, 70, 2], batch=3, length=48)  # 70 is row 1, column 22; row 2 reads nothing
    assert read.tolist() == [[1, 5, 2], [22, 22, 22], [0, 0, 0]]
    assert read.reshape(-1)[order].tolist() == [1, 5, 22, 2]


def test_the_projection_reads_positions_in_any_order(tiny: Engine) -> None:
    prefix = tiny.encode(CONTEXT).prefix
    canvas = torch.randint(len(tiny_tokenizer()), (2, tiny.canvas_length), generator=torch.Generator().manual_seed(1))
    index = torch.tensor([40, 3, 50, 7])
    forward = tiny.projected_log_probs(prefix, canvas, index)
    backward = tiny.projected_log_probs(prefix, canvas, index.flip(0))
    torch.testing.assert_close(forward, backward.flip(0), atol=1e-5, rtol=1e-5)


def test_alternatives_at_one_site_share_one_corrupted_input_with_their_original(tiny: Engine) -> None:
    old = "    return a + b\n"
    trials = [f"    return a {op} b\n" for op in ("-", "*", "/", "%", "<", ">", "&", "|", "^")]
    news = [n for n in trials if len(tiny._tokens(n)) == len(tiny._tokens(old))][:3]  # one token, same place
    assert len(news) >= 2
    rows = tiny.stats.rows
    together = tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, old, news)
    assert tiny.stats.rows - rows == 1  # one decoder row for the candidates and the original
    alone = [tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, old, [n])[0] for n in news]
    assert together == pytest.approx(alone, abs=1e-5) and len(set(together)) == len(news)


def test_multi_line_candidates_are_scored(tiny: Engine) -> None:
    old = "    x = 1\n    return x\n"
    news = ["    x = 1\n    x += 1\n    return x\n", "    return 1\n", ""]
    scores = tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, old, news)
    assert len(scores) == 3 and all(math.isfinite(s) for s in scores)


def test_a_canvas_too_long_for_the_model_scores_minus_infinity(tiny: Engine) -> None:
    long_line = "    return " + " + ".join(f"value_{i}" for i in range(80)) + "\n"
    scores = tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, [long_line, NEWS[0]])
    assert scores[0] == float("-inf") and math.isfinite(scores[1])
    assert tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, long_line, [OLD]) == [float("-inf")]


def test_a_candidate_longer_than_the_trained_canvas_grows_it(tiny: Engine) -> None:
    # The tiny canvas is 32 tokens; this op needs more but fits twice that.
    longer = "    return xs[len(xs) - 1] if xs else None\n"
    assert len(tiny._rows(ScoreRequest("pkg/stats.py", 2, OLD, longer))[0].ids) > tiny.canvas_length  # type: ignore[index]
    assert math.isfinite(tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, [longer])[0])


def test_a_context_is_encoded_once(tiny: Engine) -> None:
    text = CONTEXT + "# another context\n"
    before = tiny.stats.encoder_calls
    tiny.score_repairs(text, "pkg/stats.py", 2, OLD, NEWS[:2])
    tiny.score_repairs(text, "pkg/stats.py", 2, OLD, NEWS[2:])
    assert tiny.stats.encoder_calls == before + 1


# ---------------------------------------------------------------- bf16 autocast scoring


def test_bf16_scoring_autocasts_the_matmuls_and_stays_close_to_fp32(tiny: Engine, tiny_bf16: Engine) -> None:
    assert tiny.score_dtype is None and tiny_bf16.score_dtype == torch.bfloat16
    exact = tiny.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, NEWS)
    fast = tiny_bf16.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, NEWS)
    assert fast != exact  # the matmuls did run in bf16
    assert fast == pytest.approx(exact, abs=0.5) and fast[-1] == 0.0


def test_a_bf16_score_is_deterministic_and_does_not_depend_on_the_rest_of_its_batch(tiny_bf16: Engine) -> None:
    together = tiny_bf16.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, NEWS)
    assert tiny_bf16.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, NEWS) == together
    alone = [tiny_bf16.score_repairs(CONTEXT, "pkg/stats.py", 2, OLD, [new])[0] for new in NEWS]
    assert together == pytest.approx(alone, abs=1e-3)


def test_bf16_log_probabilities_come_back_in_float32(tiny_bf16: Engine) -> None:
    prefix = tiny_bf16.encode(CONTEXT).prefix
    canvas = torch.randint(len(tiny_tokenizer()), (2, tiny_bf16.canvas_length), generator=torch.Generator().manual_seed(2))
    logp = tiny_bf16.projected_log_probs(prefix, canvas, torch.tensor([3, 40]))
    assert logp.dtype == torch.float32 and torch.allclose(logp.exp().sum(dim=1), torch.ones(2), atol=1e-4)


# ---------------------------------------------------------------- the trained dagent-tiny

needs_model = pytest.mark.skipif(not (EMBEDDED_MODEL / "config.json").is_file(), reason="embedded model not built")


@pytest.fixture(scope="module")
def trained() -> Engine:
    return Engine.load()


def _block(code: str) -> str:
    return f"<|fix|>\n<|error|> tests/test_m.py::test_f: AssertionError\n<|file|> pkg/m.py:1\n{code}"


@needs_model
def test_trained_identical_candidate_scores_zero_and_the_projection_count_holds(trained: Engine) -> None:
    requests = [ScoreRequest("pkg/stats.py", 2, OLD, new) for new in NEWS]
    before = trained.stats.projected_positions
    scores = trained.score(CONTEXT, requests)
    assert scores[-1] == 0.0 and all(math.isfinite(s) for s in scores)
    assert trained.stats.projected_positions - before == expected_positions(trained, requests)


# Planted bugs: the trained model prefers the fix to the buggy line. The retrained model (issue 16:
# ranking loss) lost the first case, which the model before it preferred by 2.8 nats: it now prefers the
# bug by 2.0 (on 200 held-out mutations its ranking is better on the whole: README, "Does the model earn
# its place?"). Kept as a strict xfail so that a model that wins it back is noticed.
@needs_model
@pytest.mark.parametrize(("code", "line", "old", "fix"), [
    pytest.param("def last(xs):\n    return xs[len(xs)]\n", 2, "    return xs[len(xs)]\n", "    return xs[len(xs) - 1]\n",
                 marks=pytest.mark.xfail(strict=True, reason="the retrained dagent-tiny prefers the bug here")),
    ("def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n        return lo\n    return x\n",
     5, "        return lo\n", "        return hi\n"),
])  # fmt: skip
def test_trained_model_ranks_a_planted_fix_above_the_buggy_original(trained: Engine, code: str, line: int,
                                                                     old: str, fix: str) -> None:
    assert trained.score_repairs(_block(code), "pkg/m.py", line, old, [fix])[0] > 0.0


# ---------------------------------------------------------------- fill


def _fill_request(before: str, after: str) -> FillRequest:
    return FillRequest("pkg/stats.py", 2, OLD, before, after)


def test_fill_gives_k_distinct_one_line_fillings_from_the_allowed_tokens(tiny: Engine) -> None:
    requests = [_fill_request("    return xs[", "]\n"), _fill_request("    return max(", ", 0)\n")]
    found = tiny.fill(CONTEXT, requests, names=["xs", "len"], k=3)
    assert len(found) == 2
    allowed = vocabulary_mask(tiny, ["xs", "len"])
    for fillings in found:
        assert 1 <= len(fillings) <= 3 and len({f.text for f in fillings}) == len(fillings)
        assert [f.score for f in fillings] == sorted((f.score for f in fillings), reverse=True)
        for f in fillings:
            assert "\n" not in f.text and math.isfinite(f.score)
            ids = encode(tiny.tokenizer, f.text)  # the text re-tokenizes to allowed tokens (as written or merged)
            assert ids and all(bool(allowed[i]) for i in ids) or f.text == "", f.text


def test_the_allowed_tokens_exclude_newlines_markers_and_names_out_of_scope(tiny: Engine) -> None:
    allowed = vocabulary_mask(tiny, ["xs"])
    texts = [tiny.tokenizer.decode([i]) for i in range(len(allowed))]
    assert not any(allowed[i] and ("\n" in t or "@@" in t) for i, t in enumerate(texts))
    assert all(i not in tiny.tokenizer.all_special_ids for i in range(len(allowed)) if allowed[i])
    assert allowed.any() and not allowed.all()


def test_fill_projects_only_at_the_holes(tiny: Engine) -> None:
    before = tiny.stats.projected_positions
    tiny.fill(CONTEXT, [_fill_request("    return ", "\n")], names=["xs"], k=2, lengths=(2,))
    # step 1: one row, 2 hole positions; step 2: 2 branched rows, 1 open position each
    assert tiny.stats.projected_positions - before == 2 + 2


@needs_model
def test_trained_fill_of_a_bound_is_a_parseable_expression(trained: Engine) -> None:
    code = "def last(xs):\n    return xs[len(xs)]\n"
    found = trained.fill(_block(code), [FillRequest("pkg/m.py", 2, "    return xs[len(xs)]\n", "    return xs[", "]\n")],
                         names=["xs", "len"], k=3)[0]
    assert found and any(_compiles(f"xs[{f.text}]") for f in found)


def _compiles(expression: str) -> bool:
    try:
        compile(expression, "<fill>", "eval")
    except SyntaxError:
        return False
    return True


# ---------------------------------------------------------------- sampling


def test_sample_encodes_the_context_once_and_fills_each_skeleton_from_its_draft(tiny: Engine) -> None:
    from dagent.engine.skeleton import Skeleton
    from dagent.ops.syntax import pinned_head, replace_draft

    head = pinned_head("replace", "pkg/stats.py", 2, OLD)
    encoded_before, forwards_before = tiny.stats.encoder_calls, tiny.stats.forwards
    drafts: list[str] = []
    context = CONTEXT + "<|file|> pkg/other.py:1\n"  # a context no earlier test encoded
    found = tiny.sample(context, [Skeleton.replace_line(head), Skeleton.free()], [replace_draft(head), None], k=2,
                        seed=1, on_draft=lambda step, text: drafts.append(text))
    assert sorted(c.skeleton for c in found) == [0, 0, 1, 1]
    assert all(c.text.startswith(head) for c in found if c.skeleton == 0)
    assert tiny.stats.encoder_calls == encoded_before + 1 and tiny.stats.forwards > forwards_before
    assert drafts and tiny.stats.tokens_written > 0 and tiny.stats.sample_s > 0
    tiny.sample(context, [Skeleton.free()], k=1)
    assert tiny.stats.encoder_calls == encoded_before + 1  # the same context: its encoding is reused


def test_sample_decides_by_the_confidence_rule_with_the_free_window_and_no_check(tiny: Engine) -> None:
    from dagent.engine.canvas import drafted_canvas
    from dagent.engine.sampler import CONFIDENCE, DAGENT_REVISE, FREE_WINDOW, PINNED_CONFIDENCE, sample
    from dagent.engine.skeleton import Skeleton
    from dagent.ops.syntax import pinned_head, replace_draft

    head = pinned_head("replace", "pkg/stats.py", 2, OLD)
    skeletons, drafts = [Skeleton.replace_line(head), Skeleton.free()], [replace_draft(head), None]
    found = tiny.sample(CONTEXT, skeletons, drafts, k=2, seed=4)
    canvas, init = drafted_canvas(tiny.tokenizer, skeletons, drafts, tiny.denoiser.canvas_length, tiny.denoiser.vocab_size)
    with torch.inference_mode():
        direct = sample(tiny.denoiser, tiny.encode(CONTEXT).prefix, canvas, k=2, seed=4, init=init, rule="confidence",
                        confidence=PINNED_CONFIDENCE, free_confidence=CONFIDENCE, free_window=FREE_WINDOW,
                        revise=DAGENT_REVISE)
    assert [c.ids for c in found] == [c.ids for c in direct]
    assert DAGENT_REVISE == 0.0  # no check forward: it bought no fix under this rule (engine/sampler.py)


def test_sample_past_its_deadline_raises_sampling_cut(tiny: Engine) -> None:
    import time

    from dagent.engine.engine import SamplingCut
    from dagent.engine.skeleton import Skeleton

    with pytest.raises(SamplingCut):
        tiny.sample(CONTEXT, [Skeleton.free()], k=1, deadline=time.perf_counter() - 1.0)
