"""The ranking objective (engine/train/rank.py) and its candidate lists (agent/rank_examples.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from dagent.agent.rank_examples import fix_among, rank_list, rank_stream
from dagent.agent.search import Location, grammar_candidates
from dagent.engine.engine import ScoreRequest, score_rows
from dagent.engine.prompt import fitted_context
from dagent.engine.tiny import build_tiny_model
from dagent.engine.tokenizer import decode, encode
from dagent.engine.train.data import corpus_modules, make_examples, split_modules
from dagent.engine.train.loop import TrainConfig, left_padded, span_corrupt, train
from dagent.engine.train.rank import RankExample, build_rows, rank_loss
from helpers.engine import SIZE, tiny_tokenizer

REPAIRS = [e for e in make_examples("train", 60, seed=5, edit_share=0.0) if "contexts" in e.meta]


def test_a_repair_example_carries_narrower_contexts_and_the_fitted_one_holds_the_bug_line() -> None:
    tok = tiny_tokenizer()
    for example in REPAIRS[:20]:
        contexts = example.meta["contexts"]
        assert contexts[0] == example.context and len(contexts) == 5
        assert all(len(a) >= len(b) for a, b in zip(contexts, contexts[1:]))  # each window narrower
        text, inside = fitted_context(tok, contexts, example.meta["line_text"], 48)
        if inside:
            assert example.meta["line_text"].strip() in decode(tok, encode(tok, text)[:48])


def test_the_fix_heads_a_list_of_the_grammars_own_candidates_at_the_bug_line() -> None:
    tok = tiny_tokenizer()
    rng = random.Random(0)
    lists = [found for e in REPAIRS if (found := rank_list(e, tok, 64, rng, size=6)) is not None]
    assert len(lists) >= 5
    for found in lists:
        assert 2 <= len(found.candidates) <= 6 and len(set(found.candidates)) == len(found.candidates)
    example = next(e for e in REPAIRS if rank_list(e, tok, 64, random.Random(0)) is not None)
    pool = grammar_candidates([Location(example.path, example.meta["line"], 1.0)], {example.path: example.meta["mutated"]})
    fix = fix_among(example, pool)
    assert fix is not None
    lines = example.meta["mutated"].splitlines(keepends=True)
    restored = "".join([*lines[: fix.repair.start - 1], fix.repair.new, *lines[fix.repair.end :]])
    assert "".join(restored.split()) == "".join(example.meta["original"].split())


def test_the_training_rows_are_the_rows_the_engine_scores() -> None:
    tok = tiny_tokenizer()
    example = RankExample("<|fix|>\n", "m.py", 2, "    return a + b\n", ("    return a - b\n", "    return b\n"), "operator")
    rows = build_rows(tok, [example], 48, len(tok), random.Random(0))
    for (new_row, old_row), new in zip(rows.lists[0], example.candidates, strict=True):
        expected = score_rows(lambda t: encode(tok, t), ScoreRequest("m.py", 2, example.old, new), 48)
        assert expected is not None
        for r, want in ((new_row, expected[0]), (old_row, expected[1])):
            noisy = rows.noisy[rows.input_of[r]].tolist()
            assert noisy[: want.start] == list(want.ids[: want.start])  # clean outside the span
            assert noisy[want.end : len(want.ids)] == list(want.ids[want.end :])
            picked = rows.targets[rows.row_of == r].tolist()
            assert picked == list(want.ids[want.start : want.end])  # scored at the span, its true tokens


def test_a_candidate_and_its_original_differing_in_one_token_share_one_input_as_at_run_time() -> None:
    tok = tiny_tokenizer()
    old = "    return a + b\n"
    same_length = [n for n in ("    return a - b\n", "    return a * b\n", "    return a / b\n")
                   if len(encode(tok, n)) == len(encode(tok, old))]
    assert len(same_length) >= 2
    example = RankExample("<|fix|>\n", "m.py", 2, old, (*same_length, "    return b\n"), "operator")
    rows = build_rows(tok, [example], 48, len(tok), random.Random(0))
    shared = {int(rows.input_of[r]) for pair in rows.lists[0][: len(same_length)] for r in pair}
    assert len(shared) == 1  # the alternatives at one site and the original: one corrupted input
    new_row, old_row = rows.lists[0][-1]
    assert rows.input_of[new_row] != rows.input_of[old_row]  # a shorter line: its own input
    assert rows.noisy.shape[0] == 3


@pytest.mark.slow
def test_the_listwise_loss_learns_to_put_the_fix_first() -> None:
    torch.manual_seed(0)
    tok = tiny_tokenizer()
    model = build_tiny_model(len(tok), 48, SIZE)
    lists = [RankExample("<|fix|>\n<|file|> m.py:1\ndef f(a, b):\n    return a + b\n", "m.py", 2, "    return a + b\n",
                         ("    return a - b\n", "    return a * b\n", "    return b\n"), "operator")] * 4
    context, mask = left_padded(tok, [e.context for e in lists], 64)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    first = None
    for step in range(30):
        loss, parts = rank_loss(model, tok, lists, context, mask, 48, random.Random(step))
        first = first if first is not None else parts["rank"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert parts["rank"] < first * 0.5 and parts["rank_top1"] == 1.0, (first, parts)


def test_span_corruption_changes_one_short_run_of_written_tokens() -> None:
    canvas = torch.tensor([[5, 6, 7, 8, 9, 10, 0, 0]])
    noisable = torch.tensor([[False, False, True, True, True, True, True, True]])
    noisy = canvas.clone()
    out = span_corrupt(noisy, canvas, noisable, 0, 1000, torch.tensor([True]), torch.Generator().manual_seed(3), longest=3)
    changed = (out != canvas)[0].nonzero().flatten().tolist()
    assert 1 <= len(changed) <= 3 and changed == list(range(changed[0], changed[-1] + 1))
    assert all(2 <= c <= 5 for c in changed)  # inside the written, noisable tokens; never the pads


@pytest.mark.slow
def test_training_with_the_ranking_loss_logs_it_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagent.engine.train import loop

    modules = [m for m in split_modules(corpus_modules(), "train") if m.name in ("textwrap", "fnmatch", "glob", "keyword", "shlex", "colorsys")]
    config = TrainConfig(out_dir=tmp_path / "run", steps=2, batch_size=2, context_length=64, canvas_length=48,
                         size=SIZE.__dict__, vocab_size=600, warmup=1, save_every=1, threads=1, rank_weight=1.0,
                         rank_batch=2, span_p=0.5)
    monkeypatch.setattr(loop, "training_modules", lambda _config: modules)
    source = lambda tokenizer, seed: rank_stream(modules, tokenizer, 64, seed)  # noqa: E731
    train(config, show_progress=False, rank_source=source)
    train(config.model_copy(update={"steps": 3}), show_progress=False, rank_source=source)
    log = [json.loads(line) for line in (config.out_dir / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3] and all("rank" in r and r["rank"] >= 0 for r in log)
