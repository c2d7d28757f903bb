"""Where the repair search puts each task's fix, with the planner's real localisation, before any
candidate is validated: the position of the first candidate equal (by AST) to the reference fix
of one file, in the grammar's order and in a shuffled order. One coverage run per task; no model.

    python scripts/search_order.py examples/tasks [--only NAME]

A position is the number of candidates the validator would run up to the fix (1 = first); "-"
means the fix is not among the candidates (outside the grammar, or not at a suspect location).
Two-file tasks count the first file whose fix appears.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import tempfile
from pathlib import Path

from dagent.agent.bench.tasks import load_tasks, materialize
from dagent.agent.plan import plan_fix
from dagent.agent.run import failures_of, read_sources
from dagent.agent.search import grammar_candidates, locations, order
from dagent.sandbox.results import collect_coverage


def _dump(text: str) -> str | None:
    try:
        return ast.dump(ast.parse(text))
    except SyntaxError:
        return None


def positions(task_dir: Path, repo: Path) -> dict[str, int | None]:
    coverage = collect_coverage(repo, timeout_s=120, test_timeout_s=10)
    sources = read_sources(repo)
    plan = plan_fix(failures_of(coverage.run), sources, coverage.tests_by_line(), project_dir=repo,
                    passed=set(coverage.run.passed_ids()))
    candidates = grammar_candidates(locations(plan.suspicions, sources), sources)
    wanted = {rel: _dump(f.read_text()) for f in (task_dir / "solution").rglob("*.py")
              if (rel := f.relative_to(task_dir / "solution").as_posix()) in sources}
    found: dict[str, int | None] = {}
    for mode in ("grammar", "random"):
        found[mode] = None
        for index, candidate in enumerate(order(candidates, mode, cap=10_000)):
            r = candidate.repair
            if r.path not in wanted:
                continue
            lines = sources[r.path].splitlines(keepends=True)
            if _dump("".join([*lines[: r.start - 1], r.new, *lines[r.end :]])) == wanted[r.path]:
                found[mode] = index + 1
                if mode == "grammar":
                    where = [(w.path, w.line) for w in locations(plan.suspicions, sources)]
                    rank = where.index((candidate.location.path, candidate.location.line))
                    found["where"] = f"loc#{rank + 1} w={candidate.location.weight:.2f} {r.family}#{candidate.index}"
                break
    found["candidates"] = len(candidates)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tasks", type=Path)
    parser.add_argument("--only", default=None)
    args = parser.parse_args()
    rows = []
    for task in load_tasks(args.tasks):
        if task.kind == "edit" or (args.only and args.only not in task.name):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            repo = materialize(task, Path(tmp) / "repo")
            found = positions(task.path, repo)
        rows.append(found)
        show = {k: ("-" if v is None else v) for k, v in found.items()}
        print(f"{task.name:28} {task.kind:10} grammar {show['grammar']!s:>4}  random {show['random']!s:>4}  of {show['candidates']}  {found.get('where', '')}")
    for mode in ("grammar", "random"):
        hits = [r[mode] for r in rows if r[mode] is not None]
        within = {n: sum(h <= n for h in hits) for n in (1, 5, 20, 50)}
        print(f"{mode:8} fix among candidates {len(hits)}/{len(rows)}; median position "
              f"{statistics.median(hits) if hits else '-'}; within 1/5/20/50: {within[1]}/{within[5]}/{within[20]}/{within[50]}")


if __name__ == "__main__":
    main()
