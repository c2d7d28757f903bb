"""The protocol every diffusion backend implements, and the prefix state it hands back.

A denoiser turns (context, canvas) into logits for every canvas position. The context is encoded
once (`encode`) into a `PrefixState` that the sampler reuses across denoising steps, candidates and
later rounds of the agent loop; `denoise` only ever sees that state, never the context ids again.

Two kinds of noise exist, and the sampler needs to know which one a backend was trained with:
- uniform noise (DiffusionGemma): `mask_id is None`; a position not yet decided holds a random token;
- masked noise (LLaDA, Dream, ...): a position not yet decided holds `mask_id`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch


@dataclass(frozen=True)
class PrefixState:
    """An encoded context. Treat it as immutable: `extend` returns a new one and leaves this one usable.

    `ids` (1, T) are the context tokens (the masked backend re-reads them; the bench uses them as the
    prompt for transformers' `generate`); `cache` is backend-specific (a KV cache, or None); `length`
    is the number of context positions, i.e. where the canvas's positions start.
    """

    ids: torch.LongTensor
    length: int
    cache: Any = field(default=None, compare=False, repr=False)


@runtime_checkable
class Denoiser(Protocol):
    """What the sampler needs from a model. Counters let tests and the bench count forwards."""

    vocab_size: int
    canvas_length: int
    pad_id: int
    mask_id: int | None
    device: torch.device
    encoder_calls: int
    decoder_calls: int

    def encode(self, context_ids: torch.LongTensor) -> PrefixState:
        """Run the encoder once over `context_ids` (1, T)."""
        ...

    def extend(self, prefix: PrefixState, ids: torch.LongTensor) -> PrefixState:
        """A new prefix: `prefix` followed by `ids` (1, N) (a finished canvas, for multi-canvas streams)."""
        ...

    def denoise(
        self, prefix: PrefixState, canvas: torch.LongTensor, self_cond: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, L, V) in float32 for `canvas` (B, L), and the self-conditioning input for the next step."""
        ...


@runtime_checkable
class PositionLogits(Protocol):
    """A backend that can project onto the vocabulary at some canvas positions only (scoring reads a few)."""

    def logits_at(self, prefix: PrefixState, canvas: torch.LongTensor, index: torch.LongTensor) -> torch.Tensor:
        """Float32 logits (P, V) at the flat positions `index` of `canvas` (B, L), in that order, without
        self-conditioning."""
        ...


def check_context(context_ids: torch.Tensor) -> None:
    """A context is one row of token ids: k candidates share it, so batching happens on the canvas only."""
    if context_ids.dim() != 2 or context_ids.shape[0] != 1 or context_ids.shape[1] == 0:
        raise ValueError(f"context_ids must have shape (1, T) with T > 0, got {tuple(context_ids.shape)}")


def model_dtype(denoiser: Denoiser) -> torch.dtype:
    """The dtype of the backend's weights (float32 for a backend that holds no torch module)."""
    model = getattr(denoiser, "model", None)
    return next(model.parameters()).dtype if isinstance(model, torch.nn.Module) else torch.float32


def describe(denoiser: Denoiser) -> dict[str, Any]:
    """A small summary for logs and the bench's JSON."""
    return {
        "backend": type(denoiser).__name__,
        "vocab_size": denoiser.vocab_size,
        "canvas_length": denoiser.canvas_length,
        "noise": "uniform" if denoiser.mask_id is None else "mask",
        "device": str(denoiser.device),
    }
