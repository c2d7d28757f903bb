"""Splitting work into batches: sizes, slices and an upload plan."""

from __future__ import annotations

from dataclasses import dataclass


def chunk_sizes(total: int, size: int) -> list[int]:
    """Sizes of the chunks that split `total` items into chunks of at most `size`."""
    if size <= 0:
        raise ValueError(f"chunk size must be positive, got {size}")
    if total < 0:
        raise ValueError(f"total must not be negative, got {total}")
    sizes = []
    remaining = total
    while remaining != 0:
        sizes.append(min(size, remaining))
        remaining -= size
    return sizes


def chunk(items: list, size: int) -> list[list]:
    """`items` split into consecutive lists of at most `size`."""
    out, start = [], 0
    for n in chunk_sizes(len(items), size):
        out.append(items[start : start + n])
        start += n
    return out


@dataclass(frozen=True)
class Upload:
    part: int
    offset: int
    length: int


def plan_uploads(file_size: int, part_size: int) -> list[Upload]:
    """A multipart upload plan: numbered parts (from 1) with their byte offsets."""
    plan, offset = [], 0
    for part, length in enumerate(chunk_sizes(file_size, part_size), start=1):
        plan.append(Upload(part, offset, length))
        offset += length
    return plan
