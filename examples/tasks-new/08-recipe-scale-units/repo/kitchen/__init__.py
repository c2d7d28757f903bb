from .recipe import Ingredient, Recipe, parse_line
from .units import UnitError, convert, dimension, from_base, to_base

__all__ = ["Ingredient", "Recipe", "parse_line", "UnitError", "convert", "dimension", "from_base", "to_base"]
