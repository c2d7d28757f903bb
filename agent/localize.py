"""Fault localisation: which lines of the project most likely hold the bug behind failing tests.

Three sources of evidence, combined by `rank_lines`:
- traceback frames (`agent/tracebacks.py`): the raise site and its callers, innermost first;
- spectrum-based suspiciousness (`ochiai`) from per-test line coverage, when the sandbox has it;
- when a traceback points only into the tests (a wrong value caught by an `assert`), the project
  functions the failing test calls, and the functions those call.

The functions are pure over their inputs (text, dicts; `traceback_frames` only reads files under
`project_dir`), so they are cheap to test and to rerun each loop round. Source structure comes from
`agent/source_index.py` (the stdlib `ast`, not libcst: positions are all we need here, and `ast.parse` is
about 40x faster than libcst with `PositionProvider`; libcst stays where we *rewrite* code, ops/cst/).
"""

from __future__ import annotations

import ast
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dagent.agent.source_index import CallResolver, Definition, SourceIndex, header_nodes, is_test_path
from dagent.agent.tracebacks import Frame


@dataclass(frozen=True)
class Suspicion:
    """A line and how strongly it is suspected (higher is more suspicious)."""

    path: str
    line: int
    score: float


def context_test_id(context: str) -> str:
    """The pytest node id of a coverage context (`nodeid|run`, as pytest-cov writes them, or a bare id)."""
    head, sep, phase = context.rpartition("|")
    return head if sep and phase in ("run", "setup", "teardown") else context


def ochiai(
    coverage: Mapping[tuple[str, int], Iterable[str]],
    failed: set[str],
    passed: set[str],
    frames: Iterable[Frame] = (),
) -> list[Suspicion]:
    """Ochiai suspiciousness ef / sqrt(F * (ef + ep)) of every line a failing test covers, best first.

    `coverage` maps (path, line) to the tests that ran it. Lines in test files are left out: the tests
    are the specification. Ties go to a line in a failing traceback (`frames`), then to the line
    fewer passing tests run, then by path and line, so the order is deterministic.
    """
    if not failed:
        return []
    in_trace = {(frame.path, frame.line) for frame in frames}
    rows = []
    for (path, line), tests in coverage.items():
        if is_test_path(path):
            continue
        ids = {context_test_id(test) for test in tests}
        ef, ep = len(ids & failed), len(ids & passed)
        if ef:
            score = round(ef / math.sqrt(len(failed) * (ef + ep)), 12)
            rows.append((-score, (path, line) not in in_trace, ep, path, line))
    rows.sort()
    return [Suspicion(path, line, -neg) for neg, _, _, path, line in rows]


FRAME_BOOST = 1.0  # the raise site: the strongest single clue a failure gives


FRAME_DECAY = 0.6  # each caller further out counts less


EARLIER_LINES = 0.35  # lines that ran before the raise, in the raising function


CALLEE = 0.5  # a function the failing test calls (when the traceback stays in the tests)


CALLEE_DECAY = 0.7  # ... and a function that one calls


CALLEE_EARLIER = 0.6  # a call on a test line before the failing one, not on it


CALL_DEPTH = 2


LOOP_UPDATE = 0.6  # in a loop the frame stopped at, a statement that assigns a name its test reads


def _per_failure(frames: Sequence[Frame] | Sequence[Sequence[Frame]]) -> list[list[Frame]]:
    if not frames:
        return []
    if isinstance(frames[0], Frame):
        return [list(frames)]  # type: ignore[arg-type]
    return [list(group) for group in frames]  # type: ignore[arg-type]


def _frame_evidence(index: SourceIndex, app_frames: list[Frame]) -> dict[tuple[str, int], float]:
    evidence: dict[tuple[str, int], float] = defaultdict(float)
    for depth, frame in enumerate(app_frames):
        weight = FRAME_DECAY**depth
        evidence[(frame.path, frame.line)] += FRAME_BOOST * weight
        function = index.enclosing_function(frame.path, frame.line)
        if function is None:
            continue
        loop = _innermost_loop(index.tree(frame.path), frame.line)
        again = range(loop.lineno, (loop.end_lineno or loop.lineno) + 1) if loop is not None else range(0)
        for line in index.body_lines(function):
            if line < frame.line or line in again:  # ran before it (in this or an earlier iteration)
                evidence[(frame.path, line)] += EARLIER_LINES * weight
        if isinstance(loop, ast.While):  # stopped in a loop (a hang, or a raise): what moves its test on
            for line in _updates_of(loop):
                evidence[(frame.path, line)] += LOOP_UPDATE * weight
    return evidence


def _innermost_loop(tree: ast.Module | None, line: int) -> ast.For | ast.While | None:
    loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))
             and n.lineno <= line <= (n.end_lineno or n.lineno)] if tree is not None else []
    return max(loops, key=lambda n: n.lineno, default=None)


def _updates_of(loop: ast.While) -> list[int]:
    """Lines in the loop's body that assign a name (or attribute) its test reads."""
    read = {ast.unparse(n) for n in ast.walk(loop.test) if isinstance(n, (ast.Name, ast.Attribute))}
    lines = []
    for node in (n for statement in loop.body for n in ast.walk(statement)):
        targets = (node.targets if isinstance(node, ast.Assign) else [node.target]
                   if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        if any(ast.unparse(t) in read for t in targets):
            lines.append(node.lineno)
    return lines


def _statement_span(node: ast.AST, line: int) -> range:
    """The lines of the innermost simple statement of `node` that holds `line`."""
    spans = [
        range(child.lineno, (child.end_lineno or child.lineno) + 1)
        for child in ast.walk(node)
        if isinstance(child, ast.stmt) and header_nodes(child) == [child]
        and child.lineno <= line <= (child.end_lineno or child.lineno)
    ]
    return min(spans, key=len, default=range(line, line + 1))


def _callee_evidence(index: SourceIndex, resolver: CallResolver, test_frames: list[Frame]) -> dict[tuple[str, int], float]:
    """Suspect the bodies of what the failing test calls: on the failing line fully, earlier less."""
    evidence: dict[tuple[str, int], float] = defaultdict(float)
    for frame in test_frames:
        function = index.enclosing_function(frame.path, frame.line)
        node = resolver.node_of(function) if function else None
        if node is None:
            continue
        failing = _statement_span(node, frame.line)
        before = range(function.start_line, failing.start) if function else range(0)
        for weight, lines in ((1.0, failing), (CALLEE_EARLIER, before)):
            for definition, depth in _reachable(resolver, frame.path, node, lines):
                for line in index.body_lines(definition):
                    score = CALLEE * weight * CALLEE_DECAY ** (depth - 1)
                    key = (definition.path, line)
                    evidence[key] = max(evidence[key], score)
    return evidence


def _reachable(resolver: CallResolver, path: str, node: ast.AST, lines: range) -> list[tuple[Definition, int]]:
    """Project functions reachable from the calls on `lines` of `node`, with their call depth."""
    seen: dict[Definition, int] = {}
    frontier = [(d, 1) for c in resolver.callees(path, node, lines) for d in resolver.runnable(c)]
    while frontier:
        definition, depth = frontier.pop(0)
        if definition in seen or depth > CALL_DEPTH:
            continue
        seen[definition] = depth
        inner = resolver.node_of(definition)
        if inner is not None:
            for callee in resolver.callees(definition.path, inner):
                frontier.extend((d, depth + 1) for d in resolver.runnable(callee))
    return list(seen.items())


def rank_lines(
    frames: Sequence[Frame] | Sequence[Sequence[Frame]],
    ochiai_scores: Sequence[Suspicion],
    sources: Mapping[str, str],
    *,
    index: SourceIndex | None = None,
) -> list[Suspicion]:
    """Suspicious executable lines of non-test code, most suspicious first.

    `frames` is one failure's frames (innermost first) or one such list per failure. Evidence per line:
    its Ochiai score, plus a traceback boost (the raise site most, its callers less, lines that ran
    before the raise in the raising function a little), averaged over failures. A failure whose
    traceback never leaves the tests suspects the functions its test calls instead. The score is the
    evidence weighted by a bug prior (operators, comparisons, constants, indexing on the line).
    `index` reuses a caller's parsed view of `sources`.
    """
    index = index if index is not None else SourceIndex(sources)
    resolver: CallResolver | None = None
    groups = _per_failure(frames)
    evidence: dict[tuple[str, int], float] = defaultdict(float)
    for group in groups:
        app = [f for f in group if not is_test_path(f.path) and f.path in sources]
        if app:
            found = _frame_evidence(index, app)
        else:
            resolver = resolver or CallResolver(index)
            found = _callee_evidence(index, resolver, [f for f in group if f.path in sources])
        for key, value in found.items():
            evidence[key] += value / len(groups)
    for suspicion in ochiai_scores:
        evidence[(suspicion.path, suspicion.line)] += suspicion.score
    return _scored(index, evidence, {(f.path, f.line) for g in groups for f in g})


def _scored(index: SourceIndex, evidence: Mapping[tuple[str, int], float], traced: set[tuple[str, int]]) -> list[Suspicion]:
    rows = []
    for (path, line), value in evidence.items():
        prior = index.executable(path).get(line)
        if prior is None or is_test_path(path) or value <= 0:
            continue
        score = round(value * (0.6 + 0.4 * prior), 12)
        rows.append((-score, (path, line) not in traced, path, line))
    rows.sort()
    return [Suspicion(path, line, -neg) for neg, _, path, line in rows]
