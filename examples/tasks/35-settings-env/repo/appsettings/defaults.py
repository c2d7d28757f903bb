"""Default settings; the type of each default is the type an override is converted to."""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    "host": "127.0.0.1",
    "port": 8000,
    "debug": False,
    "timout": 30.0,
    "workers": 2,
    "log_level": "info",
}

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
