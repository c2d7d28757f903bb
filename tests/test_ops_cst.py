"""Structural ops through libcst, on realistic code: imports, static methods, parameters, renames."""

from __future__ import annotations

import ast

import pytest

from dagent.errors import ApplyError
from dagent.ops.cst import (
    add_import,
    add_parameter,
    decorate,
    forward_argument,
    make_dataclass,
    make_static,
    module_names,
    move_module,
    rename_symbol,
)

MODULE = '''#!/usr/bin/env python
"""Load and validate configuration files."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_TIMEOUT = 30


class ConfigLoader:
    """Reads a JSON config."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self, name: str) -> dict:
        data = json.loads((self.root / name).read_text())
        return self.normalise(data)

    def normalise(self, data: dict) -> dict:
        return {key.lower(): value for key, value in data.items()}

    def describe(
        self,
        name: str,
        verbose: bool = False,
    ) -> str:
        return f"{name} ({verbose})"
'''


def parses(src: str) -> str:
    ast.parse(src)
    return src


# ---------------------------------------------------------------- add_import


def test_add_import_goes_after_the_existing_imports() -> None:
    out = parses(add_import(MODULE, "import os"))
    assert "import json\nfrom pathlib import Path\nimport os\n\nDEFAULT_TIMEOUT" in out
    assert out.startswith('#!/usr/bin/env python\n"""Load and validate')


def test_add_import_skips_duplicates_and_merges_from_imports() -> None:
    assert add_import(MODULE, "import json") == MODULE
    assert add_import(MODULE, "from pathlib import Path") == MODULE
    out = parses(add_import(MODULE, "from pathlib import Path, PurePath"))
    assert "from pathlib import Path, PurePath\n" in out and out.count("from pathlib") == 1
    parenthesised = "from typing import (\n    Any,\n    Dict,\n)\n"
    assert add_import(parenthesised, "from typing import List") == "from typing import (\n    Any,\n    Dict,\n    List,\n)\n"


def test_future_import_goes_first_and_docstring_stays_first() -> None:
    src = '"""Doc."""\nimport os\n\nX = 1\n'
    assert add_import(src, "from __future__ import annotations") == '"""Doc."""\nfrom __future__ import annotations\nimport os\n\nX = 1\n'
    assert add_import('"""Doc."""\nX = 1\n', "import os") == '"""Doc."""\n\nimport os\n\nX = 1\n'


def test_add_import_refuses_what_is_not_an_import() -> None:
    with pytest.raises(ApplyError, match="not an import statement"):
        add_import(MODULE, "x = 1")
    with pytest.raises(ApplyError, match="not a valid import statement"):
        add_import(MODULE, "import (")


# ---------------------------------------------------------------- make_static


def test_make_static_drops_self_and_fixes_unbound_calls() -> None:
    src = MODULE + "\n\ndef run(loader: ConfigLoader) -> dict:\n    return ConfigLoader.normalise(loader, {})\n"
    out = parses(make_static(src, "ConfigLoader.normalise"))
    assert "    @staticmethod\n    def normalise(data: dict) -> dict:\n" in out
    assert "return self.normalise(data)" in out  # calling a static method on the instance stays valid
    assert "return ConfigLoader.normalise({})" in out


def test_make_static_refuses_a_method_that_uses_self() -> None:
    with pytest.raises(ApplyError, match=r"ConfigLoader.load uses `self` 2 time\(s\)"):
        make_static(MODULE, "ConfigLoader.load")


def test_make_static_sees_through_shadowing_and_refuses_super() -> None:
    src = "class A:\n    def f(self, xs):\n        return [self for self in xs]\n\n    def g(self):\n        return super().g()\n"
    assert "def f(xs):" in parses(make_static(src, "A.f"))
    with pytest.raises(ApplyError, match="super"):
        make_static(src, "A.g")


def test_make_static_refuses_classmethods_and_missing_methods() -> None:
    src = "class A:\n    @classmethod\n    def make(cls):\n        return 1\n"
    with pytest.raises(ApplyError, match="already a classmethod"):
        make_static(src, "A.make")
    with pytest.raises(ApplyError, match="no function or class 'nope' in A"):
        make_static(src, "A.nope")


# ---------------------------------------------------------------- add_parameter


def test_add_parameter_before_star_args_and_keyword_only() -> None:
    src = "def fetch(url, retries=3, *args, timeout=10, **kwargs):\n    return url\n"
    assert parses(add_parameter(src, "fetch", "verify: bool = True")) == (
        "def fetch(url, retries=3, verify: bool = True, *args, timeout=10, **kwargs):\n    return url\n"
    )


def test_add_parameter_to_a_method_keeps_one_per_line_layout() -> None:
    out = parses(add_parameter(MODULE, "ConfigLoader.describe", "width: int = 80"))
    assert "        verbose: bool = False,\n        width: int = 80,\n    ) -> str:" in out


def test_add_parameter_in_nested_class() -> None:
    src = "class Outer:\n    class Inner:\n        def m(self):\n            return 1\n"
    assert "def m(self, flag=None):" in parses(add_parameter(src, "Outer.Inner.m", "flag=None"))


def test_add_parameter_refusals() -> None:
    with pytest.raises(ApplyError, match="has no default but comes after parameters with defaults"):
        add_parameter(MODULE, "ConfigLoader.describe", "width: int")
    with pytest.raises(ApplyError, match="already has a parameter named 'name'"):
        add_parameter(MODULE, "ConfigLoader.describe", "name=None")
    with pytest.raises(ApplyError, match="not a valid parameter"):
        add_parameter(MODULE, "ConfigLoader.load", "x = = 1")
    assert "def load(self, name: str, strict) -> dict:" in add_parameter(MODULE, "ConfigLoader.load", "strict")


# ---------------------------------------------------------------- rename


STATS = '''"""Statistics."""

__all__ = ["mean", "Summary"]

_calls = 0


def mean(xs):
    global _calls
    _calls += 1
    return sum(xs) / len(xs)


def spread(xs, mean=None):
    centre = mean if mean is not None else globals()["mean"](xs)
    return max(xs) - centre


class Summary:
    def __init__(self, xs):
        self.xs = xs

    def describe(self):
        return f"mean={mean(self.xs)}"

    def report(self):
        return self.describe().upper()
'''

APP = '''import os.path
import pkg.stats as st
from pkg.stats import Summary, mean


class Detailed(Summary):
    def describe(self):
        return "detailed " + super().describe()


def main(values):
    print(mean(values), st.mean(values), st.spread(values, mean=1))
    print(Summary(values).describe(), os.path.join("a", "b"))
'''


def repo_files() -> dict[str, str]:
    return {
        "pkg/__init__.py": "from .stats import mean, Summary\n",
        "pkg/stats.py": STATS,
        "app.py": APP,
        "broken.py": "def (:\n",  # unparsable files are skipped, not fatal
    }


def test_rename_function_across_files() -> None:
    out = rename_symbol(repo_files(), "pkg/stats.py", "mean", "average")
    assert sorted(out) == ["app.py", "pkg/__init__.py", "pkg/stats.py"]
    stats = parses(out["pkg/stats.py"])
    assert "def average(xs):" in stats and '__all__ = ["average", "Summary"]' in stats
    assert "def spread(xs, mean=None):\n    centre = mean if mean is not None" in stats  # the parameter shadows it
    assert 'return f"mean={average(self.xs)}"' in stats
    app = parses(out["app.py"])
    assert "from pkg.stats import Summary, average" in app
    assert "print(average(values), st.average(values), st.spread(values, mean=1))" in app  # a keyword arg names a parameter
    assert out["pkg/__init__.py"] == "from .stats import average, Summary\n"


def test_rename_method_renames_attribute_uses_and_overrides() -> None:
    out = rename_symbol(repo_files(), "pkg/stats.py", "Summary.describe", "explain")
    stats, app = parses(out["pkg/stats.py"]), parses(out["app.py"])
    assert "    def explain(self):" in stats and "return self.explain().upper()" in stats
    assert '    def explain(self):\n        return "detailed " + super().explain()' in app
    assert "print(Summary(values).explain(), os.path.join" in app


def test_rename_does_not_touch_attributes_of_imported_modules() -> None:
    files = {"m.py": "import os.path\n\nclass P:\n    def join(self, a):\n        return os.path.join(a)\n\nP().join('x')\n"}
    out = rename_symbol(files, "m.py", "P.join", "combine")["m.py"]
    assert "def combine(self, a):\n        return os.path.join(a)" in out and "P().combine('x')" in out


def test_rename_class_attribute_renames_keyword_arguments() -> None:
    files = {
        "conf.py": "from dataclasses import dataclass\n\n\n@dataclass\nclass Settings:\n    timeout: int = 3\n\n    def doubled(self):\n        return self.timeout * 2\n",
        "use.py": "from conf import Settings\n\ns = Settings(timeout=5)\nprint(s.timeout, dict(timeout=1))\n",
    }
    out = rename_symbol(files, "conf.py", "Settings.timeout", "limit")
    assert "    limit: int = 3\n" in out["conf.py"] and "return self.limit * 2" in out["conf.py"]
    assert out["use.py"] == "from conf import Settings\n\ns = Settings(limit=5)\nprint(s.limit, dict(timeout=1))\n"


def test_rename_module_variable_and_class() -> None:
    out = rename_symbol(repo_files(), "pkg/stats.py", "_calls", "call_count")
    assert "call_count = 0" in out["pkg/stats.py"] and "global call_count\n    call_count += 1" in out["pkg/stats.py"]
    out = rename_symbol(repo_files(), "pkg/stats.py", "Summary", "Report")
    assert "class Detailed(Report):" in out["app.py"] and "from pkg.stats import Report, mean" in out["app.py"]
    assert '__all__ = ["mean", "Report"]' in out["pkg/stats.py"]


def test_rename_refusals() -> None:
    with pytest.raises(ApplyError, match="'spread' is already defined at module level"):
        rename_symbol(repo_files(), "pkg/stats.py", "mean", "spread")
    with pytest.raises(ApplyError, match="no module-level definition of 'median'"):
        rename_symbol(repo_files(), "pkg/stats.py", "median", "middle")
    with pytest.raises(ApplyError, match="class Summary has no member 'nope'"):
        rename_symbol(repo_files(), "pkg/stats.py", "Summary.nope", "x")
    with pytest.raises(ApplyError, match="already has a member 'report'"):
        rename_symbol(repo_files(), "pkg/stats.py", "Summary.describe", "report")
    with pytest.raises(ApplyError, match="broken.py: does not parse"):
        rename_symbol(repo_files(), "broken.py", "f", "g")


def test_module_names_follow_packages() -> None:
    files = {"src/pkg/__init__.py": "", "src/pkg/sub/__init__.py": "", "src/pkg/sub/mod.py": "", "tests/test_a.py": ""}
    assert module_names("src/pkg/sub/mod.py", files) == {"src.pkg.sub.mod", "pkg.sub.mod"}
    assert module_names("src/pkg/__init__.py", files) == {"src.pkg", "pkg"}
    assert module_names("tests/test_a.py", files) == {"tests.test_a", "test_a"}


# ---------------------------------------------------------------- forward_argument

FETCH = '''DEFAULT_TIMEOUT = 10.0


def fetch(url, retries=2, opener=None, timeout=DEFAULT_TIMEOUT):
    for _ in range(retries):
        data = opener(url)
        if data:
            return opener(
                url,
                retries,
            )
    return helper(url)
'''


def test_forward_argument_passes_the_parameter_to_every_call_in_its_layout() -> None:
    out = parses(forward_argument(FETCH, "fetch", "timeout", "opener"))
    assert "data = opener(url, timeout=timeout)\n" in out
    assert "                url,\n                retries,\n                timeout=timeout,\n            )\n" in out
    assert "return helper(url)\n" in out  # other calls are left alone
    assert forward_argument(out, "fetch", "timeout", "helper").endswith("return helper(url, timeout=timeout)\n")


def test_forward_argument_in_a_method_and_to_a_dotted_callee() -> None:
    src = "class C:\n    def get(self, url, timeout=3):\n        return self.session.get(url)\n"
    assert "self.session.get(url, timeout=timeout)" in forward_argument(src, "C.get", "timeout", "self.session.get")


def test_forward_argument_refusals() -> None:
    with pytest.raises(ApplyError, match="no parameter 'verbose'"):
        forward_argument(FETCH, "fetch", "verbose", "opener")
    with pytest.raises(ApplyError, match="no call to urlopen"):
        forward_argument(FETCH, "fetch", "timeout", "urlopen")
    done = "def f(timeout=1):\n    return g(timeout=timeout)\n"
    with pytest.raises(ApplyError, match="passes timeout already"):
        forward_argument(done, "f", "timeout", "g")


# ---------------------------------------------------------------- decorate

DISTANCE = '''"""Edit distance."""

from __future__ import annotations


def edit_distance(a: str, b: str) -> int:
    return abs(len(a) - len(b))


class Table:
    @staticmethod
    def build(n):
        return [0] * n
'''


def test_decorate_adds_the_standard_import_after_a_future_block() -> None:
    out = parses(decorate(DISTANCE, "edit_distance", "functools.lru_cache(maxsize=1024)"))
    assert out.startswith('"""Edit distance."""\n\nfrom __future__ import annotations\n\nimport functools\n\n\n@functools.lru_cache(maxsize=1024)\ndef edit_distance(')
    assert decorate(out, "Table.build", "functools.cache").count("import functools") == 1  # bound now: no second import


def test_decorate_with_a_known_name_imports_it_and_stays_under_staticmethod() -> None:
    out = parses(decorate(DISTANCE, "Table.build", "lru_cache(maxsize=None)"))
    assert "from functools import lru_cache\n" in out
    assert "    @staticmethod\n    @lru_cache(maxsize=None)\n    def build(n):" in out


def test_decorate_a_class_with_a_name_defined_in_the_module() -> None:
    src = "def register(cls):\n    return cls\n\n\nclass A:\n    pass\n"
    assert "@register\nclass A:" in parses(decorate(src, "A", "@register"))


def test_decorate_refusals() -> None:
    with pytest.raises(ApplyError, match="'retry' is not defined or imported"):
        decorate(DISTANCE, "edit_distance", "retry(3)")
    once = decorate(DISTANCE, "edit_distance", "functools.cache")
    with pytest.raises(ApplyError, match="already decorated"):
        decorate(once, "edit_distance", "functools.cache")
    with pytest.raises(ApplyError, match="not a valid decorator"):
        decorate(DISTANCE, "edit_distance", "functools.cache(")
    with pytest.raises(ApplyError, match="no function or class 'missing'"):
        decorate(DISTANCE, "missing", "functools.cache")


# ---------------------------------------------------------------- make_dataclass

POINT = '''"""Points."""

import math


class Point:
    """A point."""

    def __init__(self, x: float, y: float = 0.0) -> None:
        """Store them."""
        self.x = x
        self.y = y

    def __repr__(self) -> str:
        return f"Point(x={self.x!r}, y={self.y!r})"

    def norm(self) -> float:
        return math.hypot(self.x, self.y)
'''


def test_make_dataclass_turns_a_plain_init_into_fields() -> None:
    out = parses(make_dataclass(POINT, "Point", ("frozen",)))
    assert "import math\nfrom dataclasses import dataclass\n" in out
    assert '@dataclass(frozen=True)\nclass Point:\n    """A point."""\n\n    x: float\n    y: float = 0.0\n\n    def norm(self)' in out
    assert "__init__" not in out and "__repr__" not in out
    namespace: dict = {}
    exec(compile(out, "point.py", "exec"), namespace)
    assert repr(namespace["Point"](1, 2)) == "Point(x=1, y=2)"


def test_make_dataclass_keeps_a_custom_repr_and_uses_an_existing_import() -> None:
    src = POINT.replace("import math\n", "import dataclasses\nimport math\n").replace('f"Point(x=', 'f"P(x=')
    out = parses(make_dataclass(src, "Point"))
    assert "@dataclasses.dataclass\nclass Point:" in out and "def __repr__" in out
    assert "from dataclasses" not in out


def test_make_dataclass_on_a_dataclass_adds_the_options() -> None:
    src = "from dataclasses import dataclass\n\n\n@dataclass(eq=False)\nclass A:\n    x: int\n"
    assert "@dataclass(eq=False, frozen=True, order=True)\nclass A:" in make_dataclass(src, "A", ("frozen", "order"))
    with pytest.raises(ApplyError, match="a dataclass already"):
        make_dataclass("from dataclasses import dataclass\n\n\n@dataclass\nclass A:\n    x: int\n", "A")


def test_make_dataclass_without_annotations_uses_any() -> None:
    src = "class A:\n    def __init__(self, x, y=1):\n        self.x = x\n        self.y = y\n"
    out = parses(make_dataclass(src, "A"))
    assert "from typing import Any\n" in out and "    x: Any\n    y: Any = 1\n" in out


@pytest.mark.parametrize(
    ("init", "message"),
    [
        ("def __init__(self, x):\n        self.x = x * 2\n", "does more than store"),
        ("def __init__(self, x):\n        super().__init__()\n        self.x = x\n", "does more than store"),
        ("def __init__(self, x, y):\n        self.x = x\n", "does not store the parameter"),
        ("def __init__(self, *, x):\n        self.x = x\n", "keyword-only"),
        ("def __init__(self, xs=[]):\n        self.xs = xs\n", "mutable default"),
    ],
)
def test_make_dataclass_refuses_an_init_it_cannot_replace(init: str, message: str) -> None:
    with pytest.raises(ApplyError, match=message):
        make_dataclass(f"class A:\n    {init}", "A")


# ---------------------------------------------------------------- move_module

PACKAGE = {
    "pkg/__init__.py": "from .helpers import *\n",
    "pkg/helpers.py": "from .other import x\nfrom . import other\n\n\ndef pad(s):\n    return s\n",
    "pkg/other.py": "x = 1\n",
    "pkg/sub/__init__.py": "",
    "app.py": (
        "import pkg.helpers\n"
        "import pkg.helpers as h\n"
        "from pkg import helpers, other\n"
        "from pkg.helpers import pad\n"
        "\n"
        "print(pkg.helpers.pad, helpers.pad, h.pad, other, pad)\n"
        "\n"
        "\n"
        "def f(helpers):\n"
        "    return helpers\n"
    ),
    "tests/test_app.py": 'from unittest import mock\n\n\n@mock.patch("pkg.helpers.pad")\ndef test_it(pad):\n    assert "pkg.helpers"\n',
}


def test_move_module_within_its_package() -> None:
    out = move_module(PACKAGE, "pkg/helpers.py", "pkg/strings.py")
    assert out["pkg/strings.py"] == PACKAGE["pkg/helpers.py"]  # its relative imports still reach the same modules
    assert out["pkg/__init__.py"] == "from .strings import *\n"
    app = parses(out["app.py"])
    assert app.startswith("import pkg.strings\nimport pkg.strings as h\nfrom pkg import other\nfrom pkg import strings\nfrom pkg.strings import pad\n")
    assert "print(pkg.strings.pad, strings.pad, h.pad, other, pad)\n" in app
    assert "def f(helpers):\n    return helpers\n" in app  # a parameter of the same name is not the module
    test = out["tests/test_app.py"]
    assert '@mock.patch("pkg.strings.pad")' in test and 'assert "pkg.helpers"' in test  # other strings stay


def test_move_module_into_a_subpackage_respells_relative_imports() -> None:
    out = move_module(PACKAGE, "pkg/helpers.py", "pkg/sub/strings.py")
    assert out["pkg/sub/strings.py"].startswith("from ..other import x\nfrom .. import other\n")
    assert out["pkg/__init__.py"] == "from .sub.strings import *\n"
    assert "from pkg.sub import strings\n" in out["app.py"] and "import pkg.sub.strings as h\n" in out["app.py"]


def test_move_module_keeps_the_local_name_when_the_new_one_is_taken() -> None:
    files = {"pkg/__init__.py": "", "pkg/helpers.py": "", "b.py": "strings = 1\nfrom pkg import helpers\nprint(helpers)\n"}
    assert move_module(files, "pkg/helpers.py", "pkg/strings.py")["b.py"] == "strings = 1\nfrom pkg import strings as helpers\nprint(helpers)\n"


def test_move_module_follows_a_src_layout() -> None:
    files = {"src/pkg/__init__.py": "", "src/pkg/a.py": "X = 1\n", "tests/t.py": "from pkg.a import X\nimport src.pkg.a\n"}
    out = move_module(files, "src/pkg/a.py", "src/pkg/b.py")
    assert out["tests/t.py"] == "from pkg.b import X\nimport src.pkg.b\n"


def test_move_module_refusals() -> None:
    with pytest.raises(ApplyError, match="already exists"):
        move_module(PACKAGE, "pkg/helpers.py", "pkg/other.py")
    with pytest.raises(ApplyError, match="__init__"):
        move_module(PACKAGE, "pkg/__init__.py", "pkg2/__init__.py")
    with pytest.raises(ApplyError, match="not a Python file"):
        move_module(PACKAGE, "pkg/missing.py", "pkg/x.py")
