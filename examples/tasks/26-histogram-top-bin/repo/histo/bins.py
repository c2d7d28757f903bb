"""Fixed-width histograms over a closed range [low, high]."""

from __future__ import annotations

from collections.abc import Iterable


def bin_index(value: float, low: float, high: float, bins: int) -> int:
    """Which of `bins` equal-width bins holds value; high itself belongs to the last bin."""
    if not low <= value <= high:
        raise ValueError(f"{value} outside [{low}, {high}]")
    if value == high:
        return bins
    return int((value - low) / (high - low) * bins)


def histogram(values: Iterable[float], low: float, high: float, bins: int) -> list[int]:
    if bins < 1 or high <= low:
        raise ValueError("need bins >= 1 and high > low")
    counts = [0] * bins
    for value in values:
        counts[bin_index(value, low, high, bins)] += 1
    return counts


def edges(low: float, high: float, bins: int) -> list[float]:
    width = (high - low) / bins
    return [low + i * width for i in range(bins + 1)]


def render(counts: list[int], width: int = 20) -> str:
    """One bar of '#' per bin, scaled to the largest count."""
    peak = max(counts) or 1
    return "\n".join("#" * round(c / peak * width) for c in counts)
