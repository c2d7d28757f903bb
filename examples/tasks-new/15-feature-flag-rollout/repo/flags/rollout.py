"""Feature flags: on/off, allow and deny lists, and percentage rollouts by a stable hash bucket."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def bucket(flag: str, user: str) -> int:
    """A stable bucket 0..99 for (flag, user): the same user lands in the same bucket every time."""
    digest = hashlib.sha256(f"{flag}:{user}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


@dataclass
class Flag:
    name: str
    enabled: bool = False
    percent: int = 100
    allow: set[str] = field(default_factory=set)
    deny: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not 0 <= self.percent <= 100:
            raise ValueError("percent must be within 0..100")

    def is_on(self, user: str | None = None) -> bool:
        if not self.enabled:
            return False
        if user is None:
            return self.percent == 100
        if user in self.deny:
            return False
        if user in self.allow:
            return True
        return bucket(self.name, user) < self.percent


class FlagSet:
    def __init__(self, flags: list[Flag] | None = None, strict: bool = False):
        self._flags = {f.name: f for f in flags or []}
        self.strict = strict

    def define(self, flag: Flag) -> None:
        if flag.name in self._flags:
            raise ValueError(f"flag {flag.name!r} already defined")
        self._flags[flag.name] = flag

    def is_on(self, name: str, user: str | None = None) -> bool:
        flag = self._flags.get(name)
        if flag is None:
            if self.strict:
                raise KeyError(f"unknown flag {name!r}")
            return True
        return flag.is_on(user)

    def enabled_for(self, user: str) -> list[str]:
        return sorted(name for name, flag in self._flags.items() if flag.is_on(user))

    def set_percent(self, name: str, percent: int) -> None:
        flag = self._flags[name]
        if not 0 <= percent <= 100:
            raise ValueError("percent must be within 0..100")
        flag.percent = percent

    def kill(self, name: str) -> None:
        self._flags[name].enabled = False

    @classmethod
    def parse(cls, text: str) -> FlagSet:
        """Lines 'name on|off [NN%] [+user ...] [-user ...]'; '#' starts a comment."""
        fs = cls()
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            name, state, *rest = line.split()
            if state not in ("on", "off"):
                raise ValueError(f"bad state {state!r} for {name}")
            flag = Flag(name, enabled=state == "on")
            for token in rest:
                if token.endswith("%"):
                    flag.percent = int(token[:-1])
                    flag.__post_init__()
                elif token.startswith("+"):
                    flag.allow.add(token[1:])
                elif token.startswith("-"):
                    flag.deny.add(token[1:])
                else:
                    raise ValueError(f"bad token {token!r} for {name}")
            fs.define(flag)
        return fs
