"""The FLOP floor (engine/flops.py): matmul-class FLOPs counted from what a call dispatches."""

from __future__ import annotations

import torch

from dagent.engine.flops import count_flops, matmul_rate
from helpers.engine import CANVAS, context_ids, tiny_denoiser


def test_a_linear_layer_counts_two_flops_per_multiply_add() -> None:
    layer = torch.nn.Linear(32, 16, bias=False)
    x = torch.randn(4, 5, 32)
    assert count_flops(lambda: layer(x)) == 2 * 4 * 5 * 32 * 16


def test_matmuls_and_attention_are_counted() -> None:
    a, b = torch.randn(3, 8, 6), torch.randn(3, 6, 4)
    assert count_flops(lambda: torch.bmm(a, b)) == 2 * 3 * 8 * 6 * 4
    q, k = torch.randn(2, 4, 5, 8), torch.randn(2, 4, 7, 8)
    flops = count_flops(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, k))
    assert flops == 4 * 2 * 4 * 5 * 7 * 8


def test_a_forward_counts_its_vocabulary_projection_and_grows_with_rows() -> None:
    model = tiny_denoiser()
    prefix = model.encode(context_ids())
    one = count_flops(lambda: model.denoise(prefix, torch.zeros(1, CANVAS, dtype=torch.long), None))
    two = count_flops(lambda: model.denoise(prefix, torch.zeros(2, CANVAS, dtype=torch.long), None))
    head = model.model.lm_head.weight
    assert one > 2 * CANVAS * head.numel()  # the projection alone is a lower bound
    assert two == 2 * one


def test_the_matmul_rate_is_a_positive_figure() -> None:
    assert matmul_rate(size=128, repeats=2) > 1e6
