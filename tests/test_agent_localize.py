"""Fault localisation: traceback parsing on real pytest output, Ochiai, and the combined ranking."""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dagent.agent.localize import Suspicion, ochiai, rank_lines
from dagent.agent.source_index import SourceIndex, executable_lines, is_test_path, split_lines
from dagent.agent.tracebacks import Frame, test_frame, traceback_frames

PROJECT = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "shop/__init__.py": "",
    "shop/money.py": (
        "import json\n"
        "\n"
        "\n"
        "def ratio(part, whole):\n"
        "    return part / whole\n"
        "\n"
        "\n"
        "def share(items, key):\n"
        "    total = sum(items.values())\n"
        "    return ratio(items[key], total)\n"
        "\n"
        "\n"
        "def load(text):\n"
        "    return json.loads(text)\n"
        "\n"
        "\n"
        "def checked(x):\n"
        "    try:\n"
        "        return ratio(x, 0)\n"
        "    except ZeroDivisionError as err:\n"
        '        raise ValueError("no total") from err\n'
    ),
    "tests/test_money.py": (
        "from shop.money import checked, load, share\n"
        "\n"
        "\n"
        "def test_share():\n"
        '    assert share({"a": 0}, "a") == 0\n'
        "\n"
        "\n"
        "def test_load():\n"
        '    assert load("{") == {}\n'
        "\n"
        "\n"
        "def test_checked():\n"
        "    checked(3)\n"
    ),
}


def write_project(root: Path, files: dict[str, str]) -> dict[str, str]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return {rel: text for rel, text in files.items() if rel.endswith(".py")}


def run_pytest(root: Path, tb: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        # hypothesis' plugin only slows the start here (about 1 s of 2).
        [sys.executable, "-m", "pytest", "-q", f"--tb={tb}", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


def failure_sections(output: str) -> dict[str, str]:
    """Each failing test's block of pytest's FAILURES section, by test name."""
    body = output.split("= FAILURES =", 1)[1].split("short test summary info", 1)[0]
    parts = re.split(r"^_{3,} (\S+) _{3,}$", body, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("shop")
    return root, write_project(root, PROJECT)


@pytest.fixture(scope="module")
def outputs(project: tuple[Path, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Failure sections per --tb style, each style run once for the module."""
    cache: dict[str, dict[str, str]] = {}
    for tb in ("long", "short", "native"):
        cache[tb] = failure_sections(run_pytest(project[0], tb))
    return cache


@pytest.fixture(params=["long", "short", "native"])
def sections(request: pytest.FixtureRequest, outputs: dict[str, dict[str, str]]) -> dict[str, str]:
    return outputs[request.param]


# ---------------------------------------------------------------- traceback_frames


def test_frames_innermost_first_in_every_style(project: tuple[Path, dict[str, str]], sections: dict[str, str]) -> None:
    root, _ = project
    assert traceback_frames(sections["test_share"], root) == [
        Frame("shop/money.py", 5, "ratio"),
        Frame("shop/money.py", 10, "share"),
        Frame("tests/test_money.py", 5, "test_share"),
    ]


def test_frames_leave_out_the_interpreter_and_pytest(project: tuple[Path, dict[str, str]], sections: dict[str, str]) -> None:
    root, _ = project
    # json's own frames (and, in native style, pytest's and pluggy's) are printed but are not ours.
    assert traceback_frames(sections["test_load"], root) == [
        Frame("shop/money.py", 14, "load"),
        Frame("tests/test_money.py", 9, "test_load"),
    ]


def test_chained_exception_puts_the_root_cause_first(project: tuple[Path, dict[str, str]], sections: dict[str, str]) -> None:
    root, _ = project
    frames = traceback_frames(sections["test_checked"], root)
    assert frames[:2] == [Frame("shop/money.py", 5, "ratio"), Frame("shop/money.py", 19, "checked")]
    assert Frame("shop/money.py", 21, "checked") in frames
    assert frames[-1] == Frame("tests/test_money.py", 13, "test_checked")


def test_absolute_paths_match_sources_without_a_project_dir(
    project: tuple[Path, dict[str, str]], outputs: dict[str, dict[str, str]]
) -> None:
    root, sources = project
    native = outputs["native"]["test_share"]
    assert str(root) in native  # native style prints absolute paths
    frames = traceback_frames(native, None, sources)
    assert [f.path for f in frames] == ["shop/money.py", "shop/money.py", "tests/test_money.py"]


def test_line_style_and_syntax_error_locations(tmp_path: Path) -> None:
    sources = write_project(tmp_path, {"app/core.py": "def f(:\n    pass\n"})
    details = (
        f"E     File \"{tmp_path}/app/core.py\", line 1\n"
        "E       def f(:\n"
        "E   SyntaxError: invalid syntax\n"
        f"{tmp_path}/app/core.py:1: SyntaxError: invalid syntax\n"
    )
    # The file does not parse, so the function cannot be named: it is reported as module level.
    assert traceback_frames(details, tmp_path, sources) == [Frame("app/core.py", 1, "<module>")]


def test_virtualenv_inside_the_project_is_not_project_code(tmp_path: Path) -> None:
    venv_file = tmp_path / ".venv/lib/python3.11/site-packages/lib3/api.py"
    venv_file.parent.mkdir(parents=True)
    venv_file.write_text("def call():\n    raise OSError\n")
    write_project(tmp_path, {"app/run.py": "def go():\n    call()\n"})
    details = (
        f'  File "{tmp_path}/app/run.py", line 2, in go\n    call()\n'
        f'  File "{venv_file}", line 2, in call\n    raise OSError\nOSError\n'
    )
    assert traceback_frames(details, tmp_path) == [Frame("app/run.py", 2, "go")]


def test_a_checkout_under_a_venv_folder_is_still_the_project(tmp_path: Path) -> None:
    root = tmp_path / "venv" / "proj"
    write_project(root, {"app/run.py": "def go():\n    return 1 / 0\n"})
    details = f'  File "{root}/app/run.py", line 2, in go\n    return 1 / 0\nZeroDivisionError\n'
    assert traceback_frames(details, root) == [Frame("app/run.py", 2, "go")]


def test_frames_outside_the_project_are_dropped(tmp_path: Path) -> None:
    details = "../elsewhere/mod.py:3: in f\n    x()\n/opt/other/lib.py:9: in g\n    y()\nE   KeyError\n"
    assert traceback_frames(details, tmp_path) == []


def test_test_frame_reads_node_ids() -> None:
    sources = {
        "tests/test_x.py": "class TestBox:\n    def test_fit(self, n):\n        assert n\n\n\ndef test_plain():\n    pass\n"
    }
    assert test_frame("tests/test_x.py::TestBox::test_fit[3-big]", sources) == Frame("tests/test_x.py", 2, "test_fit")
    assert test_frame("tests/test_x.py::test_plain", sources) == Frame("tests/test_x.py", 6, "test_plain")
    assert test_frame("tests/test_x.py::test_gone", sources) is None
    assert test_frame("tests/other.py::test_plain", sources) is None


# ---------------------------------------------------------------- ochiai


def test_ochiai_known_scores_and_test_files_excluded() -> None:
    coverage = {
        ("pkg/a.py", 1): {"t1", "t2", "t3"},
        ("pkg/a.py", 2): {"t1"},
        ("pkg/a.py", 3): {"t1", "t2"},
        ("pkg/a.py", 4): {"t2"},  # run by no failing test: not suspicious
        ("tests/test_a.py", 5): {"t1"},
        ("pkg/conftest.py", 1): {"t1"},
    }
    ranked = ochiai(coverage, failed={"t1"}, passed={"t2", "t3"})
    assert [(s.path, s.line) for s in ranked] == [("pkg/a.py", 2), ("pkg/a.py", 3), ("pkg/a.py", 1)]
    assert [s.score for s in ranked] == pytest.approx([1.0, 1 / math.sqrt(2), 1 / math.sqrt(3)])


def test_ochiai_ties_prefer_traceback_then_fewer_passing() -> None:
    # With two failing tests, ef=1/ep=0 and ef=2/ep=2 both score 1/sqrt(2).
    coverage = {
        ("pkg/b.py", 7): {"f1", "f2", "p1", "p2"},
        ("pkg/b.py", 9): {"f1"},
        ("pkg/a.py", 3): {"f2"},
        ("pkg/z.py", 1): {"f1|run", "p1|setup"},  # pytest-cov style contexts
    }
    failed, passed = {"f1", "f2"}, {"p1", "p2"}
    plain = ochiai(coverage, failed, passed)
    assert [(s.path, s.line) for s in plain] == [("pkg/a.py", 3), ("pkg/b.py", 9), ("pkg/b.py", 7), ("pkg/z.py", 1)]
    assert plain[0].score == plain[2].score == pytest.approx(1 / math.sqrt(2))
    traced = ochiai(coverage, failed, passed, frames=[Frame("pkg/b.py", 9, "f")])
    assert [(s.path, s.line) for s in traced][:2] == [("pkg/b.py", 9), ("pkg/a.py", 3)]
    assert ochiai(coverage, failed=set(), passed=passed) == []


def test_is_test_path() -> None:
    assert all(map(is_test_path, ["tests/a.py", "pkg/test/b.py", "test_c.py", "pkg/d_test.py", "conftest.py"]))
    assert not any(map(is_test_path, ["pkg/testing.py", "pkg/contest.py", "attest/x.py"]))


# ---------------------------------------------------------------- executable lines


def test_executable_lines_skip_what_does_not_run() -> None:
    source = (
        "import os\n"  # 1
        "\n"  # 2
        "@decorate\n"  # 3
        "def f(a,\n"  # 4
        "      b=1):\n"  # 5
        '    """Doc."""\n'  # 6
        "    # a comment\n"  # 7
        "    if a > b:\n"  # 8
        "        x = (a +\n"  # 9
        "             b)\n"  # 10
        "    else:\n"  # 11
        "        x = 0\n"  # 12
        "    try:\n"  # 13
        "        return x[1:]\n"  # 14
        "    except KeyError:\n"  # 15
        "        pass\n"  # 16
    )
    table = executable_lines(ast.parse(source), split_lines(source))
    assert sorted(table) == [1, 8, 9, 10, 12, 14, 15, 16]
    assert table[14] > table[12] > table[16] == 0.0  # slicing and a constant beat a plain constant


# ---------------------------------------------------------------- rank_lines

HELPERS = {
    "calc/__init__.py": "",
    "calc/series.py": (
        "from calc.util import clamp\n"
        "\n"
        "\n"
        "def running(xs):\n"
        "    out = []\n"
        "    acc = 0\n"
        "    for x in xs:\n"
        "        acc = acc + x\n"
        "        out.append(clamp(acc))\n"
        "    return out\n"
    ),
    "calc/util.py": (
        "LIMIT = 100\n"
        "\n"
        "\n"
        "def clamp(value):\n"
        "    # keep within the limit\n"
        "    if value >= LIMIT:\n"
        "        return LIMIT - 1\n"
        "    return value\n"
        "\n"
        "\n"
        "def unused(v):\n"
        "    return v * 2\n"
    ),
    "tests/test_series.py": (
        "from calc.series import running\n"
        "\n"
        "\n"
        "def test_running():\n"
        "    xs = [1, 2, 3]\n"
        "    assert running(xs) == [1, 3, 6]\n"
        "\n"
        "\n"
        "def test_cap():\n"
        "    assert running([100]) == [100]\n"
    ),
}


def test_rank_traceback_only_puts_raise_site_first() -> None:
    frames = [Frame("calc/util.py", 7, "clamp"), Frame("calc/series.py", 9, "running"), Frame("tests/test_series.py", 10, "test_cap")]
    ranked = rank_lines(frames, [], HELPERS)
    assert (ranked[0].path, ranked[0].line) == ("calc/util.py", 7)
    assert ("calc/series.py", 9) in [(s.path, s.line) for s in ranked[:3]]
    assert all(not is_test_path(s.path) for s in ranked)
    assert ("calc/util.py", 5) not in [(s.path, s.line) for s in ranked]  # a comment
    assert ("calc/util.py", 12) not in [(s.path, s.line) for s in ranked]  # never ran
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


def test_rank_test_only_traceback_suspects_called_functions() -> None:
    frames = [Frame("tests/test_series.py", 10, "test_cap")]
    ranked = rank_lines(frames, [], HELPERS)
    lines = {(s.path, s.line) for s in ranked}
    # running() is called on the failing line; clamp() is called by running().
    assert {("calc/series.py", n) for n in (5, 6, 7, 8, 9, 10)} <= lines
    assert {("calc/util.py", n) for n in (6, 7, 8)} <= lines
    assert ("calc/util.py", 12) not in lines  # unused() is never called
    assert not any(is_test_path(path) for path, _ in lines)


def test_rank_combines_coverage_and_traceback() -> None:
    scores = [Suspicion("calc/util.py", 6, 1.0), Suspicion("calc/util.py", 8, 0.5), Suspicion("calc/series.py", 8, 0.4)]
    frames = [[Frame("calc/series.py", 8, "running")], [Frame("tests/test_series.py", 6, "test_running")]]
    ranked = rank_lines(frames, scores, HELPERS)
    top = [(s.path, s.line) for s in ranked[:2]]
    # Coverage 1.0 and a traceback hit in half the failures (1.0/2) are both strong evidence.
    assert set(top) == {("calc/util.py", 6), ("calc/series.py", 8)}


def test_rank_works_without_any_traceback() -> None:
    scores = [Suspicion("calc/util.py", 7, 0.9), Suspicion("calc/util.py", 5, 0.9)]
    # Line 5 is a comment; line 7 holds an operator and a constant (prior 2/3).
    assert rank_lines([], scores, HELPERS) == [Suspicion("calc/util.py", 7, pytest.approx(0.9 * (0.6 + 0.4 * 2 / 3)))]


def test_source_index_enclosing_function_and_definitions() -> None:
    index = SourceIndex({"m.py": "class A:\n    @staticmethod\n    def f():\n        def g():\n            return 1\n        return g\n"})
    assert index.enclosing_function("m.py", 5).qualname == "A.f.g"  # type: ignore[union-attr]
    assert index.enclosing_function("m.py", 2).qualname == "A.f"  # type: ignore[union-attr]  # decorator line
    assert index.enclosing_function("m.py", 1) is None
    assert [d.qualname for d in index.definitions("m.py")] == ["A", "A.f", "A.f.g"]
