"""Skeletons, slots and constraint masks (engine/canvas.py)."""

from __future__ import annotations

import pytest
import torch

from dagent.engine.canvas import GRAIN, HEADROOM, build_canvas, drafted_canvas
from dagent.engine.constraints import (
    ANY,
    BODY,
    DOTTED,
    IDENTIFIER,
    IDENTIFIER_START,
    NO_MARKERS,
    ONE_LINE,
    tokens,
    vocab_for,
)
from dagent.engine.skeleton import CanvasTooSmall, Pinned, Skeleton, Slot, validate
from dagent.engine.tokenizer import encode
from dagent.ops.syntax import END, MARKERS, replace_draft
from helpers.engine import CANVAS, tiny_tokenizer, token_id

PREFIX = "@@replace m.py:2\n    return x - 1\n@@with\n"


def texts_allowed(constraint) -> list[str]:  # type: ignore[no-untyped-def]
    vocab = vocab_for(tiny_tokenizer())
    return [vocab.infos[i].text for i in vocab.mask(constraint).nonzero().squeeze(1).tolist()]


def test_identifier_tokens_decode_to_identifier_characters_only() -> None:
    allowed = texts_allowed(IDENTIFIER)
    assert len(allowed) > 50
    assert all(t and all(c.isalnum() or c == "_" for c in t) for t in allowed)
    assert "return" in allowed or "re" in allowed


def test_one_line_excludes_newlines_and_no_markers_excludes_markers() -> None:
    assert not any("\n" in t for t in texts_allowed(ONE_LINE))
    no_markers = texts_allowed(NO_MARKERS)
    assert not set(no_markers) & set(MARKERS)
    assert any("\n" in t for t in no_markers)


def test_constraints_compose_and_never_allow_control_tokens() -> None:
    vocab = vocab_for(tiny_tokenizer())
    both = vocab.mask(IDENTIFIER & ONE_LINE)
    assert torch.equal(both, vocab.mask(IDENTIFIER) & vocab.mask(ONE_LINE))
    assert torch.equal(vocab.mask(BODY), vocab.mask(NO_MARKERS) | vocab.mask(tokens(END)))
    tok = tiny_tokenizer()
    for control in ("<bos>", "<eos>", "<image>", "<|file|>", "<pad>"):
        assert not vocab.mask(ANY)[tok.convert_tokens_to_ids(control)], control
    assert vocab.mask(ANY)[token_id("@@replace")]


def test_masks_are_computed_once_per_tokenizer() -> None:
    assert vocab_for(tiny_tokenizer()) is vocab_for(tiny_tokenizer())
    vocab = vocab_for(tiny_tokenizer())
    assert vocab.mask(IDENTIFIER) is vocab.mask(IDENTIFIER)


def test_replace_line_skeleton_layout() -> None:
    tok = tiny_tokenizer()
    canvas = build_canvas(tok, [Skeleton.replace_line(PREFIX)], CANVAS)
    pinned_ids = encode(tok, PREFIX)
    n = len(pinned_ids)
    assert canvas.ids[0, :n].tolist() == pinned_ids
    assert canvas.pinned[0, :n].all() and not canvas.pinned[0, n:].any()
    assert (canvas.slot_id[0, n:] == 0).all() and (canvas.slot_id[0, :n] == -1).all()
    assert (canvas.close_id[0, n:] == token_id(END)).all()
    assert canvas.tail[0, 0, 0] == token_id("\n")  # "@@end" is followed by its newline
    allowed = canvas.allowed[0, n]
    assert allowed[tok.pad_token_id] and allowed[token_id(END)] and not allowed[token_id("@@with")]


def test_slots_with_budgets_and_unused_canvas_is_pinned_pad() -> None:
    tok = tiny_tokenizer()
    skeleton = Skeleton((Pinned("def "), Slot(3, IDENTIFIER), Pinned("(x):\n"), Slot(4, ONE_LINE)))
    canvas = build_canvas(tok, [skeleton, Skeleton.free()], CANVAS)
    row = canvas.slot_id[0].tolist()
    assert row.count(0) == 3 and row.count(1) == 4
    used = len(encode(tok, "def ")) + 3 + len(encode(tok, "(x):\n")) + 4
    assert canvas.pinned[0, used:].all() and (canvas.ids[0, used:] == tok.pad_token_id).all()
    assert (canvas.slot_id[1] == 0).all() and canvas.row_skeleton == [0, 1]
    assert canvas.slot_start[0, used - 1] == used - 4 and canvas.slot_end[0, used - 4] == used - 1


def test_a_skeleton_longer_than_the_canvas_is_refused() -> None:
    with pytest.raises(ValueError, match="canvas holds"):
        build_canvas(tiny_tokenizer(), [Skeleton((Slot(CANVAS), Pinned("x")))], CANVAS)
    with pytest.raises(ValueError, match="at most one slot"):
        build_canvas(tiny_tokenizer(), [Skeleton((Slot(), Slot()))], CANVAS)


def test_repeat_keeps_rows_together() -> None:
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.replace_line(PREFIX), Skeleton.free()], CANVAS).repeat(3)
    assert canvas.shape == (6, CANVAS) and canvas.row_skeleton == [0, 0, 0, 1, 1, 1]
    assert torch.equal(canvas.ids[0], canvas.ids[2]) and not torch.equal(canvas.ids[2], canvas.ids[3])


def test_validate_uses_the_op_grammar() -> None:
    assert validate(PREFIX + "    return sum(xs) / len(xs)\n@@end") is None
    error = validate(PREFIX + "    return 1\n")
    assert error is not None and "@@end" in str(error)


def test_a_drafted_canvas_keeps_the_trained_length_when_the_draft_fits() -> None:
    tok = tiny_tokenizer()
    short = "@@replace m.py:2\n    x\n@@with\n"
    canvas, init = drafted_canvas(tok, [Skeleton.replace_line(short)], [replace_draft(short)], 64)
    assert canvas.shape == (1, 64) and init is not None
    start = int(canvas.pinned[0].long().cumprod(0).sum())
    drafted = [i for i in init[0, start:].tolist() if i != canvas.pad_id]
    assert tok.decode(drafted, skip_special_tokens=False) == "    x\n@@end\n"


def test_a_drafted_canvas_grows_to_fit_a_long_line_and_no_further() -> None:
    tok = tiny_tokenizer()
    line = "    return " + " + ".join(f"value_{i}" for i in range(6)) + "\n"
    head = f"@@replace m.py:2\n{line}@@with\n"
    need = len(encode(tok, head)) + len(encode(tok, line + END + "\n")) + HEADROOM
    canvas, init = drafted_canvas(tok, [Skeleton.replace_line(head)], [replace_draft(head)], CANVAS, max_length=1024)
    assert canvas.shape[1] >= need and canvas.shape[1] % GRAIN == 0 and canvas.shape[1] - need < GRAIN
    assert init is not None and (init[0] >= 0).sum() == canvas.shape[1] - int(canvas.pinned[0].sum())
    with pytest.raises(CanvasTooSmall):  # the default limit: GROWTH x the trained length
        drafted_canvas(tok, [Skeleton.replace_line(head * 4)], [None], CANVAS)


def test_a_canvas_without_drafts_has_no_init() -> None:
    canvas, init = drafted_canvas(tiny_tokenizer(), [Skeleton.free()], [None], CANVAS)
    assert canvas.shape == (1, CANVAS) and init is None


def test_a_rename_header_gets_one_slot_per_word_with_a_pinned_space() -> None:
    tok = tiny_tokenizer()
    skeleton = Skeleton.for_prefix("@@rename m.py ")
    slots = [s for s in skeleton.segments if isinstance(s, Slot)]
    assert [s.constraint for s in slots] == [DOTTED, IDENTIFIER] and all(s.first is IDENTIFIER_START for s in slots)
    assert Pinned(" ") in skeleton.segments
    canvas = build_canvas(tok, [skeleton], CANVAS)
    first = int((~canvas.pinned[0]).nonzero()[0])
    allowed = canvas.allowed[0, first]
    assert not allowed[canvas.pad_id] and not allowed[token_id("5")] and allowed[token_id("x")]
    assert canvas.allowed[0, first + 1, canvas.pad_id]  # the rest of the word may pad


def test_a_static_header_pins_the_dot_between_class_and_method() -> None:
    skeleton = Skeleton.for_prefix("@@static m.py ")
    slots = [s for s in skeleton.segments if isinstance(s, Slot)]
    assert [s.constraint for s in slots] == [DOTTED, IDENTIFIER] and Pinned(".") in skeleton.segments
    assert Pinned(" ") not in skeleton.segments


def test_a_keyword_line_starts_with_its_keyword_and_is_never_just_the_keyword() -> None:
    canvas = build_canvas(tiny_tokenizer(), [Skeleton.line("@@import m.py ", tokens("x", "y"))], CANVAS)
    first = int((~canvas.pinned[0]).nonzero()[0])
    keyword, after = canvas.allowed[0, first], canvas.allowed[0, first + 1]
    assert keyword.sum() == 2 and keyword[token_id("x")] and keyword[token_id("y")]
    assert not after[canvas.pad_id] and after[token_id(" y")]  # a space and a word follow the keyword
    assert not after[token_id("x")] and not after[token_id(" ")]
    assert canvas.allowed[0, first + 2, canvas.pad_id]


def test_a_keyword_the_tokenizer_splits_leaves_a_plain_line() -> None:
    skeleton = Skeleton.for_prefix("@@import m.py ")  # `import` is several tokens in the test tokenizer
    assert any(isinstance(s, Slot) and s.first is not None for s in skeleton.segments)
    canvas = build_canvas(tiny_tokenizer(), [skeleton], CANVAS)
    first = int((~canvas.pinned[0]).nonzero()[0])
    assert canvas.allowed[0, first, canvas.pad_id] and canvas.allowed[0, first, token_id("x")]


def test_a_move_keeps_one_free_line() -> None:
    [slot] = [s for s in Skeleton.for_prefix("@@move m.py ").segments if isinstance(s, Slot)]
    assert slot.first is None and slot.max_tokens is None


def test_slot_starts_are_laid_out_from_the_slots_first_column() -> None:
    from dagent.engine.canvas import START_ROOM
    from dagent.engine.context import Snippet
    from dagent.engine.stream_starts import stream_starts

    tok = tiny_tokenizer()
    long_line = "    total = " + " + ".join(f"value_{i}" for i in range(12)) + "\n"
    snippets = [Snippet("m.py", 2, "    return x\n" + long_line)]
    canvas = build_canvas(tok, [Skeleton((Pinned("\n"), Slot(None, ANY, starts=stream_starts(snippets)))), Skeleton.free()], CANVAS)
    at = len(encode(tok, "\n"))
    laid = [row[row >= 0].tolist() for row in canvas.starts[0][canvas.start_ok[0]]]
    fitting = [encode(tok, s) for s in stream_starts(snippets) if len(encode(tok, s)) + START_ROOM <= CANVAS - at]
    assert laid == fitting
    assert len(fitting) < len(stream_starts(snippets))  # the long line's anchored starts do not fit: dropped
    for n in canvas.start_ok[0].nonzero().squeeze(1).tolist():
        assert (canvas.starts[0, n, :at] == -1).all() and canvas.starts[0, n, at] >= 0  # from the slot's first column
    assert not canvas.start_ok[1].any()  # the free row holds none
    assert canvas.repeat(2).starts.shape == (4, *canvas.starts.shape[1:])


def test_each_start_with_a_draft_lays_it_after_its_own_end_then_pads_to_the_slot_end() -> None:
    from dagent.engine.context import Snippet
    from dagent.engine.stream_starts import start_draft, stream_starts

    tok = tiny_tokenizer()
    starts = stream_starts([Snippet("m.py", 2, "    x = 1\n")])
    canvas = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=starts),))], CANVAS)
    for n in canvas.start_ok[0].nonzero().squeeze(1).tolist():
        start = canvas.starts[0, n]
        text = tok.decode(start[start >= 0].tolist())
        draft, end = canvas.start_drafts[0, n], int((start >= 0).sum())
        assert (draft[:end] == -1).all()  # nothing over the start itself
        if start_draft(text) is None:  # an insert: its new lines are the model's own
            assert (draft == -1).all()
            continue
        ids = encode(tok, start_draft(text))
        assert draft[end : end + len(ids)].tolist() == ids
        assert (draft[end + len(ids) :] == tok.pad_token_id).all()


def test_one_slot_with_starts_per_skeleton() -> None:
    two = Skeleton((Slot(4, ANY, starts=("a",)), Pinned(" "), Slot(None, ANY, starts=("b",))))
    with pytest.raises(ValueError, match="one slot with starts"):
        build_canvas(tiny_tokenizer(), [two], CANVAS)


def test_an_anchored_canvas_grows_to_fit_its_longest_replace_start_and_its_whole_draft() -> None:
    from dagent.engine.context import Snippet
    from dagent.engine.stream_starts import start_draft, stream_starts

    tok = tiny_tokenizer()
    line = "        self.assertEqual(report.total_amount, expected_total)\n"
    skeleton = Skeleton.anchored([Snippet("tests/test_report.py", 40, line)])
    canvas, init = drafted_canvas(tok, [skeleton], [None], CANVAS, max_length=256)
    replace = next(s for s in stream_starts([Snippet("tests/test_report.py", 40, line)]) if s.startswith("@@replace"))
    need = len(encode(tok, replace)) + len(encode(tok, start_draft(replace))) + HEADROOM
    assert need > CANVAS and canvas.shape[1] >= need and init is None  # grown like a pinned replace's canvas
    for n in canvas.start_ok[0].nonzero().squeeze(1).tolist():
        start = canvas.starts[0, n]
        text = tok.decode(start[start >= 0].tolist())
        if start_draft(text):  # the whole draft, never cut
            drafted = canvas.start_drafts[0, n]
            assert tok.decode(drafted[drafted >= 0].tolist()).replace(tok.pad_token, "") == start_draft(text)


def test_a_start_whose_draft_does_not_fit_keeps_no_draft_rather_than_a_cut_one() -> None:
    from dagent.engine.context import Snippet
    from dagent.engine.stream_starts import stream_starts

    tok = tiny_tokenizer()
    line = "    total = " + " + ".join(f"v{i}" for i in range(5)) + "\n"
    starts = tuple(s for s in stream_starts([Snippet("m.py", 2, line)]) if s.startswith("@@replace"))
    size = len(encode(tok, starts[0])) + 4  # room for the start, not for its draft
    canvas = build_canvas(tok, [Skeleton((Slot(None, ANY, starts=starts),))], size + 1)
    assert canvas.start_ok[0].all() and (canvas.start_drafts[0] == -1).all()
