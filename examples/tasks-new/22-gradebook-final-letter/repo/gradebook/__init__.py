from .book import Gradebook, GradebookError
from .scale import gpa, grade_points, letter, round_half_up

__all__ = ["Gradebook", "GradebookError", "gpa", "grade_points", "letter", "round_half_up"]
