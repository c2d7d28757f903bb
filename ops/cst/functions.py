"""Codemods on one function or method: `make_static`, `add_parameter`, `forward_argument`, `decorate`."""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

from dagent.errors import ApplyError
from dagent.ops.cst.imports import add_import, top_imports
from dagent.ops.cst.nodes import (
    bound_here,
    checked_source,
    dotted_name,
    find_class_member,
    parse_module,
    parse_statement,
    replace_node,
    scope_map,
)


def _decorator_names(func: cst.FunctionDef) -> set[str]:
    return {dotted_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) for d in func.decorators}


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
        if dotted_name(original.func) != self.target or not updated.args:
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
    chain = find_class_member(module, symbol, path)
    func, owner = chain[-1], chain[-2]
    if not isinstance(func, cst.FunctionDef) or not isinstance(owner, cst.ClassDef):
        raise ApplyError(f"{path}: {symbol} is not a method of a class")
    decorators = _decorator_names(func)
    if decorators & {"staticmethod", "classmethod", "property"} or any(d.endswith(".setter") for d in decorators):
        kind = sorted(decorators & {"staticmethod", "classmethod", "property"}) or ["property setter"]
        raise ApplyError(f"{path}: {symbol} is already a {kind[0]}; it cannot be made static")
    scopes = scope_map(module, path)
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
    module = replace_node(module, func, new_func)
    module = module.visit(_UnboundCallFixer(owner.name.value, func.name.value))  # type: ignore[assignment]
    return checked_source(module.code, path, f"making {symbol} static")


def _parse_param(parameter: str) -> cst.Param:
    try:
        stub = parse_statement(f"def _f({parameter}):\n    pass\n", "the parameter")
    except cst.ParserSyntaxError:
        raise ApplyError(f"not a valid parameter: {parameter!r} (expected name, name=default or name: T = default)") from None
    assert isinstance(stub, cst.FunctionDef)
    params = stub.params
    extra = params.star_arg != cst.MaybeSentinel.DEFAULT or params.kwonly_params or params.star_kwarg or params.posonly_params
    if len(params.params) != 1 or extra:
        raise ApplyError(f"not one plain parameter: {parameter!r}")
    return params.params[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)


def all_param_names(params: cst.Parameters) -> set[str]:
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
    func = find_class_member(module, symbol, path)[-1]
    if not isinstance(func, cst.FunctionDef):
        raise ApplyError(f"{path}: {symbol} is a class, not a function")
    new = _parse_param(parameter)
    params = func.params
    if new.name.value in all_param_names(params):
        raise ApplyError(f"{path}: {symbol} already has a parameter named {new.name.value!r}")
    positional = [*params.posonly_params, *params.params]
    if new.default is None and any(p.default is not None for p in positional):
        raise ApplyError(
            f"{path}: {symbol}: {new.name.value!r} has no default but comes after parameters with defaults; "
            f"give it a default (e.g. `{new.name.value}=None`)"
        )
    changed = replace_node(module, func, func.with_changes(params=_appended(params, new)))
    return checked_source(changed.code, path, f"adding {parameter!r} to {symbol}")


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


def _find_function(module: cst.Module, symbol: str, path: str) -> cst.FunctionDef:
    func = find_class_member(module, symbol, path)[-1]
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
    if name not in all_param_names(func.params):
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
            if dotted_name(original.func) != callee:
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
    changed = replace_node(module, func, func.with_changes(body=body))
    return checked_source(changed.code, path, f"passing {name} to {callee} in {symbol}")


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
    if any(isinstance(imp, cst.ImportFrom) and isinstance(imp.names, cst.ImportStar) for _, imp in top_imports(module)):
        return True
    scope = scope_map(module, path)[module]  # type: ignore[index]
    return bound_here(scope, name)


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
        stub = parse_statement(f"@{decorator}\ndef _f():\n    pass\n", "the decorator")
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
    target = find_class_member(module, symbol, path)[-1]
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
    changed = replace_node(module, target, target.with_changes(decorators=[*existing[:at], new, *existing[at:]]))
    code = changed.code
    if statement is not None:
        code = add_import(code, statement, path)
    return checked_source(code, path, f"decorating {symbol} with @{decorator}")


def _is_descriptor(decorator: cst.Decorator) -> bool:
    name = dotted_name(decorator.decorator)
    return name in _DESCRIPTORS or name.endswith((".setter", ".getter", ".deleter"))
