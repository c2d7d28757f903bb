"""A plain-text summary of a few named series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stats.core import mean, median, percentile, stdev

COLUMNS = ("series", "n", "mean", "median", "p90", "stdev")


def summarize(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "mean": mean(values),
        "median": median(values),
        "p90": percentile(values, 90),
        "stdev": stdev(values) if len(values) > 1 else 0.0,
    }


def render(series: Mapping[str, Sequence[float]], digits: int = 2) -> str:
    """One row per non-empty series, columns right-aligned to the widest cell."""
    rows = [list(COLUMNS)]
    for name, values in series.items():
        if not values:
            continue
        stats = summarize(values)
        rows.append([name, str(stats["n"])] + [f"{stats[c]:.{digits}f}" for c in COLUMNS[2:]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    return "\n".join(lines) + "\n"
