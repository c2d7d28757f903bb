"""A pragmatic e-mail address check (not full RFC 5322) and normalisation."""

from __future__ import annotations

import re

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_LOCAL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+$", re.IGNORECASE)


def split_address(address: str) -> tuple[str, str]:
    local, at, domain = address.strip().rpartition("@")
    if not at:
        raise ValueError(f"no @ in {address!r}")
    return local, domain


def problems(address: str) -> list[str]:
    try:
        local, domain = split_address(address)
    except ValueError as exc:
        return [str(exc)]
    if not local or not domain:
        return ["both sides of @ must be non-empty"]
    found = []
    if not _LOCAL.match(local) or local.startswith(".") or ".." in local:
        found.append(f"bad local part {local!r}")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        found.append(f"bad domain {domain!r}")
    elif not labels[-1].isalpha():
        found.append(f"top-level domain {labels[-1]!r} must be letters")
    return found


def is_valid(address: str) -> bool:
    return not problems(address)


def normalize(address: str) -> str:
    """Lower-case the domain (the local part is case-sensitive in principle)."""
    local, domain = split_address(address)
    return f"{local}@{domain.lower()}"
