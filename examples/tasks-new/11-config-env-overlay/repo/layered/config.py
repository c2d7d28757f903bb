"""Layered configuration: defaults, then files (dicts), then APP_* environment variables."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

_MISSING = object()
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """A value has the wrong type, or a required key is missing."""


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`; nested mappings merge key by key, everything else is replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if key in out and isinstance(out[key], Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def coerce(text: str, like: Any) -> Any:
    """Turn an environment string into the type of the value it overrides."""
    if isinstance(like, bool):
        low = text.strip().lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise ConfigError(f"not a boolean: {text!r}")
    if isinstance(like, int):
        try:
            return int(text.strip().replace("_", ""))
        except ValueError:
            raise ConfigError(f"not an integer: {text!r}") from None
    if isinstance(like, float):
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"not a number: {text!r}") from None
    if isinstance(like, list):
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def from_env(env: Mapping[str, str], defaults: Mapping[str, Any], prefix: str = "APP_") -> dict[str, Any]:
    """APP_DB__HOST=x overrides defaults['db']['host']; keys not in defaults are ignored.

    A double underscore separates levels; names are matched case-insensitively.
    """
    over: dict[str, Any] = {}
    for name, raw in env.items():
        if not name.startswith(prefix) or len(name) == len(prefix):
            continue
        path = [part.lower() for part in name[len(prefix):].split("__")]
        node: Any = defaults
        for part in path:
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                node = _MISSING
                break
        if node is _MISSING or isinstance(node, Mapping):
            continue
        target = over
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = coerce(raw, node)
    return over


class Config:
    def __init__(self, defaults: Mapping[str, Any], *layers: Mapping[str, Any], env: Mapping[str, str] | None = None):
        data = dict(defaults)
        for layer in layers:
            data = deep_merge(data, layer)
        if env is not None:
            data = deep_merge(data, from_env(env, data))
        self._data = data

    def get(self, dotted: str, default: Any = _MISSING) -> Any:
        node: Any = self._data
        for part in dotted.split("."):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif default is not _MISSING:
                return default
            else:
                raise ConfigError(f"no setting {dotted!r}")
        return node

    def require(self, *dotted: str) -> None:
        missing = [key for key in dotted if self.get(key, None) in (None, "")]
        if missing:
            raise ConfigError("missing settings: " + ", ".join(missing))

    def section(self, name: str) -> Config:
        value = self.get(name)
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name!r} is not a section")
        return Config(value)

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def flat(self) -> dict[str, Any]:
        out: dict[str, Any] = {}

        def walk(node: Mapping[str, Any], prefix: str) -> None:
            for key, value in node.items():
                if isinstance(value, Mapping) and value:
                    walk(value, f"{prefix}{key}.")
                else:
                    out[f"{prefix}{key}"] = value

        walk(self._data, "")
        return out
