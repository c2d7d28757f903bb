"""Fault localisation: which lines of the project most likely hold the bug behind failing tests.

Three sources of evidence, combined by `rank_lines`:
- traceback frames (`traceback_frames`): the raise site and its callers, innermost first;
- spectrum-based suspiciousness (`ochiai`) from per-test line coverage, when the sandbox has it;
- when a traceback points only into the tests (a wrong value caught by an `assert`), the project
  functions the failing test calls, and the functions those call.

The functions are pure over their inputs (text, dicts; `traceback_frames` only reads files under
`project_dir`), so they are cheap to test and to rerun each loop round. Source structure comes from the stdlib `ast`, not libcst: positions are all we need here,
and `ast.parse` is about 40x faster than libcst with `PositionProvider` (20 ms against 850 ms on
argparse.py); libcst stays where we *rewrite* code (ops/cst.py).
"""

from __future__ import annotations

import ast
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

MODULE = "<module>"


@dataclass(frozen=True)
class Frame:
    """One traceback frame inside the project; `path` is repo-relative (POSIX)."""

    path: str
    line: int
    function: str


@dataclass(frozen=True)
class Suspicion:
    """A line and how strongly it is suspected (higher is more suspicious)."""

    path: str
    line: int
    score: float


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


# ---------------------------------------------------------------- paths


def is_test_path(path: str) -> bool:
    """Test code: under tests/ or test/, test_*.py, *_test.py, conftest.py."""
    parts = PurePosixPath(path).parts
    if not parts:
        return False
    name = parts[-1]
    in_test_dir = any(part in ("tests", "test") for part in parts[:-1])
    return in_test_dir or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


# Frames from installed packages, the interpreter or the test framework are never the project's,
# even when a virtualenv lives inside the project directory.
_FOREIGN = re.compile(r"(^|/)(site-packages|dist-packages|_pytest|pluggy|\.venv|venv)/|^<|(^|/)lib/python\d")


def _repo_path(raw: str, project_dir: Path | None, known: Mapping[str, str] | None) -> str | None:
    """The repo-relative path of a traceback path, or None when it lies outside the project.

    The foreign-path test runs on the part inside the project, so a checkout under ~/venv/ still counts.
    """
    text = raw.replace("\\", "/")
    if text.startswith("<"):
        return None  # <frozen importlib._bootstrap>, <string>
    posix = PurePosixPath(text)
    if project_dir is not None:
        root = project_dir.resolve()
        full = (Path(text) if posix.is_absolute() else root / text).resolve()
        if full.is_relative_to(root) and full.is_file():
            relative = full.relative_to(root).as_posix()
            return None if _FOREIGN.search(relative) else relative
    if not known or _FOREIGN.search(text):
        return None
    if not posix.is_absolute():
        normal = posix.as_posix().removeprefix("./")
        return normal if normal in known else None
    # An absolute path from another checkout of the same tree: match the longest known suffix.
    matches = [key for key in known if text.endswith("/" + key)]
    return max(matches, key=len) if matches else None


# ---------------------------------------------------------------- traceback frames

_NATIVE = re.compile(r'^\s*(?:E\s+)?File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>\S+))?')
# pytest long (`path.py:N: ` / `path.py:N: Error`), short (`path.py:N: in f`) and line styles.
_PYTEST = re.compile(r"^(?P<path>[^\s:\"'<>|]+\.py):(?P<line>\d+):(?: in (?P<func>\S+)$| .*$|$)")
_CHAIN = re.compile(
    r"^(?:The above exception was the direct cause of the following exception:"
    r"|During handling of the above exception, another exception occurred:)\s*$",
    re.MULTILINE,
)


def _raw_frames(section: str) -> Iterator[tuple[str, int, str | None]]:
    for text in section.splitlines():
        match = _NATIVE.match(text) or _PYTEST.match(text)
        if match:
            yield match["path"], int(match["line"]), match["func"]


def traceback_frames(
    details: str, project_dir: Path | None, sources: Mapping[str, str] | None = None
) -> list[Frame]:
    """The project's frames in a pytest failure report, innermost first.

    Reads pytest's long, short and line styles and Python's native `File "...", line N, in f`.
    A frame is the project's when its file lies under `project_dir` (or is a key of `sources`) and not
    in site-packages, a virtualenv, the interpreter or pytest itself. With chained exceptions
    (`raise ... from`, or an error while handling another) the first-printed exception, the root cause,
    comes first. The long style prints no function name: it is read from the source.
    """
    texts: dict[str, str] = {}
    index = SourceIndex(texts)  # filled lazily: only files a long-style frame names are read
    frames: list[Frame] = []
    for section in _CHAIN.split(details):
        found = []
        for raw, line, func in _raw_frames(section):
            path = _repo_path(raw, project_dir, sources)
            if path is not None:
                found.append((path, line, func))
        for path, line, func in reversed(found):
            frames.append(Frame(path, line, func or _function_at(index, texts, path, line, project_dir, sources)))
    return _unique(frames)


def _unique(frames: Iterable[Frame]) -> list[Frame]:
    seen: set[tuple[str, int]] = set()
    out = []
    for frame in frames:
        if (frame.path, frame.line) not in seen:
            seen.add((frame.path, frame.line))
            out.append(frame)
    return out


def _function_at(
    index: SourceIndex,
    texts: dict[str, str],
    path: str,
    line: int,
    project_dir: Path | None,
    sources: Mapping[str, str] | None,
) -> str:
    if path not in texts:
        texts[path] = _read_source(path, project_dir, sources)
    found = index.enclosing_function(path, line)
    return found.name if found else MODULE


def _read_source(path: str, project_dir: Path | None, sources: Mapping[str, str] | None) -> str:
    if sources and path in sources:
        return sources[path]
    if project_dir is None:
        return ""
    try:
        return (project_dir / path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def test_frame(test_id: str, sources: Mapping[str, str]) -> Frame | None:
    """The def line of the test a pytest node id names (`tests/t.py::TestX::test_y[1]`), if found."""
    path, _, rest = test_id.partition("::")
    qualname = ".".join(part.split("[", 1)[0] for part in rest.split("::") if part)
    if path not in sources or not qualname:
        return None
    for definition in SourceIndex(sources).functions(path):
        if definition.qualname == qualname:
            return Frame(path, definition.def_line, definition.name)
    return None


test_frame.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name


# ---------------------------------------------------------------- ochiai


def context_test_id(context: str) -> str:
    """The pytest node id of a coverage context (`nodeid|run`, as pytest-cov writes them, or a bare id)."""
    head, sep, phase = context.rpartition("|")
    return head if sep and phase in ("run", "setup", "teardown") else context


def ochiai(
    coverage: Mapping[tuple[str, int], Iterable[str]],
    failed: set[str],
    passed: set[str],
    frames: Iterable[Frame] = (),
) -> list[Suspicion]:
    """Ochiai suspiciousness ef / sqrt(F * (ef + ep)) of every line a failing test covers, best first.

    `coverage` maps (path, line) to the tests that ran it. Lines in test files are left out: the tests
    are the specification. Ties go to a line in a failing traceback (`frames`), then to the line
    fewer passing tests run, then by path and line, so the order is deterministic.
    """
    if not failed:
        return []
    in_trace = {(frame.path, frame.line) for frame in frames}
    rows = []
    for (path, line), tests in coverage.items():
        if is_test_path(path):
            continue
        ids = {context_test_id(test) for test in tests}
        ef, ep = len(ids & failed), len(ids & passed)
        if ef:
            score = round(ef / math.sqrt(len(failed) * (ef + ep)), 12)
            rows.append((-score, (path, line) not in in_trace, ep, path, line))
    rows.sort()
    return [Suspicion(path, line, -neg) for neg, _, _, path, line in rows]


# ---------------------------------------------------------------- source structure


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


def _header(node: ast.AST) -> list[ast.AST] | None:
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
        exprs = _header(node)
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
            self._functions[path] = list(_walk_definitions(path, tree.body, "")) if tree else []
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


def _walk_definitions(path: str, body: list[ast.stmt], prefix: str) -> Iterator[Definition]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qualname = prefix + node.name
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            kind: Literal["function", "class"] = "class" if isinstance(node, ast.ClassDef) else "function"
            yield Definition(path, qualname, kind, start, node.lineno, node.end_lineno or node.lineno)
            yield from _walk_definitions(path, node.body, qualname + ".")
        elif not prefix and isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    end = node.end_lineno or node.lineno
                    yield Definition(path, target.id, "variable", node.lineno, node.lineno, end)


# ---------------------------------------------------------------- call resolution


def _calls(node: ast.AST, lines: range | None = None) -> list[ast.Call]:
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
        for call in _calls(node, lines):
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


# ---------------------------------------------------------------- ranking

FRAME_BOOST = 1.0  # the raise site: the strongest single clue a failure gives
FRAME_DECAY = 0.6  # each caller further out counts less
EARLIER_LINES = 0.35  # lines that ran before the raise, in the raising function
CALLEE = 0.5  # a function the failing test calls (when the traceback stays in the tests)
CALLEE_DECAY = 0.7  # ... and a function that one calls
CALLEE_EARLIER = 0.6  # a call on a test line before the failing one, not on it
CALL_DEPTH = 2
LOOP_UPDATE = 0.6  # in a loop the frame stopped at, a statement that assigns a name its test reads


def _per_failure(frames: Sequence[Frame] | Sequence[Sequence[Frame]]) -> list[list[Frame]]:
    if not frames:
        return []
    if isinstance(frames[0], Frame):
        return [list(frames)]  # type: ignore[arg-type]
    return [list(group) for group in frames]  # type: ignore[arg-type]


def _frame_evidence(index: SourceIndex, app_frames: list[Frame]) -> dict[tuple[str, int], float]:
    evidence: dict[tuple[str, int], float] = defaultdict(float)
    for depth, frame in enumerate(app_frames):
        weight = FRAME_DECAY**depth
        evidence[(frame.path, frame.line)] += FRAME_BOOST * weight
        function = index.enclosing_function(frame.path, frame.line)
        if function is None:
            continue
        loop = _innermost_loop(index.tree(frame.path), frame.line)
        again = range(loop.lineno, (loop.end_lineno or loop.lineno) + 1) if loop is not None else range(0)
        for line in index.body_lines(function):
            if line < frame.line or line in again:  # ran before it (in this or an earlier iteration)
                evidence[(frame.path, line)] += EARLIER_LINES * weight
        if isinstance(loop, ast.While):  # stopped in a loop (a hang, or a raise): what moves its test on
            for line in _updates_of(loop):
                evidence[(frame.path, line)] += LOOP_UPDATE * weight
    return evidence


def _innermost_loop(tree: ast.Module | None, line: int) -> ast.For | ast.While | None:
    loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))
             and n.lineno <= line <= (n.end_lineno or n.lineno)] if tree is not None else []
    return max(loops, key=lambda n: n.lineno, default=None)


def _updates_of(loop: ast.While) -> list[int]:
    """Lines in the loop's body that assign a name (or attribute) its test reads."""
    read = {ast.unparse(n) for n in ast.walk(loop.test) if isinstance(n, (ast.Name, ast.Attribute))}
    lines = []
    for node in (n for statement in loop.body for n in ast.walk(statement)):
        targets = (node.targets if isinstance(node, ast.Assign) else [node.target]
                   if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        if any(ast.unparse(t) in read for t in targets):
            lines.append(node.lineno)
    return lines


def _statement_span(node: ast.AST, line: int) -> range:
    """The lines of the innermost simple statement of `node` that holds `line`."""
    spans = [
        range(child.lineno, (child.end_lineno or child.lineno) + 1)
        for child in ast.walk(node)
        if isinstance(child, ast.stmt) and _header(child) == [child]
        and child.lineno <= line <= (child.end_lineno or child.lineno)
    ]
    return min(spans, key=len, default=range(line, line + 1))


def _callee_evidence(index: SourceIndex, resolver: CallResolver, test_frames: list[Frame]) -> dict[tuple[str, int], float]:
    """Suspect the bodies of what the failing test calls: on the failing line fully, earlier less."""
    evidence: dict[tuple[str, int], float] = defaultdict(float)
    for frame in test_frames:
        function = index.enclosing_function(frame.path, frame.line)
        node = resolver.node_of(function) if function else None
        if node is None:
            continue
        failing = _statement_span(node, frame.line)
        before = range(function.start_line, failing.start) if function else range(0)
        for weight, lines in ((1.0, failing), (CALLEE_EARLIER, before)):
            for definition, depth in _reachable(resolver, frame.path, node, lines):
                for line in index.body_lines(definition):
                    score = CALLEE * weight * CALLEE_DECAY ** (depth - 1)
                    key = (definition.path, line)
                    evidence[key] = max(evidence[key], score)
    return evidence


def _reachable(resolver: CallResolver, path: str, node: ast.AST, lines: range) -> list[tuple[Definition, int]]:
    """Project functions reachable from the calls on `lines` of `node`, with their call depth."""
    seen: dict[Definition, int] = {}
    frontier = [(d, 1) for c in resolver.callees(path, node, lines) for d in resolver.runnable(c)]
    while frontier:
        definition, depth = frontier.pop(0)
        if definition in seen or depth > CALL_DEPTH:
            continue
        seen[definition] = depth
        inner = resolver.node_of(definition)
        if inner is not None:
            for callee in resolver.callees(definition.path, inner):
                frontier.extend((d, depth + 1) for d in resolver.runnable(callee))
    return list(seen.items())


def rank_lines(
    frames: Sequence[Frame] | Sequence[Sequence[Frame]],
    ochiai_scores: Sequence[Suspicion],
    sources: Mapping[str, str],
    *,
    index: SourceIndex | None = None,
) -> list[Suspicion]:
    """Suspicious executable lines of non-test code, most suspicious first.

    `frames` is one failure's frames (innermost first) or one such list per failure. Evidence per line:
    its Ochiai score, plus a traceback boost (the raise site most, its callers less, lines that ran
    before the raise in the raising function a little), averaged over failures. A failure whose
    traceback never leaves the tests suspects the functions its test calls instead. The score is the
    evidence weighted by a bug prior (operators, comparisons, constants, indexing on the line).
    `index` reuses a caller's parsed view of `sources`.
    """
    index = index if index is not None else SourceIndex(sources)
    resolver: CallResolver | None = None
    groups = _per_failure(frames)
    evidence: dict[tuple[str, int], float] = defaultdict(float)
    for group in groups:
        app = [f for f in group if not is_test_path(f.path) and f.path in sources]
        if app:
            found = _frame_evidence(index, app)
        else:
            resolver = resolver or CallResolver(index)
            found = _callee_evidence(index, resolver, [f for f in group if f.path in sources])
        for key, value in found.items():
            evidence[key] += value / len(groups)
    for suspicion in ochiai_scores:
        evidence[(suspicion.path, suspicion.line)] += suspicion.score
    return _scored(index, evidence, {(f.path, f.line) for g in groups for f in g})


def _scored(index: SourceIndex, evidence: Mapping[tuple[str, int], float], traced: set[tuple[str, int]]) -> list[Suspicion]:
    rows = []
    for (path, line), value in evidence.items():
        prior = index.executable(path).get(line)
        if prior is None or is_test_path(path) or value <= 0:
            continue
        score = round(value * (0.6 + 0.4 * prior), 12)
        rows.append((-score, (path, line) not in traced, path, line))
    rows.sort()
    return [Suspicion(path, line, -neg) for neg, _, path, line in rows]
