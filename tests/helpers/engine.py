"""Shared pieces of the engine tests: a tokenizer trained on a few stdlib files, a tiny random
DiffusionGemma of the real class, and a scripted denoiser whose preferences a test sets exactly.

Imported by the engine, loop and bench tests; `tiny_model_dir` writes the tiny model where a
command can load it from disk.
"""

from __future__ import annotations

import sysconfig
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from dagent.engine.backends.diffusion_gemma import DiffusionGemmaDenoiser
from dagent.engine.denoiser import PrefixState, check_context
from dagent.engine.tiny import TinySize, build_tiny_model
from dagent.engine.tokenizer import encode, train_tokenizer

# Two CPU cores are shared with other test runs: one thread avoids oversubscription (10-100x slower).
torch.set_num_threads(1)

CANVAS = 32
SIZE = TinySize(hidden=64, layers=2, heads=2, kv_heads=1, head_dim=32, intermediate=128, experts=2,
                moe_intermediate=32, max_positions=512, sliding_window=48)
STDLIB_FILES = ("textwrap.py", "glob.py", "fnmatch.py", "keyword.py")


@lru_cache(maxsize=1)
def tiny_tokenizer() -> Any:
    root = Path(sysconfig.get_paths()["stdlib"])
    return train_tokenizer([(root / name).read_text() for name in STDLIB_FILES], vocab_size=600)


def tiny_denoiser(seed: int = 0) -> DiffusionGemmaDenoiser:
    return DiffusionGemmaDenoiser(build_tiny_model(len(tiny_tokenizer()), CANVAS, SIZE, seed=seed))


def tiny_model_dir(directory: Path, canvas: int, seed: int) -> Path:
    """A random tiny DiffusionGemma of the real class and the tiny tokenizer, saved at `directory`."""
    tokenizer = tiny_tokenizer()
    build_tiny_model(len(tokenizer), canvas, SIZE, seed=seed).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def context_ids(text: str = "<|fix|>\n<|file|> pkg/stats.py:1\ndef mean(xs):\n    return sum(xs) / (len(xs) - 1)\n") -> torch.LongTensor:
    return torch.tensor([encode(tiny_tokenizer(), text)], dtype=torch.long)


class ScriptedDenoiser:
    """A uniform-noise denoiser whose logits put `strength` on one chosen token per position.

    `choice(canvas)` returns the (B, L) token ids it prefers; by default one fixed token everywhere.
    Tests use it where a random model's preferences would make an assertion depend on luck.
    """

    mask_id: int | None = None

    def __init__(self, vocab_size: int, canvas_length: int, pad_id: int, prefer: int, strength: float = 30.0) -> None:
        self.vocab_size, self.canvas_length, self.pad_id = vocab_size, canvas_length, pad_id
        self.prefer, self.strength = prefer, strength
        self.device = torch.device("cpu")
        self.encoder_calls = self.decoder_calls = 0
        self.extended: list[int] = []

    def encode(self, context_ids: torch.LongTensor) -> PrefixState:
        check_context(context_ids)
        self.encoder_calls += 1
        return PrefixState(ids=context_ids, length=context_ids.shape[1])

    def extend(self, prefix: PrefixState, ids: torch.LongTensor) -> PrefixState:
        self.encoder_calls += 1
        self.extended.append(ids.shape[1])
        joined = torch.cat([prefix.ids, ids], dim=1)
        return PrefixState(ids=joined, length=joined.shape[1])

    def choice(self, canvas: torch.LongTensor) -> torch.LongTensor:
        return torch.full_like(canvas, self.prefer)

    def denoise(self, prefix: PrefixState, canvas: torch.LongTensor, self_cond: torch.Tensor | None) -> tuple[torch.Tensor, None]:
        self.decoder_calls += 1
        logits = torch.zeros(*canvas.shape, self.vocab_size)
        logits.scatter_(-1, self.choice(canvas).unsqueeze(-1), self.strength)
        return logits, None


def token_id(text: str) -> int:
    ids = encode(tiny_tokenizer(), text)
    assert len(ids) == 1, f"{text!r} is not one token: {ids}"
    return ids[0]
