"""Build and parse URL query strings."""

from __future__ import annotations

from urllib.parse import quote, unquote

Params = dict[str, "str | int | bool | list | None"]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_query(params: Params) -> str:
    """Keys sorted; None skipped; lists repeat the key."""
    pairs = []
    for key in sorted(params):
        value = params[key]
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append(f"{quote(key, safe='')}={quote(_text(item), safe='')}")
    return "&".join(pairs)


def parse_query(query: str) -> dict[str, list[str]]:
    """'a=1&b=x+y&a=2' -> {'a': ['1', '2'], 'b': ['x y']}; a leading '?' is ignored."""
    result: dict[str, list[str]] = {}
    for part in query.lstrip("?").split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        result.setdefault(unquote(key.replace("+", " ")), []).append(unquote(value.replace("+", " ")))
    return result


def with_query(url: str, params: Params) -> str:
    """Append params to url, keeping an existing query and fragment."""
    base, hash_, fragment = url.partition("#")
    query = encode_query(params)
    if query:
        base += ("&" if "?" in base else "?") + query
    return base + hash_ + fragment
