"""The limits of one run (`Budget`), with each command's default wall time in one place.

Light on purpose: the CLI reads the defaults for its options without importing the loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# The wall-time budget each command gets unless the user sets --budget. A fix in the shell should end
# in a few minutes; a pair-programming edit may build a structural change; the CI bot runs unattended
# beside a slower queue; a benchmark task is held shorter so a set of fifty ends in an hour.
DEFAULT_BUDGET_S = {"fix": 180.0, "edit": 300.0, "ci": 600.0, "bench": 120.0}
TEST_RUN_TIMEOUT_S = 120.0  # one pytest run
PER_TEST_TIMEOUT_S = 12.0  # a baseline test still running then is hung (failing); candidates get less
MAX_CANDIDATES = 400  # grammar candidates validated per level of the repair search
MAX_LANES = 2  # measured on 2 cores (docs/bench/lanes); more lanes than cores thrash
MODEL_PHASE_MIN_S = 15.0  # loading the model and one sampling call: less time left is not worth starting


@dataclass
class Budget:
    max_rounds: int = 3  # locations built on, one after another (a partial fix seeds the next round)
    k: int = 4  # model rewrites per skeleton
    max_targets: int = 6
    time_s: float = DEFAULT_BUDGET_S["fix"]  # the deadline for the whole run
    test_timeout_s: float = TEST_RUN_TIMEOUT_S
    per_test_timeout_s: float = PER_TEST_TIMEOUT_S
    max_candidates: int = MAX_CANDIDATES
    model_rewrites: bool = True  # after the grammar, let the model rewrite whole lines
    isolated_tests: bool = False  # every test run in a fresh interpreter (no warm worker)
    isolate: bool = False  # tests under bwrap, the user's files read-only (sandbox/isolation.py)
    python: str | None = None  # --python; None: the project's own venv, else dagent's (sandbox/interpreter.py)
    started_at: float | None = None  # perf_counter at the command's start: the budget counts start-up too
    lanes: int | None = None  # candidates validated at once, each in its own sandbox; None: one per core, up to 2


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_lanes(jobs: int = 1) -> int:
    """Lanes for one of `jobs` runs sharing this machine: the cores left to it, up to MAX_LANES."""
    return max(1, min(MAX_LANES, usable_cores() // jobs))
