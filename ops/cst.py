"""Structural edits through libcst: rename a symbol, add an import, make a method static, add a parameter.

Each function takes source text and returns source text (pure, no file access), and every result is
checked to parse with libcst and to compile; a refusal is an ApplyError that says why.

Rename across a repo (`rename_symbol`) is best effort where Python is dynamic:
- uses are found through scopes in the defining module, `from M import name` (also relative and
  re-exported one level at a time), `import M` / `import M as m` followed by `M.name`, and `__all__`;
- a member `Class.name` (method, property or class attribute) is renamed at its definition, in direct
  subclasses that override it, and on *every* attribute access `x.name` whose `x` is not an imported
  module, because the type of `x` is unknown; a class attribute (e.g. a dataclass field) is also renamed
  as a keyword argument in calls to the class (`Class(name=...)`);
- strings other than `__all__` entries, comments, `getattr(obj, "name")` and other dynamic uses are
  left alone.

libcst's native parser overflows its stack and kills the process (SIGSEGV) on a couple of thousand
nested brackets, and its Python passes hit RecursionError on expressions a few hundred levels deep. So
nothing reaches libcst before a token-level gauge (`nesting_problem`) has passed it: too deep a file is
refused (NestingRefused) where it is edited and skipped, with a note, where a rename only scans it.
"""

from __future__ import annotations

import io
import keyword
import posixpath
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, ScopeProvider

from dagent.errors import ApplyError

# ---------------------------------------------------------------- nesting gauge

# CPython itself refuses more nested brackets ("too many nested parentheses"), so no valid file is lost.
MAX_BRACKETS = 200
# Estimated tree depth (operators chained in an expression, brackets, indentation). libcst's native parser
# needs about 7 KiB of stack per bracket, 2.4 KiB per lambda and 1.2-1.5 KiB per other operator, so on an
# 8 MiB stack it dies near 1,500 nested brackets or 5,000 chained operators; both caps together stay under
# 2.5 MiB. Its Python passes give up (RecursionError, caught) from a few hundred levels anyway.
MAX_DEPTH = 500

# How tightly each operator binds, loosest first. An operator closes the chains of tighter ones before it
# (`a*b + c*d`: each product is its own subtree), and adds one level to the chain of its own class.
_BINARY = {"|": 4, "^": 5, "&": 6, "<<": 7, ">>": 7, "+": 8, "-": 8, "*": 9, "/": 9, "//": 9, "%": 9, "@": 9, "**": 11}
_COMPARE = {"<", ">", "==", ">=", "<=", "!=", "<>", "in", "is"}  # one flat node in libcst however long
_WORDS = {"lambda": 0, "yield": 0, "if": 1, "else": 1, "for": 1, "or": 2, "and": 3, "not": 4, "await": 12}
_PREFIX, _COMPARISON, _TRAILER, _CONCAT = 10, 5, 13, 14
_CLASSES = 15
_SEPARATORS = {",", ";", "=", ":="}  # end an item (augmented assignments too, see _is_separator)
_CLOSERS = (")", "]", "}")


@dataclass
class _Level:
    """One bracket level of an expression (or the statement level): its operator chains by class."""

    runs: list[int] = field(default_factory=lambda: [0] * _CLASSES)
    lambda_params: int = 0  # lambdas whose parameter list is still open here


class NestingRefused(ApplyError):
    """Source nested too deeply for libcst (whose native parser can crash the process on it)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: too deeply nested for libcst ({problem}): refused, as libcst crashes or gives up on such code; edit it as text (@@replace) instead")
        self.path, self.problem = path, problem


def _is_separator(text: str) -> bool:
    return text in _SEPARATORS or (text.endswith("=") and len(text) > 1 and text[:-1] in _BINARY)


class _NestingGauge:
    """Follows tokens and estimates how deep the tree libcst builds gets: bracket levels, plus each
    level's operator chains, plus indentation. Commas, semicolons and assignments end an item, so flat
    data (a 100,000-element list) stays shallow however long it is."""

    def __init__(self) -> None:
        self.levels = [_Level()]
        self.links = 0  # the levels' runs, summed
        self.indent = 0
        self.previous: tokenize.TokenInfo | None = None

    def depth(self) -> int:
        return self.links + len(self.levels) - 1 + self.indent

    def feed(self, token: tokenize.TokenInfo) -> str | None:
        """Take one token; returns why the source is too deep, or None."""
        kind, text = token.type, token.string
        if kind in (tokenize.INDENT, tokenize.DEDENT):
            self.indent += 1 if kind == tokenize.INDENT else -1
        elif kind == tokenize.NEWLINE:  # a statement ends (its brackets are all closed)
            self._reset(self.levels[0])
        elif kind == tokenize.OP:
            self._operator(text)
        elif kind == tokenize.NAME and text in _COMPARE:
            self._chain(_COMPARISON, grow=False)
        elif kind == tokenize.NAME and text in _WORDS:
            self._chain(_WORDS[text], closes=self._after_operand())
            if text == "lambda":  # twice the native stack of another operator
                self._chain(_WORDS[text], closes=False)
                self.levels[-1].lambda_params += 1
        elif kind == tokenize.STRING:
            if self.previous is not None and self.previous.type == tokenize.STRING:
                self._chain(_CONCAT)  # implicit concatenation nests too
            inner = _fstring_depth(text)
            if inner and (len(self.levels) - 1 + inner > MAX_BRACKETS or self.depth() + inner > MAX_DEPTH):
                return f"an f-string nested too deeply at line {token.start[0]}"
        if kind not in (tokenize.NL, tokenize.COMMENT):
            self.previous = token
        if len(self.levels) - 1 > MAX_BRACKETS:
            return f"more than {MAX_BRACKETS} nested brackets at line {token.start[0]}"
        if self.depth() > MAX_DEPTH:
            return f"an expression more than {MAX_DEPTH} levels deep at line {token.start[0]}"
        return None

    def _after_operand(self) -> bool:
        """Whether the previous token ends an operand (so `-` is binary and `(` a call)."""
        prev = self.previous
        if prev is None:
            return False
        if prev.type == tokenize.NAME:
            return not keyword.iskeyword(prev.string) or prev.string in ("True", "False", "None")
        return prev.type in (tokenize.NUMBER, tokenize.STRING) or prev.string in (*_CLOSERS, "...")

    def _chain(self, rank: int, grow: bool = True, closes: bool = True) -> None:
        """An operator of class `rank` grows its own chain by one level. After an operand it also ends
        the tighter chains before it (their subtree is complete); in prefix position (`-`, `not`,
        `lambda` right after another operator) it sits inside that operator's operand and ends nothing."""
        runs = self.levels[-1].runs
        for tighter in range(rank + 1, _CLASSES if closes else 0):
            self.links -= runs[tighter]
            runs[tighter] = 0
        runs[rank] += grow
        self.links += grow

    def _reset(self, level: _Level) -> None:
        self.links -= sum(level.runs)
        level.runs = [0] * _CLASSES

    def _operator(self, text: str) -> None:
        level = self.levels[-1]
        if text in ("(", "[", "{"):
            if self._after_operand():
                self._chain(_TRAILER)  # a call or subscript nests its target
            self.levels.append(_Level())
        elif text in _CLOSERS:
            if len(self.levels) > 1:
                self._reset(self.levels.pop())
        elif text == ":":
            level.lambda_params -= level.lambda_params > 0  # a lambda's body follows its parameters
        elif _is_separator(text):
            if not level.lambda_params:  # else a lambda's parameter list: the lambdas still nest
                self._reset(level)
        elif text == ".":
            self._chain(_TRAILER)
        elif text in _COMPARE:
            self._chain(_COMPARISON, grow=False)
        elif text in _BINARY and self._after_operand():
            self._chain(_BINARY[text])
        elif text in _BINARY or text == "~":  # unary -x, ~x, *args, **kwargs, @decorator
            self._chain(_PREFIX, closes=False)


def _fstring_depth(token: str) -> int:
    """A generous depth estimate for the expressions of an f-string, which libcst parses but the
    tokenize of Python < 3.12 keeps inside one STRING token: brackets, plus operator characters
    chained within a bracket (a comma ends the chain). 0 for other strings."""
    prefix = token[: len(token) - len(token.lstrip("rRbBuUfF"))]
    if "f" not in prefix.lower():
        return 0
    depth = chain = deepest = 0
    for char in token[len(prefix) :]:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth, chain = max(depth - 1, 0), 0
        elif char == ",":
            chain = 0
        elif depth and char in "+-*/%@&|^~<>.!=:":
            chain += 1
        deepest = max(deepest, depth + chain)
    return deepest


def nesting_problem(src: str) -> str | None:
    """Why `src` is too deeply nested to hand to libcst, or None. Reads tokens only (pure Python, no
    recursion), and stops at the first excess, so a huge hostile file costs little."""
    gauge = _NestingGauge()
    try:
        for token in tokenize.generate_tokens(io.StringIO(src).readline):
            problem = gauge.feed(token)
            if problem is not None:
                return problem
    except (tokenize.TokenError, SyntaxError) as err:
        if "too many" in str(err):  # Python 3.12+ tokenizes in C, which caps nesting and indentation itself
            return f"Python's tokenizer refuses it: {err}"
        # else unfinished or badly indented: libcst's tokenizer refuses it before parsing anything
    return None


def _guard(src: str, path: str) -> None:
    problem = nesting_problem(src)
    if problem is not None:
        raise NestingRefused(path, problem)


def _too_deep(path: str, stage: str) -> NestingRefused:
    return NestingRefused(path, f"RecursionError in its {stage}")


# ---------------------------------------------------------------- parsing and checks


def parse_module(src: str, path: str = "<source>") -> cst.Module:
    """Parse `src` with libcst; a syntax error becomes an ApplyError naming `path` and the line, and
    source too deeply nested for libcst a NestingRefused."""
    _guard(src, path)
    try:
        return cst.parse_module(src)
    except cst.ParserSyntaxError as err:
        raise ApplyError(f"{path}: does not parse as Python (line {err.raw_line}: {err.message})") from None
    except RecursionError:
        raise _too_deep(path, "parser") from None


def _parse_statement(src: str, what: str) -> cst.BaseStatement:
    """One statement built from an op's text (an import, a parameter), through the same guard."""
    _guard(src, what)
    try:
        return cst.parse_statement(src)
    except RecursionError:
        raise _too_deep(what, "parser") from None


def _checked(src: str, path: str, what: str) -> str:
    """Refuse a result that libcst cannot re-parse or that Python cannot compile (e.g. duplicate argument)."""
    try:
        parse_module(src, path)
        compile(src, path, "exec", dont_inherit=True)
    except ApplyError as err:
        raise ApplyError(f"{path}: {what} would leave invalid Python ({err}); nothing was changed") from None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise ApplyError(f"{path}: {what} would leave invalid Python ({type(err).__name__}: {err}); nothing was changed") from None
    return src


def _find_class_member(module: cst.Module, symbol: str, path: str) -> list[cst.CSTNode]:
    """The chain of definitions (classes, then the final def or class) that `A.B.f` names in `module`."""
    body: tuple[cst.CSTNode, ...] = tuple(module.body)
    chain: list[cst.CSTNode] = []
    for depth, part in enumerate(symbol.split(".")):
        found = next(
            (n for n in body if isinstance(n, (cst.FunctionDef, cst.ClassDef)) and n.name.value == part), None
        )
        if found is None:
            where = ".".join(symbol.split(".")[:depth]) or "the module top level"
            raise ApplyError(f"{path}: no function or class {part!r} in {where} (looking for {symbol})")
        chain.append(found)
        inner = found.body
        body = tuple(inner.body) if isinstance(inner, cst.IndentedBlock) else ()
    return chain


def _replace_node(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
    return module.deep_replace(old, new)  # type: ignore[return-value]


# ---------------------------------------------------------------- add_import


def _dotted(node: cst.BaseExpression | None) -> str:
    return get_full_name_for_node(node) or "" if node is not None else ""


def _alias_key(alias: cst.ImportAlias) -> tuple[str, str | None]:
    asname = alias.asname.name if alias.asname else None
    return _dotted(alias.name), _dotted(asname) if isinstance(asname, cst.BaseExpression) else None


def _from_key(node: cst.ImportFrom) -> tuple[int, str]:
    return len(node.relative), _dotted(node.module)


def _top_imports(module: cst.Module) -> list[tuple[int, cst.Import | cst.ImportFrom]]:
    found: list[tuple[int, cst.Import | cst.ImportFrom]] = []
    for index, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            found += [(index, s) for s in stmt.body if isinstance(s, (cst.Import, cst.ImportFrom))]
    return found


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_future(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.ImportFrom) and _from_key(node) == (0, "__future__")


def _insert_index(module: cst.Module, future: bool) -> int:
    """After the docstring and `from __future__`; for other imports, after the last import of the header."""
    body = list(module.body)
    start = 1 if body and _is_docstring(body[0]) else 0
    index = start
    for i in range(start, len(body)):
        stmt = body[i]
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            break
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        imports = [s for s in stmt.body if isinstance(s, (cst.Import, cst.ImportFrom))]
        if imports and (not future or all(_is_future(s) for s in imports)):
            index = i + 1
    return index


def _parse_import(statement: str) -> list[cst.Import | cst.ImportFrom]:
    try:
        line = _parse_statement(statement.strip() + "\n", "the import statement")
    except cst.ParserSyntaxError as err:
        raise ApplyError(f"not a valid import statement: {statement!r} ({err.message})") from None
    parts = list(line.body) if isinstance(line, cst.SimpleStatementLine) else []
    if not parts or not all(isinstance(p, (cst.Import, cst.ImportFrom)) for p in parts):
        raise ApplyError(f"not an import statement: {statement!r}")
    return parts  # type: ignore[return-value]


def _merge_from(module: cst.Module, new: cst.ImportFrom) -> tuple[cst.Module, bool]:
    """Add `new`'s missing names to an existing top-level `from M import ...`; returns (module, done)."""
    for _, old in _top_imports(module):
        if not isinstance(old, cst.ImportFrom) or _from_key(old) != _from_key(new):
            continue
        if isinstance(old.names, cst.ImportStar):
            return module, True  # a star import already binds every name
        if isinstance(new.names, cst.ImportStar):
            continue
        have = {_alias_key(a) for a in old.names}
        missing = [a for a in new.names if _alias_key(a) not in have]
        if not missing:
            return module, True
        last = old.names[-1]
        tail = last.comma  # a trailing comma (multi-line style) moves to the new last name
        added = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in missing]
        added[-1] = added[-1].with_changes(comma=tail)
        names = list(old.names[:-1]) + [last.with_changes(comma=_separator(old.names))] + added
        for i in range(len(old.names), len(names) - 1):
            names[i] = names[i].with_changes(comma=_separator(old.names))
        return _replace_node(module, old, old.with_changes(names=names)), True
    return module, False


def _separator(names: tuple[cst.ImportAlias, ...] | list[cst.ImportAlias]) -> cst.Comma | cst.MaybeSentinel:
    """The comma style between existing names (keeps one-per-line layouts one per line)."""
    for alias in names[:-1]:
        if isinstance(alias.comma, cst.Comma):
            return alias.comma
    last = names[-1].comma
    return last if isinstance(last, cst.Comma) else cst.MaybeSentinel.DEFAULT


def add_import(src: str, statement: str, path: str = "<source>") -> str:
    """Add `statement` (`import x`, `from x import y`) unless it is there already; returns the new source.

    Names missing from an existing `from M import ...` are appended to it; a new statement goes after
    the module docstring, `from __future__` imports and the last import of the module header.
    """
    module = parse_module(src, path)
    for part in _parse_import(statement):
        module = _add_one_import(module, part)
    return _checked(module.code, path, f"adding {statement!r}")


def _add_one_import(module: cst.Module, node: cst.Import | cst.ImportFrom) -> cst.Module:
    if isinstance(node, cst.ImportFrom):
        module, done = _merge_from(module, node)
        if done:
            return module
        new_stmt: cst.Import | cst.ImportFrom = node
    else:
        have = {_alias_key(a) for _, imp in _top_imports(module) if isinstance(imp, cst.Import) for a in imp.names}
        missing = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in node.names if _alias_key(a) not in have]
        if not missing:
            return module
        new_stmt = node.with_changes(names=missing)
    index = _insert_index(module, _is_future(new_stmt))
    body = list(module.body)
    after_docstring = index == 1 and _is_docstring(body[0]) and not _top_imports(module)
    # the first import after a `from __future__` block starts its own block, one blank line apart
    after_future = index > 0 and not _is_future(new_stmt) and _is_import_line(body[index - 1]) and all(
        _is_future(s) for s in body[index - 1].body  # type: ignore[attr-defined]
    )
    leading = [cst.EmptyLine()] if after_docstring or after_future else []
    line = cst.SimpleStatementLine(body=[new_stmt], leading_lines=leading)
    following = body[index:]
    if following and not following[0].leading_lines and not _is_import_line(following[0]):
        # keep the code after the import block apart from it (two blank lines before a def or class)
        blank = 2 if isinstance(following[0], (cst.FunctionDef, cst.ClassDef)) else 1
        following[0] = following[0].with_changes(leading_lines=[cst.EmptyLine()] * blank)
    return module.with_changes(body=body[:index] + [line] + following)


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


# ---------------------------------------------------------------- make_static


def _decorator_names(func: cst.FunctionDef) -> set[str]:
    return {_dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) for d in func.decorators}


class _UsesZeroArgSuper(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "super" and not node.args:
            self.found = True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "__class__":
            self.found = True


def _self_uses(func: cst.FunctionDef, scopes: Mapping[cst.CSTNode, object]) -> int:
    """How often the body reads the first parameter (scopes see through shadowing in nested defs)."""
    first = _first_param(func)
    scope = scopes.get(first.name)
    if scope is None:
        return 0
    return sum(len(a.references) for a in scope[first.name.value] if isinstance(a.node, cst.Param))  # type: ignore[attr-defined,index]


def _first_param(func: cst.FunctionDef) -> cst.Param:
    params = func.params
    if params.posonly_params:
        return params.posonly_params[0]
    if params.params:
        return params.params[0]
    raise ApplyError(f"{func.name.value} has no `self` parameter to drop")


def _drop_first_param(params: cst.Parameters) -> cst.Parameters:
    if params.posonly_params:
        rest = params.posonly_params[1:]
        if not rest:  # `def f(self, /, x)` -> `def f(x)`: a lone "/" is invalid
            return params.with_changes(posonly_params=(), posonly_ind=cst.MaybeSentinel.DEFAULT)
        return params.with_changes(posonly_params=rest)
    return params.with_changes(params=params.params[1:])


class _UnboundCallFixer(cst.CSTTransformer):
    """`Class.method(obj, x)` passed the instance explicitly: after the change it must not."""

    def __init__(self, class_name: str, method: str) -> None:
        self.target = f"{class_name}.{method}"

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if _dotted(original.func) != self.target or not updated.args:
            return updated
        first = updated.args[0]
        if first.keyword is not None or first.star:
            return updated
        return updated.with_changes(args=updated.args[1:])


def make_static(src: str, symbol: str, path: str = "<source>") -> str:
    """Turn `Class.method` into a @staticmethod; refused when the method uses `self` (or super()).

    `self.method(...)` calls stay valid and are left alone; `Class.method(obj, ...)` calls in this
    module, which passed the instance explicitly, lose that first argument.
    """
    module = parse_module(src, path)
    if "." not in symbol:
        raise ApplyError(f"{path}: make static needs Class.method, got {symbol!r}")
    chain = _find_class_member(module, symbol, path)
    func, owner = chain[-1], chain[-2]
    if not isinstance(func, cst.FunctionDef) or not isinstance(owner, cst.ClassDef):
        raise ApplyError(f"{path}: {symbol} is not a method of a class")
    decorators = _decorator_names(func)
    if decorators & {"staticmethod", "classmethod", "property"} or any(d.endswith(".setter") for d in decorators):
        kind = sorted(decorators & {"staticmethod", "classmethod", "property"}) or ["property setter"]
        raise ApplyError(f"{path}: {symbol} is already a {kind[0]}; it cannot be made static")
    scopes = _scopes(module, path)
    first = _first_param(func)
    uses = _self_uses(func, scopes)
    if uses:
        raise ApplyError(
            f"{path}: {symbol} uses `{first.name.value}` {uses} time(s) in its body; "
            "a static method has no instance: move that use out first"
        )
    finder = _UsesZeroArgSuper()
    func.body.visit(finder)
    if finder.found:
        raise ApplyError(f"{path}: {symbol} uses super() or __class__, which need the instance")
    decorator = cst.Decorator(decorator=cst.Name("staticmethod"))
    new_func = func.with_changes(decorators=[decorator, *func.decorators], params=_drop_first_param(func.params))
    module = _replace_node(module, func, new_func)
    module = module.visit(_UnboundCallFixer(owner.name.value, func.name.value))  # type: ignore[assignment]
    return _checked(module.code, path, f"making {symbol} static")


# ---------------------------------------------------------------- add_parameter


def _parse_param(parameter: str) -> cst.Param:
    try:
        stub = _parse_statement(f"def _f({parameter}):\n    pass\n", "the parameter")
    except cst.ParserSyntaxError:
        raise ApplyError(f"not a valid parameter: {parameter!r} (expected name, name=default or name: T = default)") from None
    assert isinstance(stub, cst.FunctionDef)
    params = stub.params
    extra = params.star_arg != cst.MaybeSentinel.DEFAULT or params.kwonly_params or params.star_kwarg or params.posonly_params
    if len(params.params) != 1 or extra:
        raise ApplyError(f"not one plain parameter: {parameter!r}")
    return params.params[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)


def _all_param_names(params: cst.Parameters) -> set[str]:
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


def add_parameter(src: str, symbol: str, parameter: str, path: str = "<source>") -> str:
    """Append `parameter` (`name`, `name=default`, `name: T = default`) to the positional parameters of
    `func` or `Class.method`, before any `*args`, keyword-only parameters and `**kwargs`.

    A parameter without a default after one with a default would be invalid: that is refused.
    """
    module = parse_module(src, path)
    func = _find_class_member(module, symbol, path)[-1]
    if not isinstance(func, cst.FunctionDef):
        raise ApplyError(f"{path}: {symbol} is a class, not a function")
    new = _parse_param(parameter)
    params = func.params
    if new.name.value in _all_param_names(params):
        raise ApplyError(f"{path}: {symbol} already has a parameter named {new.name.value!r}")
    positional = [*params.posonly_params, *params.params]
    if new.default is None and any(p.default is not None for p in positional):
        raise ApplyError(
            f"{path}: {symbol}: {new.name.value!r} has no default but comes after parameters with defaults; "
            f"give it a default (e.g. `{new.name.value}=None`)"
        )
    changed = _replace_node(module, func, func.with_changes(params=_appended(params, new)))
    return _checked(changed.code, path, f"adding {parameter!r} to {symbol}")


def _appended(params: cst.Parameters, new: cst.Param) -> cst.Parameters:
    if not params.params:
        if params.posonly_params:  # after "/": it must stay a regular parameter
            return params.with_changes(params=[new])
        following = params.star_arg != cst.MaybeSentinel.DEFAULT or params.kwonly_params or params.star_kwarg
        return params.with_changes(params=[new.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if following else new])
    last = params.params[-1]
    existing = list(params.params[:-1])
    between = next((p.comma for p in existing if isinstance(p.comma, cst.Comma)), None)
    if isinstance(last.comma, cst.Comma):
        # the last one had an explicit comma (trailing, or before *args): the new one takes it over
        return params.with_changes(params=[*existing, last.with_changes(comma=between or last.comma), new.with_changes(comma=last.comma)])
    # no comma after the last one: the whitespace before ")" (a newline in a one-per-line layout) moves to the new last
    moved = last.with_changes(comma=between or cst.MaybeSentinel.DEFAULT, whitespace_after_param=cst.SimpleWhitespace(""))
    return params.with_changes(params=[*existing, moved, new.with_changes(whitespace_after_param=last.whitespace_after_param)])


# ---------------------------------------------------------------- rename_symbol


def module_names(path: str, files: dict[str, str] | set[str]) -> set[str]:
    """The dotted names a repo file can be imported as: its full path, and its package chain
    (the directories above it that hold an __init__.py, e.g. `src/pkg/a.py` -> `pkg.a`)."""
    parts = path[: -len(".py")].split("/") if path.endswith(".py") else path.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = {".".join(parts)} if parts else set()
    chain = parts[-1:]
    directory = posixpath.dirname(posixpath.dirname(path)) if path.endswith("/__init__.py") else posixpath.dirname(path)
    while directory and f"{directory}/__init__.py" in files:
        chain.insert(0, posixpath.basename(directory))
        directory = posixpath.dirname(directory)
    if chain:
        names.add(".".join(chain))
    return {n for n in names if n}


def _package_of(path: str, files: dict[str, str]) -> list[str]:
    """The package a module lives in, as parts (for resolving relative imports)."""
    name = sorted(module_names(path, files), key=len)[0] if module_names(path, files) else ""
    parts = name.split(".") if name else []
    return parts if path.endswith("__init__.py") else parts[:-1]


def _import_from_module(node: cst.ImportFrom, path: str, files: dict[str, str]) -> str:
    module = _dotted(node.module)
    if not node.relative:
        return module
    base = _package_of(path, files)
    up = len(node.relative) - 1
    base = base[: len(base) - up] if up <= len(base) else []
    return ".".join([*base, *([module] if module else [])])


@dataclass
class _Plan:
    """What to rename in one module: Name nodes by identity, and __all__ strings."""

    names: set[int] = field(default_factory=set)
    strings: set[int] = field(default_factory=set)


class _Renamer(cst.CSTTransformer):
    def __init__(self, plan: _Plan, old: str, new: str) -> None:
        self.plan, self.old, self.new = plan, old, new

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.new) if id(original) in self.plan.names else updated

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
        if id(original) not in self.plan.strings:
            return updated
        return updated.with_changes(value=updated.prefix + updated.quote + self.new + updated.quote)


def _scopes(module: cst.Module, path: str) -> Mapping[cst.CSTNode, object]:
    try:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    except RecursionError:
        raise _too_deep(path, "scope analysis") from None


@dataclass
class _Repo:
    """Parsed modules of the repo, with scopes, and the names each module can be imported as.
    A file that does not parse is left out; one too deeply nested for libcst too, with the reason
    kept in `too_deep`."""

    files: dict[str, str]
    modules: dict[str, cst.Module] = field(default_factory=dict)
    scopes: dict[str, object] = field(default_factory=dict)
    too_deep: dict[str, str] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)

    def load(self, path: str) -> cst.Module | None:
        if path not in self.modules:
            if path in self.too_deep or path in self.broken:
                return None
            try:
                module = parse_module(self.files[path], path)
                self.scopes[path] = _scopes(module, path)
            except NestingRefused as err:
                self.too_deep[path] = err.problem
                return None
            except ApplyError:
                self.broken.add(path)
                return None
            self.modules[path] = module
        return self.modules[path]

    def note_skipped(self, skipped: list[str] | None, by: str, consequence: str) -> None:
        """Tell the caller (when it asks, with a list) which files `by` had to skip as too deep for libcst."""
        if skipped is not None:
            skipped += [f"{file}: skipped by {by}: too deeply nested for libcst ({problem}); {consequence}"
                        for file, problem in sorted(self.too_deep.items())]  # fmt: skip


def _all_entries(module: cst.Module, name: str) -> list[cst.SimpleString]:
    """String entries equal to `name` in `__all__ = [...]`, `__all__ += [...]`."""
    found: list[cst.SimpleString] = []

    class Visitor(cst.CSTVisitor):
        def _collect(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
            if isinstance(target, cst.Name) and target.value == "__all__" and isinstance(value, (cst.List, cst.Tuple)):
                for element in value.elements:
                    v = element.value
                    if isinstance(v, cst.SimpleString) and v.evaluated_value == name:
                        found.append(v)

        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                self._collect(target.target, node.value)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._collect(node.target, node.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._collect(node.target, node.value)

    module.visit(Visitor())
    return found


def _binding_names(assignment_node: cst.CSTNode, name: str) -> list[cst.Name]:
    """The Name nodes that bind `name` in a definition (def, class, assignment target)."""
    if isinstance(assignment_node, (cst.FunctionDef, cst.ClassDef)):
        return [assignment_node.name] if assignment_node.name.value == name else []
    if isinstance(assignment_node, cst.Name):
        return [assignment_node] if assignment_node.value == name else []
    return []


def _bound_here(scope: object, name: str) -> bool:
    """Whether `scope` itself binds `name` (`name in scope` also sees builtins and enclosing scopes)."""
    return any(a.scope is scope for a in scope[name])  # type: ignore[index]


def _refs_of(scope: object, name: str, keep: set[int] | None = None) -> tuple[list[cst.Name], bool]:
    """Binding and reference Name nodes of `name` in `scope`; the flag says whether it is defined there
    (rather than only imported). `keep` limits the bindings considered to those node ids."""
    names: list[cst.Name] = []
    defined = False
    for assignment in scope[name]:  # type: ignore[index]
        node = getattr(assignment, "node", None)
        if assignment.scope is not scope or node is None or (keep is not None and id(node) not in keep):
            continue
        bound = _binding_names(node, name)
        defined = defined or bool(bound)
        names += bound
        names += [r.node for r in assignment.references if isinstance(r.node, cst.Name) and r.node.value == name]
    return names, defined


class _ImportScan(cst.CSTVisitor):
    """Every import in a module: module aliases (`m` -> module) and `from M import x` aliases."""

    def __init__(self, path: str, files: dict[str, str], known_modules: set[str]) -> None:
        self.path, self.files, self.known = path, files, known_modules
        self.module_alias: dict[str, str] = {}  # local dotted expression -> module name
        self.from_imports: list[tuple[cst.ImportFrom, str, cst.ImportAlias]] = []

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None:
                self.module_alias[_dotted(alias.asname.name)] = dotted  # type: ignore[arg-type]
            else:
                parts = dotted.split(".")
                for i in range(1, len(parts) + 1):
                    self.module_alias[".".join(parts[:i])] = ".".join(parts[:i])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        source = _import_from_module(node, self.path, self.files)
        for alias in node.names:
            imported = _dotted(alias.name)
            local = _dotted(alias.asname.name) if alias.asname is not None else imported  # type: ignore[arg-type]
            full = f"{source}.{imported}" if source else imported
            if full in self.known:
                self.module_alias[local] = full
            self.from_imports.append((node, source, alias))


def rename_symbol(files: dict[str, str], path: str, symbol: str, new_name: str, skipped: list[str] | None = None) -> dict[str, str]:
    """Rename `symbol` (`name` or `Class.member`) defined in `files[path]` to `new_name`, with its uses
    across `files` (repo-relative path -> source of every .py file). Returns the changed files only.

    Other files too deeply nested for libcst are skipped; `skipped`, when given, gets a note for each.
    """
    if path not in files:
        raise ApplyError(f"{path}: not a Python file of the repo")
    repo = _Repo(files)
    if repo.load(path) is None:
        if path in repo.too_deep:
            raise NestingRefused(path, repo.too_deep[path])
        parse_module(files[path], path)  # raises with the position
    parts = symbol.split(".")
    if parts[-1] == new_name:
        raise ApplyError(f"{path}: {symbol} is already named {new_name!r}")
    plans = _member_plans(repo, path, parts, new_name) if len(parts) > 1 else _global_plans(repo, path, symbol, new_name)
    changed: dict[str, str] = {}
    for file, plan in plans.items():
        if not plan.names and not plan.strings:
            continue
        module = repo.modules[file]
        code = module.visit(_Renamer(plan, parts[-1], new_name)).code
        if code != files[file]:
            changed[file] = _checked(code, file, f"renaming {symbol} to {new_name}")
    repo.note_skipped(skipped, f"the rename of {symbol}", "uses there, if any, keep the old name")
    return changed


def _known_modules(files: dict[str, str]) -> set[str]:
    return {name for file in files for name in module_names(file, files)}


def _global_plans(repo: _Repo, path: str, name: str, new_name: str) -> dict[str, _Plan]:
    """A module-level function, class or variable: its module, importers (transitively), attribute uses."""
    module = repo.modules[path]
    scope = repo.scopes[path][module]  # type: ignore[index]
    if _bound_here(scope, new_name):
        raise ApplyError(f"{path}: {new_name!r} is already defined at module level; pick another name")
    nodes, defined = _refs_of(scope, name)
    if not defined:
        raise ApplyError(f"{path}: no module-level definition of {name!r} (is it imported from another module?)")
    plans = {path: _Plan(names={id(n) for n in nodes} | _global_statements(module, name))}
    plans[path].strings |= {id(s) for s in _all_entries(module, name)}
    known = _known_modules(repo.files)
    exporters = _exporters(repo, path, name, known)
    for file in sorted(repo.files):
        if file != path and repo.load(file) is not None:
            plans[file] = _importer_plan(repo, file, name, new_name, exporters, known)
    return plans


def _exporters(repo: _Repo, path: str, name: str, known: set[str]) -> set[str]:
    """Module names `name` can be imported from: its own module, and (to a fixpoint) every module that
    does `from EXPORTER import name` and so binds it too (e.g. a package __init__ re-exporting it)."""
    exporters = set(module_names(path, repo.files))
    grew = True
    while grew:
        grew = False
        for file in sorted(repo.files):
            if file == path or repo.load(file) is None or module_names(file, repo.files) <= exporters:
                continue
            scan = _ImportScan(file, repo.files, known)
            repo.modules[file].visit(scan)
            if any(
                source in exporters and _dotted(alias.name) == name and (alias.asname is None or _dotted(alias.asname.name) == name)  # type: ignore[arg-type]
                for _, source, alias in scan.from_imports
            ):
                exporters |= module_names(file, repo.files)
                grew = True
    return exporters


def _global_statements(module: cst.Module, name: str) -> set[int]:
    found: set[int] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Global(self, node: cst.Global) -> None:
            found.update(id(item.name) for item in node.names if item.name.value == name)

    module.visit(Visitor())
    return found


def _importer_plan(repo: _Repo, file: str, name: str, new_name: str, exporters: set[str], known: set[str]) -> _Plan:
    """Renames in another module: `from EXPORTER import name` (and its local uses), `mod.name` on an
    imported exporting module, and `__all__` entries when it re-exports the name."""
    module = repo.modules[file]
    scan = _ImportScan(file, repo.files, known)
    module.visit(scan)
    plan = _attribute_plan(module, scan, name, exporters)
    scopes = repo.scopes[file]
    for node, source, alias in scan.from_imports:
        if source not in exporters or _dotted(alias.name) != name:
            continue
        plan.names.add(id(alias.name))
        local = _dotted(alias.asname.name) if alias.asname is not None else name  # type: ignore[arg-type]
        if local != name:
            continue  # `import name as other`: local uses keep their name
        if alias.asname is not None:
            plan.names.add(id(alias.asname.name))
        plan.strings |= {id(s) for s in _all_entries(module, name)}
        scope = scopes.get(node)  # type: ignore[attr-defined]
        if scope is None:
            continue
        if scope is scopes[module] and _bound_here(scope, new_name):  # type: ignore[index]
            raise ApplyError(f"{file}: {new_name!r} is already defined there; renaming its import of {name!r} would clash")
        refs, _ = _refs_of(scope, name, keep={id(node)})
        plan.names |= {id(r) for r in refs}
    return plan


class _AttributeScan(cst.CSTVisitor):
    """Attribute accesses `X.attr`; keeps those whose `X` passes `accept(dotted X)`."""

    def __init__(self, attr: str, accept) -> None:  # type: ignore[no-untyped-def]
        self.attr, self.accept = attr, accept
        self.found: list[cst.Name] = []

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == self.attr and self.accept(_dotted(node.value)):
            self.found.append(node.attr)


def _attribute_plan(module: cst.Module, scan: _ImportScan, name: str, exporters: set[str]) -> _Plan:
    """`mod.name` where `mod` is an import of an exporting module."""
    aliases = {local for local, target in scan.module_alias.items() if target in exporters}
    if not aliases:
        return _Plan()
    attrs = _AttributeScan(name, lambda value: value in aliases)
    module.visit(attrs)
    return _Plan(names={id(n) for n in attrs.found})


def _member_plans(repo: _Repo, path: str, parts: list[str], new_name: str) -> dict[str, _Plan]:
    """`Class.member`: the definition(s) in the class body, overrides in direct subclasses, every
    attribute access `.member` not on an imported module, and `Class(member=...)` for class attributes."""
    module = repo.modules[path]
    chain = _find_owner(module, parts, path)
    owner, member = chain[-1], parts[-1]
    first = owner.body.body[0] if isinstance(owner.body, cst.IndentedBlock) and owner.body.body else None
    class_scope = repo.scopes[path].get(first) if first is not None else None  # type: ignore[attr-defined]
    if class_scope is None or not _bound_here(class_scope, member):
        raise ApplyError(f"{path}: class {'.'.join(parts[:-1])} has no member {member!r}")
    if _bound_here(class_scope, new_name):
        raise ApplyError(f"{path}: class {'.'.join(parts[:-1])} already has a member {new_name!r}")
    nodes, defined = _refs_of(class_scope, member)
    if not defined:
        raise ApplyError(f"{path}: class {'.'.join(parts[:-1])} has no definition of {member!r}")
    is_field = not any(isinstance(a.node, cst.FunctionDef) for a in class_scope[member] if a.scope is class_scope)
    known = _known_modules(repo.files)
    plans: dict[str, _Plan] = {path: _Plan(names={id(n) for n in nodes})}
    for file in repo.files:
        if repo.load(file) is None:
            continue
        plan = plans.setdefault(file, _Plan())
        scan = _ImportScan(file, repo.files, known)
        repo.modules[file].visit(scan)
        aliases = set(scan.module_alias)
        attrs = _AttributeScan(member, lambda value: value.split(".")[0] not in aliases and value not in aliases)
        repo.modules[file].visit(attrs)
        plan.names |= {id(n) for n in attrs.found}
        plan.names |= _overrides(repo.modules[file], owner.name.value, member, skip=owner)
        if is_field:
            plan.names |= _keyword_args(repo.modules[file], owner.name.value, member)
    return plans


def _find_owner(module: cst.Module, parts: list[str], path: str) -> list[cst.ClassDef]:
    chain = _find_class_member(module, ".".join(parts[:-1]), path)
    if not all(isinstance(c, cst.ClassDef) for c in chain):
        raise ApplyError(f"{path}: {'.'.join(parts[:-1])} is not a class")
    return chain  # type: ignore[return-value]


def _overrides(module: cst.Module, class_name: str, member: str, skip: cst.ClassDef) -> set[int]:
    """Definitions of `member` in classes that name `class_name` as a direct base."""
    found: set[int] = set()

    class Visitor(cst.CSTVisitor):
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            if node is skip or not any(_dotted(b.value).split(".")[-1] == class_name for b in node.bases):
                return
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
            for stmt in body:
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == member:
                    found.add(id(stmt.name))

    module.visit(Visitor())
    return found


def _keyword_args(module: cst.Module, class_name: str, member: str) -> set[int]:
    """`member=` keywords in calls to `class_name` (a dataclass or similar constructor)."""
    found: set[int] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if _dotted(node.func).split(".")[-1] != class_name:
                return
            found.update(id(a.keyword) for a in node.args if a.keyword is not None and a.keyword.value == member)

    module.visit(Visitor())
    return found


# ---------------------------------------------------------------- forward_argument


def _find_function(module: cst.Module, symbol: str, path: str) -> cst.FunctionDef:
    func = _find_class_member(module, symbol, path)[-1]
    if not isinstance(func, cst.FunctionDef):
        raise ApplyError(f"{path}: {symbol} is a class, not a function")
    return func


def _with_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` with `arg` appended, in the layout of the arguments there (one per line stays so)."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    between = next((a.comma for a in args[:-1] if isinstance(a.comma, cst.Comma)), None)
    if isinstance(last.comma, cst.Comma):  # a trailing comma: the new argument takes it over
        return call.with_changes(args=[*args[:-1], last.with_changes(comma=between or last.comma), arg.with_changes(comma=last.comma)])
    comma = between or cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    moved = last.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace(""))
    return call.with_changes(args=[*args[:-1], moved, arg.with_changes(whitespace_after_arg=last.whitespace_after_arg)])


def forward_argument(src: str, symbol: str, name: str, callee: str, path: str = "<source>") -> str:
    """In the body of `symbol` (a function or method), pass `name=name` to every call written
    `callee(...)` that does not pass `name` already. Refused when the function has no parameter
    `name` or its body has no such call."""
    module = parse_module(src, path)
    func = _find_function(module, symbol, path)
    if name not in _all_param_names(func.params):
        raise ApplyError(f"{path}: {symbol} has no parameter {name!r} to pass on (add it first: @@param)")
    found = passed = 0
    new_arg = cst.Arg(
        value=cst.Name(name),
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )

    class Forwarder(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
            nonlocal found, passed
            if _dotted(original.func) != callee:
                return updated
            found += 1
            if any(a.keyword is not None and a.keyword.value == name for a in original.args):
                return updated
            passed += 1
            return _with_arg(updated, new_arg)

    body = func.body.visit(Forwarder())
    if not found:
        raise ApplyError(f"{path}: {symbol} has no call to {callee}(...) to pass {name} to")
    if not passed:
        raise ApplyError(f"{path}: every call to {callee}(...) in {symbol} passes {name} already")
    changed = _replace_node(module, func, func.with_changes(body=body))
    return _checked(changed.code, path, f"passing {name} to {callee} in {symbol}")


# ---------------------------------------------------------------- decorate

# Names a decorator (or a dataclass) may use without an import in the module: where they come from.
KNOWN_IMPORTS = {
    "lru_cache": "functools",
    "cache": "functools",
    "cached_property": "functools",
    "wraps": "functools",
    "total_ordering": "functools",
    "singledispatch": "functools",
    "singledispatchmethod": "functools",
    "dataclass": "dataclasses",
    "contextmanager": "contextlib",
    "asynccontextmanager": "contextlib",
    "abstractmethod": "abc",
    "overload": "typing",
    "final": "typing",
    "override": "typing",
    "runtime_checkable": "typing",
    "unique": "enum",
}
# Decorators that make a descriptor: another decorator goes under them (it wraps the plain function).
_DESCRIPTORS = {"staticmethod", "classmethod", "property", "cached_property", "functools.cached_property", "abstractmethod", "abc.abstractmethod"}


def _decorator_root(expr: cst.BaseExpression) -> str | None:
    """The name a decorator expression starts from (`functools` in `@functools.lru_cache(maxsize=8)`)."""
    while True:
        if isinstance(expr, cst.Call):
            expr = expr.func
        elif isinstance(expr, cst.Attribute):
            expr = expr.value
        elif isinstance(expr, cst.Subscript):
            expr = expr.value
        else:
            return expr.value if isinstance(expr, cst.Name) else None


def _module_binds(module: cst.Module, name: str, path: str) -> bool:
    """Whether `name` is bound at module level (assigned, defined, imported), a builtin, or may come
    from a star import."""
    import builtins

    if hasattr(builtins, name):
        return True
    if any(isinstance(imp, cst.ImportFrom) and isinstance(imp.names, cst.ImportStar) for _, imp in _top_imports(module)):
        return True
    scope = _scopes(module, path)[module]  # type: ignore[index]
    return _bound_here(scope, name)


def _import_for(name: str) -> str | None:
    """The import that binds an unbound well-known `name`: a standard module, or a known name."""
    import sys

    if name in getattr(sys, "stdlib_module_names", ()):
        return f"import {name}"
    if name in KNOWN_IMPORTS:
        return f"from {KNOWN_IMPORTS[name]} import {name}"
    return None


def _parse_decorator(decorator: str) -> cst.Decorator:
    try:
        stub = _parse_statement(f"@{decorator}\ndef _f():\n    pass\n", "the decorator")
    except cst.ParserSyntaxError:
        raise ApplyError(f"not a valid decorator: @{decorator}") from None
    if not isinstance(stub, cst.FunctionDef) or len(stub.decorators) != 1:
        raise ApplyError(f"not one decorator: @{decorator}")
    return stub.decorators[0]


def _same_code(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return " ".join(cst.Module([]).code_for_node(a).split()) == " ".join(cst.Module([]).code_for_node(b).split())


def decorate(src: str, symbol: str, decorator: str, path: str = "<source>") -> str:
    """Add `@decorator` to the function, method or class `symbol`: outermost, but under a
    @staticmethod/@classmethod/@property (which must stay on top). When the decorator's first name is
    not bound in the module and is a standard module (`functools`) or a known name (`lru_cache`), its
    import is added; another unbound name is refused. Refused if the same decorator is there already."""
    module = parse_module(src, path)
    target = _find_class_member(module, symbol, path)[-1]
    assert isinstance(target, (cst.FunctionDef, cst.ClassDef))
    decorator = decorator.strip().removeprefix("@").strip()
    new = _parse_decorator(decorator)
    if any(_same_code(d.decorator, new.decorator) for d in target.decorators):
        raise ApplyError(f"{path}: {symbol} is already decorated with @{decorator}")
    root = _decorator_root(new.decorator)
    statement = None
    if root is not None and not _module_binds(module, root, path):
        statement = _import_for(root)
        if statement is None:
            raise ApplyError(f"{path}: {root!r} is not defined or imported there; add its import first (@@import {path} ...)")
    existing = list(target.decorators)
    at = 0
    while at < len(existing) and _is_descriptor(existing[at]):
        at += 1
    changed = _replace_node(module, target, target.with_changes(decorators=[*existing[:at], new, *existing[at:]]))
    code = changed.code
    if statement is not None:
        code = add_import(code, statement, path)
    return _checked(code, path, f"decorating {symbol} with @{decorator}")


def _is_descriptor(decorator: cst.Decorator) -> bool:
    name = _dotted(decorator.decorator)
    return name in _DESCRIPTORS or name.endswith((".setter", ".getter", ".deleter"))


# ---------------------------------------------------------------- make_dataclass


_DATACLASS_NAMES = {"dataclass", "dataclasses.dataclass"}


def _dataclass_decorator(cls: cst.ClassDef) -> cst.Decorator | None:
    for d in cls.decorators:
        expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        if _dotted(expr) in _DATACLASS_NAMES:
            return d
    return None


def _options_call(func: cst.BaseExpression, options: tuple[str, ...], old: cst.Call | None) -> cst.BaseExpression:
    """`func(opt=True, ...)` keeping the old call's other arguments; bare `func` when nothing is set."""
    args = [a for a in (old.args if old is not None else ()) if a.keyword is None or a.keyword.value not in options]
    equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
    args += [cst.Arg(value=cst.Name("True"), keyword=cst.Name(o), equal=equal) for o in options]
    if not args:
        return func
    args = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in args[:-1]] + [args[-1]]
    return cst.Call(func=func, args=args)


def _field_of(stmt: cst.BaseStatement, params: dict[str, cst.Param]) -> tuple[str, cst.BaseExpression | None] | None:
    """`self.x = x` or `self.x: T = x` in __init__: (x, annotation or None); None for anything else."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target, value, annotation = small.targets[0].target, small.value, None
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        target, value, annotation = small.target, small.value, small.annotation.annotation
    else:
        return None
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self"):
        return None
    if not isinstance(value, cst.Name) or value.value != target.attr.value or value.value not in params:
        return None
    return value.value, annotation


_MUTABLE = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)


def _dataclass_fields(init: cst.FunctionDef, path: str, symbol: str) -> list[tuple[str, cst.BaseExpression | None, cst.BaseExpression | None]]:
    """(name, annotation, default) of each field a plain __init__ stores; refuses any other __init__."""
    params = init.params
    if params.posonly_params or params.kwonly_params or isinstance(params.star_arg, cst.Param) or params.star_kwarg:
        raise ApplyError(f"{path}: {symbol}.__init__ has positional-only, keyword-only or * parameters; a dataclass cannot keep that signature")
    plain = list(params.params)
    if not plain or plain[0].name.value != "self":
        raise ApplyError(f"{path}: {symbol}.__init__ does not start with self")
    by_name = {p.name.value: p for p in plain[1:]}
    stored: dict[str, cst.BaseExpression | None] = {}
    body = list(init.body.body) if isinstance(init.body, cst.IndentedBlock) else []
    for i, stmt in enumerate(body):
        if i == 0 and _is_docstring(stmt):
            continue
        found = _field_of(stmt, by_name)
        if found is None or found[0] in stored:
            line = " ".join(cst.Module([]).code_for_node(stmt).split())
            raise ApplyError(
                f"{path}: {symbol}.__init__ does more than store each parameter as self.NAME = NAME "
                f"({line!r}); a dataclass would lose that: write __post_init__ by hand"
            )
        stored[found[0]] = found[1]
    missing = [n for n in by_name if n not in stored]
    if missing:
        raise ApplyError(f"{path}: {symbol}.__init__ does not store the parameter(s) {', '.join(missing)}; a dataclass field would change that")
    fields = []
    for name, param in by_name.items():
        annotation = param.annotation.annotation if param.annotation is not None else stored[name]
        if param.default is not None and isinstance(param.default, _MUTABLE):
            raise ApplyError(f"{path}: {symbol}.__init__ has a mutable default for {name!r}; a dataclass field needs field(default_factory=...): write it by hand")
        fields.append((name, annotation, param.default))
    return fields


def _generated_repr(method: cst.FunctionDef, class_name: str, fields: list[str]) -> bool:
    """Whether `__repr__` only returns what the dataclass writes: Name(a=..., b=...) with !r values."""
    import ast

    body = list(method.body.body) if isinstance(method.body, cst.IndentedBlock) else []
    body = body[1:] if body and _is_docstring(body[0]) else body
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or not isinstance(body[0].body[0], cst.Return):
        return False
    value = body[0].body[0].value
    if value is None:
        return False
    try:
        actual = ast.dump(ast.parse(cst.Module([]).code_for_node(value).strip(), mode="eval"))
    except SyntaxError:
        return False
    inner = ", ".join(f"{f}={{self.{f}!r}}" for f in fields)
    names = [class_name, "{type(self).__name__}", "{self.__class__.__name__}", "{type(self).__qualname__}", "{self.__class__.__qualname__}"]
    return any(actual == ast.dump(ast.parse(f'f"{n}({inner})"', mode="eval")) for n in names)


def make_dataclass(src: str, symbol: str, options: tuple[str, ...] = (), path: str = "<source>") -> str:
    """Turn the class `symbol` into a dataclass with `options` (frozen, order, ...) set to True.

    A plain `__init__` (a docstring, then `self.x = x` for each parameter, in order) becomes the fields
    `x: T = default` where it stood; a `__repr__` that returns exactly what the dataclass would
    (`Name(x=..., y=...)` with `!r`) goes too; other methods stay. Any other __init__ is refused with
    the statement that is in the way. A class that is a dataclass already gets the options added.
    `from dataclasses import dataclass` is added unless `dataclass`/`dataclasses` is imported.
    """
    module = parse_module(src, path)
    cls = _find_class_member(module, symbol, path)[-1]
    if not isinstance(cls, cst.ClassDef):
        raise ApplyError(f"{path}: {symbol} is a function, not a class")
    existing = _dataclass_decorator(cls)
    if existing is not None:
        old = existing.decorator if isinstance(existing.decorator, cst.Call) else None
        have = {a.keyword.value for a in (old.args if old else ()) if a.keyword is not None and _dotted(a.value) == "True"}
        todo = tuple(o for o in options if o not in have)
        if not todo:
            raise ApplyError(f"{path}: {symbol} is a dataclass already" + (f" with {', '.join(options)}" if options else ""))
        func = old.func if old is not None else existing.decorator
        new_decorator = existing.with_changes(decorator=_options_call(func, todo, old))
        changed = _replace_node(module, existing, new_decorator)
        return _checked(changed.code, path, f"making {symbol} a dataclass")
    scope = _scopes(module, path)[module]  # type: ignore[index]
    statements: list[str] = []
    if _bound_here(scope, "dataclass"):
        name = "dataclass"
    elif _bound_here(scope, "dataclasses"):
        name = "dataclasses.dataclass"
    else:
        name, statements = "dataclass", ["from dataclasses import dataclass"]
    body = list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []
    init = next((s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
    if any(isinstance(s, cst.SimpleStatementLine) and any(isinstance(x, cst.AnnAssign) for x in s.body) for s in body) and init is not None:
        raise ApplyError(f"{path}: {symbol} has annotated class attributes and an __init__; a dataclass would take both as fields")
    new_body = body
    if init is not None:
        fields = _dataclass_fields(init, path, symbol)
        lines: list[cst.BaseStatement] = []
        for n, annotation, default in fields:
            if annotation is None:
                annotation = cst.Name("Any")
                if not _bound_here(scope, "Any"):
                    statements.append("from typing import Any")
            value = default if default is not None else None
            ann = cst.AnnAssign(target=cst.Name(n), annotation=cst.Annotation(annotation), value=value)
            lines.append(cst.SimpleStatementLine(body=[ann]))
        if lines:
            lines[0] = lines[0].with_changes(leading_lines=init.leading_lines)
        names = [f[0] for f in fields]
        new_body = []
        for stmt in body:
            if stmt is init:
                new_body += lines
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__repr__" and _generated_repr(stmt, cls.name.value, names):
                continue
            else:
                new_body.append(stmt)
        if new_body and new_body[0] is not (lines[0] if lines else None) and not lines:
            pass
        if not new_body:
            new_body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        clash = {n for n in names if any(isinstance(s, cst.FunctionDef) and s.name.value == n for s in new_body)}
        if clash:
            raise ApplyError(f"{path}: {symbol} has methods named like its fields ({', '.join(sorted(clash))})")
    func: cst.BaseExpression = cst.parse_expression(name)
    decorator = cst.Decorator(decorator=_options_call(func, tuple(options), None))
    new_cls = cls.with_changes(decorators=[decorator, *cls.decorators], body=cls.body.with_changes(body=new_body))
    code = _replace_node(module, cls, new_cls).code
    for statement in dict.fromkeys(statements):
        code = add_import(code, statement, path)
    return _checked(code, path, f"making {symbol} a dataclass")


# ---------------------------------------------------------------- move_module


def _full_module_name(path: str) -> str:
    parts = path[: -len(".py")].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _name_pairs(path: str, to: str, files: dict[str, str]) -> dict[str, str]:
    """Old dotted name -> new one, for each name the module is imported as (its full path, and its
    package chain, e.g. `src/pkg/a.py` as `pkg.a`)."""
    after = {p: "" for p in files if p != path} | {to: ""}
    pairs = {_full_module_name(path): _full_module_name(to)}
    old_chain = min(module_names(path, files), key=len)
    new_chain = min(module_names(to, after), key=len)
    pairs.setdefault(old_chain, new_chain)
    return pairs


def _renamed_module(name: str, pairs: dict[str, str]) -> str | None:
    """`name` (a module or something in it) under the moved module's new name; None when unrelated."""
    for old in sorted(pairs, key=len, reverse=True):
        if name == old or name.startswith(old + "."):
            return pairs[old] + name[len(old) :]
    return None


def _relative_to(package: list[str], target: str) -> tuple[int, str] | None:
    """`target` relative to `package` (dots, module) when it lies inside the same top package."""
    parts = target.split(".")
    common = 0
    while common < min(len(package), len(parts)) and package[common] == parts[common]:
        common += 1
    if common == 0:
        return None
    return len(package) - common + 1, ".".join(parts[common:])


def _commas(aliases: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [a.with_changes(comma=comma) for a in aliases[:-1]] + [aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]


def _module_expr(dotted: str) -> cst.Attribute | cst.Name:
    return cst.parse_expression(dotted)  # type: ignore[return-value]


class _ModuleMover(cst.CSTTransformer):
    """Rewrites the imports of one file for a moved module (see move_module)."""

    def __init__(self, pairs: dict[str, str], package_before: list[str], package_after: list[str],
                 resolve, renames: dict[int, str], rooted: set[str]) -> None:  # type: ignore[no-untyped-def]
        self.pairs, self.before, self.after = pairs, package_before, package_after
        self.resolve, self.renames, self.rooted = resolve, renames, rooted
        self.split: dict[int, list[cst.ImportFrom]] = {}

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        names = []
        for alias in updated.names:
            new = _renamed_module(_dotted(alias.name), self.pairs)
            names.append(alias.with_changes(name=_module_expr(new)) if new else alias)
        return updated.with_changes(names=names)

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):  # type: ignore[no-untyped-def]
        """A `from` import of the moved module next to names that stay splits into two statements."""
        body: list[cst.BaseSmallStatement] = []
        extra: list[cst.ImportFrom] = []
        for small in updated.body:
            if isinstance(small, cst.ImportFrom) and id(small) in self.split:
                first, *rest = self.split[id(small)]
                body.append(first)
                extra += rest
            else:
                body.append(small)
        if not extra:
            return updated
        if len(body) == 1:
            lines = [updated.with_changes(body=body)] + [cst.SimpleStatementLine(body=[e]) for e in extra]
            return cst.FlattenSentinel(lines)
        return updated.with_changes(body=[*body, *extra])

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        parts = self._from_parts(original, updated)
        if len(parts) > 1:
            self.split[id(parts[0])] = parts
        return parts[0]

    def _from_parts(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> list[cst.ImportFrom]:
        source = self.resolve(original)
        new_source = _renamed_module(source, self.pairs) if source else None
        moved_here = original.relative and self.before != self.after
        if new_source is not None:  # `from pkg.helpers import x`
            return [self._respelled(updated, new_source)]
        if isinstance(updated.names, cst.ImportStar):
            return [self._respelled(updated, source) if moved_here else updated]
        kept: list[cst.ImportAlias] = []
        groups: dict[str, list[cst.ImportAlias]] = {}
        for orig, alias in zip(original.names, updated.names):  # type: ignore[arg-type]
            name = _dotted(orig.name)
            moved = _renamed_module(f"{source}.{name}" if source else name, self.pairs) if "." not in name else None
            if moved is None:
                kept.append(alias)
                continue
            parent, _, last = moved.rpartition(".")
            renamed = alias.with_changes(name=cst.Name(last))
            if orig.asname is None and last != name and id(orig.name) not in self.renames:
                renamed = renamed.with_changes(asname=cst.AsName(name=cst.Name(name)))
            groups.setdefault(parent, []).append(renamed)
        if not groups:
            return [self._respelled(updated, source) if moved_here else updated]
        out: list[cst.ImportFrom] = []
        if kept:
            base = updated.with_changes(names=_commas(kept))
            if len(kept) == 1:
                base = base.with_changes(lpar=None, rpar=None)
            out.append(self._respelled(base, source) if moved_here else base)
        for parent, aliases in groups.items():
            node = updated.with_changes(names=_commas(aliases), lpar=None, rpar=None)
            out.append(self._respelled(node, parent))
        return out

    def _respelled(self, node: cst.ImportFrom, target: str) -> cst.ImportFrom:
        """`from TARGET import ...`: relative from the file's (new) package when it was relative."""
        if node.relative:
            relative = _relative_to(self.after, target) if target else None
            if relative is not None:
                dots, module = relative
                return node.with_changes(
                    relative=[cst.Dot()] * dots, module=_module_expr(module) if module else None,
                    whitespace_after_from=cst.SimpleWhitespace(" ") if not module else node.whitespace_after_from,
                )
        if not target:
            return node
        return node.with_changes(relative=[], module=_module_expr(target))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        dotted = _dotted(original)
        if not dotted or dotted.split(".")[0] not in self.rooted:
            return updated
        for old, new in self.pairs.items():
            if dotted == old:
                return _module_expr(new).with_changes(lpar=updated.lpar, rpar=updated.rpar)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        new = self.renames.get(id(original))
        return updated.with_changes(value=new) if new is not None else updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """`patch("pkg.helpers.name")`: mock targets name the module in a string."""
        if not _dotted(original.func).split(".")[-1] == "patch" or not updated.args:
            return updated
        first = updated.args[0].value
        if not isinstance(first, cst.SimpleString) or first.prefix:
            return updated
        value = first.evaluated_value
        if not isinstance(value, str) or not any(value.startswith(old + ".") for old in self.pairs):
            return updated
        new = _renamed_module(value, self.pairs)
        if new is None or "\\" in first.value:
            return updated
        quoted = first.with_changes(value=first.quote + new + first.quote)
        return updated.with_changes(args=[updated.args[0].with_changes(value=quoted), *updated.args[1:]])


def move_module(files: dict[str, str], path: str, to: str, skipped: list[str] | None = None) -> dict[str, str]:
    """Move the module `path` to `to` and rewrite its imports across `files` (repo-relative path ->
    source of every .py file). Returns the new text of every file that changes, the moved one under
    `to` (always present).

    Rewritten: `import a.b` (and `a.b.x` uses in that file), `import a.b as m`, `from a.b import x`
    (relative too, kept relative), `from a import b` (its local uses renamed; with `as b` when the new
    name is taken there), `from a.b.sub import x` when `a/b.py` is a package's `__init__`... not moved
    (only a module file moves), and `patch("a.b.name")` strings. Relative imports in the moved file
    itself still reach the same modules from its new place. Other strings and comments are left.
    """
    if path not in files:
        raise ApplyError(f"{path}: not a Python file of the repo")
    if path.endswith("__init__.py") or to.endswith("__init__.py"):
        raise ApplyError(f"{path}: moving a package's __init__.py is not a module move; move the files with @@move")
    if to in files:
        raise ApplyError(f"{to}: already exists; remove it first to move {path} there")
    pairs = _name_pairs(path, to, files)
    after_files = {p: t for p, t in files.items() if p != path} | {to: files[path]}
    repo = _Repo(files)
    changed: dict[str, str] = {}
    for file in sorted(files):
        module = repo.load(file)
        where = to if file == path else file
        if module is None:
            if file == path:
                changed[to] = files[path]
            continue
        package_before = _package_of(file, files)
        package_after = _package_of(where, after_files)

        def resolve(node: cst.ImportFrom, file: str = file) -> str:
            return _import_from_module(node, file, files)

        renames, rooted = _module_renames(repo, file, module, pairs, resolve)
        mover = _ModuleMover(pairs, package_before, package_after, resolve, renames, rooted)
        code = module.visit(mover).code
        if file == path:
            changed[to] = _checked(code, to, f"moving {path} to {to}") if code != files[path] else code
        elif code != files[file]:
            changed[file] = _checked(code, file, f"moving {path} to {to}")
    repo.note_skipped(skipped, f"the move of {path}", "its imports, if any, keep the old name")
    return changed


def _module_renames(repo: _Repo, file: str, module: cst.Module, pairs: dict[str, str], resolve) -> tuple[dict[int, str], set[str]]:  # type: ignore[no-untyped-def]
    """For `from pkg import helpers` of the moved module: the local uses to rename (Name node id -> new
    name), unless the new name is taken at module level. And the names `import a.b` binds in the file,
    whose `a.b.x` attribute chains follow the move."""
    renames: dict[int, str] = {}
    rooted: set[str] = set()
    scopes = repo.scopes[file]
    top = scopes[module]  # type: ignore[index]

    class Visitor(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                if alias.asname is None and _renamed_module(_dotted(alias.name), pairs) is not None:
                    rooted.add(_dotted(alias.name).split(".")[0])

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if isinstance(node.names, cst.ImportStar):
                return
            source = resolve(node)
            for alias in node.names:
                name = _dotted(alias.name)
                moved = _renamed_module(f"{source}.{name}" if source else name, pairs)
                if alias.asname is not None or moved is None or _renamed_module(source, pairs) is not None:
                    continue
                new = moved.rpartition(".")[2]
                if new == name or _bound_here(top, new):
                    continue
                scope = scopes.get(node)  # type: ignore[attr-defined]
                if scope is None:
                    continue
                refs, _ = _refs_of(scope, name, keep={id(node)})
                renames[id(alias.name)] = new
                renames.update({id(r): new for r in refs})

    module.visit(Visitor())
    # a `from pkg import helpers` whose alias is renamed must not get `as helpers`
    return renames, rooted
