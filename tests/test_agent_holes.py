"""Hole templates (agent/holes.py): where the model's fillings go, and which fillings survive."""

from __future__ import annotations

import ast

from dagent.agent.holes import HoleTemplate, fill_repairs, hole_templates

SOURCE = '''\
def total(items, limit):
    count = 0
    for item in items:
        count += item.price
    if count > limit and items:
        return limit
    return count
'''


def _notes(line: int) -> list[str]:
    return [t.note for t in hole_templates(SOURCE, "shop.py", line)]


def _whole(template: HoleTemplate, text: str) -> str:
    lines = SOURCE.splitlines(keepends=True)
    repair = template.filled(text)
    return "".join([*lines[: repair.start - 1], repair.new, *lines[repair.end :]])


def test_a_condition_gets_a_conjunct_and_a_disjunct_hole() -> None:
    notes = _notes(5)
    assert "`count > limit and items and ⟨⟩`" in notes and "`count > limit and items or ⟨⟩`" in notes


def test_a_returned_value_gets_a_whole_hole_and_bounds() -> None:
    assert _notes(7)[:3] == ["`⟨⟩`", "`max(count, ⟨⟩)`", "`min(count, ⟨⟩)`"]


def test_a_loop_header_gets_slice_holes_and_a_loop_body_gets_guards() -> None:
    assert "`items[⟨⟩:]`" in _notes(3) and "`items[:⟨⟩]`" in _notes(3)
    assert _notes(4)[-2:] == ["`if ⟨⟩: continue` before", "`if ⟨⟩: break` before"]
    assert not any("continue" in n for n in _notes(7))  # outside the loop, no guard


def test_every_filled_template_keeps_the_file_around_it() -> None:
    for line in range(1, 8):
        for template in hole_templates(SOURCE, "shop.py", line):
            ast.parse(_whole(template, "0"))  # a literal fills every hole validly
            assert template.old in SOURCE and template.start <= line


def test_the_guard_is_indented_with_the_statement() -> None:
    guard = next(t for t in hole_templates(SOURCE, "shop.py", 4) if "continue" in t.note)
    assert guard.filled("item is None").new == (
        "        if item is None:\n            continue\n        count += item.price\n")


def test_only_fillings_that_parse_become_repairs() -> None:
    template = hole_templates(SOURCE, "shop.py", 7)[1]  # max(count, ⟨⟩)
    repairs = fill_repairs(template, ["0", "limit)", "(", "limit"], SOURCE)
    assert [r.new for r in repairs] == ["    return max(count, 0)\n", "    return max(count, limit)\n"]
    assert all(r.family == "fill" and "max(count," in r.note for r in repairs)


def test_names_in_scope_are_offered_to_the_filler() -> None:
    names = hole_templates(SOURCE, "shop.py", 7)[0].names
    assert {"items", "limit", "count", "item", "total", "price"} <= set(names)


def test_no_templates_on_a_blank_line_or_unparsable_source() -> None:
    assert hole_templates(SOURCE + "\n\n", "shop.py", 9) == []
    assert hole_templates("def f(:\n", "shop.py", 1) == []
