"""Write a Config back as INI text."""

from __future__ import annotations

from inifile.parser import DEFAULT, Config


def _format_value(value: str) -> str:
    if value != value.strip() or any(ch in value for ch in ";#") and " " in value:
        return '"' + value.replace('"', '\\"') + '"'
    lines = value.split("\n")
    return "\n    ".join(lines)


def dump(config: Config, align: bool = False) -> str:
    chunks = []
    names = ([DEFAULT] if DEFAULT in config.sections else []) + list(config)
    for name in names:
        values = config.sections[name]
        if not values and name == DEFAULT:
            continue
        width = max((len(k) for k in values), default=0) if align else 0
        lines = [f"[{name}]"]
        for key, value in values.items():
            lines.append(f"{key.ljust(width)} = {_format_value(value)}")
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n"
