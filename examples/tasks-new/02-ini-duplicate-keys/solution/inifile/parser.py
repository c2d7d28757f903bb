"""A forgiving INI reader.

    [server]
    host = example.org      ; inline comments after ' ;' or ' #'
    ports = 80,
        443                 ; indented lines continue the previous value
    url = https://${host}/  ; ${key} or ${section:key} interpolation

Keys are case-insensitive (stored lower-case); section names are case-sensitive. Keys before
the first section belong to the DEFAULT section, whose values every section falls back to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeVar

DEFAULT = "DEFAULT"
_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*(?:[;#].*)?$")
_ASSIGN = re.compile(r"^(?P<key>[^=:\s][^=:]*?)\s*(?P<op>[=:])\s*(?P<value>.*)$")
_REF = re.compile(r"\$\{(?:(?P<section>[^:}]+):)?(?P<key>[^}]+)\}")
_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}
MAX_DEPTH = 10

T = TypeVar("T")


class ParseError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class DuplicateError(ParseError):
    pass


class InterpolationError(KeyError):
    pass


def _strip_comment(value: str) -> str:
    """Drop an inline comment: ' ;' or ' #' outside double quotes."""
    in_quotes = False
    for i, ch in enumerate(value):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in ";#" and not in_quotes and i > 0 and value[i - 1].isspace():
            return value[:i].rstrip()
    return value.rstrip()


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


@dataclass
class Config:
    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def __contains__(self, section: str) -> bool:
        return section in self.sections

    def __iter__(self) -> Iterator[str]:
        return iter(name for name in self.order if name != DEFAULT)

    def keys(self, section: str) -> list[str]:
        own = list(self.sections.get(section, {}))
        inherited = [k for k in self.sections.get(DEFAULT, {}) if k not in own]
        return own + inherited if section != DEFAULT else own

    def raw(self, section: str, key: str) -> str:
        key = key.lower()
        if section in self.sections and key in self.sections[section]:
            return self.sections[section][key]
        if key in self.sections.get(DEFAULT, {}):
            return self.sections[DEFAULT][key]
        raise KeyError(f"{section}.{key}")

    def get(self, section: str, key: str, default: str | None = None) -> str | None:
        try:
            return self._interpolate(section, self.raw(section, key), 0)
        except KeyError as exc:
            if isinstance(exc, InterpolationError) or default is None:
                raise
            return default

    def _interpolate(self, section: str, value: str, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise InterpolationError(f"interpolation deeper than {MAX_DEPTH} in {section}: {value!r}")

        def replace(match: re.Match[str]) -> str:
            target = match.group("section") or section
            try:
                raw = self.raw(target, match.group("key").strip())
            except KeyError:
                raise InterpolationError(f"{match.group(0)} in [{section}] is not defined") from None
            return self._interpolate(target, raw, depth + 1)

        return _REF.sub(replace, value)

    def _typed(self, section: str, key: str, convert: Callable[[str], T], default: T | None) -> T:
        try:
            text = self.get(section, key)
        except KeyError:
            if default is None:
                raise
            return default
        return convert(text)

    def getint(self, section: str, key: str, default: int | None = None) -> int:
        return self._typed(section, key, lambda s: int(s, 0), default)

    def getfloat(self, section: str, key: str, default: float | None = None) -> float:
        return self._typed(section, key, float, default)

    def getbool(self, section: str, key: str, default: bool | None = None) -> bool:
        def convert(text: str) -> bool:
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(f"{section}.{key}: {text!r} is not a boolean")
        return self._typed(section, key, convert, default)

    def getlist(self, section: str, key: str, sep: str = ",") -> list[str]:
        text = self.get(section, key)
        parts = re.split(rf"\s*{re.escape(sep)}\s*|\n", text)
        return [p.strip() for p in parts if p.strip()]

    def section(self, name: str) -> dict[str, str]:
        """Every key of the section, DEFAULT fallbacks included, interpolated."""
        return {key: self.get(name, key) for key in self.keys(name)}

    def set(self, section: str, key: str, value: str) -> None:
        if section not in self.sections:
            self.sections[section] = {}
            self.order.append(section)
        self.sections[section][key.lower()] = value


def parse(text: str, strict: bool = True) -> Config:
    """Parse INI text. With strict, a section or key repeated within its section is an error;
    otherwise the later one wins (and repeated sections are merged)."""
    config = Config()
    section = DEFAULT
    seen: set[tuple[str, str]] = set()
    seen_sections: set[str] = set()
    last_key: str | None = None
    last_indent = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        indent = len(line) - len(line.lstrip())
        if indent > last_indent and last_key is not None and not _SECTION.match(stripped):
            previous = config.sections[section][last_key]
            addition = _strip_comment(stripped)
            config.sections[section][last_key] = f"{previous}\n{addition}" if previous else addition
            continue
        header = _SECTION.match(stripped)
        if header:
            section = header.group("name").strip()
            if section in seen_sections and strict:
                raise DuplicateError(f"section [{section}] repeated", number)
            seen_sections.add(section)
            if section not in config.sections:
                config.sections[section] = {}
                config.order.append(section)
            last_key, last_indent = None, indent
            continue
        assign = _ASSIGN.match(stripped)
        if not assign:
            raise ParseError(f"expected 'key = value' or '[section]', got {stripped!r}", number)
        key = assign.group("key").strip().lower()
        if strict and (section, key) in seen:
            raise DuplicateError(f"key {key!r} repeated in [{section}]", number)
        seen.add((section, key))
        if section not in config.sections:
            config.sections[section] = {}
            config.order.append(section)
        config.sections[section][key] = _unquote(_strip_comment(assign.group("value")))
        last_key, last_indent = key, indent
    return config


def parse_file(path: str | Path, strict: bool = True, encoding: str = "utf-8") -> Config:
    text = Path(path).read_text(encoding=encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse(text, strict=strict)
