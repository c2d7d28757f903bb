"""Side by side: several `dagent bench fix` reports of the same task set (e.g. one per --rank).

    python scripts/compare_bench.py runs/grammar/bench-fix.json runs/model/bench-fix.json runs/random/bench-fix.json

Prints, per report, the bug tasks fixed, the median candidates validated up to a fix, the median
wall time, and per task the candidates validated up to its fix ("-": not fixed). Only reports of
one machine and one task set are comparable; the script refuses other mixes.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from dagent.agent.bench.fix import BenchReport


def _label(report: BenchReport) -> str:
    s = report.settings
    return f"{s.get('rank', 'grammar')}{'' if s.get('model_rewrites', True) else ' (no rewrites)'}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("reports", nargs="+", type=Path)
    reports = [BenchReport.model_validate_json(p.read_text()) for p in parser.parse_args().reports]
    if len({r.tasks_root for r in reports}) != 1 or len({r.machine.cpu_count for r in reports}) != 1:
        raise SystemExit("the reports are of different task sets or machines")
    names = [r.name for r in reports[0].results if r.kind != "edit"]
    print(f"{'order':22} {'bug fixed':>10} {'median cands to fix':>20} {'median wall s':>14}")
    for report in reports:
        bug = [r for r in report.results if r.kind != "edit"]
        fixed = [r for r in bug if r.fixed]
        to_fix = statistics.median([r.candidates_tried for r in fixed]) if fixed else float("nan")
        wall = statistics.median([r.wall_s for r in bug])
        print(f"{_label(report):22} {len(fixed):>5}/{len(bug):<4} {to_fix:>20g} {wall:>14.1f}")
    print()
    print(f"{'task':28} " + " ".join(f"{_label(r):>16}" for r in reports))
    for name in names:
        cells = []
        for report in reports:
            found = next((r for r in report.results if r.name == name), None)
            cells.append("-" if found is None or not found.fixed else str(found.candidates_tried))
        print(f"{name:28} " + " ".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
