"""Structural edits through libcst, one module a codemod: rename a symbol or move a module across a repo,
add an import, make a method static, add or forward a parameter, decorate, make a dataclass.

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

from dagent.ops.cst.dataclass import make_dataclass
from dagent.ops.cst.functions import add_parameter, decorate, forward_argument, make_static
from dagent.ops.cst.imports import add_import
from dagent.ops.cst.move import move_module
from dagent.ops.cst.nesting import NestingRefused, nesting_problem
from dagent.ops.cst.nodes import parse_module
from dagent.ops.cst.rename import rename_symbol
from dagent.ops.cst.repo import module_names

__all__ = [
    "NestingRefused",
    "add_import",
    "add_parameter",
    "decorate",
    "forward_argument",
    "make_dataclass",
    "make_static",
    "module_names",
    "move_module",
    "nesting_problem",
    "parse_module",
    "rename_symbol",
]
