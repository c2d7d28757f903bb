"""Release versions 'MAJOR.MINOR.PATCH[-pre.N]', ordered, bumped and matched against simple ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.]+))?$")


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    def _key(self) -> tuple:
        # a release sorts after its pre-releases; numeric identifiers sort numerically, before words
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{'.'.join(self.pre)}" if self.pre else core


def parse(text: str) -> Version:
    m = _VERSION.match(text.strip())
    if not m:
        raise ValueError(f"not a version: {text!r}")
    pre = tuple(m[4].split(".")) if m[4] else ()
    if any(p == "" for p in pre):
        raise ValueError(f"empty pre-release identifier in {text!r}")
    return Version(int(m[1]), int(m[2]), int(m[3]), pre)


def bump(v: Version, part: str) -> Version:
    if part == "major":
        return Version(v.major + 1, 0, 0)
    if part == "minor":
        return Version(v.major, v.minor + 1, 0)
    if part == "patch":
        return Version(v.major, v.minor, v.patch if v.pre else v.patch + 1)
    raise ValueError(f"unknown part {part!r}")


def _bounds(spec: str) -> tuple[Version, Version | None]:
    """'^1.2.3' -> [1.2.3, 2.0.0); '~1.2.3' -> [1.2.3, 1.3.0); '1.2.3' -> exactly; '>=1.2.3' -> open above."""
    spec = spec.strip()
    if spec.startswith("^"):
        low = parse(spec[1:])
        if low.major > 0:
            return low, Version(low.major + 1, 0, 0)
        if low.minor > 0:
            return low, Version(0, low.minor + 1, 0)
        return low, Version(0, 0, low.patch + 1)
    if spec.startswith("~"):
        low = parse(spec[1:])
        return low, Version(low.major, low.minor + 1, 0)
    if spec.startswith(">="):
        return parse(spec[2:]), None
    v = parse(spec)
    return v, v


def satisfies(v: Version, spec: str, include_pre: bool = False) -> bool:
    """Whether `v` is in the range; pre-releases match only when asked for or named by the range."""
    low, high = _bounds(spec)
    if v.pre and not include_pre and (v.major, v.minor, v.patch) != (low.major, low.minor, low.patch):
        return False
    if v < low:
        return False
    if high is None:
        return True
    if high == low:
        return v == low
    return v < high


def latest_matching(candidates: list[str], spec: str, include_pre: bool = False) -> str | None:
    matching = [parse(c) for c in candidates if satisfies(parse(c), spec, include_pre)]
    return str(max(matching, key=Version._key)) if matching else None
