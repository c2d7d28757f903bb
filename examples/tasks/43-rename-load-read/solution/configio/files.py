"""Read configuration files: JSON, or INI-style 'key = value' lines, chosen by the suffix."""

from __future__ import annotations

import json
from pathlib import Path

INI_SUFFIXES = (".ini", ".cfg", ".conf")


class ConfigFileError(ValueError):
    """A file that cannot be read as configuration."""


def read(path: Path | str) -> dict[str, object]:
    """The file's settings as a dict; dotted INI keys ('db.host') become nested dicts."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ConfigFileError(f"{path}: top level must be an object")
        return data
    if path.suffix in INI_SUFFIXES:
        return _parse_pairs(text, path)
    raise ConfigFileError(f"{path}: unsupported suffix {path.suffix!r}")


def _parse_pairs(text: str, path: Path) -> dict[str, object]:
    result: dict[str, object] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigFileError(f"{path}:{number}: expected key = value")
        *parents, leaf = key.strip().split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value.strip()
    return result
