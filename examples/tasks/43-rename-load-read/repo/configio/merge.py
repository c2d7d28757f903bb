"""Layered configuration: later files override earlier ones, key by key."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from configio.files import load


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_all(paths: Iterable[Path | str]) -> dict:
    merged: dict = {}
    for path in paths:
        if Path(path).exists():
            merged = deep_merge(merged, load(path))
    return merged
