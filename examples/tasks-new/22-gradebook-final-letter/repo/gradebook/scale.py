"""The letter-grade scale: percentage -> letter, letter -> grade points, GPA."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# (lowest percentage for the grade, grade), highest first; a score exactly on a cutoff earns it
CUTOFFS = [
    (97, "A+"), (93, "A"), (90, "A-"),
    (87, "B+"), (83, "B"), (80, "B-"),
    (77, "C+"), (73, "C"), (70, "C-"),
    (67, "D+"), (63, "D"), (60, "D-"),
]

POINTS = {
    "A+": 4.0, "A": 4.0, "A-": 3.7,
    "B+": 3.3, "B": 3.0, "B-": 2.7,
    "C+": 2.3, "C": 2.0, "C-": 1.7,
    "D+": 1.3, "D": 1.0, "D-": 0.7,
    "F": 0.0,
}


def round_half_up(x: float, digits: int = 1) -> float:
    """Round as a teacher does: 89.95 -> 90.0 (not banker's rounding, not binary artefacts)."""
    q = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


def letter(score: float) -> str:
    """The letter for a percentage in [0, 100], after rounding it to one decimal."""
    if not 0 <= score <= 100:
        raise ValueError(f"score out of range: {score!r}")
    score = round_half_up(score)
    for cutoff, grade in CUTOFFS:
        if score > cutoff:
            return grade
    return "F"


def grade_points(grade: str) -> float:
    try:
        return POINTS[grade.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown grade: {grade!r}") from None


def gpa(courses) -> float:
    """Credit-weighted GPA of (grade, credits) pairs, rounded to two decimals; 0.0 for none."""
    total_credits = 0.0
    total_points = 0.0
    for grade, credits in courses:
        if credits < 0:
            raise ValueError(f"negative credits: {credits!r}")
        total_credits += credits
        total_points += grade_points(grade) * credits
    if total_credits == 0:
        return 0.0
    return round_half_up(total_points / total_credits, 2)
