"""Repair templates with one hole, for the model to fill (DESIGN §4b; the engine's `fill`).

The grammar (agent/repairs.py) fills its holes by enumeration; these are the edits whose missing
piece is an expression no enumeration lists well: a conjunct (`if t and ⟨⟩:`), a bound
(`max(e, ⟨⟩)`), a whole returned value (`return ⟨⟩`), a guard before a statement in a loop
(`if ⟨⟩: continue` / `break`), a slice of a loop's iterable. Pure functions over source text; no
model. A template becomes a `Repair` once filled, and only if the file still parses.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dagent.agent.repairs import Repair, enclosing_span, find_statement, parses_in, scope_of

MAX_TEMPLATES = 8  # per statement


@dataclass(frozen=True)
class HoleTemplate:
    """Lines `start..end` of `path` (text `old`) become `before` + a filling + `after`."""

    path: str
    start: int
    end: int
    old: str
    before: str
    after: str
    note: str  # with ⟨⟩ where the filling goes: "`if t and ⟨⟩`"
    names: tuple[str, ...]  # in scope: what a filling may use
    span: tuple[int, int] | None = None  # the enclosing function's lines: where a filling must parse

    def filled(self, text: str) -> Repair:
        return Repair(self.path, self.start, self.end, self.old, self.before + text + self.after, "fill",
                      self.note.replace("⟨⟩", text), site=f"hole:{self.note}")


def hole_templates(source: str, path: str, line: int, module: ast.Module | None = None) -> list[HoleTemplate]:
    """The templates at the statement that holds `line` (none for a line in no statement)."""
    try:
        module = module or ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    stmt = find_statement(source, line, module)
    lines = source.splitlines(keepends=True)
    if stmt is None or stmt.end > len(lines):
        return []
    scope = scope_of(module, source, stmt.function)
    names = tuple(dict.fromkeys([*scope.locals, *scope.module, *_attribute_names(stmt.function)]))
    old = "".join(lines[stmt.start - 1 : stmt.end])
    offset = _Offsets(lines, stmt.start)
    span = enclosing_span(stmt, module, len(lines))
    made = [HoleTemplate(path, stmt.start, stmt.end, old, before, after, note, names, span)
            for before, after, note in _spans(stmt.node, offset, old)]
    made += _guards(stmt, path, old, names, span)
    return made[:MAX_TEMPLATES]


def fill_repairs(template: HoleTemplate, fillings: Sequence[str], source: str) -> list[Repair]:
    """The filled templates that parse in the whole file, in the fillings' order."""
    lines = source.splitlines(keepends=True)
    return [repair for text in fillings if parses_in(lines, repair := template.filled(text), template.span)]


class _Offsets:
    """ast (line, UTF-8 column) positions as character offsets into the statement's old text."""

    def __init__(self, lines: Sequence[str], first: int) -> None:
        self.lines, self.first = lines, first
        self.starts = [0]
        for text in lines[first - 1 :]:
            self.starts.append(self.starts[-1] + len(text))

    def __call__(self, lineno: int, col: int) -> int:
        text = self.lines[lineno - 1]
        return self.starts[lineno - self.first] + len(text.encode()[:col].decode(errors="ignore"))


def _spans(node: ast.stmt, at: _Offsets, old: str) -> Iterator[tuple[str, str, str]]:
    """(before, after, note) for each hole inside the statement's own text."""
    test = getattr(node, "test", None) if isinstance(node, (ast.If, ast.While, ast.Assert)) else None
    if (span := _span(test, at)) is not None:
        b, e = span
        core = f"({old[b:e]})" if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else old[b:e]
        yield old[:b] + core + " and ", old[e:], f"`{core} and ⟨⟩`"
        yield old[:b] + core + " or ", old[e:], f"`{core} or ⟨⟩`"
    value = getattr(node, "value", None) if isinstance(node, (ast.Return, ast.Assign, ast.AugAssign, ast.AnnAssign)) else None
    if (span := _span(value, at)) is not None:
        b, e = span
        core = old[b:e]
        yield old[:b], old[e:], "`⟨⟩`"
        yield old[:b] + f"max({core}, ", ")" + old[e:], f"`max({core}, ⟨⟩)`"
        yield old[:b] + f"min({core}, ", ")" + old[e:], f"`min({core}, ⟨⟩)`"
    if isinstance(node, (ast.For, ast.AsyncFor)) and (span := _span(node.iter, at)) is not None:
        b, e = span
        core = old[b:e]
        yield old[:b] + core + "[", ":]" + old[e:], f"`{core}[⟨⟩:]`"
        yield old[:b] + core + "[:", "]" + old[e:], f"`{core}[:⟨⟩]`"


def _span(node: object, at: _Offsets) -> tuple[int, int] | None:
    if not isinstance(node, ast.expr) or node.end_lineno is None or node.end_col_offset is None:
        return None
    return at(node.lineno, node.col_offset), at(node.end_lineno, node.end_col_offset)


def _guards(stmt, path: str, old: str, names: tuple[str, ...], span: tuple[int, int]) -> list[HoleTemplate]:  # type: ignore[no-untyped-def]
    """`if ⟨⟩: continue` / `break` before a simple statement inside a loop."""
    if not stmt.in_loop or hasattr(stmt.node, "body"):
        return []
    return [HoleTemplate(path, stmt.start, stmt.end, old, f"{stmt.indent}if ", f":\n{stmt.indent}    {word}\n{old}",
                         f"`if ⟨⟩: {word}` before", names, span) for word in ("continue", "break")]


def _attribute_names(function: ast.AST | None) -> list[str]:
    if function is None:
        return []
    return [n.attr for n in ast.walk(function) if isinstance(n, ast.Attribute)]


__all__ = ["HoleTemplate", "fill_repairs", "hole_templates"]
