"""Instructions mapped onto structural ops, with names resolved against a small project."""

from __future__ import annotations

import pytest

from dagent.agent.instructions import map_instruction
from dagent.errors import DagentError
from dagent.ops.model import AddImport, AddParameter, MakeStatic, RenameSymbol
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
