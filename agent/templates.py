"""Statement templates for a missing line: the small writes and updates code most often forgets.

Built from what the program declares, never invented: a container's own mutators (`stack.pop()`,
`seen.add(marker)`, `parent[nxt] = node`, `self._undone.clear()`), a counter's increment
(`self._counter += 1`), a trim of a string the statement inspects at both ends
(`value = value[1:-1]`), and a `return` of an expression statement. The arguments are names the
suspect statement itself uses or the loops around it bind, so the list stays short.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

MAX_VALUES = 4  # names tried as a mutator's argument
_FACTORIES = {"list": "list", "set": "set", "dict": "dict", "deque": "list", "defaultdict": "dict",
              "Counter": "dict", "OrderedDict": "dict", "frozenset": "", "tuple": ""}  # fmt: skip


def _kind_of_value(value: ast.expr | None) -> str:
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return _FACTORIES.get(name, "")
    return ""


def _kind_of_annotation(annotation: ast.expr | None) -> str:
    node = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return _FACTORIES.get(name) or _FACTORIES.get(name.lower(), "")  # list[int] and typing.List[int] alike


def _target_text(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return f"self.{target.attr}"
    return None


def containers(module: ast.Module, function: ast.AST | None) -> dict[str, str]:
    """`name` or `self.attr` → list, set or dict: the function's own locals and the class's attributes."""
    found: dict[str, str] = {}
    roots: list[ast.AST] = [module] if function is None else [function, module]
    for root in roots:
        for node in ast.walk(root):
            targets: list[ast.expr] = []
            kind = ""
            if isinstance(node, ast.Assign):
                targets, kind = node.targets, _kind_of_value(node.value)
            elif isinstance(node, ast.AnnAssign):
                targets, kind = [node.target], _kind_of_annotation(node.annotation) or _kind_of_value(node.value)
            for target in targets:
                text = _target_text(target)
                if text and kind and (root is function or text.startswith("self.")):
                    found.setdefault(text, kind)
    return found


def counters(module: ast.Module, function: ast.AST | None) -> list[str]:
    """Names and `self` attributes set to an integer literal: candidates for a missing `+= 1`."""
    found: dict[str, None] = {}
    for root in ([function] if function is not None else []) + [module]:
        for node in ast.walk(root):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and type(node.value.value) is int:
                for target in node.targets:
                    text = _target_text(target)
                    if text and (root is function or text.startswith("self.")):
                        found[text] = None
    return list(found)


def _names_in(node: ast.AST) -> list[str]:
    return list(dict.fromkeys(n.id for n in ast.walk(node) if isinstance(n, ast.Name)))


def _loop_names(function: ast.AST | None, statement: ast.stmt) -> list[str]:
    """Names the loops around `statement` bind: their targets, then what their bodies assign before it."""
    if function is None:
        return []
    targets: list[str] = []
    assigned: list[str] = []
    for node in ast.walk(function):
        if not isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            continue
        if not node.lineno <= statement.lineno <= (node.end_lineno or 0):
            continue
        if not isinstance(node, ast.While):
            targets = _names_in(node.target) + targets  # innermost loop first
        for child in node.body:
            if child.lineno < statement.lineno and isinstance(child, (ast.Assign, ast.AnnAssign)):
                stored = child.targets if isinstance(child, ast.Assign) else [child.target]
                assigned += [n for t in stored for n in _names_in(t)]
    return [*targets, *assigned]


def _trims(statement: ast.stmt) -> Iterator[str]:
    ends: dict[str, set[int]] = {}
    for node in ast.walk(statement):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            index = node.slice
            if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) and isinstance(index.operand, ast.Constant):
                ends.setdefault(node.value.id, set()).add(-1)
            elif isinstance(index, ast.Constant) and index.value == 0:
                ends.setdefault(node.value.id, set()).add(0)
    for name in ends:
        yield from (f"{name} = {name}[1:-1]", f"{name} = {name}[1:]", f"{name} = {name}[:-1]")


def templates(module: ast.Module, function: ast.AST | None, statement: ast.stmt) -> list[str]:
    """One-line statements (dedented) that might be the missing line near `statement`."""
    values = list(dict.fromkeys([*_names_in(statement), *_loop_names(function, statement)]))
    found: list[str] = []
    for name, kind in containers(module, function).items():
        args = [v for v in values if v != name and not name.startswith(v + ".")][:MAX_VALUES]
        if kind == "list":
            found += [f"{name}.pop()", *(f"{name}.append({v})" for v in args), f"{name}.clear()"]
        elif kind == "set":
            found += [*(f"{name}.add({v})" for v in args), *(f"{name}.discard({v})" for v in args), f"{name}.clear()"]
        elif kind == "dict":
            found += [f"{name}[{k}] = {v}" for k in args for v in args if k != v]
            found += [f"{name}.clear()"]
    found += [f"{name} += 1" for name in counters(module, function)]
    found += list(_trims(statement))
    return list(dict.fromkeys(found))
