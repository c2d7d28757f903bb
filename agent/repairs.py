"""The repair grammar: for one suspect statement, the small edits that could fix it (DESIGN §4b).

Pure functions over source text (`ast` for structure, `tokenize` for operator positions); no model.
Every candidate is checked to parse before it is returned, so each one is valid Python by
construction. Families (a candidate's `family`, which the search weighs by its prior):

- operator: swaps within a class (comparisons, `is`/`is not`, `in`/`not in`, arithmetic, bitwise,
  augmented assignment, `and`/`or`), and dropping a unary `not` / `-`;
- literal: an integer n to n+1, n-1, 0, 1; True/False; None;
- off_by_one: add or drop `+ 1` / `- 1` at index and slice bounds, range/len arguments,
  comparison sides and returned values;
- name: a name to another in scope; a called name to a callable of the same arity;
- attribute: an attribute to another seen on the same object in the file;
- swap: two arguments of a call, the operands of a binary operator or comparison;
- condition: negate a test, drop a conjunct;
- call: drop a one-argument call keeping its argument;
- statement: delete the statement; insert a donor statement (copied from the same function) before
  or after it; insert `return NAME`, `break`, `continue` after it.

Holes are filled by enumeration here (names in scope, small literals): concrete candidates the
model can score; the search orders them.
"""

from __future__ import annotations

import ast
import builtins
import io
import itertools
import textwrap
import tokenize
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dagent.agent.templates import templates

FAMILIES = ("operator", "off_by_one", "literal", "condition", "name", "attribute", "swap", "combine", "call", "statement")
MAX_PARTNERS = 4  # names or attributes one value is combined with

COMPARE_OPS = ("<", "<=", ">", ">=", "==", "!=")
ARITH_OPS = ("+", "-", "*", "/", "//", "%", "**")
BIT_OPS = ("&", "|", "^", "<<", ">>")
AUG_OPS = tuple(op + "=" for op in ARITH_OPS + BIT_OPS)
_SAME_ARITY = (("min", "max"), ("any", "all"), ("sorted", "reversed"), ("list", "tuple", "set"),
               ("int", "float", "round"), ("str", "repr"), ("isinstance", "issubclass"))
_BUILTIN_NAMES = frozenset(dir(builtins))
MAX_NAMES = 12  # replacement names tried at one occurrence
MAX_DONORS = 12  # donor statements tried at one location


@dataclass(frozen=True)
class Repair:
    """One candidate edit: lines `start..end` (1-based, inclusive) of `path` become `new`.

    `new` is whole lines with their line endings; "" deletes the lines. An insertion keeps the old
    lines inside `new` (before or after the inserted one), so every repair is one replace.
    """

    path: str
    start: int
    end: int
    old: str
    new: str
    family: str
    note: str  # what changed, for reports: "`<` → `<=`"
    site: str = ""  # where in the statement (alternatives at one site are listed likeliest first)


@dataclass(frozen=True)
class _Edit:
    """A text edit inside the statement's dedented header: offsets [begin, end) become `text`."""

    begin: int
    end: int
    text: str
    family: str
    note: str


# ---------------------------------------------------------------- the statement at a line


@dataclass(frozen=True)
class Statement:
    """The innermost statement at a line; for a compound one (if, while, def...) only its header."""

    node: ast.stmt
    start: int  # first line of the text we edit
    end: int  # last line
    indent: str
    text: str  # the lines, dedented
    function: ast.FunctionDef | ast.AsyncFunctionDef | None
    in_loop: bool


def _children_stmts(node: ast.AST) -> Iterator[ast.stmt]:
    for field in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(node, field, []) or []:
            if isinstance(child, ast.ExceptHandler):
                yield from child.body
            elif isinstance(child, ast.stmt):
                yield child
    for case in getattr(node, "cases", []) or []:
        yield from case.body


def _header_end(node: ast.stmt) -> int:
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return max(node.lineno, body[0].lineno - 1)
    return node.end_lineno or node.lineno


def find_statement(source: str, line: int, tree: ast.Module | None = None) -> Statement | None:
    """The statement that holds `line`, or None when the line is in no statement (blank, comment)."""
    tree = tree or ast.parse(source)
    lines = source.splitlines(keepends=True)
    found: tuple[ast.stmt, ast.FunctionDef | ast.AsyncFunctionDef | None, bool] | None = None
    stack: list[tuple[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef | None, bool]] = [(tree, None, False)]
    while stack:
        parent, function, in_loop = stack.pop()
        for child in _children_stmts(parent) if not isinstance(parent, ast.Module) else parent.body:
            if not (child.lineno <= line <= (child.end_lineno or child.lineno)):
                continue
            found = (child, function, in_loop)
            inner_fn = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            loop = (in_loop or isinstance(child, (ast.For, ast.While, ast.AsyncFor))) and inner_fn is function
            stack.append((child, inner_fn, loop))
    if found is None:
        return None
    node, function, in_loop = found
    start = node.lineno
    end = _header_end(node) if line <= _header_end(node) else line
    if end != _header_end(node) and not _is_simple(node):
        return None  # the line is inside a body but no statement of it: a blank or comment line
    text = "".join(lines[start - 1 : end])
    if not text.strip():
        return None
    indent = text[: len(text) - len(text.lstrip())]
    return Statement(node, start, end, indent, textwrap.dedent(text), function, in_loop)


def _is_simple(node: ast.stmt) -> bool:
    return not isinstance(getattr(node, "body", None), list)


def _parses(text: str, node: ast.stmt) -> bool:
    """Whether a dedented statement (or compound header) still parses on its own."""
    probe = text
    head = probe.lstrip()
    for keyword, replacement in (("elif ", "if "), ("else:", "if 1:"), ("except", "try:\n    pass\nexcept"),
                                 ("finally:", "try:\n    pass\nfinally:")):
        if head.startswith(keyword):
            probe = probe.replace(keyword, replacement, 1)
            break
    if not _is_simple(node):
        probe = probe.rstrip("\n") + "\n    pass\n"
    return quiet_parses(probe)


def quiet_parses(text: str) -> bool:
    """Whether `text` parses, without the SyntaxWarnings a candidate like `1is x` would print."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            return False
    return True


# ---------------------------------------------------------------- offsets and tokens


class _Text:
    """Maps (line, col) of the dedented header to string offsets; holds its tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for part in text.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(part))
        try:
            self.tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)]
        except (tokenize.TokenError, SyntaxError):
            self.tokens = []

    def offset(self, line: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets; convert on the line.
        begin = self.starts[line - 1]
        raw = self.text[begin : self.starts[line] if line < len(self.starts) else len(self.text)]
        return begin + len(raw.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def token_offset(self, tok: tokenize.TokenInfo) -> tuple[int, int]:
        (l1, c1), (l2, c2) = tok.start, tok.end
        return self.starts[l1 - 1] + c1, self.starts[l2 - 1] + c2

    def tokens_between(self, begin: int, end: int) -> list[tuple[int, int, tokenize.TokenInfo]]:
        out = []
        for tok in self.tokens:
            if tok.type not in (tokenize.OP, tokenize.NAME):
                continue
            a, b = self.token_offset(tok)
            if a >= begin and b <= end:
                out.append((a, b, tok))
        return out


def _op_tokens(src: _Text, begin: int, end: int) -> list[tuple[int, int, str]]:
    """The operator between two operands: one token, or two (`is not`, `not in`) merged."""
    found = [(a, b, t.string) for a, b, t in src.tokens_between(begin, end) if t.string not in "()"]
    if len(found) == 2 and {found[0][2], found[1][2]} in ({"is", "not"}, {"not", "in"}):
        return [(found[0][0], found[1][1], f"{found[0][2]} {found[1][2]}")]
    return found[:1]


# ---------------------------------------------------------------- expression families


# The likeliest slip first: a bound's strictness, a sign, the other division.
_NEAR = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "+": "-", "-": "+", "*": "/",
         "/": "//", "//": "/", "%": "//", "**": "*", "&": "|", "|": "&", "<<": ">>", ">>": "<<", "and": "or",
         "or": "and", "is": "is not", "is not": "is", "in": "not in", "not in": "in", "+=": "-=", "-=": "+="}


def _swaps_in(options: Sequence[str], current: str, family: str, begin: int, end: int) -> Iterator[_Edit]:
    near = _NEAR.get(current)
    for other in sorted(options, key=lambda o: o != near):
        if other != current:
            yield _Edit(begin, end, other, family, f"`{current}` → `{other}`")


def _operators(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for left, right in itertools.pairwise(operands):
                for a, b, op in _op_tokens(src, src.span(left)[1], src.span(right)[0]):
                    if op in COMPARE_OPS:
                        yield from _swaps_in(COMPARE_OPS, op, "operator", a, b)
                    elif op in ("is", "is not"):
                        yield from _swaps_in(("is", "is not", "==", "!="), op, "operator", a, b)
                    elif op in ("in", "not in"):
                        yield from _swaps_in(("in", "not in"), op, "operator", a, b)
        elif isinstance(node, ast.BinOp):
            for a, b, op in _op_tokens(src, src.span(node.left)[1], src.span(node.right)[0]):
                group = ARITH_OPS if op in ARITH_OPS else BIT_OPS if op in BIT_OPS else ()
                yield from _swaps_in(group, op, "operator", a, b)
        elif isinstance(node, ast.AugAssign):
            for a, b, op in _op_tokens(src, src.span(node.target)[1], src.span(node.value)[0]):
                if op in AUG_OPS:
                    yield from _swaps_in(AUG_OPS[:4] if op in AUG_OPS[:4] else AUG_OPS, op, "operator", a, b)
                    yield _Edit(a, b, "=", "operator", f"`{op}` → `=`")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            for a, b, op in _op_tokens(src, src.span(node.targets[0])[1], src.span(node.value)[0]):
                if op == "=":
                    for other in ("+=", "-="):
                        yield _Edit(a, b, other, "operator", f"`=` → `{other}`")
        elif isinstance(node, ast.BoolOp):
            for left, right in itertools.pairwise(node.values):
                for a, b, op in _op_tokens(src, src.span(left)[1], src.span(right)[0]):
                    yield from _swaps_in(("and", "or"), op, "operator", a, b)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.Invert)):
            begin, end = src.span(node)
            inner = src.span(node.operand)
            yield _Edit(begin, end, src.text[inner[0]:inner[1]], "operator", "dropped a unary operator")


def _consistent_swaps(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    """One slip made twice: the same comparison swapped at every place it occurs in the statement."""
    places: dict[str, list[tuple[int, int]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for left, right in itertools.pairwise([node.left, *node.comparators]):
                for a, b, op in _op_tokens(src, src.span(left)[1], src.span(right)[0]):
                    places.setdefault(op, []).append((a, b))
    for op, spans in places.items():
        if len(spans) < 2 or op not in COMPARE_OPS:
            continue
        spans.sort()
        begin, end = spans[0][0], spans[-1][1]
        for other in sorted(COMPARE_OPS, key=lambda o: o != _NEAR.get(op)):
            if other == op:
                continue
            text, cursor = [], begin
            for a, b in spans:
                text += [src.text[cursor:a], other]
                cursor = b
            yield _Edit(begin, end, "".join(text), "operator", f"every `{op}` → `{other}`")


def _negations(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    """A lost minus: a returned value or a tuple element (a sort key) negated."""
    for node in ast.walk(tree):
        values: list[ast.expr] = []
        if isinstance(node, ast.Tuple):
            values = node.elts
        elif isinstance(node, (ast.Return, ast.Lambda)) and isinstance(getattr(node, "value", None) or getattr(node, "body", None), ast.expr):
            values = [node.value if isinstance(node, ast.Return) else node.body]  # type: ignore[list-item]
        for value in values:
            if isinstance(value, (ast.Name, ast.Subscript, ast.Attribute, ast.Call)):
                begin, end = src.span(value)
                yield _Edit(begin, end, "-" + src.text[begin:end], "operator", f"negated `{src.text[begin:end]}`")


def _literals(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant):
            continue
        begin, end = src.span(node)
        value = node.value
        if isinstance(value, bool):
            yield _Edit(begin, end, str(not value), "literal", f"`{value}` → `{not value}`")
        elif isinstance(value, int):
            for other in dict.fromkeys((value + 1, value - 1, 0, 1)):
                if other != value and other >= 0:
                    yield _Edit(begin, end, str(other), "literal", f"`{value}` → `{other}`")
        elif value is None:
            for other in ("True", "False", "0"):
                yield _Edit(begin, end, other, "literal", f"`None` → `{other}`")


_ATOMIC = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant)
_LOOSE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


_TIGHT_OPS = (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def _plus_minus_sites(tree: ast.AST) -> Iterator[tuple[ast.expr, bool]]:
    """Where an off-by-one usually hides: bounds, lengths, comparison sides, returned values, the
    operands of `*`, `//`, `%`. The flag says the site binds tighter than `+` (so `n` becomes `(n - 1)`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            found = (node.slice.lower, node.slice.upper) if isinstance(node.slice, ast.Slice) else (node.slice,)
            yield from ((f, False) for f in found if f is not None)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("range", "len"):
            yield from ((a, False) for a in (node.args if node.func.id == "range" else (node,)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max", "date", "datetime"):
            yield from ((a, False) for a in node.args)
        elif isinstance(node, ast.Compare):
            yield from ((side, False) for side in (node.left, *node.comparators))
        elif isinstance(node, (ast.Return, ast.Assign, ast.AugAssign)) and node.value is not None:
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            yield from ((v, False) for v in values)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _TIGHT_OPS):
            yield from ((side, True) for side in (node.left, node.right) if not isinstance(side, ast.Constant))


def _is_plus_minus_one(node: ast.AST) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) \
        and isinstance(node.right, ast.Constant) and node.right.value == 1


def _off_by_one(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    seen: set[tuple[int, int]] = set()
    for site, tight in _plus_minus_sites(tree):
        if isinstance(site, (ast.Slice, ast.Tuple, ast.Starred)) or not hasattr(site, "lineno"):
            continue
        begin, end = src.span(site)
        if (begin, end) in seen or _is_plus_minus_one(site):
            continue  # the drops below cover `x ± 1` wherever it is
        seen.add((begin, end))
        text = src.text[begin:end]
        loose = isinstance(site, ast.BinOp) and isinstance(site.op, _LOOSE_OPS)
        if tight and not isinstance(site, _ATOMIC) and not (loose and isinstance(site.op, (ast.Add, ast.Sub))):
            continue
        for delta in (" + 1", " - 1"):
            new = f"({text}{delta})" if tight and isinstance(site, _ATOMIC) else \
                (text if isinstance(site, _ATOMIC) or loose else f"({text})") + delta
            yield _Edit(begin, end, new, "off_by_one", f"`{text}` → `{new}`")
    for node in ast.walk(tree):
        if _is_plus_minus_one(node):
            begin, end = src.span(node)
            left = src.span(node.left)  # type: ignore[attr-defined]
            text = src.text[begin:end]
            yield _Edit(begin, end, src.text[left[0]:left[1]], "off_by_one", f"dropped `{text[left[1] - begin:].strip()}`")


# ---------------------------------------------------------------- names and attributes


@dataclass(frozen=True)
class Scope:
    """What a statement can see: the function's parameters and locals, and the module's names."""

    locals: tuple[str, ...]
    module: tuple[str, ...]
    callables: dict[str, int]  # module-level functions by positional arity
    attributes: dict[str, tuple[str, ...]]  # base expression text → attributes seen on it in the file


def scope_of(module: ast.Module, source: str, function: ast.AST | None) -> Scope:
    local: dict[str, None] = {}
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = function.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                local[arg.arg] = None
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                local[node.id] = None
    module_names: dict[str, None] = {}
    callables: dict[str, int] = {}
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            module_names[node.name] = None
            callables[node.name] = len(node.args.posonlyargs) + len(node.args.args)
        elif isinstance(node, ast.ClassDef):
            module_names[node.name] = None
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    module_names[target.id] = None
    return Scope(tuple(local), tuple(n for n in module_names if n not in local), callables, _attributes(module, source))


def _attributes(module: ast.Module, source: str) -> dict[str, tuple[str, ...]]:
    seen: dict[str, dict[str, None]] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            seen.setdefault(node.value.id, {})[node.attr] = None
    return {base: tuple(attrs) for base, attrs in seen.items()}


def _call_arity(tree: ast.AST) -> dict[int, int]:
    return {id(node.func): len(node.args) for node in ast.walk(tree) if isinstance(node, ast.Call)}


def _names(tree: ast.AST, src: _Text, scope: Scope) -> Iterator[_Edit]:
    called = _call_arity(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load):
            continue
        begin, end = src.span(node)
        if id(node) in called:
            yield from _callee_swaps(node.id, called[id(node)], scope, begin, end)
            continue
        pool = [n for n in (*scope.locals, *scope.module) if n != node.id and n not in scope.callables]
        for other in pool[:MAX_NAMES]:
            yield _Edit(begin, end, other, "name", f"`{node.id}` → `{other}`")


def _callee_swaps(name: str, arity: int, scope: Scope, begin: int, end: int) -> Iterator[_Edit]:
    others: list[str] = []
    for group in _SAME_ARITY:
        if name in group:
            others += [g for g in group if g != name]
    others += [f for f, n in scope.callables.items() if n == arity and f != name]
    for other in list(dict.fromkeys(others))[:MAX_NAMES]:
        yield _Edit(begin, end, other, "name", f"called `{other}` instead of `{name}`")


def _attribute_swaps(tree: ast.AST, src: _Text, scope: Scope) -> Iterator[_Edit]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
            continue
        own = scope.attributes.get(node.value.id, ())
        seen = list(dict.fromkeys([*own, *(a for attrs in scope.attributes.values() for a in attrs)]))
        _, end = src.span(node)
        begin = end - len(node.attr)
        for other in [a for a in seen if a != node.attr][:MAX_NAMES]:
            yield _Edit(begin, end, other, "attribute", f"`.{node.attr}` → `.{other}`")


# ---------------------------------------------------------------- swaps, conditions, calls


def _swaps(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    for node in ast.walk(tree):
        pairs: list[tuple[ast.AST, ast.AST]] = []
        if isinstance(node, ast.Call):
            positional = [a for a in node.args if not isinstance(a, ast.Starred)]
            pairs = list(itertools.combinations(positional, 2))[:6]
        elif isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)):
            pairs = [(node.left, node.right)]
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
            pairs = [(node.left, node.comparators[0])]
        for first, second in pairs:
            a, b = src.span(first), src.span(second)
            text = src.text
            swapped = text[b[0]:b[1]] + text[a[1]:b[0]] + text[a[0]:a[1]]
            yield _Edit(a[0], b[1], swapped, "swap", f"swapped `{text[a[0]:a[1]]}` and `{text[b[0]:b[1]]}`")


def _tests_of(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            yield node.test
        elif isinstance(node, ast.comprehension):
            yield from node.ifs
        elif isinstance(node, ast.Return) and isinstance(node.value, (ast.Compare, ast.BoolOp)):
            yield node.value


def _conditions(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    for test in _tests_of(tree):
        begin, end = src.span(test)
        text = src.text[begin:end]
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            continue  # dropping the `not` is the operator family's
        safe = isinstance(test, (*_ATOMIC, ast.Compare))
        yield _Edit(begin, end, f"not {text}" if safe else f"not ({text})", "condition", "negated the condition")
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and len(node.values) >= 2:
            begin, end = src.span(node)
            for drop in range(len(node.values)):
                kept = [v for i, v in enumerate(node.values) if i != drop]
                joiner = " and " if isinstance(node.op, ast.And) else " or "
                text = joiner.join(src.text.__getitem__(slice(*src.span(v))) for v in kept)
                dropped = src.text.__getitem__(slice(*src.span(node.values[drop])))
                yield _Edit(begin, end, text, "condition", f"dropped the condition `{dropped}`")


def _combinations(tree: ast.AST, src: _Text, scope: Scope) -> Iterator[_Edit]:
    """A forgotten factor or term: `unit` → `unit * quantity`, `line.cents` → `line.cents * line.quantity`."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    names = list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called))
    for node in ast.walk(tree):
        if id(node) in called or not isinstance(getattr(node, "ctx", None), ast.Load):
            continue
        if isinstance(node, ast.Name):
            partners = [n for n in names if n != node.id and n not in scope.callables][:MAX_PARTNERS]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = node.value.id
            partners = [f"{base}.{a}" for a in scope.attributes.get(base, ()) if a != node.attr][:MAX_PARTNERS]
        else:
            continue
        begin, end = src.span(node)
        text = src.text[begin:end]
        tight = isinstance(parents.get(id(node)), (ast.BinOp, ast.UnaryOp, ast.Attribute, ast.Subscript))
        for partner in partners:
            for op in ("*", "+", "-"):
                new = f"{text} {op} {partner}"
                yield _Edit(begin, end, f"({new})" if tight else new, "combine", f"`{text}` → `{new}`")


def _method_analogies(tree: ast.AST, src: _Text, scope: Scope) -> Iterator[_Edit]:
    """`f(key.replace("+", " "), value)`: the same method call on another name is often the missing part."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name)]
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load) or id(node) in called:
            continue
        begin, end = src.span(node)
        for call in calls:
            base = call.func.value  # type: ignore[attr-defined]
            if base.id == node.id or base.id not in scope.locals:
                continue
            c0, c1 = src.span(call)
            tail = src.text[src.span(base)[1]:c1]
            yield _Edit(begin, end, node.id + tail, "call", f"`{node.id}` → `{node.id}{tail}`")


def _calls(tree: ast.AST, src: _Text) -> Iterator[_Edit]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords \
                and not isinstance(node.args[0], ast.Starred):
            begin, end = src.span(node)
            arg = src.span(node.args[0])
            name = src.text[begin:src.span(node.func)[1]]
            yield _Edit(begin, end, src.text[arg[0]:arg[1]], "call", f"dropped the call to `{name}`")


# ---------------------------------------------------------------- statements


def _simple_donors(function: ast.AST | None, stmt: Statement, lines: Sequence[str]) -> list[str]:
    """One-line simple statements of the same function (dedented), nearest first: fix ingredients."""
    if function is None:
        return []
    found: list[tuple[int, str]] = []
    for node in ast.walk(function):
        if not isinstance(node, ast.stmt) or not _is_simple(node) or node is stmt.node:
            continue
        if node.lineno != node.end_lineno or isinstance(node, (ast.Pass, ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        text = lines[node.lineno - 1].strip()
        if text and text != stmt.text.strip():
            found.append((abs(node.lineno - stmt.start), text))
    return list(dict.fromkeys(t for _, t in sorted(found)))[:MAX_DONORS]


def _statement_repairs(stmt: Statement, path: str, lines: Sequence[str], scope: Scope,
                       module: ast.Module) -> Iterator[Repair]:
    old = "".join(lines[stmt.start - 1 : stmt.end])
    if _is_simple(stmt.node):
        only = _only_child(stmt)
        new = f"{stmt.indent}pass\n" if only else ""
        yield Repair(path, stmt.start, stmt.end, old, new, "statement", "deleted the statement", "delete")
        if isinstance(stmt.node, ast.Expr) and stmt.function is not None:
            yield Repair(path, stmt.start, stmt.end, old, stmt.indent + "return " + old.lstrip(), "statement",
                         "returned the expression", "return")
    body_indent = _body_indent(stmt, lines)
    donors = _simple_donors(stmt.function, stmt, lines)
    made = [t for t in templates(module, stmt.function, stmt.node) if t not in donors]
    inserts = [(d, f"inserted `{d}`") for d in [*donors, *made]]
    outer = _outer_indent(stmt, lines)
    whole = _whole_compound(stmt, lines)
    if stmt.in_loop:
        inserts += [("break", "inserted `break`"), ("continue", "inserted `continue`")]
    if stmt.function is not None:
        returned = [n for n in scope.locals if n not in _params(stmt.function)][:4]
        inserts += [(f"return {n}", f"inserted `return {n}`") for n in returned]
    for text, note in inserts:
        if _is_simple(stmt.node):
            yield Repair(path, stmt.start, stmt.end, old, old + f"{stmt.indent}{text}\n", "statement", note + " after", text)
        yield Repair(path, stmt.start, stmt.end, old, f"{stmt.indent}{text}\n" + old, "statement", note + " before", text)
        if not _is_simple(stmt.node) and body_indent is not None:
            yield Repair(path, stmt.start, stmt.end, old, old + f"{body_indent}{text}\n", "statement",
                         note + " at the top of the block", text)
        if outer is not None:
            yield Repair(path, stmt.start, stmt.end, old, old + f"{outer}{text}\n", "statement", note + " after the block", text)
        if not _is_simple(stmt.node) and whole is not None:
            yield Repair(path, stmt.start, whole[0], whole[1], whole[1] + f"{stmt.indent}{text}\n", "statement",
                         note + " after the whole statement", text)


def _whole_compound(stmt: Statement, lines: Sequence[str]) -> tuple[int, str] | None:
    """The last line and the text of a compound statement with its body (for an insert after all of it)."""
    end = stmt.node.end_lineno
    if _is_simple(stmt.node) or end is None or end > len(lines) or isinstance(stmt.node, (ast.FunctionDef, ast.ClassDef)):
        return None
    return end, "".join(lines[stmt.start - 1 : end])


def _outer_indent(stmt: Statement, lines: Sequence[str]) -> str | None:
    """The indent of the block around a block's last simple statement: an insert there lands after the block."""
    body = _parent_body(stmt)
    if not _is_simple(stmt.node) or body is None or body[-1] is not stmt.node or stmt.function is None:
        return None
    owner = next((n for n in ast.walk(stmt.function) if any(getattr(n, f, None) is body for f in ("body", "orelse", "finalbody"))), None)
    if owner is None or owner is stmt.function:
        return None
    # A `case` block's owner (ast.match_case) has no line of its own: its pattern's line is the `case` line.
    line = getattr(owner, "lineno", None) or getattr(getattr(owner, "pattern", None), "lineno", None)
    if line is None:
        return None
    first = lines[line - 1]
    return first[: len(first) - len(first.lstrip())]


def _params(function: ast.AST) -> set[str]:
    args = function.args  # type: ignore[attr-defined]
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _only_child(stmt: Statement) -> bool:
    """Whether the statement is alone in its block (deleting it needs a `pass`)."""
    parent_body = _parent_body(stmt)
    return parent_body is not None and len(parent_body) == 1


def _parent_body(stmt: Statement) -> list[ast.stmt] | None:
    root = stmt.function
    if root is None:
        return None
    for node in ast.walk(root):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and any(child is stmt.node for child in body):
                return body
    return None


def _body_indent(stmt: Statement, lines: Sequence[str]) -> str | None:
    body = getattr(stmt.node, "body", None)
    if not isinstance(body, list) or not body:
        return None
    first = lines[body[0].lineno - 1]
    return first[: len(first) - len(first.lstrip())]


# ---------------------------------------------------------------- all of it


def _expression_edits(tree: ast.AST, src: _Text, scope: Scope) -> Iterator[_Edit]:
    yield from _operators(tree, src)
    yield from _consistent_swaps(tree, src)
    yield from _negations(tree, src)
    yield from _off_by_one(tree, src)
    yield from _literals(tree, src)
    yield from _conditions(tree, src)
    yield from _names(tree, src, scope)
    yield from _attribute_swaps(tree, src, scope)
    yield from _swaps(tree, src)
    yield from _combinations(tree, src, scope)
    yield from _calls(tree, src)
    yield from _method_analogies(tree, src, scope)


def _header_tree(stmt: Statement) -> tuple[ast.Module, _Text] | None:
    """The header parsed on its own (offsets in the dedented text); `elif` read as an `if`."""
    text = stmt.text
    probe = text.replace("elif", "if  ", 1) if text.startswith("elif") else text
    if not _is_simple(stmt.node):
        probe = probe.rstrip("\n") + "\n    pass\n"
    try:
        tree = ast.parse(probe)
    except (SyntaxError, ValueError):
        return None
    if not _is_simple(stmt.node):
        _drop_probe_body(tree)
    return tree, _Text(text)


def _drop_probe_body(tree: ast.Module) -> None:
    """The `pass` the probe added is not the user's code: no edits inside it."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[-1], ast.Pass):
            body.pop()


def repairs_at(source: str, path: str, line: int, module: ast.Module | None = None) -> list[Repair]:
    """Every candidate edit at the statement that holds `line` of `source`, each parsing on its own.

    Ordered by family (as in FAMILIES), then left to right: the grammar's own order.
    """
    try:
        module = module or ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    stmt = find_statement(source, line, module)
    if stmt is None:
        return []
    lines = source.splitlines(keepends=True)
    if stmt.end > len(lines):
        return []
    scope = scope_of(module, source, stmt.function)
    old = "".join(lines[stmt.start - 1 : stmt.end])
    found: list[Repair] = []
    parsed = _header_tree(stmt)
    if parsed is not None:
        tree, src = parsed
        for edit in _expression_edits(tree, src, scope):
            text = src.text[: edit.begin] + edit.text + src.text[edit.end :]
            if text == src.text or not _parses(text, stmt.node):
                continue
            new = textwrap.indent(text, stmt.indent, lambda s: bool(s.strip()))
            found.append(Repair(path, stmt.start, stmt.end, old, new, edit.family, edit.note, f"{edit.begin}"))
    span = enclosing_span(stmt, module, len(lines))
    found += [r for r in _statement_repairs(stmt, path, lines, scope, module) if parses_in(lines, r, span)]
    return _unique(sorted(found, key=lambda r: FAMILIES.index(r.family)))


def enclosing_span(stmt: Statement, module: ast.Module, length: int) -> tuple[int, int]:
    """Lines (1-based, inclusive, decorators included) of the innermost function or class that holds
    the statement (itself, for a def or class header); the whole file for module-level code. An edit
    there changes block structure only inside it."""
    best: tuple[int, int] | None = None
    for node in ast.walk(module):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.end_lineno is None:
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if first <= stmt.start and stmt.end <= node.end_lineno and (best is None or node.end_lineno - first < best[1] - best[0]):
            best = (first, node.end_lineno)
    return best or (1, length)


def parses_in(lines: Sequence[str], repair: Repair, span: tuple[int, int] | None = None) -> bool:
    """Statement inserts and deletes change the block structure: check them in the enclosing function
    (`span`, which holds the repair's lines), parsed under an `if 1:` so its indentation stands as is;
    in the whole file without a span. A big module is then not parsed once per candidate."""
    first, last = span or (1, len(lines))
    text = spliced(lines, repair, (first, last))
    return quiet_parses("if 1:\n" + text if lines[first - 1][:1] in (" ", "\t") else text)


def spliced(lines: Sequence[str], repair: Repair, span: tuple[int, int] | None = None) -> str:
    """The text of `lines` (each with its line ending) with `repair` made: lines `span` (first, last,
    1-based, holding the repair's lines) or, without one, the whole file."""
    first, last = span or (1, len(lines))
    return "".join([*lines[first - 1 : repair.start - 1], repair.new, *lines[repair.end : last]])


def _unique(repairs: Sequence[Repair]) -> list[Repair]:
    seen: set[tuple[int, int, str]] = set()
    out = []
    for repair in repairs:
        key = (repair.start, repair.end, _normal(repair.new))
        if key in seen or repair.new == repair.old:
            continue
        seen.add(key)
        out.append(repair)
    return out


def _normal(text: str) -> str:
    """Candidates that differ only in spacing are one candidate."""
    try:
        return ast.dump(ast.parse(textwrap.dedent(text))) if text.strip() else ""
    except (SyntaxError, ValueError):
        return " ".join(text.split())
