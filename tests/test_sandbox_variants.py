"""Variants tested in one session: each swaps a function's code in a fork of the collected project.

Every outcome is compared with the same edit written to the file and run by pytest: a variant must
see what the edited file would, or come back as None (not swappable faithfully).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dagent.sandbox import TestWorker, run_pytest
from dagent.sandbox.variants import FunctionSwap
from helpers.repos import write_files

SHAPES = textwrap.dedent("""\
    import functools

    SCALE = 2


    def area(w, h):
        return w * h + 1


    def helper(x):
        return x


    TABLE = [helper(n) for n in range(3)]  # helper runs while the module is imported


    class Base:
        def describe(self):
            return "base"


    class Square(Base):
        def __init__(self, side):
            self.side = side

        @property
        def size(self):
            return self.side * SCALE

        @staticmethod
        def unit():
            return 0

        def describe(self):
            return super().describe() + "+square"


    @functools.lru_cache(maxsize=None)
    def cached(n):
        return n + 100
    """)

TESTS = textwrap.dedent("""\
    from shapes import Square, area, cached, TABLE

    def test_area():
        assert area(2, 3) == 6

    def test_size():
        assert Square(3).size == 6

    def test_unit():
        assert Square.unit() == 1

    def test_describe():
        assert Square(1).describe() == "base+square!"

    def test_cached():
        assert cached(1) == 1

    def test_table():
        assert TABLE == [0, 1, 2]
    """)

IDS = [f"tests/test_shapes.py::test_{name}" for name in ("area", "size", "unit", "describe", "cached", "table")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_files(tmp_path, {"shapes.py": SHAPES, "tests/test_shapes.py": TESTS})
    return tmp_path


def _swap(project: Path, qualname: str, old: str, new: str) -> FunctionSwap:
    """`qualname`'s definition with `old` replaced by `new`, as the agent builds it."""
    lines = SHAPES.splitlines(keepends=True)
    owner, _, name = qualname.rpartition(".")
    after = next(i for i, line in enumerate(lines, 1) if line.startswith(f"class {owner}")) if owner else 0
    def_line = next(i for i, line in enumerate(lines, 1) if i > after and line.strip().startswith(f"def {name}("))
    first = def_line - 1 if lines[def_line - 2].strip().startswith("@") else def_line
    end = def_line
    while end < len(lines) and (lines[end].startswith(" " * (len(lines[def_line - 1]) - len(lines[def_line - 1].lstrip()) + 1))):
        end += 1
    source = "".join(lines[def_line - 1 : end])
    assert old in source
    return FunctionSwap(str((project / "shapes.py").resolve()), qualname, first, source.replace(old, new), def_line)


def _edited_outcomes(project: Path, old: str, new: str) -> dict[str, str]:
    (project / "shapes.py").write_text(SHAPES.replace(old, new, 1))
    try:
        run = run_pytest(project, IDS, timeout_s=120)
    finally:
        (project / "shapes.py").write_text(SHAPES)
    return {o.test_id: o.outcome for o in run.outcomes}


EDITS = [
    ("area", "w * h + 1", "w * h"),
    ("Square.size", "self.side * SCALE", "self.side * SCALE + 0"),
    ("Square.unit", "return 0", "return 1"),
    ("Square.describe", '"+square"', '"+square!"'),
    ("cached", "n + 100", "n"),
]


def test_each_variant_sees_what_the_edited_file_would(project: Path) -> None:
    swaps = [[_swap(project, qualname, old, new)] for qualname, old, new in EDITS]
    with TestWorker(project) as worker:
        runs = worker.run_variants(IDS, swaps, timeout_s=120)
    for (qualname, old, new), run in zip(EDITS, runs):
        assert run is not None and run.duration_s > 0, qualname
        assert {o.test_id: o.outcome for o in run.outcomes} == _edited_outcomes(project, old, new), qualname
    assert (project / "shapes.py").read_text() == SHAPES  # nothing was written
    assert not list(project.rglob("*.pyc"))


def test_two_functions_swapped_in_one_variant(project: Path) -> None:
    both = [_swap(project, "area", "w * h + 1", "w * h"), _swap(project, "Square.unit", "return 0", "return 1")]
    with TestWorker(project) as worker:
        [run] = worker.run_variants(IDS, [both], timeout_s=120)
    assert run is not None
    assert {"tests/test_shapes.py::test_area", "tests/test_shapes.py::test_unit"} <= set(run.passed_ids())


def test_a_function_that_ran_at_import_time_is_not_swapped(project: Path) -> None:
    with TestWorker(project) as worker:
        runs = worker.run_variants(IDS, [[_swap(project, "helper", "return x", "return x + 1")]], timeout_s=120)
    assert runs == [None]  # TABLE was built by the old code: only an edited file can tell


def test_a_function_not_loaded_or_not_compiling_is_not_swapped(project: Path) -> None:
    good = _swap(project, "area", "w * h + 1", "w * h")
    moved = FunctionSwap(good.file, "area", good.first_line + 1, good.source, good.line)  # not where it is loaded
    broken = FunctionSwap(good.file, "area", good.first_line, good.source.replace("w * h", "w *"), good.line)
    elsewhere = FunctionSwap(str(project / "nowhere.py"), "area", good.first_line, good.source, good.line)
    with TestWorker(project) as worker:
        runs = worker.run_variants(IDS, [[moved], [broken], [elsewhere], [good]], timeout_s=120)
    assert runs[:3] == [None, None, None]
    assert runs[3] is not None and "tests/test_shapes.py::test_area" in runs[3].passed_ids()


def test_a_variant_that_hangs_fails_its_test_or_is_cut_and_the_next_still_runs(project: Path) -> None:
    spin = _swap(project, "area", "return w * h + 1", "while True:\n            pass")
    good = _swap(project, "area", "w * h + 1", "w * h")
    with TestWorker(project, test_timeout_s=1.0) as worker:
        hung, fixed = worker.run_variants(["tests/test_shapes.py::test_area"], [[spin], [good]], timeout_s=60,
                                          variant_timeout_s=10)  # fmt: skip
    assert hung is None or hung.failed_ids() == ["tests/test_shapes.py::test_area"]  # the alarm, or the deadline
    assert fixed is not None and fixed.passed_ids() == ["tests/test_shapes.py::test_area"]


def test_a_variant_past_its_deadline_comes_back_as_none(project: Path) -> None:
    spin = _swap(project, "area", "return w * h + 1", "import time; time.sleep(30)")
    with TestWorker(project) as worker:  # no per-test limit: only the variant's deadline stops it
        assert worker.run_variants(["tests/test_shapes.py::test_area"], [[spin]], timeout_s=60, variant_timeout_s=1) == [None]


def test_a_variant_under_which_the_gate_tests_all_fail_stops_there(project: Path) -> None:
    still = _swap(project, "area", "w * h + 1", "w * h + 2")
    fixed = _swap(project, "area", "w * h + 1", "w * h")
    others = [t for t in IDS if not t.endswith("test_area")]
    with TestWorker(project) as worker:
        stopped, ran = worker.run_variants([*others, IDS[0]], [[still], [fixed]], timeout_s=120, gate=[IDS[0]])
    assert stopped is not None and [o.test_id for o in stopped.outcomes] == [IDS[0]] and stopped.failed_ids() == [IDS[0]]
    assert not stopped.collection_errors  # a stop on purpose, not a broken run
    assert ran is not None and {o.test_id for o in ran.outcomes} == set(IDS)
    assert ran.outcomes[0].test_id == IDS[0]  # the gate ran first
