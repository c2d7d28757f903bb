"""Screening: many repair candidates tested against the failing tests in one pytest session.

A grammar candidate edits lines inside one function. Instead of writing it to the file and starting
pytest (which re-imports and re-collects the project: 0.1 to 0.4 s on a 3,500-line module), the
search sends a batch of candidates to the test worker as variants: each swaps the edited function's
code in a fork of one session that imported and collected the project once (`dagent.sandbox.variants`).
A candidate the failing tests still fail under is judged there. One that makes a failing test pass,
and one the worker could not swap faithfully, goes on to the full check: the file edited, the failing
tests, the tests that cover the edit, the whole suite. So screening rejects, it never accepts.

Eligible: edits strictly inside the body of a module-level function or of a method of a
module-level class (a nested function's body counts as its outer function's). A function whose code
ran while the project was imported or collected is not swapped (its import-time effect would not
change): the worker says so and the candidate takes the full check.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from dagent.agent.repairs import Repair
from dagent.sandbox.variants import FunctionSwap

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
SCREEN_BATCH = 16  # candidates per session: a session's import and collection shared by this many


@dataclass(frozen=True)
class _Function:
    qualname: str
    first_line: int  # its first decorator, or the `def`: where its code starts as loaded
    def_line: int
    body_line: int  # the first line of its body
    end: int


class FunctionIndex:
    """The module-level functions and the methods of module-level classes of one file's text."""

    def __init__(self, text: str) -> None:
        self.lines = lines_with_ends(text)
        try:
            tree: ast.Module | None = ast.parse(text)
        except (SyntaxError, ValueError):
            tree = None
        self.functions = list(_functions(tree)) if tree is not None else []

    def enclosing(self, start: int, end: int) -> _Function | None:
        """The function whose body holds lines start..end, None if no function's does."""
        return next((f for f in self.functions if f.body_line <= start and end <= f.end), None)


def lines_with_ends(text: str) -> list[str]:
    """Lines as Python (and `ast`) numbers them, each with its own ending: the function ranges come from
    `ast`, so the text is cut the same way, and a repair numbered otherwise fails the `old` check."""
    return _LINE.findall(text)


def _functions(tree: ast.Module) -> list[_Function]:
    found = []
    for node in tree.body:
        members = [(f"{node.name}.", child) for child in node.body] if isinstance(node, ast.ClassDef) else [("", node)]
        for prefix, member in members:
            if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and member.body[0].lineno > member.lineno:
                first = min([member.lineno] + [d.lineno for d in member.decorator_list])
                found.append(_Function(prefix + member.name, first, member.lineno, member.body[0].lineno,
                                       member.end_lineno or member.lineno))  # fmt: skip
    return found


def function_swap(index: FunctionIndex, repair: Repair) -> FunctionSwap | None:
    """The variant of `repair` (lines start..end of its file become `new`) as a swap of its function's
    code; None where the edit is not strictly inside one function's body, or `old` is not what the
    file holds there."""
    function = index.enclosing(repair.start, repair.end)
    if function is None or "".join(index.lines[repair.start - 1 : repair.end]) != repair.old:
        return None
    lines = index.lines
    new = lines[function.def_line - 1 : repair.start - 1] + lines_with_ends(repair.new) + lines[repair.end : function.end]
    source = "".join(new)
    if source and not source.endswith("\n"):
        source += "\n"
    return FunctionSwap(repair.path, function.qualname, function.first_line, source, function.def_line)


def located(swap: FunctionSwap, project: Path) -> FunctionSwap:
    """`swap` with its file as the worker of the sandbox at `project` sees it (absolute, resolved)."""
    return replace(swap, file=str((project / swap.file).resolve()))


def swaps_for(repairs: Sequence[Repair], sources: dict[str, str]) -> list[FunctionSwap | None]:
    """Each repair's swap (None where it cannot be screened), each file indexed once; files are
    project-relative until `located` in a lane's sandbox."""
    indexes: dict[str, FunctionIndex] = {}
    swaps: list[FunctionSwap | None] = []
    for repair in repairs:
        if repair.path not in sources:
            swaps.append(None)
            continue
        if repair.path not in indexes:
            indexes[repair.path] = FunctionIndex(sources[repair.path])
        swaps.append(function_swap(indexes[repair.path], repair))
    return swaps
