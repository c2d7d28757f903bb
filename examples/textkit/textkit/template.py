"""A tiny template language: {{ name }}, {{ user.email }}, {{ title|upper }}, {{ price|fixed:2 }}."""

from __future__ import annotations

import re
from typing import Any, Callable

_TAG = re.compile(r"{{\s*(.*?)\s*}}")


class TemplateError(KeyError):
    """An unknown variable, attribute or filter, with the tag it came from."""

    def __str__(self) -> str:
        return str(self.args[0])


def _fixed(value: Any, digits: str = "2") -> str:
    return f"{float(value):.{int(digits)}f}"


FILTERS: dict[str, Callable[..., Any]] = {
    "upper": lambda v: str(v).upper(),
    "lower": lambda v: str(v).lower(),
    "title": lambda v: str(v).title(),
    "strip": lambda v: str(v).strip(),
    "default": lambda v, fallback="": v if v not in (None, "") else fallback,
    "fixed": _fixed,
}


class Template:
    def __init__(self, source: str) -> None:
        self.source = source

    def render(self, context: dict[str, Any]) -> str:
        return _TAG.sub(lambda m: str(self._evaluate(m.group(1), context)), self.source)

    def variables(self) -> set[str]:
        """The top-level names the template reads."""
        names = set()
        for expr in _TAG.findall(self.source):
            names.add(expr.split("|")[0].strip().split(".")[0])
        return names

    def _evaluate(self, expr: str, context: dict[str, Any]) -> Any:
        path, *filters = [part.strip() for part in expr.split("|")]
        value = _lookup(path, context)
        for spec in filters:
            name, _, arg = spec.partition(":")
            if name not in FILTERS:
                raise TemplateError(f"unknown filter {name!r} in {{{{ {expr} }}}}")
            value = FILTERS[name](value, arg) if arg else FILTERS[name](value)
        return "" if value is None else value


def _lookup(path: str, context: dict[str, Any]) -> Any:
    head, *rest = path.split(".")
    if head not in context:
        raise TemplateError(f"undefined variable {head!r}")
    value = context[head]
    for attr in rest:
        if isinstance(value, dict) and attr in value:
            value = value[attr]
        elif hasattr(value, attr):
            value = getattr(value, attr)
        else:
            raise TemplateError(f"{path!r}: no {attr!r} on {type(value).__name__}")
    return value
