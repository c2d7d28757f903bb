"""Read .env files: KEY=value lines, comments, quotes, export prefixes and ${VAR} references."""

from __future__ import annotations

import re

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class DotenvError(ValueError):
    """A line that is not KEY=value."""


def parse_dotenv(text: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    env: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise DotenvError(f"line {number}: expected KEY=value, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote = value[0]
            if quote == "'":
                env[key] = value
                continue
            value = value.replace("\\n", "\n").replace('\\"', '"')
        else:
            value = value.split(" #", 1)[0].rstrip()
        env[key] = _expand(value, env, environ or {})
    return env


def _expand(value: str, env: dict[str, str], environ: dict[str, str]) -> str:
    """${NAME} from earlier lines, else from `environ`, else empty."""
    return _REF.sub(lambda m: env.get(m.group(1), environ.get(m.group(1), "")), value)
