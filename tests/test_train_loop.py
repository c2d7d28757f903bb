"""The training loop: the loss goes down on a tiny real DiffusionGemma, and a run resumes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from dagent.engine.tiny import TinySize, build_tiny_model
from dagent.engine.tokenizer import train_tokenizer
from dagent.engine.train.data import make_examples
from dagent.engine.train.loop import TrainConfig, batches, learning_rate, loss_on, train

TINY = TinySize(hidden=64, layers=2, heads=2, kv_heads=1, head_dim=32, intermediate=128, experts=2, moe_intermediate=32)


def _setup():  # type: ignore[no-untyped-def]
    examples = make_examples("train", 40, seed=11)
    tokenizer = train_tokenizer([e.context + e.target for e in examples], vocab_size=600)
    config = TrainConfig(out_dir=Path("unused"), batch_size=8, context_length=64, canvas_length=48,
                         size=TINY.__dict__, lr=3e-3, warmup=1, steps=30)
    return examples, tokenizer, config


@pytest.mark.slow
def test_a_few_steps_lower_the_loss() -> None:
    torch.manual_seed(0)
    examples, tokenizer, config = _setup()
    batch = next(batches(iter(examples * 3), tokenizer, config, random.Random(0)))
    model = build_tiny_model(len(tokenizer), config.canvas_length, TINY)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)

    def measured() -> float:
        with torch.no_grad():
            return sum(loss_on(model, batch, config, torch.Generator().manual_seed(s))[0].item() for s in range(3)) / 3

    before = measured()
    generator = torch.Generator().manual_seed(1)
    for _ in range(25):
        loss, _ = loss_on(model, batch, config, generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = measured()
    assert after < before * 0.8, (before, after)


def test_schedule_warms_up_then_decays() -> None:
    config = TrainConfig(out_dir=Path("x"), steps=100, warmup=10, lr=1.0, min_lr_ratio=0.1)
    assert learning_rate(0, 0.0, config) < learning_rate(9, 0.09, config) <= 1.0
    assert learning_rate(50, 0.5, config) < 1.0
    assert abs(learning_rate(99, 1.0, config) - 0.1) < 1e-6


@pytest.mark.slow
def test_train_writes_a_loadable_model_and_resumes(tmp_path: Path) -> None:
    config = TrainConfig(out_dir=tmp_path / "run", steps=2, batch_size=2, context_length=48, canvas_length=48,
                         size=TINY.__dict__, vocab_size=400, warmup=1, save_every=1, threads=1, repo=Path(__file__).parent.parent / "examples" / "textkit")
    final = train(config, show_progress=False)
    assert (final / "config.json").is_file() and (final / "tokenizer.json").is_file() and (final / "dagent.json").is_file()
    log = (config.out_dir / "train_log.jsonl").read_text().splitlines()
    assert len(log) == 2
    resumed = train(config.model_copy(update={"steps": 3}), show_progress=False)
    assert resumed == final
    assert len((config.out_dir / "train_log.jsonl").read_text().splitlines()) == 3
    (run,) = json.loads((final / "lineage.json").read_text())  # one run, from scratch, its entry updated on resume
    assert (run["init_from"], run["steps"], run["data"]) == (None, 3, "repository textkit")
    followed = train(config.model_copy(update={"out_dir": tmp_path / "next", "init_from": final, "steps": 1}),
                     show_progress=False)
    assert [r["run"] for r in json.loads((followed / "lineage.json").read_text())] == ["run", "next"]
