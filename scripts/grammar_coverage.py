"""Does the repair grammar contain each task's fix, and where in the grammar's own order?

For every task (repo/ is the buggy project, solution/ the fixed files), the changed lines of each
fixed file are the oracle locations; every repair at those lines is applied and compared with the
solution by AST. Prints a row per task and the totals. Oracle localisation: this measures the
grammar, not the planner.

    python scripts/grammar_coverage.py examples/tasks [examples/tasks-new]
"""

from __future__ import annotations

import ast
import difflib
import sys
from pathlib import Path

from dagent.agent.repairs import repairs_at


def _dump(text: str) -> str | None:
    try:
        return ast.dump(ast.parse(text))
    except SyntaxError:
        return None


def _changed_lines(buggy: str, fixed: str) -> list[int]:
    matcher = difflib.SequenceMatcher(a=buggy.splitlines(), b=fixed.splitlines(), autojunk=False)
    lines: list[int] = []
    for tag, a0, a1, _b0, _b1 in matcher.get_opcodes():
        if tag != "equal":
            # an insertion sits between lines a0 and a0 + 1: either neighbour may be the suspect
            lines += [a0, a0 + 1] if a1 == a0 else list(range(a0 + 1, a1 + 1))
    return sorted({n for n in lines if n >= 1})


def probe(task: Path) -> tuple[str, str]:
    rows = []
    for fixed_file in sorted((task / "solution").rglob("*.py")):
        rel = fixed_file.relative_to(task / "solution").as_posix()
        buggy_file = task / "repo" / rel
        if not buggy_file.exists():
            rows.append(f"{rel}: new file")
            continue
        buggy, fixed = buggy_file.read_text(), fixed_file.read_text()
        want = _dump(fixed)
        hit = None
        total = 0
        for line in _changed_lines(buggy, fixed):
            candidates = repairs_at(buggy, rel, min(line, len(buggy.splitlines())))
            total += len(candidates)
            for index, repair in enumerate(candidates):
                lines = buggy.splitlines(keepends=True)
                text = "".join([*lines[: repair.start - 1], repair.new, *lines[repair.end :]])
                if _dump(text) == want:
                    hit = (index, repair.family, repair.note)
                    break
            if hit:
                break
        rows.append(f"{rel}: {'#%d %s %s' % hit if hit else 'miss'} of {total}")
    found = "yes" if rows and all("miss" not in r and "new file" not in r for r in rows) else "no"
    return found, "; ".join(rows)


def main(folders: list[str]) -> None:
    for folder in folders:
        hits = 0
        tasks = [t for t in sorted(Path(folder).iterdir()) if (t / "solution").is_dir()]
        for task in tasks:
            found, row = probe(task)
            hits += found == "yes"
            print(f"{task.name:28} {found:3} {row}")
        print(f"{folder}: fix in the grammar for {hits}/{len(tasks)} tasks\n")


if __name__ == "__main__":
    main(sys.argv[1:] or ["examples/tasks"])
