"""Time validations with `run_pytest` (a fresh interpreter each) against a warm `TestWorker` (a fork each).

    python scripts/bench_worker.py -n 30

On a copy of examples/buggy_stats in a temp dir: a baseline run finds the failing tests, then each of
N rounds validates the failing tests, then the whole suite, once with each runner, interleaved so that
a change in the machine's load falls on both alike. Every worker run must report the same outcomes as
the subprocess run of its round. Prints the median seconds per run and the ratio subprocess / worker;
the worker's start-up (once per fix) is printed on its own.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from dagent.sandbox import TestRun, TestWorker, run_pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "buggy_stats"
TIMEOUT_S = 120.0
TEST_TIMEOUT_S = 5.0  # as a fix run would set it: per-test timeouts on in both runners


def _timed(call: Callable[[], TestRun]) -> tuple[float, TestRun]:
    start = time.perf_counter()
    run = call()
    return time.perf_counter() - start, run


def _round(project: Path, worker: TestWorker, ids: Sequence[str] | None) -> tuple[float, float]:
    sub_s, sub = _timed(lambda: run_pytest(project, ids, TIMEOUT_S, test_timeout_s=TEST_TIMEOUT_S))
    warm_s, warm = _timed(lambda: worker.run(ids, timeout_s=TIMEOUT_S))
    if warm.outcome_map() != sub.outcome_map() or warm.returncode != sub.returncode:
        raise SystemExit(f"the worker disagrees with run_pytest:\n{warm.outcome_map()}\n{sub.outcome_map()}")
    return sub_s, warm_s


def _report(label: str, times: list[tuple[float, float]]) -> None:
    sub = statistics.median(t[0] for t in times)
    warm = statistics.median(t[1] for t in times)
    print(f"{label:<22} run_pytest {sub * 1000:8.1f} ms   TestWorker {warm * 1000:7.1f} ms   ratio {sub / warm:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="rounds per selection (default 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dagent-bench-worker-") as tmp:
        project = Path(tmp) / EXAMPLE.name
        shutil.copytree(EXAMPLE, project)
        failing = run_pytest(project, timeout_s=TIMEOUT_S).failed_ids()
        start = time.perf_counter()
        with TestWorker(project, test_timeout_s=TEST_TIMEOUT_S) as worker:
            worker.start()
            print(f"worker start-up {(time.perf_counter() - start) * 1000:.0f} ms (once); {args.n} runs each, "
                  f"medians; failing tests: {', '.join(failing)}")  # fmt: skip
            selections: list[tuple[str, Sequence[str] | None]] = [(f"failing ({len(failing)})", failing), ("whole suite", None)]
            for label, ids in selections:
                _report(label, [_round(project, worker, ids) for _ in range(args.n)])


if __name__ == "__main__":
    main()
