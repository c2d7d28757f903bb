"""How a run looks to a person: one live status line while it works, then only what matters.

The loop's `say(str)` messages are its log; its `Progress` events (agent/progress.py) are what this
draws. On a terminal: a spinner line (phase, level, candidates made / validated / left, the best so far,
elapsed against the budget) redrawn in place, with the suspect lines, the candidates that made progress
and the result printed above it. Elsewhere (CI, a pipe): the same lines, plain, no control codes.

Verbosity: `quiet` prints nothing while the run works; `normal` the above; `verbose` every log line
(every candidate with its verdict) as well.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path
from typing import Literal

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from dagent.agent.progress import Progress, Suspect
from dagent.agent.report import Attempt, RunReport

Verbosity = Literal["quiet", "normal", "verbose"]

# phases whose log lines only feed the status line (normal verbosity): the per-candidate chatter
QUIET_PHASES = {"baseline", "search", "model", "validate"}
PHASE_WORDS = {"setup": "starting", "baseline": "baseline tests", "prepare": "preparing", "search": "repair search",
               "model": "model rewrites", "validate": "validating edits"}
SUSPECTS_SHOWN = 5

# family -> (what was wrong, the family's name for people)
FAMILIES: dict[str, tuple[str, str]] = {
    "off_by_one": ("was off by one", "the ±1 family"),
    "operator": ("used the wrong operator", "the operator family"),
    "literal": ("had the wrong constant", "the literal family"),
    "swap": ("had two operands or arguments the wrong way round", "the swap family"),
    "condition": ("had the wrong condition", "the condition family"),
    "name": ("used the wrong name", "the name family"),
    "attribute": ("used the wrong attribute", "the attribute family"),
    "call": ("made the wrong call", "the call family"),
    "statement": ("had a statement missing, extra or wrong", "the statement family"),
    "combine": ("needed two small edits at once", "the combined family"),
    "fill": ("needed a piece the model wrote into a hole", "the model's hole fillings"),
}


class Display:
    """The run's events on a stderr console; a context manager around the run (the live line)."""

    def __init__(self, console: Console, verbosity: Verbosity = "normal", live: bool | None = None,
                 project: Path | None = None) -> None:
        self.console, self.verbosity = console, verbosity
        self.project = project  # the user's project: where the suspect lines are read from
        self.live_line = console.is_terminal if live is None else live
        self.live_line = self.live_line and verbosity != "quiet"
        self.state: Progress | None = None
        self.message = ""  # the latest log line, shown in the status line
        self.started = time.perf_counter()
        self._live: Live | None = None

    # ------------------------------------------------------------ the live line

    def __enter__(self) -> Display:
        self.started = time.perf_counter()
        if self.live_line:
            self._live = Live(_StatusLine(self), console=self.console, refresh_per_second=8, transient=True)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def status_line(self) -> RenderableType:
        """The spinner and the status text, redrawn on every refresh (for a live view of one's own)."""
        return _StatusLine(self)

    def status_text(self) -> Text:
        """The one status line: phase, counters, the best so far, elapsed against the budget."""
        s = self.state
        elapsed = time.perf_counter() - self.started
        parts: list[str] = []
        if s is None:
            parts.append("starting")
        else:
            parts.append(PHASE_WORDS[s.phase] + (f" · level {s.level}" if s.level and s.phase == "search" else "")
                         + (f" · round {s.level}" if s.level and s.phase == "model" else ""))
            if s.phase in ("search", "model", "validate") and s.made:
                parts.append(f"{s.made} made · {s.validated} validated · {s.left} left")
            if s.of_failing and s.validated and s.phase in ("search", "model"):
                parts.append(f"best: {s.best_passing} of {s.of_failing} failing tests pass")
        if self.message and (s is None or s.phase not in ("search", "model", "validate")):
            parts.append(self.message)
        budget = f" / {s.budget_s:.0f}s" if s is not None and s.budget_s else ""
        parts.append(f"{elapsed:.1f}s{budget}")
        return Text(" · ".join(parts), no_wrap=True, overflow="ellipsis")

    # ------------------------------------------------------------ events

    def say(self, message: str) -> None:
        """A log line from the loop."""
        self.message = message.strip()
        phase = self.state.phase if self.state is not None else "setup"
        if self.verbosity == "verbose" or (self.verbosity == "normal" and phase not in QUIET_PHASES):
            self.print(Text(message, style="dim"))

    def progress(self, event: Progress) -> None:
        self.state = event
        if self.verbosity == "quiet":
            return
        if event.kind == "suspects":
            self._suspects(event.suspects, event.level, event.made)
        elif self.verbosity == "verbose":
            return  # the log lines already list every candidate
        elif event.kind == "tried" and event.tried is not None and event.tried.verdict in ("partial", "passes"):
            t = event.tried
            style = "green" if t.verdict == "passes" else "yellow"
            line = Text("  ") + Text(f"{t.verdict:8}", style=style) + Text(f" {t.description}")
            if event.of_failing:
                line += Text(f"  ({t.passing} of {event.of_failing} failing tests pass)", style="dim")
            self.print(line)
        elif event.kind == "building_on" and event.tried is not None:
            self.print(Text(f"  building on {event.tried.description}", style="yellow"))

    def _suspects(self, suspects: tuple[Suspect, ...], level: int, made: int) -> None:
        shown = suspects if self.verbosity == "verbose" else suspects[:SUSPECTS_SHOWN]
        title = f"suspect lines{f' (level {level})' if level > 1 else ''}: {len(suspects)}, {made} candidate edits"
        self.print(Text(title, style="bold"))
        project = self.project
        for s in shown:
            code = _source_line(project, s.path, s.line) if project is not None else ""
            self.print(Text(f"  {s.score:5.2f}  ", style="cyan") + Text(f"{s.path}:{s.line}") +
                       (Text(f"  {code}", style="dim") if code else Text("")))
        if len(shown) < len(suspects):
            self.print(Text(f"  ... and {len(suspects) - len(shown)} more (-v lists them)", style="dim"))

    def print(self, renderable: RenderableType) -> None:
        self.console.print(renderable, highlight=False, soft_wrap=not self.console.is_terminal)


class _StatusLine:
    def __init__(self, display: Display) -> None:
        self.display = display
        self.spinner = Spinner("dots", style="cyan")

    def __rich__(self) -> RenderableType:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, overflow="ellipsis")
        grid.add_row(self.spinner, self.display.status_text())
        return Group(grid)


def _source_line(project: Path, path: str, line: int) -> str:
    try:
        lines = (project / path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


# ---------------------------------------------------------------- the result


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def function_at(project: Path, path: str, line: int) -> str | None:
    """The qualified name of the innermost function (or class) around `line` of `path`, if any."""
    try:
        tree = ast.parse((project / path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    found: str | None = None

    def walk(body: list[ast.stmt], prefix: str) -> None:
        nonlocal found
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                end = getattr(node, "end_lineno", node.lineno) or node.lineno
                if node.lineno <= line <= end:
                    found = prefix + node.name
                    walk(node.body, found + ".")

    walk(tree.body, "")
    return found


def _explain_attempt(attempt: Attempt, project: Path, tried: int | None = None, diagnosis: bool = True) -> str:
    """`fn` (path:line) was off by one: `a` → `a + 1`; the ±1 family, ranked 2nd of 30 (diagnosis: for the
    winner; else only where, what and its rank)."""
    place = ""
    if attempt.rank and attempt.of != 1:
        place = f"ranked {ordinal(attempt.rank)}" + (f" of {attempt.of}" if attempt.of else "")
        if tried is not None and tried != attempt.rank:
            place += f", tried {ordinal(tried)}"
    if attempt.family:
        wrong, family = FAMILIES.get(attempt.family, ("was wrong", f"the {attempt.family} family"))
        where = f"{attempt.path}:{attempt.line}"
        function = function_at(project, attempt.path, attempt.line or 0)
        subject = f"`{function}` ({where})" if function else where
        if not diagnosis:
            return f"{subject}, {attempt.note} ({family}" + (f", {place})" if place else ")")
        return f"{subject} {wrong}: {attempt.note}; {family}" + (f", {place}" if place else "")
    first = next((ln for ln in attempt.ops.splitlines() if ln.strip()), "").strip()
    what = {"structural": "a structural op", "model": "the model's rewrite"}.get(attempt.source, attempt.source)
    what = f"made by {what}" if attempt.source == "structural" else what
    return f"{what}: `{first}`" + (f", {place}" if place else "")


def _tried_place(report: RunReport, attempt: Attempt) -> int:
    """Which candidate of its level (round) the search took up: 1 for the first (for attempts the search
    did not number, the order their verdicts came in)."""
    if attempt.taken is not None:
        return attempt.taken
    same = [a for a in report.attempts if a.round == attempt.round and a.source.startswith("grammar") == attempt.source.startswith("grammar")]
    return next(i for i, a in enumerate(same, 1) if a is attempt)


def explain(report: RunReport) -> str:
    """One sentence on what was wrong (fixed) or how close the search came (not fixed)."""
    project = Path(report.project)
    winning = report.winning()
    if winning:
        parts = [_explain_attempt(a, project, _tried_place(report, a)) for a in winning]
        text = parts[0] if len(parts) == 1 else "; then ".join(parts)
        return text[0].upper() + text[1:] + "."
    if report.fixed or not report.failing_before:
        return ""
    failing = set(report.failing_before)

    def passing(a: Attempt) -> int:
        return len(failing - set(a.failing_after)) if a.verdict in ("partial", "still_failing") else 0

    closest = max(report.attempts, key=lambda a: (passing(a), a.verdict == "partial"), default=None)
    if closest is None or passing(closest) == 0:
        return f"No candidate made any of the {len(failing)} failing test(s) pass."
    return (f"The closest candidate made {passing(closest)} of {len(failing)} failing tests pass: "
            f"{_explain_attempt(closest, project, diagnosis=False)}.")


def timings_line(report: RunReport) -> str:
    """What was done and where the time went: "fixed in 6.2s: 1 level, 7 candidates validated; baseline ..."."""
    t = report.timings
    unit = "level" if report.command == "fix" and not any(a.source == "model" for a in report.attempts) else "round"
    parts = []
    if t.baseline_s:
        parts.append(f"baseline {t.baseline_s:.1f}s (plain run {t.baseline_plain_s:.1f}s, coverage {t.baseline_traced_s:.1f}s)")
        parts.append(f"search {max(0.0, t.wall_s - t.baseline_s):.1f}s")
    parts.append(f"tests {t.test_s:.1f}s" + (f" over {report.lanes} lanes" if report.lanes > 1 else ""))
    if t.model_s or t.model_load_s:
        parts.append(f"model {t.model_s:.1f}s (+{t.model_load_s:.1f}s to load, {t.tokens_per_forward:.1f} tokens/forward)")
    result = ("fixed" if report.fixed else "not fixed") if report.command == "fix" else ("edited" if report.fixed else "not edited")
    return (f"{result} in {t.wall_s:.1f}s: {report.rounds} {unit}{'s' if report.rounds != 1 else ''}, "
            f"{report.candidates_tried} candidate{'s' if report.candidates_tried != 1 else ''} validated; " + ", ".join(parts))


def print_result(report: RunReport, console: Console, verbosity: Verbosity) -> None:
    """The verdict on stderr (the diff goes to stdout, apart): status, what was wrong, counts, timings."""
    colour = "green" if report.fixed else "red"
    soft = not console.is_terminal
    console.print(Text(report.status, style=f"bold {colour}"), highlight=False, soft_wrap=soft)
    if report.explanation:
        console.print(Text(report.explanation), highlight=False, soft_wrap=soft)
    if verbosity == "quiet":
        return
    console.print(Text(timings_line(report), style="dim"), highlight=False, soft_wrap=soft)

