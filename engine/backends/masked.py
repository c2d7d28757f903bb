"""Masked-diffusion backend: LLaDA, Dream, DiffuCoder, Open-dCoder and their kind.

Such a model is one bidirectional transformer with a mask token and no separate encoder: it reads
`[context | canvas]` and predicts every masked canvas position. A user downloads it once (with its
modeling code) and dagent loads it with `trust_remote_code=True` from disk, never the network.

`PrefixState` holds the context ids, so "encoding" is free and the whole sequence is re-read on every
step (no prefix KV cache: the remote modeling files differ in whether and how they accept one).

Dream and DiffuCoder are trained so that the logits at position i predict token i + 1 (they keep the
causal-LM head's shift); LLaDA predicts token i at position i. `shift_logits` picks the convention;
by default it is on for `model_type == "Dream"`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, PreTrainedModel

from dagent.engine.backends.diffusion_gemma import resolve_device, resolve_dtype
from dagent.engine.denoiser import PrefixState, check_context
from dagent.errors import ModelLoadError

DEFAULT_CANVAS_LENGTH = 64
_SHIFTED_MODEL_TYPES = {"dream"}
# Tried in this order among the classes a checkpoint's `auto_map` names (or, without one, the first two).
_AUTO_CLASSES: tuple[tuple[str, Any], ...] = (
    ("AutoModelForMaskedLM", AutoModelForMaskedLM),
    ("AutoModelForCausalLM", AutoModelForCausalLM),
    ("AutoModel", AutoModel),
)


def _auto_class(config: Any) -> Any:
    auto_map = getattr(config, "auto_map", None) or {}
    for name, cls in _AUTO_CLASSES:
        if name in auto_map:
            return cls
    return AutoModelForMaskedLM


def find_mask_id(config: Any, tokenizer: Any | None) -> int:
    """The mask token: the config's `mask_token_id` first (LLaDA, Dream), then the tokenizer's."""
    for source in (config, getattr(config, "text_config", None), tokenizer):
        value = getattr(source, "mask_token_id", None) if source is not None else None
        if isinstance(value, int):
            return value
    raise ModelLoadError(
        "this masked-diffusion model names no mask token (no mask_token_id in config.json and none in its "
        "tokenizer): dagent cannot tell which token marks an undecided position"
    )


class MaskedDenoiser:
    """`Denoiser` over a bidirectional masked-diffusion model (noise = the mask token)."""

    def __init__(
        self,
        model: PreTrainedModel,
        mask_id: int,
        pad_id: int,
        canvas_length: int = DEFAULT_CANVAS_LENGTH,
        shift_logits: bool = False,
    ) -> None:
        self.model = model.eval()
        self.mask_id: int | None = mask_id
        self.pad_id = pad_id
        self.canvas_length = canvas_length
        self.shift_logits = shift_logits
        self.vocab_size: int = _output_vocab(model)
        self.device: torch.device = next(model.parameters()).device
        self.encoder_calls = 0
        self.decoder_calls = 0

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        device: str | torch.device = "cpu",
        dtype: str | torch.dtype = "auto",
        tokenizer: Any | None = None,
        canvas_length: int | None = None,
        shift_logits: bool | None = None,
    ) -> MaskedDenoiser:
        target = resolve_device(device)
        try:
            config = AutoConfig.from_pretrained(str(path), trust_remote_code=True, local_files_only=True)
            model = _auto_class(config).from_pretrained(
                str(path), config=config, trust_remote_code=True, local_files_only=True, dtype=resolve_dtype(dtype, target)
            )
        except (OSError, ValueError, ImportError) as err:
            raise ModelLoadError(f"could not load a masked-diffusion model from {path}: {err}") from err
        mask_id = find_mask_id(config, tokenizer)
        pad_id = _pad_id(config, tokenizer)
        length = canvas_length or getattr(config, "canvas_length", None) or DEFAULT_CANVAS_LENGTH
        shift = shift_logits if shift_logits is not None else str(config.model_type).lower() in _SHIFTED_MODEL_TYPES
        return cls(model.to(target), mask_id=mask_id, pad_id=pad_id, canvas_length=length, shift_logits=shift)

    def encode(self, context_ids: torch.LongTensor) -> PrefixState:
        check_context(context_ids)
        self.encoder_calls += 1
        return PrefixState(ids=context_ids.to(self.device), length=context_ids.shape[1])

    def extend(self, prefix: PrefixState, ids: torch.LongTensor) -> PrefixState:
        check_context(ids)
        self.encoder_calls += 1
        joined = torch.cat([prefix.ids, ids.to(self.device)], dim=1)
        return PrefixState(ids=joined, length=joined.shape[1])

    def denoise(
        self, prefix: PrefixState, canvas: torch.LongTensor, self_cond: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits for the canvas positions of `[context | canvas]`; masked models have no self-conditioning."""
        batch, length = canvas.shape
        start = prefix.length - 1 if self.shift_logits else prefix.length
        sequence = torch.cat([prefix.ids.expand(batch, -1), canvas.to(self.device)], dim=1)
        with torch.inference_mode():
            logits = self.model(input_ids=sequence).logits
        self.decoder_calls += 1
        return logits[:, start : start + length].float(), None


def _output_vocab(model: PreTrainedModel) -> int:
    """The logits' width: the LM head's rows (often padded past the tokenizer's length)."""
    head = model.get_output_embeddings()
    return int(head.weight.shape[0]) if head is not None else int(model.config.vocab_size)


def _pad_id(config: Any, tokenizer: Any | None) -> int:
    """The filler for unused canvas length: the tokenizer's pad, else EOS (LLaDA pads answers with EOS)."""
    for value in (getattr(tokenizer, "pad_token_id", None), getattr(config, "pad_token_id", None),
                  getattr(tokenizer, "eos_token_id", None), getattr(config, "eos_token_id", None)):
        if isinstance(value, int):
            return value
    raise ModelLoadError("this model names neither a pad nor an EOS token to fill unused canvas length")
