"""A reader for a small INI dialect.

    # comments start with '#' or ';'
    [server]
    host = example.org
    port = 8080
    tags = a, b, c

Keys before the first section belong to the section "" (the defaults). Values are strings;
`Section.get_int`, `get_bool` and `get_list` convert them on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


class IniError(ValueError):
    """A syntax or conversion error, with the 1-based line number where it applies."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass
class Section:
    name: str
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key.lower(), default)

    def get_int(self, key: str, default: int = 0) -> int:
        raw = self.get(key)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise IniError(f"{self.name}.{key}: {raw!r} is not an integer") from None

    def get_bool(self, key: str, default: bool = False) -> bool:
        raw = self.get(key)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise IniError(f"{self.name}.{key}: {raw!r} is not a boolean")

    def get_list(self, key: str, sep: str = ",") -> list[str]:
        raw = self.get(key)
        if not raw:
            return []
        return [item.strip() for item in raw.split(sep) if item.strip()]


def _strip_comment(line: str) -> str:
    for marker in ("#", ";"):
        if line.lstrip().startswith(marker):
            return ""
    return line.strip()


def parse_ini(text: str) -> dict[str, Section]:
    """Sections by name; section and key names are case-insensitive (stored lower-case)."""
    sections = {"": Section("")}
    current = sections[""]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise IniError(f"bad section header {line!r}", number)
            name = line[1:-1].strip().lower()
            current = sections.setdefault(name, Section(name))
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise IniError(f"expected 'key = value', got {line!r}", number)
        current.values[key.strip().lower()] = value.strip()
    return sections
