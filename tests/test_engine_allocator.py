"""engine/allocator.py: glibc's thresholds are set once, and loading a model sets them."""

from __future__ import annotations

import platform

import pytest

from dagent.engine import allocator


def test_the_thresholds_are_taken_where_the_c_library_is_glibc() -> None:
    if platform.libc_ver()[0] != "glibc":
        pytest.skip(f"not glibc here ({platform.libc_ver()!r}): keep_freed_memory is a no-op")
    assert allocator.keep_freed_memory() is True
    assert allocator.keep_freed_memory.cache_info().currsize == 1  # once per process


def test_loading_a_model_keeps_freed_memory(monkeypatch: pytest.MonkeyPatch, tiny_model_factory) -> None:  # type: ignore[no-untyped-def]
    import dagent.engine.load as load

    calls: list[bool] = []
    monkeypatch.setattr(load, "keep_freed_memory", lambda: calls.append(True) or True)
    load.load_denoiser(str(tiny_model_factory(32, 0)))
    assert calls == [True]
