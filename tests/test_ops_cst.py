"""Structural ops through libcst, on realistic code: imports, static methods, parameters, renames."""

from __future__ import annotations

import ast

import pytest

from dagent.errors import ApplyError
from dagent.ops.cst import add_import, add_parameter, make_static, module_names, rename_symbol

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
