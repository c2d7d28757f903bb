"""The planner: failing tests (or an instruction) in, the context block the model reads and the lines
its edit skeleton targets out.

One shared context block per round, not one per target. The encoder runs once per distinct context
and its cache is reused across candidates, so a single block whose snippets hold the enclosing
function of every target costs one encode for all targets and all k candidates. The rule that keeps
this sound: a line becomes a target only if the block shows it (its enclosing function, or a window
around it when the function is too long); a suspected line that does not fit is dropped, not targeted
blind.

Snippet order, within `budget_chars` of rendered text: the enclosing functions of the top suspicious
lines (most suspicious first), then each failing test's own function (it holds the expected values),
then the definitions the target functions call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dagent.agent.instructions import plan_instruction
from dagent.agent.localize import Suspicion, context_test_id, ochiai, rank_lines
from dagent.agent.source_index import MODULE, CallResolver, Definition, SourceIndex, is_test_path
from dagent.agent.tracebacks import Frame, test_frame, traceback_frames
from dagent.engine.context import ContextBlock, Snippet, narrowing_contexts, render_context, render_snippet
from dagent.errors import DagentError
from dagent.ops.model import AddImport, Delete, Op
from dagent.ops.syntax import pinned_head, render_op

MAX_ERRORS = 5
MAX_NAMED = 5  # definitions an instruction names that plan_edit shows
MODULE_WINDOW = 3  # lines either side of a module-level target
EXTRA_TARGET_SHARE = 0.75  # target functions after the first stop at this share of the budget
WINDOW_SHARE = 0.4  # the most of the budget a window cut from a too-long function may take


class FailureLike(Protocol):
    """What the planner reads of a failing test (the sandbox's outcome objects fit too)."""

    @property
    def test_id(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def details(self) -> str: ...


@dataclass(frozen=True)
class FailureInfo:
    test_id: str  # pytest node id, e.g. "tests/test_stats.py::test_mean"
    message: str = ""  # one line: "assert 2.5 == 2.0"
    details: str = ""  # the traceback text pytest printed for it


@dataclass(frozen=True)
class EditTarget:
    """A line the engine writes a skeleton for."""

    path: str
    line: int
    old_line_text: str  # the line as in the file, without its line ending
    function_name: str  # qualified name of the enclosing function, or "<module>"
    score: float


@dataclass
class Plan:
    context: ContextBlock  # one block shared by every target
    targets: list[EditTarget]
    suspicions: list[Suspicion] = field(default_factory=list)  # the whole ranking, for reports
    budget_chars: int = 1200

    def render(self) -> str:
        return render_context(self.context, self.budget_chars)


@dataclass
class EditPlan:
    context: ContextBlock
    op: Op | None  # the structural op the instruction maps onto, if any; else the model writes the edit
    path: str | None = None  # the file the edit is about, when known
    symbol: str | None = None
    budget_chars: int = 1200
    ops: list[Op] = field(default_factory=list)  # every op of the instruction (`op` is the main one)

    def render(self) -> str:
        return render_context(self.context, self.budget_chars)


@dataclass(frozen=True)
class LineContext:
    """What the model reads when it scores edits at one line: the plan's first error and the line's
    window in its function, rendered with narrower and narrower windows above the line (the ranker
    keeps the widest whose context window still holds the line, as training does), and the line."""

    renders: tuple[str, ...]
    line_text: str


def line_contexts(plan: Plan, sources: Mapping[str, str]) -> Callable[[str, int], LineContext]:
    """For a plan, the context of any line of `sources` (one parse per file, shared by all lines)."""
    index = SourceIndex(sources)

    def context(path: str, line: int) -> LineContext:
        lines = sources.get(path, "").splitlines(keepends=True)
        function = index.enclosing_function(path, line)
        first, last = (function.start_line, function.end_line) if function else (1, len(lines))
        renders = narrowing_contexts(plan.context.errors[:1], path, lines, line, first, last)
        return LineContext(renders, lines[line - 1] if 0 < line <= len(lines) else "")

    return context


# ---------------------------------------------------------------- skeletons


def skeleton_prefixes(target: EditTarget) -> dict[str, str]:
    """The pinned head of a replace and of an insert_after at `target`; the model writes the rest."""
    old = target.old_line_text + "\n"
    return {kind: pinned_head(kind, target.path, target.line, old) for kind in ("replace", "insert_after")}


def deletion_candidate(target: EditTarget) -> str:
    """The complete op that deletes the target line: a candidate that needs no model."""
    return render_op(Delete(path=target.path, old=target.old_line_text + "\n", line=target.line))


# ---------------------------------------------------------------- packing snippets into the budget


class _Packer:
    """Adds snippets to a block while its rendered size stays within the budget."""

    def __init__(self, index: SourceIndex, block: ContextBlock, budget: int) -> None:
        self.index = index
        self.block = block
        self.budget = budget
        self.used = len(render_context(block))

    def covers(self, path: str, line: int) -> bool:
        return any(
            s.path == path and s.start_line <= line < s.start_line + s.code.count("\n") for s in self.block.snippets
        )

    def add_range(self, path: str, first: int, last: int, focus: int, limit: int) -> bool:
        """Lines first..last if the block stays under `limit`; else the widest window around `focus`
        inside them that fits both `limit` and WINDOW_SHARE of the budget (so one long function does
        not crowd out the other targets). Never repeats lines another snippet already shows."""
        if self.covers(path, focus):
            return True
        first, last = self._gap(path, first, last, focus)
        radius = max(focus - first, last - focus)
        window_limit = min(limit, self.used + int(self.budget * WINDOW_SHARE))
        while radius >= 0:
            lo, hi = max(first, focus - radius), min(last, focus + radius)
            snippet = Snippet(path, lo, self.index.code(path, lo, hi))
            size = len(render_snippet(snippet))
            whole = (lo, hi) == (first, last)
            if self.used + size <= (limit if whole else window_limit):
                self.block.snippets.append(snippet)
                self.used += size
                return True
            radius = min(radius - 1, _radius_for(window_limit - self.used, self.index.lines(path), focus))
        return False

    def _gap(self, path: str, first: int, last: int, focus: int) -> tuple[int, int]:
        for snippet in self.block.snippets:
            if snippet.path != path:
                continue
            end = snippet.start_line + snippet.code.count("\n") - 1
            if end < focus:
                first = max(first, end + 1)
            elif snippet.start_line > focus:
                last = min(last, snippet.start_line - 1)
        return first, last

    def add_definition(self, definition: Definition, focus: int, limit: int) -> bool:
        return self.add_range(definition.path, definition.start_line, definition.end_line, focus, limit)


def _radius_for(room: int, lines: Sequence[str], focus: int) -> int:
    """A first guess at the window radius that fits `room` characters, to skip hopeless sizes."""
    near = lines[max(0, focus - 20) : focus + 20] or [""]
    width = max(1, sum(len(t) + 1 for t in near) // len(near))
    return max(0, room // width // 2)


# ---------------------------------------------------------------- plan_fix


def _error_line(failure: FailureLike) -> str:
    message = failure.message.strip() or _last_exception(failure.details) or "failed"
    return f"{failure.test_id}: {message}"


_EXCEPTION_LINE = re.compile(r"^(assert\b|[A-Za-z_][\w.]*(:\s|$))")


def _last_exception(details: str) -> str:
    """The message of the exception pytest's report ends on: in its last run of `E ` lines, the first
    line that reads `assert ...` or `SomeError: ...` (not a diff, a hint or a `File "..."` line)."""
    runs: list[list[str]] = []
    previous_was_e = False
    for text in details.splitlines():
        is_e = text.startswith("E ") or text == "E"
        if is_e and not previous_was_e:
            runs.append([])
        if is_e and text[1:].strip():
            runs[-1].append(text[1:].strip())
        previous_was_e = is_e
    filled = [run for run in runs if run]
    if not filled:
        return ""
    return next((line for line in filled[-1] if _EXCEPTION_LINE.match(line)), filled[-1][0])


def _errors(failures: Sequence[FailureLike], budget: int) -> list[str]:
    """The failing tests' messages, at most MAX_ERRORS and about a third of the budget."""
    errors: list[str] = []
    for failure in failures[:MAX_ERRORS]:
        trial = ContextBlock(task="fix", errors=[*errors, _error_line(failure)])
        if errors and len(render_context(trial)) > budget // 3:
            break
        errors = trial.errors
    return errors


def _failure_frames(failure: FailureLike, sources: Mapping[str, str], project_dir: Path | None) -> list[Frame]:
    frames = traceback_frames(failure.details, project_dir, sources)
    if not any(is_test_path(f.path) for f in frames):
        start = test_frame(failure.test_id, sources)
        if start is not None:
            frames.append(start)  # outermost: the test itself
    return frames


def _ochiai(
    coverage: Mapping[tuple[str, int], Iterable[str]] | None,
    failures: Sequence[FailureLike],
    passed: Collection[str] | None,
    frames: list[list[Frame]],
) -> list[Suspicion]:
    if not coverage:
        return []
    failed = {f.test_id for f in failures}
    if passed is None:
        # Every test the coverage run saw that is not failing now passed in that run.
        seen = {context_test_id(test) for tests in coverage.values() for test in tests}
        passed = seen - failed
    return ochiai(coverage, failed, set(passed), [f for group in frames for f in group])


def plan_fix(
    failures: Sequence[FailureLike],
    sources: Mapping[str, str],
    coverage: Mapping[tuple[str, int], Iterable[str]] | None = None,
    budget_chars: int = 1200,
    max_candidates_lines: int = 8,
    *,
    project_dir: Path | None = None,
    passed: Collection[str] | None = None,
) -> Plan:
    """Localise the failures and build the shared context block and the edit targets.

    `sources` maps every repo-relative .py path to its text; `coverage` (optional) maps (path, line)
    to the test ids that ran it; `passed` defaults to every test in `coverage` that is not failing;
    `project_dir` lets absolute traceback paths be matched to the repo (without it, `sources` is used).
    """
    index = SourceIndex(sources)
    frames = [_failure_frames(f, sources, project_dir) for f in failures]
    ranked = rank_lines(frames, _ochiai(coverage, failures, passed, frames), sources, index=index)
    block = ContextBlock(task="fix", errors=_errors(failures, budget_chars))
    packer = _Packer(index, block, budget_chars)
    targets = _pack_targets(packer, ranked, max_candidates_lines)
    _pack_tests(packer, frames)
    _pack_callees(packer, targets)
    return Plan(context=block, targets=targets, suspicions=ranked, budget_chars=budget_chars)


def _pack_targets(packer: _Packer, ranked: list[Suspicion], limit: int) -> list[EditTarget]:
    targets: list[EditTarget] = []
    index = packer.index
    for suspicion in ranked:
        if len(targets) >= limit:
            break
        function = index.enclosing_function(suspicion.path, suspicion.line)
        share = packer.budget if not targets else int(packer.budget * EXTRA_TARGET_SHARE)
        if not packer.covers(suspicion.path, suspicion.line) and not _show(packer, suspicion, function, share):
            continue
        text = index.lines(suspicion.path)[suspicion.line - 1]
        name = function.qualname if function else MODULE
        targets.append(EditTarget(suspicion.path, suspicion.line, text, name, suspicion.score))
    return targets


def _show(packer: _Packer, suspicion: Suspicion, function: Definition | None, limit: int) -> bool:
    if function is not None:
        return packer.add_definition(function, suspicion.line, limit)
    lo, hi = max(1, suspicion.line - MODULE_WINDOW), suspicion.line + MODULE_WINDOW
    hi = min(hi, len(packer.index.lines(suspicion.path)))
    return packer.add_range(suspicion.path, lo, hi, suspicion.line, limit)


def _pack_tests(packer: _Packer, frames: list[list[Frame]]) -> None:
    for group in frames:
        tests = [f for f in group if is_test_path(f.path)]
        if not tests:
            continue
        outer = tests[-1]  # the test function itself, not a helper it calls
        function = packer.index.enclosing_function(outer.path, outer.line)
        if function is not None:
            packer.add_definition(function, outer.line, packer.budget)


def _pack_callees(packer: _Packer, targets: list[EditTarget]) -> None:
    resolver = CallResolver(packer.index)
    seen: set[tuple[str, str]] = set()
    for target in targets:
        if (target.path, target.function_name) in seen or target.function_name == MODULE:
            continue
        seen.add((target.path, target.function_name))
        function = packer.index.enclosing_function(target.path, target.line)
        node = resolver.node_of(function) if function else None
        if node is None:
            continue
        for callee in resolver.callees(target.path, node):
            packer.add_definition(callee, callee.def_line, packer.budget)


# ---------------------------------------------------------------- plan_edit


def plan_edit(
    instruction: str,
    sources: Mapping[str, str],
    path_hint: str | None = None,
    symbol_hint: str | None = None,
    budget_chars: int = 1200,
) -> EditPlan:
    """The context for `dagent edit "INSTRUCTION" PATH[:SYMBOL]`, and the structural op if one fits.

    The block shows the code the edit is about: the op's symbol, else the hinted symbol, else the
    hinted file from its top, else the project definitions the instruction names.
    """
    ops = plan_instruction(instruction, sources, path_hint, symbol_hint)
    op = next((o for o in ops if getattr(o, "symbol", None)), ops[0] if ops else None)
    index = SourceIndex(sources)
    block = ContextBlock(task="edit", instruction=instruction)
    packer = _Packer(index, block, budget_chars)
    focus = _edit_focus(op, index, sources, path_hint, symbol_hint, instruction)
    for definition in focus:
        packer.add_definition(definition, definition.def_line, budget_chars)
    path = getattr(op, "path", None) or path_hint or (focus[0].path if focus else None)
    if path is not None and (not focus or isinstance(op, AddImport)):
        packer.add_range(path, 1, len(index.lines(path)), 1, budget_chars)  # the file from its top
    symbol = getattr(op, "symbol", None) or symbol_hint
    return EditPlan(context=block, op=op, path=path, symbol=symbol, budget_chars=budget_chars, ops=ops)


def _edit_focus(
    op: Op | None,
    index: SourceIndex,
    sources: Mapping[str, str],
    path_hint: str | None,
    symbol_hint: str | None,
    instruction: str,
) -> list[Definition]:
    symbol = getattr(op, "symbol", None)
    if op is not None and symbol is not None:
        return [d for d in index.definitions(op.path) if d.qualname == symbol][:1]
    if isinstance(op, AddImport):
        return []
    if symbol_hint is not None:
        return [_hinted(index, sources, path_hint, symbol_hint)]
    if path_hint is not None:
        return []
    return _named_in(instruction, index, sources)


def _hinted(index: SourceIndex, sources: Mapping[str, str], path_hint: str | None, symbol: str) -> Definition:
    paths = [path_hint] if path_hint else sorted(sources)
    found = [d for p in paths for d in index.definitions(p) if d.qualname == symbol]
    if not found:
        where = path_hint or "the project"
        raise DagentError(f"no definition of {symbol!r} in {where}")
    if len(found) > 1 and not path_hint:
        places = ", ".join(f"{d.path}:{d.def_line}" for d in found)
        raise DagentError(f"{symbol!r} is defined in several files ({places}); name one: PATH:{symbol}")
    return found[0]


def _named_in(instruction: str, index: SourceIndex, sources: Mapping[str, str]) -> list[Definition]:
    """Project functions and classes whose names appear in the instruction, tests last."""
    words = set(instruction.replace(".", " ").replace("`", " ").replace("(", " ").split())
    found = [
        d
        for path in sorted(sources, key=lambda p: (is_test_path(p), p))
        for d in index.definitions(path)
        if d.kind != "variable" and d.name in words
    ]
    return found[:MAX_NAMED]
