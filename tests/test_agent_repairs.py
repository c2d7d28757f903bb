"""The repair grammar on small real snippets: every candidate parses, and each family holds the fix
of a bug of its kind planted in realistic code."""

from __future__ import annotations

import ast
import textwrap

import pytest

from dagent.agent.repairs import FAMILIES, find_statement, repairs_at

# (family, buggy module, the buggy line's text, the fixed module)
PLANTED = [
    ("operator", """
        def in_range(x, lo, hi):
            return lo <= x < hi
        """, "return lo <= x < hi", "return lo <= x <= hi"),
    ("operator", """
        def overlaps(a_start, a_end, b_start, b_end):
            return a_start <= b_end and b_start <= a_end
        """, "return a_start", "return a_start < b_end and b_start < a_end"),
    ("operator", """
        def ranked(counts):
            return sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
        """, "return sorted", "return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))"),
    ("off_by_one", """
        def windows(values, size):
            return [values[i : i + size] for i in range(len(values) - size)]
        """, "return [values", "return [values[i : i + size] for i in range(len(values) - size + 1)]"),
    ("off_by_one", """
        def pages(count, per_page):
            return (count + per_page) // per_page
        """, "return (count", "return (count + per_page - 1) // per_page"),
    ("off_by_one", """
        def nth_day(first, n):
            return first + 7 * n
        """, "return first", "return first + 7 * (n - 1)"),
    ("off_by_one", """
        def column(offset, last_newline):
            return offset - last_newline - 1
        """, "return offset", "return offset - last_newline"),
    ("literal", """
        def retries(config):
            return config.get("retries", 0)
        """, "return config", 'return config.get("retries", 1)'),
    ("condition", """
        def visible(item, user):
            if item.hidden:
                return False
            return True
        """, "if item.hidden", "if not item.hidden:"),
    ("name", """
        def transfer(self, other, amount):
            self.balance -= amount
            self.balance += amount
        """, "self.balance += amount", "other.balance += amount"),
    ("name", """
        def smallest(values):
            return max(values)
        """, "return max", "return min(values)"),
    ("attribute", """
        def distance(a, b):
            dx = b.x - a.x
            dy = b.y - a.x
            return (dx * dx + dy * dy) ** 0.5
        """, "dy = b.y", "dy = b.y - a.y"),
    ("swap", """
        def ratio(part, whole):
            return divmod(whole, part)
        """, "return divmod", "return divmod(part, whole)"),
    ("combine", """
        def total(lines):
            return sum(unit for unit, quantity in lines)
        """, "return sum", "return sum(unit * quantity for unit, quantity in lines)"),
    ("call", """
        def parse(pairs):
            out = {}
            for key, value in pairs:
                out[key.strip()] = value
            return out
        """, "out[key.strip()]", "out[key.strip()] = value.strip()"),
    ("statement", """
        def unique(items):
            seen = set()
            out = []
            for item in items:
                if item in seen:
                    continue
                out.append(item)
            return out
        """, "out.append(item)", "seen.add(item)"),
    ("statement", """
        class Queue:
            def __init__(self):
                self._items = []
                self._counter = 0

            def push(self, item):
                self._items.append((self._counter, item))
        """, "self._items.append", "self._counter += 1"),
    ("statement", """
        def count_words(text):
            counts = {}
            for word in text.split():
                counts[word] = counts.get(word, 0) + 1
                counts[word] = counts.get(word, 0) + 1
            return counts
        """, "counts[word] = counts.get", None),
]


def _line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if line.strip().startswith(text))


def _apply(source: str, repair) -> str:  # type: ignore[no-untyped-def]
    lines = source.splitlines(keepends=True)
    return "".join([*lines[: repair.start - 1], repair.new, *lines[repair.end :]])


@pytest.mark.parametrize(("family", "buggy", "at", "fixed"), PLANTED, ids=[f"{p[0]}-{i}" for i, p in enumerate(PLANTED)])
def test_each_family_holds_the_fix_of_its_bug(family: str, buggy: str, at: str, fixed: str | None) -> None:
    source = textwrap.dedent(buggy).lstrip("\n")
    found = repairs_at(source, "m.py", _line_of(source, at))
    assert found, "no candidate at the line"
    results = [(r, _apply(source, r)) for r in found]
    for repair, text in results:
        ast.parse(text)  # every candidate is valid Python in the whole file
        assert repair.family in FAMILIES and repair.new != repair.old
    if fixed is None:  # the duplicated line: deleting it is the fix
        want = ast.dump(ast.parse(source.replace("    " * 2 + "counts[word] = counts.get(word, 0) + 1\n", "", 1)))
    elif "\n" in fixed or fixed.startswith(("seen.", "self._counter")):
        want = None
    else:
        line = _line_of(source, at)
        lines = source.splitlines(keepends=True)
        indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
        want = ast.dump(ast.parse("".join([*lines[: line - 1], indent + fixed + "\n", *lines[line:]])))
    if want is None:  # an inserted line: it must appear in some candidate of the family
        assert any(fixed in r.new and r.family == family for r in found), [r.note for r in found]
    else:
        assert any(ast.dump(ast.parse(t)) == want and r.family == family for r, t in results), \
            [(r.family, r.note) for r in found]


def test_candidates_are_unique_and_in_family_order() -> None:
    source = "def f(xs, n):\n    return xs[n - 1] + len(xs) * 2\n"
    found = repairs_at(source, "m.py", 2)
    assert len({(r.start, r.end, ast.dump(ast.parse(textwrap.dedent(r.new)))) for r in found}) == len(found)
    assert [FAMILIES.index(r.family) for r in found] == sorted(FAMILIES.index(r.family) for r in found)


def test_the_likeliest_comparison_swap_comes_first_at_its_site() -> None:
    found = [r for r in repairs_at("def f(a, b):\n    return a < b\n", "m.py", 2) if r.family == "operator"]
    assert found[0].new.strip() == "return a <= b"


def test_no_candidates_where_there_is_no_statement() -> None:
    source = "def f():\n\n    # a comment\n    return 1\n"
    assert repairs_at(source, "m.py", 2) == [] and repairs_at(source, "m.py", 3) == []
    assert repairs_at("def broken(:\n", "m.py", 1) == []


def test_find_statement_reads_a_compound_header_only() -> None:
    source = "def f(x):\n    if x > 1 and \\\n            x < 5:\n        return x\n    return 0\n"
    statement = find_statement(source, 2)
    assert statement is not None and (statement.start, statement.end) == (2, 3)
    assert statement.text.startswith("if x > 1")


def test_the_last_statement_of_a_case_block_gets_candidates() -> None:
    # ast.match_case has no line number of its own: the insert-after-the-block repair reads the `case` line.
    source = textwrap.dedent("""\
        def kind(value):
            match value:
                case int():
                    label = "int"
                    return label
                case _:
                    return "other"
        """)
    found = repairs_at(source, "m.py", 5)
    assert found and all(r.start == 5 for r in found)
    assert any(r.new.startswith("            return label\n    ") or r.family == "statement" for r in found)
