"""The floor under a forward: its matmul-class FLOPs, and this machine's matmul rate measured now.

`count_flops(fn)` runs `fn` once under a dispatch mode that adds up the floating-point operations of
every matmul-class op it dispatches (linear, mm, bmm, addmm, matmul, grouped expert matmuls and
scaled-dot-product attention); elementwise work (norms, activations, softmax, the softcap) is not
counted, so the floor is a lower bound. `matmul_rate()` times a large square matmul in the model's
dtype on the threads torch uses now. `floor_s = flops / rate` is the time the forward could take if
every counted FLOP ran at the machine's matmul speed: a measured forward's ratio to it is the gap
to the machine's limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten


def _prod(shape: Any) -> int:
    return math.prod(int(s) for s in shape)


def _linear(args: tuple[Any, ...]) -> int:
    x, weight = args[0], args[1]
    return 2 * _prod(x.shape[:-1]) * _prod(weight.shape)


def _mm(args: tuple[Any, ...]) -> int:
    a, b = args[0], args[1]
    return 2 * _prod(a.shape) * int(b.shape[-1])


def _addmm(args: tuple[Any, ...]) -> int:
    return _mm(args[1:])


def _matmul(args: tuple[Any, ...]) -> int:
    a, b = args[0], args[1]
    if b.dim() == 1:
        return 2 * _prod(a.shape)
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2]) if a.dim() > 2 and b.dim() > 2 else (a.shape[:-2] or b.shape[:-2])
    rows = a.shape[-2] if a.dim() > 1 else 1
    return 2 * _prod(batch) * int(rows) * int(a.shape[-1]) * int(b.shape[-1])


def _grouped_mm(args: tuple[Any, ...]) -> int:
    a, b = args[0], args[1]  # (tokens, K) against (groups, K, N): each token meets one group's matrix
    return 2 * int(a.shape[0]) * int(a.shape[-1]) * int(b.shape[-1])


def _attention(args: tuple[Any, ...]) -> int:
    q, k = args[0], args[1]  # (B, H, Lq, D), (B, Hkv, Lk, D): scores and the weighted sum, per query head
    return 4 * _prod(q.shape[:-2]) * int(q.shape[-2]) * int(k.shape[-2]) * int(q.shape[-1])


_FORMULAS: dict[Any, Callable[[tuple[Any, ...]], int]] = {
    aten.linear.default: _linear,
    aten.mm.default: _mm,
    aten.bmm.default: _mm,
    aten.addmm.default: _addmm,
    aten.matmul.default: _matmul,
    aten._grouped_mm.default: _grouped_mm,
    aten.scaled_dot_product_attention.default: _attention,
    # outside inference mode the CPU kernel is dispatched itself
    aten._scaled_dot_product_flash_attention_for_cpu.default: _attention,
}


class _Counter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        formula = _FORMULAS.get(func)
        if formula is not None:
            self.flops += formula(args)
        return func(*args, **(kwargs or {}))


def count_flops(fn: Callable[[], Any]) -> int:
    """The matmul-class FLOPs of one call of `fn` (which runs once, untimed)."""
    counter = _Counter()
    with counter:
        fn()
    return counter.flops


def matmul_rate(dtype: torch.dtype = torch.float32, size: int = 1024, repeats: int = 5) -> float:
    """FLOP/s of a (size x size) @ (size x size) matmul in `dtype` on torch's current threads: the
    best of `repeats` timings (the machine's speed, not its worst moment)."""
    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    torch.mm(a, b)  # warm-up
    best = math.inf
    for _ in range(repeats):
        began = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - began)
    return 2 * size**3 / best


__all__ = ["count_flops", "matmul_rate"]
