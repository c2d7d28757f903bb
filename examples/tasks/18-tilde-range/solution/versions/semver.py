"""Semantic versions and npm-style ^ and ~ ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int
    stable: bool = True  # a pre-release sorts before the release

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.match(text.strip())
        if not match:
            raise ValueError(f"not a version: {text!r}")
        major, minor, patch, pre = match.groups()
        return cls(int(major), int(minor), int(patch), pre is None)


def satisfies(version: str, spec: str) -> bool:
    """'^1.2.3' := >=1.2.3 <2.0.0; '~1.2.3' := >=1.2.3 <1.3.0; otherwise an exact version."""
    v = Version.parse(version)
    if spec.startswith("^"):
        base = Version.parse(spec[1:])
        return v >= base and v.major == base.major
    if spec.startswith("~"):
        base = Version.parse(spec[1:])
        return v >= base and v.major == base.major and v.minor == base.minor
    return v == Version.parse(spec)


def latest(versions: list[str], spec: str) -> str | None:
    """The highest version that satisfies spec."""
    matching = [v for v in versions if satisfies(v, spec)]
    return max(matching, key=Version.parse, default=None)
