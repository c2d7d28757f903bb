"""Screening: which candidates become variants, and the fix loop with screening on."""

from __future__ import annotations

import textwrap
from pathlib import Path

from dagent.agent.budget import Budget
from dagent.agent.loop import run_fix
from dagent.agent.repairs import Repair
from dagent.agent.screen import FunctionIndex, function_swap, lines_with_ends, located, swaps_for
from helpers.repos import make_repo

SOURCE = textwrap.dedent("""\
    import functools


    def plain(a, b):
        total = a + b
        return total


    @functools.cache
    def decorated(n):
        return n * 2


    class Box:
        def method(self):
            def inner():
                return 1
            return inner()

        class Nested:
            def deep(self):
                return 2


    def one_liner(x): return x
    """)


def _repair(line: int, new: str, path: str = "mod.py") -> Repair:
    old = lines_with_ends(SOURCE)[line - 1]
    return Repair(path, line, line, old, new, "literal", "test")


def _line(text: str) -> int:
    return next(i for i, line in enumerate(lines_with_ends(SOURCE), 1) if text in line)


def test_an_edit_inside_a_function_body_becomes_a_swap_of_that_function() -> None:
    index = FunctionIndex(SOURCE)
    swap = function_swap(index, _repair(_line("total = a + b"), "    total = a - b\n"))
    assert swap is not None
    assert (swap.qualname, swap.first_line, swap.line) == ("plain", _line("def plain"), _line("def plain"))
    assert swap.source == "def plain(a, b):\n    total = a - b\n    return total\n"


def test_a_decorated_function_starts_at_its_decorator_and_a_method_is_named_by_its_class() -> None:
    index = FunctionIndex(SOURCE)
    swap = function_swap(index, _repair(_line("return n * 2"), "    return n * 3\n"))
    assert swap is not None and swap.qualname == "decorated"
    assert swap.first_line == _line("@functools.cache") and swap.line == _line("def decorated")
    method = function_swap(index, _repair(_line("return 1"), "            return 0\n"))  # a nested def's body
    assert method is not None and method.qualname == "Box.method"
    assert "return 0" in method.source and method.source.startswith("    def method(self):\n")


def test_what_cannot_be_swapped_is_not_screened() -> None:
    index = FunctionIndex(SOURCE)
    assert function_swap(index, _repair(_line("def plain"), "def plain(a, b=1):\n")) is None  # the header
    assert function_swap(index, _repair(_line("import functools"), "import os\n")) is None  # module level
    assert function_swap(index, _repair(_line("return 2"), "            return 3\n")) is None  # a nested class
    assert function_swap(index, _repair(_line("def one_liner"), "def one_liner(x): return -x\n")) is None
    stale = Repair("mod.py", _line("total = a + b"), _line("total = a + b"), "    total = 0\n", "    total = 1\n", "literal", "")
    assert function_swap(index, stale) is None  # `old` is not what the file holds
    assert swaps_for([_repair(_line("total"), "    total = 1\n", path="gone.py")], {"mod.py": SOURCE}) == [None]


def test_a_swap_is_located_in_each_lane_sandbox(tmp_path: Path) -> None:
    [swap] = swaps_for([_repair(_line("total = a + b"), "    total = a * b\n")], {"mod.py": SOURCE})
    assert swap is not None and swap.file == "mod.py"
    assert located(swap, tmp_path).file == str((tmp_path / "mod.py").resolve())


PRICING = {
    "pricing.py": textwrap.dedent("""\
        RATES = {"std": 20, "low": 5}


        def vat(amount, kind="std"):
            rate = RATES[kind]
            if amount < 0:
                raise ValueError("negative amount")
            return amount * rate // 100


        def gross(amount, kind="std"):
            tax = vat(amount, kind)
            return amount - tax


        def rounded(amount):
            step = 5
            return (amount // step) * step
        """),
    "tests/test_pricing.py": textwrap.dedent("""\
        import pytest
        from pricing import gross, rounded, vat

        @pytest.mark.parametrize("amount,expected", [(100, 120), (0, 0), (50, 60)])
        def test_gross_adds_vat(amount, expected):
            assert gross(amount) == expected

        def test_vat():
            assert vat(100) == 20
            assert vat(100, "low") == 5

        def test_vat_refuses_negative():
            with pytest.raises(ValueError):
                vat(-1)

        def test_rounded():
            assert rounded(12) == 10
        """),
}


def test_the_fix_loop_screens_candidates_and_confirms_the_winner_by_the_suite(tmp_path: Path) -> None:
    make_repo(tmp_path, PRICING)
    report = run_fix(tmp_path, budget=Budget(time_s=120, model_rewrites=False, lanes=1))
    assert report.fixed and "+    return amount + tax" in report.diff, report.status
    assert report.timings.screened > 0 and report.timings.screen_s > 0
    screened = [a for a in report.attempts if a.reason.endswith("(screened)")]
    assert len(screened) == report.timings.screened
    assert all(a.verdict in ("still_failing", "regression") for a in screened)  # a screen only rejects
    winner = next(a for a in report.attempts if a.verdict == "passes")
    assert not winner.reason.endswith("(screened)") and report.timings.confirm_s > 0


TABLES = {
    "tables.py": textwrap.dedent("""\
        def squares(n):
            out = []
            for i in range(1, n):
                out.append(i * i)
            return out


        SQUARES = squares(4)  # built while the module is imported
        """),
    "tests/test_tables.py": textwrap.dedent("""\
        from tables import SQUARES, squares

        def test_table():
            assert SQUARES == [0, 1, 4, 9]

        def test_squares():
            assert squares(2) == [0, 1]
        """),
}


def test_a_bug_in_code_run_at_import_time_is_fixed_by_the_full_check_not_lost_in_a_screen(tmp_path: Path) -> None:
    make_repo(tmp_path, TABLES)
    report = run_fix(tmp_path, budget=Budget(time_s=120, model_rewrites=False, lanes=1))
    assert report.fixed and "+    for i in range(0, n):" in report.diff, report.status
    assert report.timings.screened == 0  # squares ran at import: no variant of it could be trusted
