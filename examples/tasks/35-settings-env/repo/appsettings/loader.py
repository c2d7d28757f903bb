"""Settings from defaults overridden by APP_* environment variables."""

from __future__ import annotations

from collections.abc import Mapping

from appsettings.defaults import DEFAULTS, FALSE_WORDS, TRUE_WORDS

PREFIX = "APP_"


class SettingsError(ValueError):
    """An unknown setting or a value of the wrong type."""


def convert(name: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        word = raw.strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise SettingsError(f"{name}: {raw!r} is not a boolean")
    try:
        return type(default)(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a {type(default).__name__}") from None


def load(environ: Mapping[str, str]) -> dict[str, object]:
    settings = dict(DEFAULTS)
    for var, raw in environ.items():
        if not var.startswith(PREFIX):
            continue
        name = var[len(PREFIX) :]
        if name not in DEFAULTS:
            raise SettingsError(f"unknown setting {name!r} (from {var})")
        settings[name] = convert(name, raw, DEFAULTS[name])
    return settings
