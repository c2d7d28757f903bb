"""Training data from real code nobody here wrote: the interpreter's standard library and installed
packages, split by module into train and held-out, turned into repair and edit examples.

Every example is a context block (engine/context.py, the planner's format) plus the canvas text the
model should write. For skeleton examples the canvas starts with a pinned prefix that the planner
also pins at run time (`@@replace path:LINE`, the old line, `@@with`), so the model learns exactly
the job it is given later: write the new line(s) and close the op. Deterministic given a seed.
"""

from __future__ import annotations

import ast
import random
import sysconfig
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dagent.engine.context import ContextBlock, Snippet, narrowing_contexts, render_context
from dagent.engine.train.mutate import KINDS, Mutation, mutate_line
from dagent.ops.model import AddImport, AddParameter, Delete, MakeStatic, Op, RenameSymbol
from dagent.ops.syntax import pinned_head_of, render_op, render_path

HELDOUT_BUCKETS = 10  # one module in ten is held out, by a hash of its name
MAX_FILE_BYTES = 200_000
# Pure-Python packages whose source is on every dagent install (they are dagent's own dependencies).
PACKAGE_ROOTS = ("rich", "typer", "click", "git", "pydantic", "libcst", "tokenizers", "huggingface_hub", "pygments")
_SKIP_PARTS = {"test", "tests", "idlelib", "lib2to3", "tkinter", "turtledemo", "site-packages", "__pycache__", "ensurepip"}


@dataclass(frozen=True)
class Module:
    name: str  # dotted name, used for the split
    path: str  # repo-style relative path, used in ops
    file: Path


@dataclass(frozen=True)
class Example:
    context: str
    target: str  # the whole canvas text, starting with pinned_prefix
    pinned_prefix: str
    kind: str
    path: str
    meta: dict = field(default_factory=dict, hash=False, compare=False)


def is_heldout(module_name: str) -> bool:
    return zlib.crc32(module_name.encode()) % HELDOUT_BUCKETS == 0


def _stdlib_modules() -> Iterator[Module]:
    root = Path(sysconfig.get_paths()["stdlib"])
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root)
        if _SKIP_PARTS.intersection(rel.parts) or rel.name.startswith("test_"):
            continue
        yield Module(".".join(rel.with_suffix("").parts), rel.as_posix(), file)


def _package_modules() -> Iterator[Module]:
    for name in PACKAGE_ROOTS:
        origin = _find(name)
        if origin is None:
            continue
        root = Path(origin).parent
        for file in sorted(root.rglob("*.py")):
            rel = file.relative_to(root.parent)
            if _SKIP_PARTS.intersection(rel.parts[1:]):
                continue
            yield Module(".".join(rel.with_suffix("").parts), rel.as_posix(), file)


def _find(name: str) -> str | None:
    import importlib.util

    spec = importlib.util.find_spec(name)
    return spec.origin if spec and spec.origin else None


def repo_modules(repo: Path) -> list[Module]:
    """A user's repository as a corpus (for `dagent train --repo`)."""
    modules = []
    for file in sorted(repo.rglob("*.py")):
        rel = file.relative_to(repo)
        if any(part.startswith(".") or part in ("venv", ".venv", "__pycache__", "build") for part in rel.parts):
            continue
        modules.append(Module(".".join(rel.with_suffix("").parts), rel.as_posix(), file))
    return modules


@lru_cache(maxsize=1)
def corpus_modules() -> tuple[Module, ...]:
    """The standard library and dagent's pure-Python dependencies, deduplicated by dotted name."""
    seen: dict[str, Module] = {}
    for module in [*_stdlib_modules(), *_package_modules()]:
        seen.setdefault(module.name, module)
    return tuple(seen.values())


def split_modules(modules: tuple[Module, ...] | list[Module], split: str) -> list[Module]:
    want_heldout = split == "heldout"
    return [m for m in modules if is_heldout(m.name) == want_heldout]


@dataclass(frozen=True)
class Function:
    name: str
    qualname: str
    start: int  # 1-based line of `def`
    end: int
    body_start: int
    uses_self: bool
    is_method: bool


def _functions(tree: ast.Module) -> list[Function]:
    found: list[Function] = []

    def visit(node: ast.AST, owner: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name if owner is None else None)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.end_lineno:
                uses_self = any(isinstance(n, ast.Name) and n.id == "self" for n in ast.walk(child))
                args = [a.arg for a in child.args.args]
                found.append(Function(
                    name=child.name,
                    qualname=f"{owner}.{child.name}" if owner else child.name,
                    start=child.lineno,
                    end=child.end_lineno,
                    body_start=child.body[0].lineno,
                    uses_self=uses_self and args[:1] == ["self"],
                    is_method=owner is not None and args[:1] == ["self"],
                ))

    visit(tree, None)
    return found


@dataclass(frozen=True)
class Source:
    module: Module
    text: str
    lines: list[str]
    functions: list[Function]
    mutable_lines: frozenset[int]  # 1-based: code lines outside multi-line strings
    simple_statements: frozenset[int]  # 1-based: statements that fit on one line


def _line_sets(tree: ast.Module) -> tuple[frozenset[int], frozenset[int]]:
    in_strings: set[int] = set()
    code: set[int] = set()
    simple: set[int] = set()
    for node in ast.walk(tree):
        end = getattr(node, "end_lineno", None)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and end and end > node.lineno:
            in_strings.update(range(node.lineno, end + 1))
        elif isinstance(node, ast.stmt) and end:
            code.update(range(node.lineno, end + 1))
            if end == node.lineno and not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Expr)):
                simple.add(node.lineno)
    return frozenset(code - in_strings), frozenset(simple - in_strings)


def read_source(module: Module) -> Source | None:
    try:
        raw = module.file.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            return None
        text = raw.decode("utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    lines = text.splitlines(keepends=True)
    if not lines or not lines[-1].endswith("\n"):
        return None
    functions = [f for f in _functions(tree) if 3 <= f.end - f.start <= 80]
    mutable, simple = _line_sets(tree)
    return Source(module, text, lines, functions, mutable, simple) if functions else None


def _error_line(rng: random.Random, module: Module, function: Function) -> list[str]:
    test = f"tests/test_{module.path.rsplit('/', 1)[-1].removesuffix('.py')}.py::test_{function.name.strip('_')}"
    message = rng.choice(["AssertionError", "assert False", "TypeError", "AssertionError: values differ",
                          "IndexError: list index out of range", "ValueError", "KeyError"])
    return [f"{test}: {message}"] if rng.random() < 0.8 else []


# Token-level bugs are what users meet most, so they are drawn more often than line-level ones.
KIND_WEIGHTS = {"operator": 1.5, "comparison": 2.0, "off_by_one": 2.0, "slice": 1.5, "swap_names": 0.7,
                "swap_args": 0.5, "attribute": 1.0, "missing_line": 1.0, "extra_line": 0.5,
                "dropped_return": 0.7, "boolean": 1.5}
LINES_TRIED = 12
LINE_KINDS = ("missing_line", "extra_line", "dropped_return")


def _repair_example(rng: random.Random, source: Source) -> Example | None:
    kind = rng.choices(KINDS, weights=[KIND_WEIGHTS[k] for k in KINDS])[0]
    function = rng.choice(source.functions)
    allowed = source.simple_statements if kind in LINE_KINDS else source.mutable_lines
    indices = [i - 1 for i in range(function.body_start, function.end + 1) if i in allowed]
    rng.shuffle(indices)
    for index in indices[:LINES_TRIED]:
        mutation = mutate_line(source.lines, index, kind, source.module.path, rng, (function.start, function.end))
        if mutation is not None:
            return _example_from_mutation(rng, source, function, mutation)
    return None


def _example_from_mutation(rng: random.Random, source: Source, function: Function, mutation: Mutation) -> Example:
    mutated_lines = mutation.mutated.splitlines(keepends=True)
    shift = len(mutated_lines) - len(source.lines)
    mutated_function = Function(function.name, function.qualname, function.start, function.end + shift,
                                function.body_start, function.uses_self, function.is_method)
    extra: list[Snippet] = []
    others = [f for f in source.functions if f.start != function.start and f.end - f.start < 25]
    if others and rng.random() < 0.3:
        other = rng.choice(others)
        if other.end < function.start:  # an unchanged function before the bug keeps its line numbers
            extra.append(Snippet(source.module.path, other.start, "".join(source.lines[other.start - 1 : other.end])))
    errors = _error_line(rng, source.module, function)
    # The same block with narrower windows above the bug line: the encoder sees the first that keeps
    # the line inside its context window (engine/prompt.py's `fitted_context`), as at run time.
    contexts = narrowing_contexts(errors, source.module.path, mutated_lines, mutation.line, mutated_function.start,
                                  mutated_function.end, extra)
    target = render_op(mutation.fix)
    prefix = pinned_head_of(mutation.fix) if not isinstance(mutation.fix, Delete) else ""
    line_text = mutated_lines[mutation.line - 1] if mutation.line <= len(mutated_lines) else ""
    return Example(contexts[0], target, prefix, mutation.kind, source.module.path,
                   {"line": mutation.line, "mutated": mutation.mutated, "original": source.text,
                    "contexts": contexts, "line_text": line_text})


_NEW_NAMES = ("load", "read", "parse", "build", "fetch", "compute", "render", "handle", "convert", "collect",
              "update", "resolve", "check", "make", "create", "process", "format", "apply", "scan", "emit")
_PARAMS = ("timeout", "verbose", "strict", "encoding", "limit", "retries", "default", "callback", "name", "force")
_IMPORTS = ("os", "re", "sys", "json", "math", "typing", "logging", "itertools", "functools", "dataclasses")


def _edit_example(rng: random.Random, source: Source) -> Example | None:
    function = rng.choice(source.functions)
    path = source.module.path
    choice = rng.randrange(4)
    if choice == 0 and not function.name.startswith("__"):
        new_name = rng.choice(_NEW_NAMES) + "_" + function.name.strip("_").split("_")[-1]
        if new_name == function.name:
            return None
        symbol = function.qualname
        instruction = f"rename {function.name} to {new_name}"
        op: Op = RenameSymbol(path=path, symbol=symbol, new_name=new_name)
    elif choice == 1 and function.is_method and not function.uses_self:
        instruction = rng.choice(["make {} static", "make {} a staticmethod", "turn {} into a static method"]).format(function.name)
        op = MakeStatic(path=path, symbol=function.qualname)
    elif choice == 2:
        param = rng.choice(_PARAMS)
        default = rng.choice(["None", "False", "0", "5", "True"])
        instruction = f"add a {param} parameter to {function.name}" + (f" (default {default})" if default != "None" else "")
        op = AddParameter(path=path, symbol=function.qualname, parameter=f"{param}={default}")
    elif choice == 3:
        module = rng.choice(_IMPORTS)
        instruction = f"add import {module} to {path.rsplit('/', 1)[-1]}"
        op = AddImport(path=path, statement=f"import {module}")
    else:
        return None
    snippet = Snippet(path, function.start, "".join(source.lines[function.start - 1 : min(function.end, function.start + 15)]))
    block = ContextBlock(task="edit", instruction=instruction, snippets=[snippet])
    header = render_op(op)
    pinned = header[: header.index(" ") + 1] + render_path(path) + " "
    return Example(render_context(block), header, pinned, "edit_" + op.kind, path, {"instruction": instruction})


def iter_examples(modules: list[Module], seed: int, edit_share: float = 0.08) -> Iterator[Example]:
    """An endless, deterministic stream of examples drawn from `modules`."""
    rng = random.Random(seed)
    sources: dict[str, Source | None] = {}
    if not modules:
        return
    while True:
        module = rng.choice(modules)
        if module.name not in sources:
            sources[module.name] = read_source(module)
        source = sources[module.name]
        if source is None:
            continue
        maker = _edit_example if rng.random() < edit_share else _repair_example
        example = maker(rng, source)
        if example is not None:
            yield example


def make_examples(split: str = "train", n: int = 100, seed: int = 0, modules: list[Module] | None = None,
                  edit_share: float = 0.08) -> list[Example]:
    """`n` examples from the train or held-out modules of the corpus (or from `modules`)."""
    pool = modules if modules is not None else split_modules(corpus_modules(), split)
    stream = iter_examples(pool, seed, edit_share)
    return [next(stream) for _ in range(n)] if pool else []
