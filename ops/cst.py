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
    leading = [cst.EmptyLine()] if after_docstring else []
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
    if skipped is not None:
        skipped += [
            f"{file}: skipped by the rename of {symbol}: too deeply nested for libcst ({problem}); uses there, if any, keep the old name"
            for file, problem in sorted(repo.too_deep.items())
        ]
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
