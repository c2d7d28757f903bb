"""`make_dataclass`: a class with a plain `__init__` turned into a dataclass."""

from __future__ import annotations

import libcst as cst

from dagent.errors import ApplyError
from dagent.ops.cst.imports import add_import
from dagent.ops.cst.nodes import (
    bound_here,
    checked_source,
    dotted_name,
    find_class_member,
    is_docstring,
    parse_module,
    replace_node,
    scope_map,
)

_DATACLASS_NAMES = {"dataclass", "dataclasses.dataclass"}


def _dataclass_decorator(cls: cst.ClassDef) -> cst.Decorator | None:
    for d in cls.decorators:
        expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        if dotted_name(expr) in _DATACLASS_NAMES:
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
        if i == 0 and is_docstring(stmt):
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
    body = body[1:] if body and is_docstring(body[0]) else body
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
    cls = find_class_member(module, symbol, path)[-1]
    if not isinstance(cls, cst.ClassDef):
        raise ApplyError(f"{path}: {symbol} is a function, not a class")
    existing = _dataclass_decorator(cls)
    if existing is not None:
        old = existing.decorator if isinstance(existing.decorator, cst.Call) else None
        have = {a.keyword.value for a in (old.args if old else ()) if a.keyword is not None and dotted_name(a.value) == "True"}
        todo = tuple(o for o in options if o not in have)
        if not todo:
            raise ApplyError(f"{path}: {symbol} is a dataclass already" + (f" with {', '.join(options)}" if options else ""))
        func = old.func if old is not None else existing.decorator
        new_decorator = existing.with_changes(decorator=_options_call(func, todo, old))
        changed = replace_node(module, existing, new_decorator)
        return checked_source(changed.code, path, f"making {symbol} a dataclass")
    scope = scope_map(module, path)[module]  # type: ignore[index]
    statements: list[str] = []
    if bound_here(scope, "dataclass"):
        name = "dataclass"
    elif bound_here(scope, "dataclasses"):
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
                if not bound_here(scope, "Any"):
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
    code = replace_node(module, cls, new_cls).code
    for statement in dict.fromkeys(statements):
        code = add_import(code, statement, path)
    return checked_source(code, path, f"making {symbol} a dataclass")
