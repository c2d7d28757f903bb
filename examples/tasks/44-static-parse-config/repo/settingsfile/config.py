"""Settings parsed from 'key = value' text."""

from __future__ import annotations


class Config:
    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    @classmethod
    def from_text(cls, text: str) -> Config:
        return cls(cls().parse_config(text))

    def parse_config(self, text: str) -> dict[str, str]:
        """'key = value' lines; '#' starts a comment; keys are lower-cased; later keys win."""
        values: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"line {number}: expected key = value, got {raw!r}")
            values[key.strip().lower()] = value.strip()
        return values

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key.lower(), default)

    def get_int(self, key: str, default: int = 0) -> int:
        raw = self.get(key)
        return default if raw is None else int(raw)

    def merged(self, other: Config) -> Config:
        return Config({**self.values, **other.values})
