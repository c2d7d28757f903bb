"""Scoring precision (engine/precision.py): which dtype scoring autocasts to."""

from __future__ import annotations

import pytest
import torch

import dagent.engine.precision as precision
from dagent.engine.precision import autocast_to, precision_name, score_autocast_dtype
from dagent.errors import ModelLoadError

CPU = torch.device("cpu")


def test_fp32_never_autocasts_and_bf16_autocasts_a_float32_model() -> None:
    assert score_autocast_dtype("fp32", torch.float32, CPU) is None
    assert score_autocast_dtype("bf16", torch.float32, CPU) == torch.bfloat16


def test_a_half_precision_model_keeps_its_own_dtype() -> None:
    for spec in ("auto", "bf16", "fp32"):
        assert score_autocast_dtype(spec, torch.bfloat16, CPU) is None


@pytest.mark.parametrize("fast", [True, False])
def test_auto_autocasts_only_on_a_cpu_with_bf16_instructions(monkeypatch, fast: bool) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: fast)
    assert score_autocast_dtype("auto", torch.float32, CPU) == (torch.bfloat16 if fast else None)


def test_an_unknown_precision_is_a_clear_error() -> None:
    with pytest.raises(ModelLoadError, match="auto, bf16, fp32"):
        score_autocast_dtype("int8", torch.float32, CPU)


def test_autocast_to_runs_matmuls_in_the_dtype_or_leaves_them_alone() -> None:
    a, b = torch.randn(4, 4), torch.randn(4, 4)
    with autocast_to(torch.bfloat16, CPU):
        assert (a @ b).dtype == torch.bfloat16
    with autocast_to(None, CPU):
        assert (a @ b).dtype == torch.float32


def test_reports_name_the_precision_short() -> None:
    assert [precision_name(d) for d in (torch.bfloat16, torch.float16, torch.float32)] == ["bf16", "fp16", "fp32"]
