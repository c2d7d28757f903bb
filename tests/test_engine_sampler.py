"""dagent's sampler (engine/sampler.py) on a tiny random DiffusionGemma and on a scripted denoiser."""

from __future__ import annotations

import json
import re

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagent.engine.canvas import build_canvas
from dagent.engine.constraints import (
    ANY,
    BODY,
    DOTTED,
    IDENTIFIER,
    IDENTIFIER_START,
    NO_MARKERS,
    ONE_LINE,
    Constraint,
)
from dagent.engine.context import Snippet
from dagent.engine.sampler import FREE_WINDOW, _in_window, one_token_per_forward, sample, sample_stream
from dagent.engine.skeleton import Pinned, Skeleton, Slot, validate
from dagent.engine.stream_starts import start_draft, stream_starts
from dagent.engine.tokenizer import encode
from helpers.engine import CANVAS, ScriptedDenoiser, context_ids, tiny_denoiser, tiny_tokenizer, token_id

PREFIX = "@@replace m.py:2\n    return x - 1\n@@with\n"
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return tiny_denoiser()


@pytest.fixture(scope="module")
def prefix(model):  # type: ignore[no-untyped-def]
    return model.encode(context_ids())


# ---------------------------------------------------------------- invariants (property tests)

PINNED_TEXTS = st.sampled_from(["def ", "(x):\n", "    return ", " + 1\n", "@@replace a.py:3\n", "@@with\n", "self.", "]"])
CONSTRAINTS = st.sampled_from([ANY, IDENTIFIER, ONE_LINE, NO_MARKERS, BODY])
SLOTS = st.builds(Slot, st.integers(1, 4), CONSTRAINTS, st.sampled_from([None, "@@end\n"]),
                  st.sampled_from([None, IDENTIFIER_START]))
SKELETONS = st.lists(st.one_of(st.builds(Pinned, PINNED_TEXTS), SLOTS), min_size=1, max_size=5).map(lambda s: Skeleton(tuple(s)))


@FAST
@given(skeletons=st.lists(SKELETONS, min_size=1, max_size=2), seed=st.integers(0, 2**16), rule=st.sampled_from(["entropy", "confidence"]))
def test_pinned_tokens_are_identical_in_every_output(model, prefix, skeletons, seed, rule) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), skeletons, CANVAS)
    found = sample(model, prefix, canvas, k=2, steps=4, rule=rule, seed=seed)
    assert len(found) == 2 * len(skeletons)
    for cand in found:
        row = canvas.row_skeleton.index(cand.skeleton)
        pinned = canvas.pinned[row]
        assert torch.equal(torch.tensor(cand.ids)[pinned], canvas.ids[row][pinned])
        at = 0
        for segment in skeletons[cand.skeleton].segments:  # and the pinned text reads back, in order
            if isinstance(segment, Pinned):
                at = cand.text.index(segment.text, at) + len(segment.text)


@FAST
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_constraint_masks_are_never_violated(model, prefix, data, seed) -> None:  # type: ignore[no-untyped-def]
    vocab_size = len(tiny_tokenizer())
    picks = [frozenset(data.draw(st.sets(st.integers(30, vocab_size - 1), min_size=1, max_size=6))) for _ in range(2)]
    constraints = [Constraint(f"ids{sorted(p)}", lambda t, p=p: t.id in p) for p in picks]
    skeleton = Skeleton((Slot(5, constraints[0]), Pinned(" = "), Slot(None, constraints[1])))
    canvas = build_canvas(tiny_tokenizer(), [skeleton], CANVAS)
    for cand in sample(model, prefix, canvas, k=3, steps=3, seed=seed):
        for pos, tok in enumerate(cand.ids):
            if not canvas.pinned[0, pos]:
                assert canvas.allowed[0, pos, tok], (pos, tok)
                assert tok == canvas.pad_id or tok in picks[int(canvas.slot_id[0, pos])]


@FAST
@given(seed=st.integers(0, 2**16), k=st.integers(1, 3))
def test_slots_keep_pads_at_the_tail_and_close_after_end(model, prefix, seed, k) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    start = int((~canvas.pinned[0]).nonzero()[0])
    end_id, newline, pad = token_id("@@end"), token_id("\n"), canvas.pad_id
    for cand in sample(model, prefix, canvas, k=k, steps=6, seed=seed):
        slot = cand.ids[start:]
        cut = next((i for i, t in enumerate(slot) if t in (pad, end_id)), len(slot))
        if cut < len(slot) and slot[cut] == end_id:
            assert slot[cut + 1 : cut + 2] in ([newline], [])
            cut += 2
        assert all(t == pad for t in slot[cut:]), slot


# ---------------------------------------------------------------- ranking, batching, prefix reuse


def test_k_candidates_come_back_ranked_by_score(model, prefix) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    before = model.decoder_calls
    found = sample(model, prefix, canvas, k=5, steps=6, seed=3)
    scores = [c.score for c in found]
    assert len(found) == 5 and scores == sorted(scores, reverse=True)
    assert len(set(c.text for c in found)) > 1  # different samples, not one copied five times
    assert all(c.score < 0 and c.steps <= 6 and sum(c.accepted_per_step) <= CANVAS for c in found)
    assert model.decoder_calls - before == max(c.steps for c in found)  # one batched forward per step


def test_the_context_is_encoded_once_per_context(model) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX), Skeleton.free()], CANVAS)
    encoder_before, decoder_before = model.encoder_calls, model.decoder_calls
    state = model.encode(context_ids())
    first = sample(model, state, canvas, k=3, steps=5, seed=1)
    second = sample(model, state, canvas, k=2, steps=5, rule="confidence", seed=2)
    assert len(first) == 6 and len(second) == 4
    assert model.encoder_calls - encoder_before == 1
    assert model.decoder_calls - decoder_before >= 4  # several steps ran, all on the one encoding


def test_same_seed_same_candidates(model, prefix) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    a = sample(model, prefix, canvas, k=2, steps=4, seed=11)
    b = sample(model, prefix, canvas, k=2, steps=4, seed=11)
    assert [c.ids for c in a] == [c.ids for c in b]


def test_on_step_streams_drafts(model, prefix) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    drafts: list[tuple[int, torch.Tensor]] = []
    found = sample(model, prefix, canvas, k=2, steps=4, seed=0, on_step=lambda step, ids: drafts.append((step, ids.clone())))
    assert [s for s, _ in drafts] == list(range(len(drafts))) and 1 <= len(drafts) <= 4
    assert all(ids.shape == (2, CANVAS) for _, ids in drafts)
    assert max(c.steps for c in found) == len(drafts)


# ---------------------------------------------------------------- acceptance rules, on a scripted model


def scripted(prefer: str, strength: float = 30.0) -> ScriptedDenoiser:
    tok = tiny_tokenizer()
    return ScriptedDenoiser(len(tok), CANVAS, tok.pad_token_id, token_id(prefer), strength)


@pytest.mark.parametrize("rule", ["entropy", "confidence"])
def test_a_confident_model_fills_the_canvas_in_one_step_then_checks_it(rule: str) -> None:
    den = SecondThoughts(0, "", "")  # never changes its mind: the check finds nothing to redo
    canvas = build_canvas(tiny_tokenizer(), [Skeleton((Pinned("def "), Slot(6, IDENTIFIER), Pinned("():\n")))], CANVAS)
    den.start = int((~canvas.pinned[0]).nonzero()[0])
    den.first = den.later = [token_id(c) for c in "abcdxy"]
    [cand] = sample(den, den.encode(context_ids()), canvas, rule=rule)  # type: ignore[arg-type]
    assert cand.accepted_per_step[0] == 6 and cand.steps == den.decoder_calls == 2  # the fill, then its check
    assert cand.text.startswith("def abcdxy():\n") and cand.score > -1e-3


class SecondThoughts(ScriptedDenoiser):
    """Prefers `first` on the slot at its first forward and `later` from then on: a model that, once it
    sees the whole canvas, doubts one token."""

    def __init__(self, start: int, first: str, later: str) -> None:
        tok = tiny_tokenizer()
        super().__init__(len(tok), CANVAS, tok.pad_token_id, token_id("x"))
        self.start, self.first, self.later = start, [token_id(c) for c in first], [token_id(c) for c in later]

    def choice(self, canvas: torch.LongTensor) -> torch.LongTensor:
        chosen = torch.full_like(canvas, self.pad_id)
        word = self.first if self.decoder_calls == 1 else self.later
        chosen[:, self.start : self.start + len(word)] = torch.tensor(word)
        return chosen


@pytest.mark.parametrize("revise", [0.0, 0.3])
def test_a_finished_row_gets_one_check_that_redecides_the_tokens_the_whole_canvas_doubts(revise: float) -> None:
    canvas = build_canvas(tiny_tokenizer(), [Skeleton((Pinned("def "), Slot(3, IDENTIFIER), Pinned("():\n")))], CANVAS)
    den = SecondThoughts(int((~canvas.pinned[0]).nonzero()[0]), "abc", "abd")
    [cand] = sample(den, den.encode(context_ids()), canvas, rule="confidence", temperature=0.0, revise=revise)
    if revise:
        assert cand.text.startswith("def abd():\n") and cand.steps == den.decoder_calls == 2
    else:
        assert cand.text.startswith("def abc():\n") and cand.steps == den.decoder_calls == 1


def test_a_free_row_accepts_only_within_its_window_and_a_pinned_row_anywhere() -> None:
    open_ = torch.tensor([[False, True, True, True, True], [False, True, True, True, True],
                          [False, False, False, False, False]])
    free_rows = torch.tensor([True, False, True])
    assert _in_window(open_, free_rows, 2).tolist() == [
        [False, True, True, False, False],  # the two columns from its first open one
        [False, True, True, True, True],  # a pinned row: unchanged
        [False, False, False, False, False],  # nothing open: nothing to accept
    ]


def test_a_confident_free_canvas_fills_left_to_right_within_its_window() -> None:
    den = scripted("x")  # confident everywhere: without a window the whole canvas goes in one step
    canvas = build_canvas(tiny_tokenizer(), [Skeleton((Slot(8, IDENTIFIER),))], CANVAS)
    free = int((~canvas.pinned[0]).sum())
    [windowed] = sample(den, den.encode(context_ids()), canvas, rule="confidence", free_window=3, revise=0.0,
                        stop_entropy=0.0)  # no early stop: every position decided by the rule
    assert windowed.accepted_per_step == [3] * (free // 3) + ([free % 3] if free % 3 else [])
    [anywhere] = sample(den, den.encode(context_ids()), canvas, rule="confidence", revise=0.0, stop_entropy=0.0)
    assert anywhere.accepted_per_step == [free]


def test_a_window_of_no_columns_is_refused(model, prefix) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.free()], CANVAS)
    with pytest.raises(ValueError, match="free_window"):
        sample(model, prefix, canvas, rule="confidence", free_window=0)


@pytest.mark.parametrize("seed", [0, 7])
def test_the_free_window_leaves_pinned_rows_unchanged(model, prefix, seed) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX), Skeleton((Pinned("def "), Slot(None, ANY)))], CANVAS)
    plain = sample(model, prefix, canvas, k=2, rule="confidence", seed=seed)
    windowed = sample(model, prefix, canvas, k=2, rule="confidence", seed=seed, free_window=2)
    assert [c.ids for c in plain] == [c.ids for c in windowed]


def test_an_unsure_model_accepts_one_position_per_step_under_the_entropy_bound() -> None:
    den = scripted("x", strength=2.0)  # high entropy everywhere: the bound admits one position at a time
    canvas = build_canvas(tiny_tokenizer(), [Skeleton((Slot(5, IDENTIFIER),))], CANVAS)
    [cand] = sample(den, den.encode(context_ids()), canvas, steps=48, stop_entropy=0.0)
    assert cand.accepted_per_step[:4] == [1, 1, 1, 1]


def test_one_token_per_forward_decides_exactly_one_position_per_forward() -> None:
    den = scripted("x")
    canvas = build_canvas(tiny_tokenizer(), [Skeleton((Pinned("def "), Slot(6, IDENTIFIER)))], CANVAS)
    [cand] = one_token_per_forward(den, den.encode(context_ids()), canvas)
    assert cand.accepted_per_step == [1] * 6 and cand.steps == 6 == den.decoder_calls


def test_a_decided_end_closes_the_slot_with_its_tail() -> None:
    den = scripted("@@end")
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    [cand] = sample(den, den.encode(context_ids()), canvas)
    assert cand.text == PREFIX + "@@end\n" and cand.written == 2


def test_a_pad_in_a_closing_slot_ends_it_with_the_close() -> None:
    tok = tiny_tokenizer()
    den = ScriptedDenoiser(len(tok), CANVAS, tok.pad_token_id, tok.pad_token_id)
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    [cand] = sample(den, den.encode(context_ids()), canvas)
    assert cand.text == PREFIX + "@@end\n" and cand.written == 2


class Positional(ScriptedDenoiser):
    """Scripted preferences per canvas position (`wanted`: position -> [(token id, strength)]), pad elsewhere."""

    def __init__(self, wanted: dict[int, list[tuple[int, float]]]) -> None:
        tok = tiny_tokenizer()
        super().__init__(len(tok), CANVAS, tok.pad_token_id, tok.pad_token_id)
        self.wanted = wanted

    def denoise(self, prefix, canvas, self_cond):  # type: ignore[no-untyped-def]
        logits = super().denoise(prefix, canvas, self_cond)[0]
        for pos, prefs in self.wanted.items():
            logits[:, pos] = 0.0
            for tok_id, strength in prefs:
                logits[:, pos, tok_id] = strength
        return logits, None


def test_a_blank_line_decided_first_does_not_block_the_close_before_it() -> None:
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    start = int((~canvas.pinned[0]).nonzero()[0])
    den = Positional({start: [(token_id("@@end"), 8.0)], start + 1: [(token_id("\n"), 30.0)]})
    [cand] = sample(den, den.encode(context_ids()), canvas, rule="confidence", stop_entropy=0.0, temperature=0.0)
    assert cand.accepted_per_step[0] > 1  # the newline (and pads) came first, the close after
    assert cand.text == PREFIX + "@@end\n"


def test_a_close_is_undone_after_a_line_left_open() -> None:
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    start = int((~canvas.pinned[0]).nonzero()[0])
    x, newline, end = token_id("x"), token_id("\n"), token_id("@@end")
    den = Positional({start: [(x, 30.0)], start + 1: [(end, 30.0), (newline, 10.0)], start + 2: [(end, 30.0)]})
    [cand] = sample(den, den.encode(context_ids()), canvas, rule="confidence", stop_entropy=0.0, steps=CANVAS,
                    temperature=0.0)
    assert cand.text == PREFIX + "x\n@@end\n"


@FAST
@given(seed=st.integers(0, 2**16), rule=st.sampled_from(["entropy", "confidence"]))
def test_a_rename_always_writes_two_names(model, prefix, seed, rule) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.for_prefix("@@rename m.py ")], CANVAS)
    for cand in sample(model, prefix, canvas, k=3, steps=8, seed=seed, rule=rule):
        assert re.fullmatch(r"@@rename m\.py [A-Za-z_]\w*(\.[A-Za-z_]\w*)* [A-Za-z_]\w*", cand.text), cand.text


@FAST
@given(seed=st.integers(0, 2**16), rule=st.sampled_from(["entropy", "confidence"]), steps=st.sampled_from([2, 8]))
def test_a_static_symbol_is_always_a_dotted_method_name(model, prefix, seed, rule, steps) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.for_prefix("@@static m.py ")], CANVAS)
    for cand in sample(model, prefix, canvas, k=3, steps=steps, seed=seed, rule=rule):
        assert validate(cand.text) is None, cand.text


def test_a_dot_decided_beside_the_end_of_its_name_is_undone() -> None:
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.words("@@static m.py ", [DOTTED])], CANVAS)
    start = int((~canvas.pinned[0]).nonzero()[0])
    pad = canvas.pad_id
    den = Positional({start: [(token_id("x"), 30.0)], start + 1: [(token_id("."), 30.0), (token_id("y"), 10.0)],
                      start + 2: [(pad, 30.0), (token_id("z"), 20.0)]})
    [cand] = sample(den, den.encode(context_ids()), canvas, rule="confidence", temperature=0.0, stop_entropy=0.0)
    assert cand.text in ("@@static m.py xy", "@@static m.py x.z"), cand.text


@FAST
@given(seed=st.integers(0, 2**16), rule=st.sampled_from(["entropy", "confidence"]))
def test_a_closing_marker_always_starts_its_line(model, prefix, seed, rule) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    for cand in sample(model, prefix, canvas, k=3, steps=CANVAS, seed=seed, rule=rule, stop_entropy=0.0):
        body = cand.text[len(PREFIX):]
        assert "@@end" not in body or body.startswith("@@end") or "\n@@end" in body, body
        assert body.count("@@end") <= 1


def test_parallel_pad_before_content_is_undone_and_then_forbidden() -> None:
    tok = tiny_tokenizer()
    n = len(encode(tok, "def "))
    strong = {n: tok.pad_token_id, n + 3: token_id("x")}  # in one step: a pad, and content after it

    class Picky(ScriptedDenoiser):
        def denoise(self, prefix, canvas, self_cond):  # type: ignore[no-untyped-def]
            self.decoder_calls += 1
            logits = torch.zeros(*canvas.shape, self.vocab_size)
            for pos, tok_id in strong.items():
                logits[:, pos, tok_id] = 30.0
            return logits, None

    den = Picky(len(tok), CANVAS, tok.pad_token_id, 0)
    canvas = build_canvas(tok, [Skeleton((Pinned("def "), Slot(6, IDENTIFIER)))], CANVAS)
    [cand] = sample(den, den.encode(context_ids()), canvas, steps=12, rule="confidence", stop_entropy=0.0, seed=5)
    slot = cand.ids[n : n + 6]
    assert cand.accepted_per_step[0] == 1  # the pad was undone, only "x" stayed decided
    assert slot[0] != tok.pad_token_id and slot[3] == token_id("x")
    first_pad = slot.index(tok.pad_token_id) if tok.pad_token_id in slot else 6
    assert first_pad > 3 and all(t == tok.pad_token_id for t in slot[first_pad:])


def test_stream_continues_on_a_new_canvas_until_max_canvases() -> None:
    den = scripted("x")  # never pads, never ends: every canvas fills up
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.free()], CANVAS)
    [cand] = sample_stream(den, den.encode(context_ids()), canvas, k=1, max_canvases=3)
    assert cand.canvases == 3 and len(cand.ids) == 3 * CANVAS and den.extended == [CANVAS, CANVAS]
    assert den.encoder_calls == 3 and cand.text == "x" * 3 * CANVAS


def test_stream_stops_when_the_canvas_had_room() -> None:
    den = scripted("@@end")
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX)], CANVAS)
    found = sample_stream(den, den.encode(context_ids()), canvas, k=2, max_canvases=3)
    assert [c.canvases for c in found] == [1, 1] and den.extended == []


def test_stream_on_the_real_class_extends_the_prefix(model) -> None:  # type: ignore[no-untyped-def]
    encoder_before = model.encoder_calls
    state = model.encode(context_ids())
    canvas = build_canvas(tiny_tokenizer(), [Skeleton((Slot(None, IDENTIFIER),))], CANVAS)
    found = sample_stream(model, state, canvas, k=2, max_canvases=2, steps=3)
    assert len(found) == 2
    extra = sum(c.canvases - 1 for c in found)
    assert model.encoder_calls - encoder_before == 1 + extra
    assert all(len(c.ids) == CANVAS * c.canvases for c in found)


def test_masked_noise_fills_undecided_positions_with_the_mask_token() -> None:
    seen: list[torch.Tensor] = []

    class Masked(ScriptedDenoiser):
        mask_id = 5

        def denoise(self, prefix, canvas, self_cond):  # type: ignore[no-untyped-def]
            seen.append(canvas.clone())
            return super().denoise(prefix, canvas, self_cond)

    tok = tiny_tokenizer()
    den = Masked(len(tok), CANVAS, tok.pad_token_id, token_id("x"), strength=2.0)
    canvas = build_canvas(tok, [Skeleton((Pinned("def "), Slot(4, IDENTIFIER)))], CANVAS)
    sample(den, den.encode(context_ids()), canvas, steps=3, stop_entropy=0.0)
    n = len(encode(tok, "def "))
    assert (seen[0][0, n : n + 4] == 5).all() and (seen[1][0, n : n + 4] == 5).sum() == 3


# ---------------------------------------------------------------- the speed work keeps the candidates


def test_the_argmax_path_gives_the_candidates_the_sampler_gave_before_its_speed_work() -> None:
    # Golden: what the sampler of e3c510a wrote on these calls (tests/helpers/sampler_golden.py, on a
    # denoiser whose logits every machine computes alike). Every exact change (one masked copy at the
    # undecided positions, the rules applied where they touch, entropy only where read, finished rows
    # leaving the batch, slot starts that a canvas without them never reads) must leave them identical.
    from helpers.sampler_golden import GOLDEN, fingerprint

    assert fingerprint() == json.loads(GOLDEN.read_text())


def test_inverse_cdf_draws_follow_the_tempered_distribution_and_never_a_masked_token() -> None:
    from dagent.engine.sampler import _Positions

    probs = torch.tensor([0.5, 0.3, 0.0, 0.15, 0.05])
    n = 20000
    logits = probs.log().expand(n, -1).clone()  # log 0 = -inf: a masked token
    where = torch.ones(1, n, dtype=torch.bool)
    rows, cols = where.nonzero(as_tuple=True)
    table = _Positions(where, rows, cols, logits)
    drawn = table.draw(where, 1.0, torch.Generator().manual_seed(0))[0]
    counts = torch.bincount(drawn, minlength=5).double() / n
    assert counts[2] == 0
    assert torch.allclose(counts, probs.double(), atol=0.015)
    sharper = torch.bincount(table.draw(where, 0.5, torch.Generator().manual_seed(1))[0], minlength=5).double() / n
    expected = torch.softmax(logits[0] / 0.5, dim=-1).double()
    assert torch.allclose(sharper, expected, atol=0.015)
    assert torch.equal(table.draw(where, 0.0, torch.Generator())[0], torch.zeros(n, dtype=torch.long))  # argmax


def test_same_seed_same_sampled_candidates_with_temperature(model, prefix) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX), Skeleton.for_prefix("@@rename m.py ")], CANVAS)
    runs = [sample(model, prefix, canvas, k=3, seed=5, temperature=(1.0, 0.5), steps=20, confidence=0.05) for _ in range(2)]
    assert [(c.ids, c.score) for c in runs[0]] == [(c.ids, c.score) for c in runs[1]]


class BatchSizes(ScriptedDenoiser):
    """Records the rows of every forward."""

    def __init__(self) -> None:
        tok = tiny_tokenizer()
        super().__init__(len(tok), CANVAS, tok.pad_token_id, token_id("x"))
        self.rows: list[int] = []

    def denoise(self, prefix, canvas, self_cond):  # type: ignore[no-untyped-def]
        self.rows.append(canvas.shape[0])
        return super().denoise(prefix, canvas, self_cond)


def test_finished_rows_leave_the_batch() -> None:
    den = BatchSizes()
    short = Skeleton((Pinned("def "), Slot(2, IDENTIFIER), Pinned("():\n")))
    long = Skeleton((Pinned("def "), Slot(5, IDENTIFIER), Pinned("():\n")))
    canvas = build_canvas(tiny_tokenizer(), [short, long], CANVAS)
    found = one_token_per_forward(den, den.encode(context_ids()), canvas)
    assert den.rows == [2, 2, 1, 1, 1]  # the two-token row stops after two forwards
    assert sorted(c.steps for c in found) == [2, 5]


# ---------------------------------------------------------------- slot starts (an anchored free canvas)

ANCHORS = stream_starts([Snippet("m.py", 2, "def f(x):\n    return x - 1\n")])


def _fitting(canvas, row: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    tok = tiny_tokenizer()
    return [tok.decode(r[r >= 0].tolist()) for r in canvas.starts[row][canvas.start_ok[row]]]


@FAST
@given(seed=st.integers(0, 2**16), rule=st.sampled_from(["entropy", "confidence", "one", "left"]))
def test_every_output_of_an_anchored_canvas_starts_with_one_start(model, prefix, seed, rule) -> None:  # type: ignore[no-untyped-def]
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.anchored([Snippet("m.py", 2, "def f(x):\n    return x - 1\n")])], CANVAS)
    starts = _fitting(canvas)
    assert starts and set(starts) <= set(ANCHORS)
    if rule in ("one", "left"):
        found = one_token_per_forward(model, prefix, canvas, k=2, seed=seed, left_to_right=rule == "left")
    else:
        found = sample(model, prefix, canvas, k=2, steps=6, rule=rule, seed=seed, free_window=FREE_WINDOW)
    for cand in found:
        assert any(cand.text.startswith(s) for s in starts), cand.text


class Recording(ScriptedDenoiser):
    """Prefers pad everywhere; keeps the canvas of every forward."""

    def __init__(self) -> None:
        tok = tiny_tokenizer()
        super().__init__(len(tok), CANVAS, tok.pad_token_id, tok.pad_token_id)
        self.seen: list[torch.LongTensor] = []

    def denoise(self, prefix, canvas, self_cond):  # type: ignore[no-untyped-def]
        self.seen.append(canvas.clone())
        return super().denoise(prefix, canvas, self_cond)


def test_what_every_start_holds_alike_is_written_before_the_first_forward() -> None:
    tok = tiny_tokenizer()
    den = Recording()
    canvas = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=("x = 1\n", "x = 2\n")),))], CANVAS)
    [cand] = sample(den, den.encode(context_ids()), canvas, steps=8, rule="confidence")
    held = encode(tok, "x = ")
    assert den.seen[0][0, : len(held)].tolist() == held  # shared by both starts: decided at once
    assert cand.text in ("x = 1\n", "x = 2\n")


def test_positions_decided_together_from_two_starts_keep_one_start() -> None:
    tok = tiny_tokenizer()
    one, two = encode(tok, "x = 1\n"), encode(tok, "y = 2\n")
    last = len(one) - 2  # the digit's position
    assert len(one) == len(two) and one[0] != two[0] and one[last] != two[last]
    # the model wants x (start one) first and 2 (start two) at the digit, surely, both in one step
    den = Positional({0: [(one[0], 30.0)], last: [(two[last], 30.0)]})
    canvas = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=("x = 1\n", "y = 2\n")),))], CANVAS)
    for steps in (1, 8):  # cut at once (the end completes one start) or left to settle
        [cand] = sample(den, den.encode(context_ids()), canvas, steps=steps, rule="confidence", stop_entropy=0.0)
        assert cand.text in ("x = 1\n", "y = 2\n")


def test_a_slot_whose_starts_do_not_fit_samples_as_a_free_one(model, prefix) -> None:  # type: ignore[no-untyped-def]
    tok = tiny_tokenizer()
    too_long = "x = " + " + ".join(["value"] * CANVAS) + "\n"  # longer than the canvas: dropped as a start
    unfit = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=(too_long,)),))], CANVAS)
    assert (unfit.starts < 0).all() and not unfit.start_ok.any()
    free = build_canvas(tok, [Skeleton.free()], CANVAS)
    a = sample(model, prefix, free, k=2, steps=6, seed=3, rule="confidence")
    b = sample(model, prefix, unfit, k=2, steps=6, seed=3, rule="confidence")
    assert [c.ids for c in a] == [c.ids for c in b]


def test_free_rows_accept_at_their_own_confidence_threshold() -> None:
    tok = tiny_tokenizer()
    # a model half sure of its token everywhere: p("x") is about 0.5
    den = ScriptedDenoiser(len(tok), CANVAS, tok.pad_token_id, token_id("x"), strength=float(torch.log(torch.tensor(600.0))))
    canvas = build_canvas(tok, [Skeleton.replace_line(PREFIX), Skeleton.free()], CANVAS)
    prefix = den.encode(context_ids())
    found = sample(den, prefix, canvas, k=1, steps=8, rule="confidence", confidence=0.3, free_confidence=0.9,
                   temperature=0.0, stop_entropy=0.0, revise=0.0)
    by_row = {c.skeleton: c.accepted_per_step for c in found}
    assert by_row[0][0] > 1  # the pinned row takes every open position it is half sure of (0.5 >= 0.3)
    assert by_row[1][:3] == [1, 1, 1]  # the free row one a step, its most confident (0.5 < 0.9)


# ---------------------------------------------------------------- a settled start's draft

def _only(op: str, line: str = "    return x - 1\n") -> tuple[str, ...]:
    return tuple(s for s in stream_starts([Snippet("m.py", 2, line)]) if s.startswith(op))


def test_a_settled_replace_start_continues_from_its_old_line_from_the_first_forward() -> None:
    tok = tiny_tokenizer()
    den = Recording()
    [start] = _only("@@replace")
    canvas = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=(start,)),))], CANVAS)
    sample(den, den.encode(context_ids()), canvas, steps=4, rule="confidence", free_window=FREE_WINDOW)
    held = encode(tok, start) + encode(tok, start_draft(start))
    assert den.seen[0][0, : len(held)].tolist() == held
    assert (den.seen[0][0, len(held) :] == tok.pad_token_id).all()


def test_a_start_settled_by_the_model_brings_its_draft_to_the_next_forward() -> None:
    tok = tiny_tokenizer()
    starts = _only("@@replace", "    x = 1\n    y = 2\n")  # lines 2 and 3: they part at the line number
    ids = [encode(tok, s) for s in starts]
    parting = next(i for i, (a, b) in enumerate(zip(*ids)) if a != b)
    den = Recording()
    den.prefer = ids[1][parting]  # the model wants line 3's number (and that token everywhere else)
    canvas = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=starts),))], CANVAS)
    sample(den, den.encode(context_ids()), canvas, steps=4, rule="confidence", free_window=FREE_WINDOW)
    held = ids[1] + encode(tok, start_draft(starts[1]))
    assert den.seen[0][0, len(ids[1]) : len(held)].tolist() != held[len(ids[1]) :]  # two starts open: noise there
    assert den.seen[1][0, : len(held)].tolist() == held  # line 3 chosen: its old line is the draft now


def test_a_drafted_row_samples_as_a_pinned_row_and_an_insert_stays_free() -> None:
    tok = tiny_tokenizer()
    # half sure of "x" everywhere: p about 0.5, under the free threshold and over the pinned one
    den = ScriptedDenoiser(len(tok), CANVAS, tok.pad_token_id, token_id("x"), strength=float(torch.log(torch.tensor(600.0))))
    rows = [Skeleton((Slot(None, ANY, starts=_only(op)),)) for op in ("@@replace", "@@insert_after")]
    canvas = build_canvas(tok, rows, CANVAS)
    found = sample(den, den.encode(context_ids()), canvas, k=1, steps=8, rule="confidence", confidence=0.3,
                   free_confidence=0.9, free_window=2, temperature=0.0, stop_entropy=0.0, revise=0.0)
    by_row = {c.skeleton: c.accepted_per_step for c in found}
    assert by_row[0][0] > 2  # past the window, at the pinned threshold
    assert by_row[1][:3] == [1, 1, 1]  # the insert's row: one a step, its most confident


# ---------------------------------------------------------------- a copy of the draft


class Copying(ScriptedDenoiser):
    """Prefers each position's current token (so a drafted row copies its draft), and `second` next; at
    column `column`, `third` comes before `second` (the likeliest one-token edit is there)."""

    def __init__(self, second: int, third: int | None = None, column: int = -1, length: int = CANVAS) -> None:
        tok = tiny_tokenizer()
        super().__init__(len(tok), length, tok.pad_token_id, tok.pad_token_id)
        self.second, self.third, self.column = second, third, column

    def denoise(self, prefix, canvas, self_cond):  # type: ignore[no-untyped-def]
        self.decoder_calls += 1
        logits = torch.zeros(*canvas.shape, self.vocab_size)
        logits[..., self.second] = self.strength / 2
        if self.third is not None:
            logits[:, self.column, self.third] = self.strength * 3 / 4
        logits.scatter_(-1, canvas.unsqueeze(-1), self.strength)
        return logits, None


@pytest.mark.parametrize("method", ["confidence", "left-to-right"])
def test_a_row_that_copies_its_draft_takes_a_one_token_edit_inside_the_line(method: str) -> None:
    from dagent.agent.bench.engine import valid_edit
    from dagent.engine.canvas import drafted_canvas
    from dagent.ops.syntax import replace_draft

    tok = tiny_tokenizer()
    den = Copying(second=token_id("y"))
    canvas, init = drafted_canvas(tok, [Skeleton.replace_line(PREFIX)], [replace_draft(PREFIX)], CANVAS)
    prefix = den.encode(context_ids())
    if method == "confidence":
        found = sample(den, prefix, canvas, k=3, steps=8, seed=1, rule="confidence", init=init)
    else:
        found = one_token_per_forward(den, prefix, canvas, k=3, seed=1, init=init, left_to_right=True)
    assert init is not None
    copy = torch.where(init[0] >= 0, init[0], canvas.ids[0]).tolist()  # what each row wrote: its draft
    assert len({c.text for c in found}) == 3  # three rows copied one draft: three different edits
    for c in found:
        changed = [i for i, (a, b) in enumerate(zip(c.ids, copy, strict=True)) if a != b]
        assert len(changed) == 1 and c.ids[changed[0]] == token_id("y")  # one token: its runner-up
        assert valid_edit(c.text) and c.text.endswith("@@end\n") and c.text.count("\n") == 5  # inside the line


def test_a_row_without_a_draft_is_left_as_the_model_wrote_it() -> None:
    tok = tiny_tokenizer()
    den = Copying(second=token_id("y"))
    canvas = build_canvas(tok, [Skeleton.replace_line(PREFIX)], CANVAS)
    found = sample(den, den.encode(context_ids()), canvas, k=2, steps=8, seed=1, rule="confidence")
    assert all("y" not in c.text[len(PREFIX):] for c in found)


def test_the_likeliest_one_token_edit_comes_first() -> None:
    from dagent.engine.canvas import drafted_canvas
    from dagent.ops.syntax import replace_draft

    tok = tiny_tokenizer()
    canvas, init = drafted_canvas(tok, [Skeleton.replace_line(PREFIX)], [replace_draft(PREFIX)], CANVAS)
    assert init is not None
    column = int((init[0] == token_id("x")).nonzero()[0])  # the draft's `x`
    den = Copying(second=token_id("y"), third=token_id("z"), column=column)
    [found] = sample(den, den.encode(context_ids()), canvas, k=1, steps=8, seed=1, rule="confidence", init=init)
    assert found.ids[column] == token_id("z") and found.text.endswith("    return z - 1\n@@end\n")


def test_a_free_row_that_copies_its_settled_start_keeps_the_op_whole() -> None:
    from dagent.agent.bench.engine import valid_edit

    tok = tiny_tokenizer()
    [start] = _only("@@replace", "    pass\n")  # two code tokens at most: every copy row runs out of edits
    canvas = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=(start,)),))], CANVAS)
    den = Copying(second=token_id("@@delete"))  # the runner-up everywhere an op marker: never taken
    found = sample(den, den.encode(context_ids()), canvas, k=3, steps=8, seed=1, rule="confidence", free_window=FREE_WINDOW)
    for c in found:
        assert "@@delete" not in c.text and c.text.count("@@end") == 1, c.text
    den = Copying(second=token_id("y"))
    found = sample(den, den.encode(context_ids()), canvas, k=2, steps=8, seed=1, rule="confidence", free_window=FREE_WINDOW)
    assert all(valid_edit(c.text) and "y" in c.text.split("@@with\n")[1] for c in found)
