from fractions import Fraction as F

import pytest

from kitchen import Ingredient, Recipe, UnitError, convert, dimension, from_base, parse_line, to_base
from kitchen.recipe import format_qty, parse_qty

PANCAKES = """
Pancakes (serves 4)
# dry
1 1/2 cup flour
2 tbsp sugar
1/2 tsp salt
# wet
2 eggs
300 ml milk
30 g butter
"""


@pytest.mark.parametrize(
    "qty, src, dst, expected",
    [(1, "l", "ml", 1000), (3, "tsp", "tbsp", 1), (1, "cup", "tbsp", 16), (2, "kg", "g", 2000),
     (1, "dozen", "pc", 12), (500, "ml", "l", F(1, 2)), (1, "Cups", "ml", 240)],
)
def test_convert(qty, src, dst, expected):
    assert convert(F(qty), src, dst) == expected


def test_convert_across_dimensions():
    with pytest.raises(UnitError):
        convert(F(1), "cup", "g")


def test_unknown_unit():
    with pytest.raises(UnitError):
        dimension("furlong")


def test_to_base_from_base():
    assert to_base(F(2), "tbsp") == 30
    assert from_base(F(30), "tbsp") == 2
    assert from_base(F(750), "l") == F(3, 4)


@pytest.mark.parametrize("text, expected", [("2", F(2)), ("1/2", F(1, 2)), ("1 1/2", F(3, 2)), (".75", F(3, 4))])
def test_parse_qty(text, expected):
    assert parse_qty(text) == expected


@pytest.mark.parametrize("q, text", [(F(3, 2), "1 1/2"), (F(2), "2"), (F(1, 3), "1/3"), (F(0), "0")])
def test_format_qty(q, text):
    assert format_qty(q) == text


def test_parse_line_with_unit():
    assert parse_line("1 1/2 cups Flour") == Ingredient("flour", F(3, 2), "cup")


def test_parse_line_count():
    assert parse_line("2 eggs") == Ingredient("eggs", F(2), "pc")


def test_parse_line_bad():
    with pytest.raises(ValueError):
        parse_line("a pinch of love")


def test_ingredient_to():
    assert parse_line("2 tbsp sugar").to("tsp") == Ingredient("sugar", F(6), "tsp")


def test_ingredient_str():
    assert str(Ingredient("flour", F(3, 2), "cup")) == "1 1/2 cup flour"


def test_recipe_parse():
    r = Recipe.parse(PANCAKES)
    assert r.title == "Pancakes" and r.servings == 4
    assert len(r.ingredients) == 6


def test_recipe_parse_header_required():
    with pytest.raises(ValueError):
        Recipe.parse("1 cup flour\n2 eggs")


def test_scale_up():
    r = Recipe.parse(PANCAKES).scale(8)
    assert r.servings == 8
    assert r.ingredients[0].qty == 3


def test_scale_down():
    r = Recipe.parse(PANCAKES).scale(2)
    assert r.ingredients[4] == Ingredient("milk", F(150), "ml")


def test_scale_invalid():
    with pytest.raises(ValueError):
        Recipe.parse(PANCAKES).scale(0)


def test_totals_merge_units():
    r = Recipe("x", 1, [parse_line("1 tbsp oil"), parse_line("1 tsp oil")])
    assert r.totals() == {("oil", "volume"): 20}


def test_shopping_list_metric():
    assert Recipe.parse(PANCAKES).shopping_list() == [
        "30 g butter", "2 pc eggs", "360 ml flour", "300 ml milk", "2 1/2 ml salt", "30 ml sugar",
    ]


def test_shopping_list_us():
    lines = Recipe.parse(PANCAKES).scale(8).shopping_list("us")
    assert "3 cup flour" in lines
    assert "4 tbsp sugar" in lines
    assert "1 tsp salt" in lines


def test_shopping_list_litres():
    r = Recipe("soup", 2, [parse_line("750 ml stock"), parse_line("1/2 l stock")])
    assert r.shopping_list() == ["1 1/4 l stock"]


def test_combined():
    a = Recipe("a", 2, [parse_line("1 cup rice")])
    b = Recipe("b", 2, [parse_line("1/2 cup rice")])
    assert a.combined(b).totals() == {("rice", "volume"): 360}
