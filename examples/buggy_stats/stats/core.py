"""Descriptive statistics over sequences of numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of an empty sequence")
    return sum(values) / len(values)


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("median of an empty sequence")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def stdev(values: Sequence[float]) -> float:
    """Sample standard deviation (n - 1 in the denominator)."""
    if len(values) < 2:
        raise ValueError("stdev needs at least two values")
    centre = mean(values)
    return math.sqrt(sum((v - centre) ** 2 for v in values) / (len(values) - 1))


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks; p in [0, 100]."""
    if not values or not 0 <= p <= 100:
        raise ValueError(f"percentile {p} of {len(values)} values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The mean of every run of `window` consecutive values, in order."""
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    averages = []
    for start in range(len(values) - window):
        averages.append(mean(values[start : start + window]))
    return averages
