"""How a context block becomes encoder input: one function, shared by training and run time, so the
model always sees at run time the window it was trained on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch

from dagent.engine.tokenizer import decode, encode

DEFAULT_CONTEXT_TOKENS = 128
LIMITS_FILE = "dagent.json"  # written beside a trained model: its context and canvas lengths


def context_ids(tokenizer, text: str, limit: int = DEFAULT_CONTEXT_TOKENS) -> list[int]:  # type: ignore[no-untyped-def]
    """The first `limit` tokens: the planner puts the most important part (task, errors, the focus
    function) first, so truncation drops the least useful snippets."""
    return encode(tokenizer, text)[:limit]


def visible_context(tokenizer, text: str, limit: int = DEFAULT_CONTEXT_TOKENS) -> str:  # type: ignore[no-untyped-def]
    """What the encoder sees of `text`: its first `limit` tokens, decoded."""
    return decode(tokenizer, context_ids(tokenizer, text, limit))


def fitted_context(tokenizer, texts: Sequence[str], line_text: str,  # type: ignore[no-untyped-def]
                   limit: int = DEFAULT_CONTEXT_TOKENS) -> tuple[str, bool]:
    """The first of `texts` (the same block with narrower and narrower windows above the suspect line)
    whose first `limit` tokens still show `line_text`, and whether one did (else the last text)."""
    wanted = line_text.strip()
    for text in texts:
        if wanted in visible_context(tokenizer, text, limit):
            return text, True
    return texts[-1], False


def context_tensor(tokenizer, text: str, limit: int = DEFAULT_CONTEXT_TOKENS) -> torch.Tensor:  # type: ignore[no-untyped-def]
    return torch.tensor([context_ids(tokenizer, text, limit)], dtype=torch.long)


def write_limits(model_dir: Path, context_length: int, canvas_length: int) -> None:
    (model_dir / LIMITS_FILE).write_text(json.dumps({"context_length": context_length, "canvas_length": canvas_length}))


def context_limit(model_dir: Path | None) -> int:
    """The context window a model was trained with (its `dagent.json`), or the default."""
    if model_dir is not None and (model_dir / LIMITS_FILE).is_file():
        return int(json.loads((model_dir / LIMITS_FILE).read_text())["context_length"])
    return DEFAULT_CONTEXT_TOKENS
