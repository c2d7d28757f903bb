"""A gradebook: scores by student and category, weighted into a final percentage and letter."""

from __future__ import annotations

import math
from collections import defaultdict

from .scale import letter, round_half_up


class GradebookError(ValueError):
    pass


class Gradebook:
    def __init__(self, weights: dict[str, float]) -> None:
        """`weights` maps each category (homework, exams, ...) to its share of the final grade."""
        if not weights:
            raise GradebookError("no categories")
        if any(w < 0 for w in weights.values()):
            raise GradebookError("negative weight")
        if not math.isclose(sum(weights.values()), 1.0, abs_tol=1e-9):
            raise GradebookError(f"weights sum to {sum(weights.values())}, not 1")
        self.weights = dict(weights)
        # student -> category -> [(points, out_of)]
        self._scores: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))

    @property
    def students(self) -> list[str]:
        return sorted(self._scores)

    def record(self, student: str, category: str, points: float, out_of: float = 100) -> None:
        if category not in self.weights:
            raise GradebookError(f"unknown category: {category!r}")
        if out_of <= 0:
            raise GradebookError(f"out_of must be positive: {out_of!r}")
        if points < 0:
            raise GradebookError(f"negative points: {points!r}")
        self._scores[student][category].append((points, out_of))

    def category_percent(self, student: str, category: str, drop_lowest: int = 0) -> float | None:
        """Percentage over the category's items (points summed over out_of summed).

        The `drop_lowest` items with the lowest percentage are left out, as long as at least one
        item remains. None when the student has nothing in the category.
        """
        items = self._scores.get(student, {}).get(category, [])
        if not items:
            return None
        if drop_lowest > 0 and len(items) > drop_lowest:
            items = sorted(items, key=lambda it: it[0] / it[1])[drop_lowest:]
        earned = sum(p for p, _ in items)
        possible = sum(o for _, o in items)
        return 100 * earned / possible

    def final_score(self, student: str, drop_lowest: int = 1) -> float | None:
        """Weighted final percentage, rounded to one decimal; None for an unknown student.

        Categories the student has nothing in are left out and the other weights rescaled.
        `drop_lowest` is passed to every category.
        """
        if student not in self._scores:
            return None
        total = 0.0
        weight_used = 0.0
        for category, weight in self.weights.items():
            pct = self.category_percent(student, category, drop_lowest)
            if pct is None:
                continue
            total += weight * pct
            weight_used += weight
        if weight_used == 0:
            return None
        return round_half_up(min(total / weight_used, 100.0))

    def final_letter(self, student: str, drop_lowest: int = 0) -> str | None:
        score = self.final_score(student, drop_lowest)
        return None if score is None else letter(score)

    def report(self, drop_lowest: int = 0) -> list[tuple[str, float, str]]:
        """(student, final score, letter) for every student, best first, then by name."""
        rows = []
        for s in self.students:
            score = self.final_score(s, drop_lowest)
            if score is not None:
                rows.append((s, score, letter(score)))
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows

    def distribution(self, drop_lowest: int = 0) -> dict[str, int]:
        """How many students got each letter (letters nobody got are left out)."""
        counts: dict[str, int] = {}
        for _, _, grade in self.report(drop_lowest):
            counts[grade] = counts.get(grade, 0) + 1
        return counts
