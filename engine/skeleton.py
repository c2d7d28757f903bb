"""Skeletons: a row of `Pinned` text and denoised `Slot`s, and the skeleton for each pinned head the
planner builds (see engine/canvas.py for what the grammar constraint enforces)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dagent.engine.constraints import (
    ANY,
    BODY,
    DOTTED,
    IDENTIFIER,
    IDENTIFIER_START,
    NO_MARKERS,
    ONE_LINE,
    SPACED_WORD,
    Constraint,
    tokens,
)
from dagent.engine.context import Snippet
from dagent.engine.stream_starts import stream_starts
from dagent.ops.syntax import END, LINE_OPS, WITH, OpParseError, parse


class CanvasTooSmall(ValueError):
    """A skeleton's pinned text and slots do not fit the model's canvas (e.g. a very long old line)."""


@dataclass(frozen=True)
class Pinned:
    text: str


@dataclass(frozen=True)
class Slot:
    """Denoised positions. `closes`: a closing text (e.g. "@@end\\n") whose first token ends the slot.
    `first`: the first position's own constraint (e.g. an identifier's first token); a slot with one is
    never empty (that position may not pad). A `first` that no token of the vocabulary meets is dropped.
    `starts`: the slot's text starts with one of these (a token trie the sampler holds;
    engine/stream_starts.py); one slot of a skeleton at most, and not with `first`. Starts too long for
    the slot are dropped (none left: the slot is free)."""

    max_tokens: int | None = None
    constraint: Constraint = ANY
    closes: str | None = None
    first: Constraint | None = None
    starts: tuple[str, ...] = ()

    @property
    def dotted(self) -> bool:
        """A dotted name (`Class.method`): the sampler keeps every dot followed by a name."""
        return self.constraint is DOTTED


Segment = Pinned | Slot


@dataclass(frozen=True)
class Skeleton:
    segments: tuple[Segment, ...]

    @staticmethod
    def free() -> Skeleton:
        """The whole canvas one slot: any op stream, checked by `validate` afterwards. (Pinning its first
        token to the op markers cost valid streams on dagent-tiny: the noise at that position, drawn
        from the eleven markers, reads as a real op and the model follows it.)"""
        return Skeleton((Slot(None, ANY),))

    @staticmethod
    def anchored(snippets: Sequence[Snippet]) -> Skeleton:
        """A free canvas whose first op is a body op anchored at a line `snippets` show
        (engine/stream_starts.py); free when they show no line."""
        starts = stream_starts(snippets)
        return Skeleton((Slot(None, ANY, starts=starts),)) if starts else Skeleton.free()

    @staticmethod
    def replace_line(pinned_prefix: str, max_tokens: int | None = None) -> Skeleton:
        """`pinned_prefix` ("@@replace path:LINE\\n<old>\\n@@with\\n") fixed; the model writes the new
        line(s) and `@@end`."""
        return Skeleton((Pinned(pinned_prefix), Slot(max_tokens, BODY, closes=END + "\n")))

    @staticmethod
    def words(pinned_prefix: str, words: Sequence[Constraint], separator: str = " ") -> Skeleton:
        """A one-line op's words after its pinned header (`@@rename path `): one slot per word, each
        starting with an identifier's first token, `separator` pinned between them; every word but
        the last holds at most WORD_TOKENS tokens. Pads inside a word drop out of the text."""
        segments: list[Segment] = [Pinned(pinned_prefix)]
        for i, constraint in enumerate(words):
            last = i == len(words) - 1
            segments.append(Slot(None if last else WORD_TOKENS, constraint, first=IDENTIFIER_START))
            if not last:
                segments.append(Pinned(separator))
        return Skeleton(tuple(segments))

    @staticmethod
    def line(pinned_prefix: str, keyword: Constraint | None = None) -> Skeleton:
        """The rest of one line after a one-line op's header (`@@import path `); with `keyword`, the
        line's first token is one of it and a space and a word follow it (`import os`, never `import`
        alone or `importimport`)."""
        rest = ONE_LINE & NO_MARKERS
        if keyword is None:
            return Skeleton((Pinned(pinned_prefix), Slot(None, rest)))
        return Skeleton((Pinned(pinned_prefix), Slot(1, rest, first=keyword), Slot(None, rest, first=rest & SPACED_WORD)))

    @staticmethod
    def for_prefix(pinned_prefix: str, snippets: Sequence[Snippet] = ()) -> Skeleton:
        """The skeleton for a planner's pinned prefix: anchored at `snippets` when there is none, a body closed by
        `@@end` after `@@with`, the op's words after a rename/static/param header (`@@rename path `),
        the rest of one line after another one-line op's header (`@@import path `)."""
        if not pinned_prefix:
            return Skeleton.anchored(snippets)
        if pinned_prefix.endswith(WITH + "\n"):
            return Skeleton.replace_line(pinned_prefix)
        marker = op_kind(pinned_prefix)
        if marker in WORDS and "\n" not in pinned_prefix:
            return Skeleton.words(pinned_prefix, *WORDS[marker])
        if marker in LINE_OPS and "\n" not in pinned_prefix:
            return Skeleton.line(pinned_prefix, LINE_KEYWORD.get(marker))
        return Skeleton((Pinned(pinned_prefix), Slot(None, ANY)))


def op_kind(pinned_prefix: str) -> str:
    """The op a pinned prefix starts ("@@replace"), or "free" when nothing is pinned."""
    return pinned_prefix.partition(" ")[0] if pinned_prefix else "free"


WORD_TOKENS = 12


# The words of the one-line ops whose grammar is names (ops/syntax.py GRAMMAR), and what is pinned
# between them: symbol, then a new name or a parameter; a static method's symbol is `Class.method`, so
# its dot is pinned (a symbol without one is not a method). `@@move`'s path stays one free line.
WORDS: dict[str, tuple[tuple[Constraint, ...], str]] = {
    "@@rename": ((DOTTED, IDENTIFIER), " "),
    "@@static": ((DOTTED, IDENTIFIER), "."),
    "@@param": ((DOTTED, ONE_LINE & NO_MARKERS), " "),
}


# The keyword a one-line op's free line starts with, where its grammar fixes one (an import statement
# starts with `import` or `from`; the pinned header ends with the space before it).
LINE_KEYWORD: dict[str, Constraint] = {"@@import": tokens("import", "from")}


def validate(text: str) -> OpParseError | None:
    """None when `text` is a complete op stream, else the parse error (with line and expectation)."""
    try:
        parse(text)
    except OpParseError as err:
        return err
    return None
