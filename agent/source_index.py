"""The project's sources as localisation and the planners read them: which paths are tests, each file
parsed once with the stdlib `ast` (positions are all they need, and it is about 40x faster than libcst),
executable lines and their bug priors, definitions, and which function a call resolves to."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

MODULE = "<module>"


@dataclass(frozen=True)
class Definition:
    """A function, class or module-level variable; lines are 1-based and inclusive."""

    path: str
    qualname: str  # "f", "Class.method", "Outer.inner"
    kind: Literal["function", "class", "variable"]
    start_line: int  # first decorator line, or the def/class line
    def_line: int
    end_line: int

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


def is_test_path(path: str) -> bool:
    """Test code: under tests/ or test/, test_*.py, *_test.py, conftest.py."""
    parts = PurePosixPath(path).parts
    if not parts:
        return False
    name = parts[-1]
    in_test_dir = any(part in ("tests", "test") for part in parts[:-1])
    return in_test_dir or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def split_lines(text: str) -> list[str]:
    """Lines as Python numbers them (\\r\\n, \\r, \\n), without their endings."""
    return re.split(r"\r\n|\r|\n", text)


_TRY_STAR = getattr(ast, "TryStar", None)  # Python 3.11+


# Statements whose own lines are a header; their bodies are statements of their own.
_COMPOUND = (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Match, ast.ExceptHandler)


_BUG_PRONE = (ast.Compare, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Subscript, ast.Slice, ast.IfExp)


def _bug_counts(exprs: Sequence[ast.AST]) -> dict[int, int]:
    """Per line, how many things mutation-style bugs touch (operators, comparisons, numeric
    constants, indexing, range/len) the expressions hold there. One walk per statement."""
    counts: dict[int, int] = defaultdict(int)
    for expr in exprs:
        if isinstance(expr, ast.AugAssign):
            counts[expr.lineno] += 1
        for node in ast.walk(expr):
            line = getattr(node, "lineno", None)
            if line is not None and _bug_prone(node):
                counts[line] += 1
    return counts


def _bug_prone(node: ast.AST) -> bool:
    if isinstance(node, _BUG_PRONE):
        return True
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("range", "len")


def header_nodes(node: ast.AST) -> list[ast.AST] | None:
    """The expressions a statement evaluates on its own lines; None for a line with nothing to run."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Try)):
        return None
    if _TRY_STAR is not None and isinstance(node, _TRY_STAR):
        return None
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return None  # a docstring
    if isinstance(node, (ast.If, ast.While)):
        return [node.test]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target, node.iter]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [part for item in node.items for part in (item.context_expr, item.optional_vars) if part]
    if isinstance(node, ast.Match):
        return [node.subject]
    if isinstance(node, ast.ExceptHandler):
        return [node.type] if node.type else []
    return [node]


def _header_lines(node: ast.AST, exprs: list[ast.AST]) -> range:
    first = node.lineno  # type: ignore[attr-defined]
    ends = [e.end_lineno for e in exprs if getattr(e, "end_lineno", None)]
    if not isinstance(node, _COMPOUND):
        ends.append(node.end_lineno or first)
    return range(first, max([first, *ends]) + 1)


def executable_lines(tree: ast.Module, lines: Sequence[str]) -> dict[int, float]:
    """Every line that runs code, mapped to its bug prior. Blank lines, comments, def/class headers,
    decorators, docstrings, `else:`/`try:`/`finally:` are not in it."""
    out: dict[int, float] = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.stmt, ast.ExceptHandler)):
            continue
        exprs = header_nodes(node)
        if exprs is None:
            continue
        counts = _bug_counts(exprs)
        for line in _header_lines(node, exprs):
            text = lines[line - 1].strip() if line <= len(lines) else ""
            if text and not text.startswith("#"):
                # The prior (0..1) breaks ties among equally suspected lines.
                out[line] = max(out.get(line, 0.0), min(1.0, counts.get(line, 0) / 3))
    return out


_DEF_NAME = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.MULTILINE)


class SourceIndex:
    """Parsed views of the project's sources, each file parsed at most once (None if it does not parse)."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources
        self._trees: dict[str, ast.Module | None] = {}
        self._lines: dict[str, list[str]] = {}
        self._executable: dict[str, dict[int, float]] = {}
        self._functions: dict[str, list[Definition]] = {}
        self._nodes: dict[str, dict[int, ast.AST]] = {}
        self._homes: dict[str, list[str]] | None = None

    def tree(self, path: str) -> ast.Module | None:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse(self.sources[path]) if path in self.sources else None
            except (SyntaxError, ValueError):
                self._trees[path] = None
        return self._trees[path]

    def lines(self, path: str) -> list[str]:
        if path not in self._lines:
            self._lines[path] = split_lines(self.sources.get(path, ""))
        return self._lines[path]

    def executable(self, path: str) -> dict[int, float]:
        """Executable lines and their bug priors. In a file that does not parse (a syntax error is
        itself the bug) every line with code on it counts, with no prior."""
        if path not in self._executable:
            tree = self.tree(path)
            if tree is not None:
                self._executable[path] = executable_lines(tree, self.lines(path))
            else:
                lines = self.lines(path) if path in self.sources else []
                code = (n for n, text in enumerate(lines, 1) if text.strip() and not text.strip().startswith("#"))
                self._executable[path] = dict.fromkeys(code, 0.0)
        return self._executable[path]

    def definitions(self, path: str) -> list[Definition]:
        """Functions and classes at any depth, plus module-level variables, in source order."""
        if path not in self._functions:
            tree = self.tree(path)
            self._functions[path] = list(walk_definitions(path, tree.body, "")) if tree else []
        return self._functions[path]

    def functions(self, path: str) -> list[Definition]:
        return [d for d in self.definitions(path) if d.kind == "function"]

    def enclosing_function(self, path: str, line: int) -> Definition | None:
        """The innermost function whose lines (decorators included) hold `line`."""
        inside = [d for d in self.functions(path) if d.start_line <= line <= d.end_line]
        return max(inside, key=lambda d: d.start_line, default=None)

    def body_lines(self, definition: Definition) -> dict[int, float]:
        """A function's executable lines, its nested functions' lines included."""
        table = self.executable(definition.path)
        return {n: p for n, p in table.items() if definition.def_line < n <= definition.end_line}

    def def_homes(self) -> dict[str, list[str]]:
        """Name -> the .py files with a `def`/`class` of that name: one regex pass over all the text,
        so a lookup parses only the files that can hold the definition."""
        if self._homes is None:
            self._homes = defaultdict(list)
            for path in sorted(self.sources):
                if path.endswith(".py"):
                    for name in dict.fromkeys(_DEF_NAME.findall(self.sources[path])):
                        self._homes[name].append(path)
        return self._homes

    def node_at(self, path: str, def_line: int) -> ast.AST | None:
        """The function or class node whose `def`/`class` keyword is on `def_line`."""
        if path not in self._nodes:
            tree = self.tree(path)
            self._nodes[path] = {
                node.lineno: node
                for node in (ast.walk(tree) if tree else ())
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            }
        return self._nodes[path].get(def_line)

    def code(self, path: str, first: int, last: int) -> str:
        return "".join(text + "\n" for text in self.lines(path)[first - 1 : last])


def walk_definitions(path: str, body: list[ast.stmt], prefix: str) -> Iterator[Definition]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qualname = prefix + node.name
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            kind: Literal["function", "class"] = "class" if isinstance(node, ast.ClassDef) else "function"
            yield Definition(path, qualname, kind, start, node.lineno, node.end_lineno or node.lineno)
            yield from walk_definitions(path, node.body, qualname + ".")
        elif not prefix and isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    end = node.end_lineno or node.lineno
                    yield Definition(path, target.id, "variable", node.lineno, node.lineno, end)


def calls_in(node: ast.AST, lines: range | None = None) -> list[ast.Call]:
    found = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    return [c for c in found if lines is None or c.lineno in lines]


def _imported_names(tree: ast.Module, path: str) -> dict[str, tuple[str, str]]:
    """Local name -> (candidate module path without .py, original name) for `from X import name`."""
    table: dict[str, tuple[str, str]] = {}
    package = PurePosixPath(path).parent
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        base = package
        for _ in range(max(node.level - 1, 0)):
            base = base.parent
        module = (node.module or "").replace(".", "/")
        target = (base / module).as_posix() if node.level else module
        for alias in node.names:
            table[alias.asname or alias.name] = (target.removeprefix("./"), alias.name)
    return table


class CallResolver:
    """Maps call sites to the project definitions they may reach (tests excluded).

    Files are parsed only when a text search says they define a name being looked up, so a large
    repository is not parsed whole for one failure.
    """

    MAX_CANDIDATES = 3  # a name defined in more places than this says nothing about the callee

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self._imports: dict[str, dict[str, tuple[str, str]]] = {}

    def _homes_of(self, name: str) -> list[str]:
        return [p for p in self.index.def_homes().get(name, []) if not is_test_path(p)]

    def _defined(self, name: str, paths: Iterable[str], top_level: bool) -> list[Definition]:
        return [
            d
            for path in paths
            for d in self.index.definitions(path)
            if d.kind != "variable" and d.name == name and not (top_level and "." in d.qualname)
        ]

    def _few(self, name: str, top_level: bool) -> list[Definition]:
        """Definitions of `name` anywhere, or none when there are too many to mean anything."""
        homes = self._homes_of(name)
        if len(homes) > self.MAX_CANDIDATES:
            return []  # decided before parsing all those files
        found = self._defined(name, homes, top_level)
        return found if len(found) <= self.MAX_CANDIDATES else []

    def callees(self, path: str, node: ast.AST, lines: range | None = None) -> list[Definition]:
        """Definitions called from `node` (a function) in `path`, in call order, without repeats."""
        found: list[Definition] = []
        for call in calls_in(node, lines):
            for definition in self._resolve(call.func, path):
                if definition not in found:
                    found.append(definition)
        return found

    def _resolve(self, func: ast.expr, path: str) -> list[Definition]:
        if isinstance(func, ast.Name):
            return self._resolve_name(func.id, path)
        if isinstance(func, ast.Attribute):
            return self._few(func.attr, top_level=False)  # obj.method(): any method of that name
        return []

    def _resolve_name(self, name: str, path: str) -> list[Definition]:
        """A plain call: defined in the same file, else where `from X import name` says, else anywhere."""
        local = self._defined(name, [path], top_level=True)
        if local:
            return local
        imports = self._imports_of(path)
        if name in imports:
            module, original = imports[name]
            homes = [h for h in (module + ".py", module + "/__init__.py") if h in self.index.sources]
            chosen = self._defined(original, homes, top_level=True)
            if chosen:
                return chosen
        return self._few(name, top_level=True)

    def _imports_of(self, path: str) -> dict[str, tuple[str, str]]:
        if path not in self._imports:
            tree = self.index.tree(path)
            self._imports[path] = _imported_names(tree, path) if tree else {}
        return self._imports[path]

    def node_of(self, definition: Definition) -> ast.AST | None:
        return self.index.node_at(definition.path, definition.def_line)

    def runnable(self, definition: Definition) -> list[Definition]:
        """What calling a definition runs: a function itself; a class, its constructor methods."""
        if definition.kind == "function":
            return [definition]
        methods = ("__init__", "__post_init__", "__new__", "__call__")
        return [
            d
            for d in self.index.functions(definition.path)
            if d.qualname.rpartition(".")[0] == definition.qualname and d.name in methods
        ]
