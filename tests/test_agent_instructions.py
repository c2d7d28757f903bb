"""Instructions mapped onto structural ops, with names resolved against a small project."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagent.agent.instructions import map_instruction, plan_instruction
from dagent.errors import DagentError
from dagent.ops.apply import apply_ops
from dagent.ops.model import (
    AddImport,
    AddParameter,
    Decorate,
    ForwardArgument,
    MakeDataclass,
    MakeStatic,
    MoveModule,
    RenameSymbol,
)
from dagent.ops.syntax import parse, render

SOURCES = {
    "pkg/__init__.py": "",
    "pkg/config.py": (
        "import os\n"
        "\n"
        "DEFAULT_PATH = os.path.join('etc', 'app.toml')\n"
        "\n"
        "\n"
        "def parse_config(text):\n"
        "    return dict(line.split('=', 1) for line in text.splitlines())\n"
        "\n"
        "\n"
        "class Loader:\n"
        "    def __init__(self, root):\n"
        "        self.root = root\n"
        "\n"
        "    def read(self, name):\n"
        "        with open(os.path.join(self.root, name)) as handle:\n"
        "            return handle.read()\n"
        "\n"
        "    def normalise(self, text):\n"
        "        return text.strip()\n"
    ),
    "pkg/net.py": (
        "def fetch(url):\n"
        "    return url\n"
        "\n"
        "\n"
        "def helper(x):\n"
        "    return x\n"
        "\n"
        "\n"
        "class Client:\n"
        "    def get(self, url):\n"
        "        return fetch(url)\n"
    ),
    "pkg/util.py": "def helper(y):\n    return y + 1\n",
    "tests/test_net.py": "def fetch(url):\n    return 'fake'\n\n\ndef test_fetch():\n    assert fetch('u') == 'fake'\n",
}


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("rename parse_config to load_config", RenameSymbol(path="pkg/config.py", symbol="parse_config", new_name="load_config")),
        ("Rename `Loader.read` as read_file.", RenameSymbol(path="pkg/config.py", symbol="Loader.read", new_name="read_file")),
        ("rename Loader.read to Loader.read_file", RenameSymbol(path="pkg/config.py", symbol="Loader.read", new_name="read_file")),
        ("rename the class Loader to ConfigLoader", RenameSymbol(path="pkg/config.py", symbol="Loader", new_name="ConfigLoader")),
        ("rename DEFAULT_PATH to CONFIG_PATH", RenameSymbol(path="pkg/config.py", symbol="DEFAULT_PATH", new_name="CONFIG_PATH")),
        ("rename normalise() to clean", RenameSymbol(path="pkg/config.py", symbol="Loader.normalise", new_name="clean")),
        # The fake fetch in the tests does not make the name ambiguous: project code wins.
        ("rename fetch to download", RenameSymbol(path="pkg/net.py", symbol="fetch", new_name="download")),
    ],
)
def test_rename(instruction: str, expected: RenameSymbol) -> None:
    assert map_instruction(instruction, SOURCES) == expected


@pytest.mark.parametrize(
    "instruction",
    [
        "make normalise static",
        "make Loader.normalise a staticmethod",
        "Make Loader.normalise a static method.",
        "turn Loader.normalise into a static method",
    ],
)
def test_make_static(instruction: str) -> None:
    assert map_instruction(instruction, SOURCES) == MakeStatic(path="pkg/config.py", symbol="Loader.normalise")


def test_it_means_the_command_line_symbol() -> None:
    op = map_instruction("make it static", SOURCES, "pkg/config.py", "Loader.normalise")
    assert op == MakeStatic(path="pkg/config.py", symbol="Loader.normalise")
    assert map_instruction("make it static", SOURCES) is None  # nothing to stand for


@pytest.mark.parametrize(
    ("instruction", "symbol", "parameter"),
    [
        ("add a timeout parameter (default 5) to fetch", "fetch", "timeout=5"),
        ("add a timeout parameter with default 5 to fetch", "fetch", "timeout=5"),
        ("add a timeout parameter (default=2.5) to fetch()", "fetch", "timeout=2.5"),
        ("add parameter timeout: float = 5.0 to fetch", "fetch", "timeout: float = 5.0"),
        ("add parameter retries=3 to Client.get", "Client.get", "retries=3"),
        ("add an optional session parameter to get", "Client.get", "session=None"),
        ("add a verbose argument to the function fetch", "fetch", "verbose"),
    ],
)
def test_add_parameter(instruction: str, symbol: str, parameter: str) -> None:
    path = "pkg/net.py"
    assert map_instruction(instruction, SOURCES) == AddParameter(path=path, symbol=symbol, parameter=parameter)


@pytest.mark.parametrize(
    ("instruction", "hint", "path", "statement"),
    [
        ("add import os", "pkg/net.py", "pkg/net.py", "import os"),
        ("add import json to pkg/net.py", None, "pkg/net.py", "import json"),
        ("import json in pkg.util", None, "pkg/util.py", "import json"),
        ("add `from typing import Any` to pkg/net.py", None, "pkg/net.py", "from typing import Any"),
        ("add an import of collections.abc to pkg/config.py", None, "pkg/config.py", "import collections.abc"),
        ("import numpy as np", "pkg/util.py", "pkg/util.py", "import numpy as np"),
    ],
)
def test_add_import(instruction: str, hint: str | None, path: str, statement: str) -> None:
    assert map_instruction(instruction, SOURCES, hint) == AddImport(path=path, statement=statement)


@pytest.mark.parametrize(
    "instruction",
    [
        "fix the bug in fetch",
        "make the output prettier",
        "rename nothing_defined to something",  # may be a local: the model handles it
        "rename fetch to class",  # not a valid name
        "add a timeout parameter (default five seconds) to fetch",  # not a Python default
        "import the settings in main",
    ],
)
def test_instructions_that_do_not_map(instruction: str) -> None:
    assert map_instruction(instruction, SOURCES) is None


def test_ambiguous_name_lists_the_candidates() -> None:
    with pytest.raises(DagentError) as info:
        map_instruction("rename helper to assist", SOURCES)
    assert "pkg/net.py:5" in str(info.value) and "pkg/util.py:1" in str(info.value)
    assert "PATH" in str(info.value)  # says how to disambiguate


def test_path_hint_resolves_the_ambiguity() -> None:
    op = map_instruction("rename helper to assist", SOURCES, "pkg/util.py")
    assert op == RenameSymbol(path="pkg/util.py", symbol="helper", new_name="assist")


def test_name_missing_from_the_hinted_file_says_where_it_is() -> None:
    with pytest.raises(DagentError, match=r"not defined in pkg/config.py.*pkg/net.py:1"):
        map_instruction("rename fetch to download", SOURCES, "pkg/config.py")


@pytest.mark.parametrize(
    ("instruction", "hint", "message"),
    [
        ("make fetch static", None, "not a method"),
        ("add import os", None, "which file"),
        ("import json in pkg/missing.py", None, "no file"),
        ("rename fetch to download", "pkg/nowhere.py", "no Python file"),
    ],
)
def test_errors_the_user_can_act_on(instruction: str, hint: str | None, message: str) -> None:
    with pytest.raises(DagentError, match=message):
        map_instruction(instruction, SOURCES, hint)


def test_mapped_ops_round_trip_through_the_text_form() -> None:
    instructions = [
        "rename Loader.read as read_file",
        "make normalise static",
        "add parameter timeout: float = 5.0 to fetch",
        "add `from typing import Any` to pkg/net.py",
    ]
    ops = [map_instruction(text, SOURCES) for text in instructions]
    assert all(op is not None for op in ops)
    assert parse(render(ops)) == ops  # type: ignore[arg-type]


# ---------------------------------------------------------------- pair-programming edits

PROJECT = {
    "shop/__init__.py": "",
    "shop/model.py": (
        "from dataclasses import dataclass\n"
        "\n"
        "\n"
        "class Point:\n"
        "    def __init__(self, x, y):\n"
        "        self.x = x\n"
        "        self.y = y\n"
        "\n"
        "\n"
        "@dataclass\n"
        "class Invoice:\n"
        "    number: str\n"
        "\n"
        "    def calc(self):\n"
        "        return 1\n"
    ),
    "shop/net.py": (
        "import time\n"
        "\n"
        "DEFAULT_TIMEOUT = 10.0\n"
        "\n"
        "\n"
        "def urlopen_text(url: str, **kwargs: object) -> str:\n"
        "    return url\n"
        "\n"
        "\n"
        "def log(message: str, **fields: object) -> None:\n"
        "    print(message)\n"
        "\n"
        "\n"
        "def fetch(url: str, retries: int = 2, opener=urlopen_text) -> str:\n"
        "    log(url)\n"
        "    return opener(url)\n"
        "\n"
        "\n"
        "def get_json(url, timeout=5):\n"
        "    return fetch(url)\n"
        "\n"
        "\n"
        "def plain(url):\n"
        "    return fetch(url)\n"
        "\n"
        "\n"
        "def ticks(n):\n"
        "    yield from range(n)\n"
    ),
    "shop/api.py": "from shop.net import fetch\n\n\ndef call(url, timeout=1):\n    return fetch(url)\n",
    "shop/helpers.py": "def pad(s):\n    return s\n",
    "shop/text.py": "from functools import lru_cache\n\n\ndef distance(a, b):\n    return 0\n",
}


@pytest.mark.parametrize(
    "instruction",
    [
        "rename the method calc of Invoice to total",
        "Rename method `calc` in class Invoice to `total`.",
        "rename Invoice's calc to total",
        "rename Invoice’s method calc() to total",
    ],
)
def test_rename_a_method_of_a_class(instruction: str) -> None:
    assert plan_instruction(instruction, PROJECT) == [RenameSymbol(path="shop/model.py", symbol="Invoice.calc", new_name="total")]


def test_rename_a_field_of_a_class() -> None:
    op = map_instruction("rename the field number of Invoice to ref", PROJECT)
    assert op == RenameSymbol(path="shop/model.py", symbol="Invoice.number", new_name="ref")


@pytest.mark.parametrize(
    ("instruction", "target"),
    [
        ("rename module shop/helpers.py to shop/strings.py", "shop/strings.py"),
        ("move module shop/helpers.py to shop/util/strings.py", "shop/util/strings.py"),
        ("rename the module shop.helpers to shop.strings", "shop/strings.py"),
        ("rename helpers.py to strings.py", "shop/strings.py"),
        ("move the file shop/helpers.py into shop/util/", "shop/util/helpers.py"),
        ("rename helpers to strings", "shop/strings.py"),  # no symbol is called helpers: the module is meant
    ],
)
def test_move_a_module(instruction: str, target: str) -> None:
    assert plan_instruction(instruction, PROJECT) == [MoveModule(path="shop/helpers.py", to=target)]


def test_move_a_module_that_does_not_exist() -> None:
    with pytest.raises(DagentError, match="no module"):
        plan_instruction("rename module shop/nothing.py to shop/x.py", PROJECT)


@pytest.mark.parametrize(
    ("instruction", "decorator"),
    [
        ("memoize distance", "lru_cache(maxsize=None)"),  # the module imports lru_cache: no functools. prefix
        ("cache the results of distance with lru_cache(maxsize=64)", "lru_cache(maxsize=64)"),
        ("memoise distance using an LRU cache of 100 entries", "lru_cache(maxsize=100)"),
        ("add an lru_cache to distance", "lru_cache(maxsize=None)"),
        ("make distance cached", "lru_cache(maxsize=None)"),
    ],
)
def test_memoise(instruction: str, decorator: str) -> None:
    assert plan_instruction(instruction, PROJECT) == [Decorate(path="shop/text.py", symbol="distance", decorator=decorator)]


def test_memoise_spells_functools_where_it_is_not_imported() -> None:
    op = map_instruction("cache fetch with lru_cache(maxsize=1024)", PROJECT)
    assert op == Decorate(path="shop/net.py", symbol="fetch", decorator="functools.lru_cache(maxsize=1024)")


def test_memoise_refuses_a_generator() -> None:
    with pytest.raises(DagentError, match="generator"):
        plan_instruction("memoize ticks", PROJECT)


@pytest.mark.parametrize(
    "instruction",
    [
        "decorate plain with @functools.wraps(fetch)",
        "add the decorator @functools.wraps(fetch) to plain",
        "wrap plain with @functools.wraps(fetch)",
    ],
)
def test_decorate(instruction: str) -> None:
    assert plan_instruction(instruction, PROJECT) == [Decorate(path="shop/net.py", symbol="plain", decorator="functools.wraps(fetch)")]


@pytest.mark.parametrize("instruction", ["add logging to plain", "wrap plain in lock", "add retries to fetch"])
def test_what_is_not_said_to_be_a_decorator_goes_to_the_model(instruction: str) -> None:
    assert plan_instruction(instruction, PROJECT) == []


@pytest.mark.parametrize(
    ("instruction", "options"),
    [
        ("make Point a dataclass", ()),
        ("make Point a frozen dataclass", ("frozen",)),
        ("turn Point into an immutable, ordered dataclass with slots", ("frozen", "order", "slots")),
        ("convert the class Point to a dataclass (frozen=True)", ("frozen",)),
        ("make Point a frozen dataclass (add the import from dataclasses)", ("frozen",)),
    ],
)
def test_dataclass(instruction: str, options: tuple[str, ...]) -> None:
    assert plan_instruction(instruction, PROJECT) == [MakeDataclass(path="shop/model.py", symbol="Point", options=options)]


def test_dataclass_with_more_than_the_op_does_goes_to_the_model() -> None:
    assert plan_instruction("make Point a dataclass with a validator", PROJECT) == []


def test_a_new_parameter_takes_the_module_default_and_goes_to_the_calls_that_take_it() -> None:
    ops = plan_instruction("add a timeout parameter to fetch", PROJECT)
    assert ops == [
        AddParameter(path="shop/net.py", symbol="fetch", parameter="timeout: float = DEFAULT_TIMEOUT"),
        ForwardArgument(path="shop/net.py", symbol="fetch", name="timeout", callee="opener"),  # its default takes **kwargs
        ForwardArgument(path="shop/api.py", symbol="call", name="timeout", callee="fetch"),  # callers with a timeout
        ForwardArgument(path="shop/net.py", symbol="get_json", name="timeout", callee="fetch"),
    ]  # log(**fields) is not passed a timeout: a direct call needs a parameter of that name


@pytest.mark.parametrize(
    ("instruction", "parameter", "callees"),
    [
        ("add a timeout=10 keyword to fetch", "timeout: int = 10", ["opener"]),
        ("add a timeout parameter to fetch and pass it to log", "timeout: float = DEFAULT_TIMEOUT", ["log"]),
        ("add parameter timeout: float = 3 to fetch, and pass it through to opener and log", "timeout: float = 3", ["opener", "log"]),
        ("add an optional verbose parameter to plain", "verbose=None", []),
    ],
)
def test_parameter_phrasings(instruction: str, parameter: str, callees: list[str]) -> None:
    ops = plan_instruction(instruction, PROJECT)
    assert ops[0].parameter == parameter  # type: ignore[union-attr]
    inside = [op.callee for op in ops[1:] if isinstance(op, ForwardArgument) and op.symbol == ops[0].symbol]  # type: ignore[union-attr]
    assert inside == callees


def test_pass_it_to_a_call_that_is_not_there_goes_to_the_model() -> None:
    assert plan_instruction("add a timeout parameter to fetch and pass it to urlopen", PROJECT) == []


def test_compound_instructions_map_clause_by_clause() -> None:
    ops = plan_instruction("add import functools and decorate plain with @functools.lru_cache(maxsize=1024)", PROJECT)
    assert ops == [
        AddImport(path="shop/net.py", statement="import functools"),  # the file of the other op
        Decorate(path="shop/net.py", symbol="plain", decorator="functools.lru_cache(maxsize=1024)"),
    ]
    both = plan_instruction("rename Invoice's calc to total; then make Point a dataclass", PROJECT)
    assert [op.kind for op in both] == ["rename", "dataclass"]
    assert plan_instruction("memoize plain and make it faster", PROJECT) == []  # one clause the ops cannot do
    assert map_instruction("add import functools and memoize plain", PROJECT) is None  # several ops: see plan_instruction


def test_compound_ops_apply(tmp_path: Path) -> None:
    for path, text in PROJECT.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    ops = plan_instruction("add a timeout parameter to fetch", PROJECT)
    result = apply_ops(tmp_path, parse(render(ops)))
    assert sorted(result.changed) == ["shop/api.py", "shop/net.py"]
    net = (tmp_path / "shop/net.py").read_text()
    assert "opener=urlopen_text, timeout: float = DEFAULT_TIMEOUT) -> str:" in net and "return opener(url, timeout=timeout)" in net
    assert "return fetch(url, timeout=timeout)" in (tmp_path / "shop/api.py").read_text()
