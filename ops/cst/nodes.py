"""Shared libcst helpers: parsing with the nesting guard, the compile check every result passes, finding
and replacing nodes, names, scopes and references."""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, ScopeProvider

from dagent.errors import ApplyError
from dagent.ops.cst.nesting import guard_nesting, nesting_refusal


def parse_module(src: str, path: str = "<source>") -> cst.Module:
    """Parse `src` with libcst; a syntax error becomes an ApplyError naming `path` and the line, and
    source too deeply nested for libcst a NestingRefused."""
    guard_nesting(src, path)
    try:
        return cst.parse_module(src)
    except cst.ParserSyntaxError as err:
        raise ApplyError(f"{path}: does not parse as Python (line {err.raw_line}: {err.message})") from None
    except RecursionError:
        raise nesting_refusal(path, "parser") from None


def parse_statement(src: str, what: str) -> cst.BaseStatement:
    """One statement built from an op's text (an import, a parameter), through the same guard."""
    guard_nesting(src, what)
    try:
        return cst.parse_statement(src)
    except RecursionError:
        raise nesting_refusal(what, "parser") from None


def checked_source(src: str, path: str, what: str) -> str:
    """Refuse a result that libcst cannot re-parse or that Python cannot compile (e.g. duplicate argument)."""
    try:
        parse_module(src, path)
        compile(src, path, "exec", dont_inherit=True)
    except ApplyError as err:
        raise ApplyError(f"{path}: {what} would leave invalid Python ({err}); nothing was changed") from None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise ApplyError(f"{path}: {what} would leave invalid Python ({type(err).__name__}: {err}); nothing was changed") from None
    return src


def find_class_member(module: cst.Module, symbol: str, path: str) -> list[cst.CSTNode]:
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


def replace_node(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
    return module.deep_replace(old, new)  # type: ignore[return-value]


def dotted_name(node: cst.BaseExpression | None) -> str:
    return get_full_name_for_node(node) or "" if node is not None else ""


def is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def scope_map(module: cst.Module, path: str) -> Mapping[cst.CSTNode, object]:
    try:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    except RecursionError:
        raise nesting_refusal(path, "scope analysis") from None


def bound_here(scope: object, name: str) -> bool:
    """Whether `scope` itself binds `name` (`name in scope` also sees builtins and enclosing scopes)."""
    return any(a.scope is scope for a in scope[name])  # type: ignore[index]


def refs_of(scope: object, name: str, keep: set[int] | None = None) -> tuple[list[cst.Name], bool]:
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


def _binding_names(assignment_node: cst.CSTNode, name: str) -> list[cst.Name]:
    """The Name nodes that bind `name` in a definition (def, class, assignment target)."""
    if isinstance(assignment_node, (cst.FunctionDef, cst.ClassDef)):
        return [assignment_node.name] if assignment_node.name.value == name else []
    if isinstance(assignment_node, cst.Name):
        return [assignment_node] if assignment_node.value == name else []
    return []
