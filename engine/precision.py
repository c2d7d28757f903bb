"""The precision scoring runs its matmuls in: bf16 autocast on a CPU with bf16 instructions, else the model's own.

Scoring (`Engine.score`) reads a few log-probabilities per candidate and compares them; it does not need
float32 matmuls. On a CPU with AVX512-BF16 or AMX, bf16 matmuls run at about twice the float32 rate, and
under `torch.autocast` the matmuls (and attention) run in bf16 while norms, softmax and the softcap stay in
float32. On the shipped model, 2 cores: 1.1-1.3x the candidates per second in side-by-side runs
(`python scripts/bf16_scoring_bench.py`; this machine's drift makes one run's ratio a range), scores
within 0.4 nats (mean 0.016), the same top candidate at every bug line, and the same ranking figures on
all three rank reports (`dagent eval mutations --rank`). Keeping the vocabulary projection in float32
was measured too: 6% slower, mean difference 0.014 instead of 0.016 nats, so it runs in bf16 with the
rest. On a CPU without bf16 instructions autocast is emulated and slower, so "auto" keeps float32 there.

Sampling (`Engine.sample`) keeps the model's dtype: its candidates are pinned by seed (the sampler's tests).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

from dagent.errors import ModelLoadError

PRECISIONS = ("auto", "bf16", "fp32")


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU runs bf16 matmuls natively (AVX512-BF16 or AMX tiles)."""
    probes = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(probe is not None and probe() for probe in probes)


def score_autocast_dtype(precision: str, model_dtype: torch.dtype, device: torch.device) -> torch.dtype | None:
    """The dtype scoring autocasts to, or None for the model's own dtype.

    "auto": bf16 for a float32 model on a CPU with bf16 instructions, else None; "bf16": bf16 wherever
    the model is float32; "fp32": None (exact float32 scores, as the model computes them)."""
    if precision not in PRECISIONS:
        raise ModelLoadError(f"unknown scoring precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    if precision == "fp32" or model_dtype != torch.float32:
        return None  # a half-precision model already runs its matmuls in half precision
    if precision == "bf16":
        return torch.bfloat16
    return torch.bfloat16 if device.type == "cpu" and cpu_has_fast_bf16() else None


def precision_name(dtype: torch.dtype) -> str:
    """"bf16", "fp16" or "fp32": how reports name the dtype scoring's matmuls ran in."""
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, "fp32")


def autocast_to(dtype: torch.dtype | None, device: torch.device) -> AbstractContextManager[object]:
    """`torch.autocast` to `dtype` on `device`'s type, or nothing when `dtype` is None."""
    return nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


__all__ = ["PRECISIONS", "autocast_to", "cpu_has_fast_bf16", "precision_name", "score_autocast_dtype"]
