"""Library scale, side by side in one run: the plain suite against dagent's baseline and validation.

Materialises a task (default: the open set's library-sized 50-cadence-posix-julian, a 3,534-line module
under 700 tests), times its plain suite (`python -m pytest -q`, as a user runs it), then runs
`dagent fix --json` on it and prints:

- baseline / plain suite: everything before the first candidate (plain run, traced run, worker start and
  its cross-check) against the plain suite's wall time (the issue asks for at most 2x);
- candidates validated per second of test time (the issue asks for at least 10): of all the test time
  after the baseline, and of the time spent checking candidates, which leaves out the whole-suite run
  that confirms the winner (a cost paid once per fix, like the baseline).

    python scripts/library_scale.py [--task NAME] [--budget 120] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def plain_suite_s(repo: Path, repeat: int) -> float:
    """The median wall time of the plain suite, as the user runs it."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                       capture_output=True, check=False)  # fmt: skip
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def fix_report(repo: Path, budget: float) -> tuple[dict, float]:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dagent.agent.app.cli", "fix", str(repo), "--json", "--budget", str(budget)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - began
    if not done.stdout.strip():
        raise SystemExit(f"dagent fix printed no report (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="50-cadence-posix-julian")
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=3, help="plain-suite runs (the median is used)")
    args = parser.parse_args()
    from dagent.agent.bench.tasks import load_tasks, materialize

    task = next(t for t in load_tasks(ROOT / "examples" / "tasks") if t.name == args.task)
    with tempfile.TemporaryDirectory(prefix="dagent-scale-") as tmp:
        repo = materialize(task, Path(tmp) / "repo")
        plain = plain_suite_s(repo, args.repeat)
        report, wall = fix_report(repo, args.budget)
    t = report["timings"]
    validated = report["candidates_tried"]
    after = t["test_s"] - t["baseline_test_s"]
    checking = after - t["confirm_s"]
    rows = [
        ("task", args.task),
        ("plain suite (median of %d), s" % args.repeat, f"{plain:.2f}"),
        ("baseline before the first candidate, s", f"{t['baseline_s']:.2f}"),
        ("  of which plain run / traced run, s", f"{t['baseline_plain_s']:.2f} / {t['baseline_traced_s']:.2f}"),
        ("  tests traced", str(t["traced_tests"])),
        ("baseline / plain suite", f"{t['baseline_s'] / plain:.2f}x"),
        ("fixed", str(report["fixed"])),
        ("candidates validated", str(validated)),
        ("  of which judged in screening sessions", str(t["screened"])),
        ("test time after the baseline, s", f"{after:.2f}"),
        ("  of which screening sessions, s", f"{t['screen_s']:.2f}"),
        ("  of which the would-be winners' whole-suite runs, s", f"{t['confirm_s']:.2f}"),
        ("candidates per second of test time after the baseline", f"{validated / max(1e-9, after):.1f}"),
        ("candidates per second of checking (the winner's suite run aside)", f"{validated / max(1e-9, checking):.1f}"),
        ("screened candidates per second of screening", f"{t['screened'] / max(1e-9, t['screen_s']):.1f}"),
        ("dagent fix wall, s", f"{wall:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
