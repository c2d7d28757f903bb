"""Check a candidate op stream without writing anything: the reasons it would fail, as text.

The agent rejects a model's candidate with these reasons (and can feed them back); a check never
raises, whatever the candidate holds.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from dagent.errors import DagentError
from dagent.ops.apply import plan_changes
from dagent.ops.changes import ApplyResult, FileChange
from dagent.ops.formats import load_ops
from dagent.ops.model import Op

PYTHON_SUFFIXES = (".py", ".pyi")


def _syntax_problem(path: str, text: str) -> str | None:
    try:
        ast.parse(text, filename=path)
    except SyntaxError as err:
        where = f"{path}:{err.lineno}" if err.lineno else path
        return f"{where}: the result is not valid Python: {err.msg}" + (f": {err.text.strip()!r}" if err.text and err.text.strip() else "")
    except (ValueError, RecursionError, MemoryError) as err:  # NUL bytes, absurd nesting
        return f"{path}: the result is not valid Python: {err}"
    return None


def _broken_python(change: FileChange) -> str | None:
    """A syntax error the change introduces (a file that did not parse before is not blamed on it)."""
    if change.after is None or not change.path.endswith(PYTHON_SUFFIXES):
        return None
    problem = _syntax_problem(change.path, change.after)
    if problem is None:
        return None
    if change.before is not None and _syntax_problem(change.path, change.before) is not None:
        return None
    return problem


def python_problems(result: ApplyResult) -> list[str]:
    """Syntax errors the changes in `result` would introduce into Python files."""
    return [p for p in map(_broken_python, result.changes) if p is not None]


def check_ops(root: Path | str, ops: Sequence[Op]) -> list[str]:
    """Every problem found applying `ops` to `root` in memory: refused paths, anchors that do not
    resolve, structural ops that cannot apply, Python files left unparsable. Empty: the ops are valid.

    A failing op is reported and skipped, so the later ones are still checked (against the state
    without it)."""
    problems: list[str] = []
    try:
        result = plan_changes(Path(root), ops, problems)
    except DagentError as err:
        return [*problems, str(err)]
    except Exception as err:  # a check must never crash the agent: report it as a problem
        return [*problems, f"internal error while checking the ops: {type(err).__name__}: {err}"]
    return problems + python_problems(result)


def check_text(root: Path | str, text: str) -> list[str]:
    """check_ops for a stream in text form (op text, unified diff or SEARCH/REPLACE)."""
    try:
        ops = load_ops(text, Path(root))
    except DagentError as err:  # an empty stream too (EmptyStream), as apply reports it
        return [str(err)]
    return check_ops(root, ops)
