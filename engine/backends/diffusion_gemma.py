"""DiffusionGemma backend: transformers' own `DiffusionGemmaForBlockDiffusion`.

The encoder is causal and fills a KV cache from the context; the decoder denoises the canvas
bidirectionally, reading that cache without ever writing it. So one encoder pass serves every
denoising step and every candidate: for a batch of k canvases the batch-1 cache is `expand`ed
(a view, no copy), and `extend` gives a new prefix on shallow copies of the cache layers (the
encoder replaces a layer's tensors by concatenation, it never writes into them), so an old
prefix stays valid for the next round of the agent loop.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from transformers import DiffusionGemmaForBlockDiffusion
from transformers.cache_utils import DynamicCache

from dagent.engine.backends.decoder_pass import decoder_hidden, read_columns
from dagent.engine.backends.encoder_pass import encode_into
from dagent.engine.denoiser import PrefixState, check_context
from dagent.errors import ModelLoadError

_DTYPES = {
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
    "fp16": torch.float16,
    "float16": torch.float16,
    "fp32": torch.float32,
    "float32": torch.float32,
}


def resolve_device(device: str | torch.device) -> torch.device:
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("device 'cuda' was asked for, but torch sees no CUDA GPU here: use --device cpu")
    return resolved


def resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """'auto' is bf16 on a GPU and fp32 on a CPU (CPU half-precision matmuls are slow or missing)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in _DTYPES:
        raise ModelLoadError(f"unknown dtype {dtype!r}: use one of auto, bf16, fp16, fp32")
    return _DTYPES[dtype]


def softcap_(logits: torch.Tensor, cap: float | None) -> torch.Tensor:
    """Gemma's final softcap, cap * tanh(logits / cap), in place and as cap * (2 sigmoid(2 logits / cap) - 1):
    the same function, without DiffusionGemmaForBlockDiffusion.forward's three (B, L, V) temporaries, and
    4x faster on CPU (torch's tanh is not vectorised there as well as its sigmoid). The two agree to a few
    ulp of the capped value (7.6e-6 at |logit| up to 30; tests/test_engine_backends.py)."""
    if cap:
        logits.mul_(2.0 / cap).sigmoid_().mul_(2.0 * cap).sub_(cap)
    return logits


def expand_cache(cache: DynamicCache, batch: int) -> DynamicCache:
    """The batch-1 `cache` seen as `batch` rows: expanded views, no copy, the original untouched."""
    if batch == 1:
        return cache
    expanded = shallow_copy_cache(cache)
    for layer in expanded.layers:
        if getattr(layer, "keys", None) is not None and layer.keys.numel() > 0:
            layer.keys = layer.keys.expand(batch, *layer.keys.shape[1:])
            layer.values = layer.values.expand(batch, *layer.values.shape[1:])
    return expanded


def shallow_copy_cache(cache: DynamicCache) -> DynamicCache:
    """A cache whose layer objects are new but share tensors: safe because updates rebind, never write."""
    copied = copy.copy(cache)
    copied.layers = [copy.copy(layer) for layer in cache.layers]
    return copied


class DiffusionGemmaDenoiser:
    """`Denoiser` over a `DiffusionGemmaForBlockDiffusion` (uniform-noise diffusion: no mask token)."""

    mask_id: int | None = None

    def __init__(self, model: DiffusionGemmaForBlockDiffusion, pad_id: int | None = None) -> None:
        self.model = model.eval()
        text = model.config.text_config
        self.vocab_size: int = text.vocab_size
        self.canvas_length: int = model.config.canvas_length
        self.pad_id: int = pad_id if pad_id is not None else (text.pad_token_id or 0)
        self.device: torch.device = next(model.parameters()).device
        self.encoder_calls = 0
        self.decoder_calls = 0

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str | torch.device = "cpu", dtype: str | torch.dtype = "auto", pad_id: int | None = None
    ) -> DiffusionGemmaDenoiser:
        """Load from a local directory only: dagent never reaches the network at run time."""
        target = resolve_device(device)
        try:
            model = DiffusionGemmaForBlockDiffusion.from_pretrained(
                str(path), local_files_only=True, dtype=resolve_dtype(dtype, target)
            )
        except (OSError, ValueError) as err:
            raise ModelLoadError(f"could not load a DiffusionGemma model from {path}: {err}") from err
        return cls(model.to(target), pad_id=pad_id)

    def _positions(self, start: int, count: int) -> torch.LongTensor:
        return torch.arange(start, start + count, device=self.device).unsqueeze(0)

    def _encode_into(self, cache: DynamicCache, ids: torch.LongTensor, start: int) -> DynamicCache:
        """`cache` with the keys and values of `ids` appended (engine/backends/encoder_pass.py: the last
        layer writes its keys and values and nothing else)."""
        with torch.inference_mode():
            filled = encode_into(self.model.model.encoder, ids.to(self.device), cache, self._positions(start, ids.shape[1]))
        self.encoder_calls += 1
        return filled

    def encode(self, context_ids: torch.LongTensor) -> PrefixState:
        check_context(context_ids)
        cache = self._encode_into(DynamicCache(config=self.model.config.text_config), context_ids, 0)
        return PrefixState(ids=context_ids.to(self.device), length=context_ids.shape[1], cache=cache)

    def extend(self, prefix: PrefixState, ids: torch.LongTensor) -> PrefixState:
        check_context(ids)
        cache = self._encode_into(shallow_copy_cache(prefix.cache), ids, prefix.length)
        joined = torch.cat([prefix.ids, ids.to(self.device)], dim=1)
        return PrefixState(ids=joined, length=prefix.length + ids.shape[1], cache=cache)

    def denoise(
        self, prefix: PrefixState, canvas: torch.LongTensor, self_cond: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One decoder pass over a (B, L) canvas. The self-conditioning input for the next step is this
        step's raw logits (the recipe trains self-conditioning on the model's own first-pass logits)."""
        with torch.inference_mode():
            hidden = self._decoded(prefix, canvas, self_cond, None)
            logits = softcap_(self.model.lm_head(hidden).float(), self.model.final_logit_softcapping)
        return logits, logits.to(self.model.model.decoder.embed_tokens.weight.dtype)

    def hidden_at(self, prefix: PrefixState, canvas: torch.LongTensor, read: torch.LongTensor) -> torch.Tensor:
        """The decoder's final hidden states (B, R, H) at the canvas columns `read` (B, R), without
        self-conditioning; the last layer runs at those columns only (engine/backends/decoder_pass.py)."""
        with torch.inference_mode():
            return self._decoded(prefix, canvas, None, read.to(self.device))

    def logits_at(self, prefix: PrefixState, canvas: torch.LongTensor, index: torch.LongTensor) -> torch.Tensor:
        """Softcapped float32 logits (P, V) at the flat canvas positions `index`, in that order, without
        self-conditioning: the last layer, the vocabulary projection and the softcap run only there."""
        read, order = read_columns(index.tolist(), *canvas.shape)
        with torch.inference_mode():
            hidden = self.hidden_at(prefix, canvas, read)  # (scripts/decoder_pass_bench.py swaps hidden_at)
            selected = hidden.reshape(-1, hidden.shape[-1])[order.to(self.device)]
            return softcap_(self.model.lm_head(selected).float(), self.model.final_logit_softcapping)

    def _decoded(self, prefix: PrefixState, canvas: torch.LongTensor, self_cond: torch.Tensor | None,
                 read: torch.LongTensor | None) -> torch.Tensor:
        batch, length = canvas.shape
        hidden = decoder_hidden(self.model.model.decoder, canvas.to(self.device), expand_cache(prefix.cache, batch),
                                self._positions(prefix.length, length), self_cond, read)
        self.decoder_calls += 1
        return hidden
