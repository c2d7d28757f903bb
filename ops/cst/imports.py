"""`add_import`: an import statement added where it belongs, merged into an existing `from` import."""

from __future__ import annotations

import libcst as cst

from dagent.errors import ApplyError
from dagent.ops.cst.nodes import checked_source, dotted_name, is_docstring, parse_module, parse_statement, replace_node


def _alias_key(alias: cst.ImportAlias) -> tuple[str, str | None]:
    asname = alias.asname.name if alias.asname else None
    return dotted_name(alias.name), dotted_name(asname) if isinstance(asname, cst.BaseExpression) else None


def _from_key(node: cst.ImportFrom) -> tuple[int, str]:
    return len(node.relative), dotted_name(node.module)


def top_imports(module: cst.Module) -> list[tuple[int, cst.Import | cst.ImportFrom]]:
    found: list[tuple[int, cst.Import | cst.ImportFrom]] = []
    for index, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            found += [(index, s) for s in stmt.body if isinstance(s, (cst.Import, cst.ImportFrom))]
    return found


def _is_future(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.ImportFrom) and _from_key(node) == (0, "__future__")


def _insert_index(module: cst.Module, future: bool) -> int:
    """After the docstring and `from __future__`; for other imports, after the last import of the header."""
    body = list(module.body)
    start = 1 if body and is_docstring(body[0]) else 0
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
        line = parse_statement(statement.strip() + "\n", "the import statement")
    except cst.ParserSyntaxError as err:
        raise ApplyError(f"not a valid import statement: {statement!r} ({err.message})") from None
    parts = list(line.body) if isinstance(line, cst.SimpleStatementLine) else []
    if not parts or not all(isinstance(p, (cst.Import, cst.ImportFrom)) for p in parts):
        raise ApplyError(f"not an import statement: {statement!r}")
    return parts  # type: ignore[return-value]


def _merge_from(module: cst.Module, new: cst.ImportFrom) -> tuple[cst.Module, bool]:
    """Add `new`'s missing names to an existing top-level `from M import ...`; returns (module, done)."""
    for _, old in top_imports(module):
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
        return replace_node(module, old, old.with_changes(names=names)), True
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
    return checked_source(module.code, path, f"adding {statement!r}")


def _add_one_import(module: cst.Module, node: cst.Import | cst.ImportFrom) -> cst.Module:
    if isinstance(node, cst.ImportFrom):
        module, done = _merge_from(module, node)
        if done:
            return module
        new_stmt: cst.Import | cst.ImportFrom = node
    else:
        have = {_alias_key(a) for _, imp in top_imports(module) if isinstance(imp, cst.Import) for a in imp.names}
        missing = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in node.names if _alias_key(a) not in have]
        if not missing:
            return module
        new_stmt = node.with_changes(names=missing)
    index = _insert_index(module, _is_future(new_stmt))
    body = list(module.body)
    after_docstring = index == 1 and is_docstring(body[0]) and not top_imports(module)
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
