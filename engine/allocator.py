"""Keep freed memory in the process instead of handing it back to the kernel at every free.

Each decoder step makes and drops a few (B, L, V) float tensors (logits, the self-conditioning
softmax), 1.5-6 MB each at dagent-tiny's 8192-token vocabulary. glibc serves blocks that large with
`mmap` and returns them with `munmap` on free, so every step faults its pages back in (a million minor
faults in one `dagent bench engine` scoring pass). Raising the mmap threshold to glibc's ceiling
(32 MiB on 64-bit) and the trim threshold to 1 GiB keeps those blocks in the heap for reuse:
measured side by side by `scripts/allocator_bench.py`. A no-op where the C library has no `mallopt` or refuses it (not glibc).
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_CEILING = 32 * 1024 * 1024  # glibc refuses a higher mmap threshold on 64-bit
TRIM = 1024 * 1024 * 1024


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Set the thresholds once per process; True where the C library (glibc) took both."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the symbols already loaded in this process: its own C library
    except (OSError, AttributeError):  # no mallopt (macOS): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_CEILING)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM))


__all__ = ["keep_freed_memory"]
