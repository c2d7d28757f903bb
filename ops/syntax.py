"""The text form of the edit-op language: parse, render, and its grammar.

A stream is a sequence of ops. Every op starts with a header line whose first word is a marker
(`@@replace`, `@@with`, ...: single special tokens in dagent's tokenizer). Code stays plain text,
one body line per line; a body line that starts with `@@` or `\\` is written with a `\\` in front.

Grammar (EBNF; NL is "\\n"; PATH is a bare path without spaces or a JSON-quoted string;
LINE is a 1-based line hint; the sampler enforces it position by position):

    stream      = { blank | op } ;
    blank       = NL ;
    op          = replace | insert | delete | create | remove | move
                | rename | import | static | param | forward | decorate
                | dataclass | move_module ;
    replace     = "@@replace " PATH [ ":" LINE ] NL body "@@with" NL body "@@end" NL ;
    insert      = ( "@@insert_after " | "@@insert_before " ) PATH [ ":" LINE ] NL
                  body "@@with" NL body "@@end" NL ;
    delete      = "@@delete " PATH [ ":" LINE ] NL body "@@end" NL ;
    create      = "@@create " PATH NL body "@@end" NL ;
    remove      = "@@remove " PATH NL ;
    move        = "@@move " PATH " " PATH NL ;
    rename      = "@@rename " PATH " " DOTTED " " IDENT NL ;
    import      = "@@import " PATH " " ( "import " | "from " ) TEXT NL ;
    static      = "@@static " PATH " " DOTTED NL ;
    param       = "@@param " PATH " " DOTTED " " IDENT TEXT NL ;
    forward     = "@@forward " PATH " " DOTTED " " IDENT " " DOTTED NL ;
    decorate    = "@@decorate " PATH " " DOTTED " @" TEXT NL ;
    dataclass   = "@@dataclass " PATH " " DOTTED { " " OPTION } NL ;
    move_module = "@@move_module " PATH " " PATH NL ;
    OPTION      = "frozen" | "order" | "slots" | "kw_only" | "unsafe_hash" ;
    body        = { body_line NL } ;
    body_line   = any line, with "\\" prepended when it starts with "@@" or "\\" ;

Example:

    @@replace pkg/stats.py:12
        return total / (len(xs) - 1)
    @@with
        return total / len(xs)
    @@end
    @@rename pkg/stats.py mean average
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass

from pydantic import ValidationError

from dagent.ops.model import (
    AddImport,
    AddParameter,
    CreateFile,
    Decorate,
    Delete,
    ForwardArgument,
    Insert,
    MakeDataclass,
    MakeStatic,
    MoveFile,
    MoveModule,
    Op,
    RemoveFile,
    RenameSymbol,
    Replace,
)

# The EBNF above, as `dagent ops grammar` prints it.
GRAMMAR = (
    "(* NL: a newline. PATH: a repo-relative path, bare (no whitespace) or JSON-quoted. LINE: a 1-based\n"
    "   line hint. DOTTED: a dotted name (func, Class.method). IDENT: an identifier. TEXT: the rest of the line. *)\n"
    + textwrap.dedent(__doc__[__doc__.index("    stream ") : __doc__.index("Example:")]).strip()
    + "\n"
)

WITH = "@@with"
END = "@@end"
BODY_OPS = ("@@replace", "@@insert_after", "@@insert_before", "@@delete", "@@create")
LINE_OPS = (
    "@@remove", "@@move", "@@rename", "@@import", "@@static", "@@param",
    "@@forward", "@@decorate", "@@dataclass", "@@move_module",
)
OP_MARKERS = BODY_OPS + LINE_OPS
MARKERS = OP_MARKERS + (WITH, END)
_TWO_BODY = {"@@replace", "@@insert_after", "@@insert_before"}
_LINE_HINT = re.compile(r"^(?P<path>.+?):(?P<line>[0-9]+)$")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() accepts "²", which int() rejects


class OpParseError(ValueError):
    """A stream does not follow the grammar; `line` is 1-based within the stream."""

    def __init__(self, line: int, expected: str, got: str) -> None:
        self.line = line
        self.expected = expected
        self.got = got
        shown = got if len(got) <= 60 else got[:57] + "..."
        super().__init__(f"op stream line {line}: expected {expected}, got {shown!r}")


@dataclass(frozen=True)
class ParsedPrefix:
    """What a possibly unfinished stream holds: its completed ops and where the unfinished tail starts."""

    ops: list[Op]
    complete: bool
    consumed_lines: int


# ---------------------------------------------------------------- render


def render_path(path: str) -> str:
    needs_quotes = not path or any(c.isspace() for c in path) or path.startswith('"') or _LINE_HINT.match(path)
    return json.dumps(path) if needs_quotes else path


def _escape(line: str) -> str:
    return "\\" + line if line.startswith(("@@", "\\")) else line


def render_body(text: str) -> str:
    # split("\n"), not splitlines(): a "\r" or "\x0c" inside a line is content, not a line break.
    return "".join(_escape(line) + "\n" for line in text.split("\n")[:-1])


def _with_hint(path: str, line: int | None) -> str:
    return render_path(path) + (f":{line}" if line is not None else "")


def render_op(op: Op) -> str:
    """One op in its text form, ending in a newline."""
    if isinstance(op, Replace):
        return f"@@replace {_with_hint(op.path, op.line)}\n{render_body(op.old)}{WITH}\n{render_body(op.new)}{END}\n"
    if isinstance(op, Insert):
        return f"@@{op.kind} {_with_hint(op.path, op.line)}\n{render_body(op.anchor)}{WITH}\n{render_body(op.text)}{END}\n"
    if isinstance(op, Delete):
        return f"@@delete {_with_hint(op.path, op.line)}\n{render_body(op.old)}{END}\n"
    if isinstance(op, CreateFile):
        return f"@@create {render_path(op.path)}\n{render_body(op.content)}{END}\n"
    if isinstance(op, RemoveFile):
        return f"@@remove {render_path(op.path)}\n"
    if isinstance(op, MoveFile):
        return f"@@move {render_path(op.path)} {render_path(op.to)}\n"
    if isinstance(op, RenameSymbol):
        return f"@@rename {render_path(op.path)} {op.symbol} {op.new_name}\n"
    if isinstance(op, AddImport):
        return f"@@import {render_path(op.path)} {op.statement}\n"
    if isinstance(op, MakeStatic):
        return f"@@static {render_path(op.path)} {op.symbol}\n"
    if isinstance(op, AddParameter):
        return f"@@param {render_path(op.path)} {op.symbol} {op.parameter}\n"
    if isinstance(op, ForwardArgument):
        return f"@@forward {render_path(op.path)} {op.symbol} {op.name} {op.callee}\n"
    if isinstance(op, Decorate):
        return f"@@decorate {render_path(op.path)} {op.symbol} @{op.decorator}\n"
    if isinstance(op, MakeDataclass):
        return f"@@dataclass {render_path(op.path)} {' '.join((op.symbol, *op.options))}\n"
    if isinstance(op, MoveModule):
        return f"@@move_module {render_path(op.path)} {render_path(op.to)}\n"
    raise TypeError(f"not an op: {op!r}")


def render(ops: list[Op]) -> str:
    return "".join(render_op(op) for op in ops)


# ---------------------------------------------------------------- pinned heads
# What the planner pins on the model's canvas and the model continues: a replace's or an insert's
# header line, its old lines and `@@with`. It is part of dagent-tiny's trained format, so the planner
# (agent/plan.py), the trainer (engine/train/data.py), the canvas and the engine build and cut it here.

_WITH_LINE = WITH + "\n"


def pinned_head(kind: str, path: str, line: int | None, old: str) -> str:
    """`@@<kind> path:LINE`, the `old` lines, `@@with` (kind: replace, insert_after, insert_before)."""
    return f"@@{kind} {_with_hint(path, line)}\n{render_body(old)}{_WITH_LINE}"


def pinned_head_of(op: Op) -> str:
    """The pinned head of a replace or an insert; "" for an op the planner does not pin."""
    if isinstance(op, Replace):
        return pinned_head("replace", op.path, op.line, op.old)
    if isinstance(op, Insert):
        return pinned_head(op.kind, op.path, op.line, op.anchor)
    return ""


def is_pinned_head(text: str) -> bool:
    return text.startswith("@@") and text.endswith(_WITH_LINE)


def split_pinned(text: str) -> tuple[str, str]:
    """A rendered replace or insert cut after its `@@with` line: the pinned head and what the model wrote."""
    cut = text.index(_WITH_LINE) + len(_WITH_LINE)
    return text[:cut], text[cut:]


def replace_draft(head: str) -> str | None:
    """For a replace's pinned head, the slot text that repeats its old lines, then `@@end`: the draft the
    model edits (dagent-tiny is trained to turn exactly this into the fix). None for another head."""
    if not head.startswith("@@replace ") or not head.endswith(_WITH_LINE):
        return None
    return head.split("\n", 1)[1][: -len(_WITH_LINE)] + END + "\n"


# ---------------------------------------------------------------- parse


def _split_path(rest: str, lineno: int) -> tuple[str, str]:
    """Take one PATH (bare or JSON-quoted) off the front of `rest`; return it and what follows."""
    if rest.startswith('"'):
        try:
            path, end = json.JSONDecoder().raw_decode(rest)
        except json.JSONDecodeError:
            raise OpParseError(lineno, "a JSON-quoted path", rest) from None
        if not isinstance(path, str):
            raise OpParseError(lineno, "a JSON-quoted path", rest)
        tail = rest[end:]
    else:
        path, _, tail = rest.partition(" ")
        tail = " " + tail if tail or rest.endswith(" ") else ""
    if not path:
        raise OpParseError(lineno, "a path", rest)
    return path, tail


def _path_and_hint(rest: str, lineno: int) -> tuple[str, int | None]:
    if rest.startswith('"'):
        path, tail = _split_path(rest, lineno)
        if tail == "":
            return path, None
        if tail.startswith(":") and _DIGITS.fullmatch(tail[1:]):
            return path, _line_number(tail[1:], lineno)
        raise OpParseError(lineno, "end of line or ':LINE' after the path", tail)
    if " " in rest or not rest:
        raise OpParseError(lineno, "one path, optionally with ':LINE'", rest)
    match = _LINE_HINT.match(rest)
    if match:
        return match["path"], _line_number(match["line"], lineno)
    return rest, None


def _line_number(digits: str, lineno: int) -> int:
    # int() refuses strings of more than 4300 digits (CPython's limit): that is a grammar error too.
    if len(digits) > 18:
        raise OpParseError(lineno, "a line hint of at most 18 digits", digits[:20])
    return int(digits)


def _words(rest: str, lineno: int, count: int, expected: str) -> list[str]:
    path, tail = _split_path(rest, lineno)
    words = tail.strip().split(" ", count - 2) if count > 1 else []
    if len(words) != count - 1 or any(not w for w in words) or tail[:1] not in (" ", ""):
        raise OpParseError(lineno, expected, rest)
    return [path, *words]


def _make(lineno: int, header: str, factory, **fields):  # type: ignore[no-untyped-def]
    try:
        return factory(**fields)
    except ValidationError as err:
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise OpParseError(lineno, f"a valid op ({problem})", header) from None


def _line_op(marker: str, rest: str, lineno: int, header: str) -> Op:
    if marker == "@@remove":
        path, tail = _split_path(rest, lineno)
        if tail:
            raise OpParseError(lineno, "one path", rest)
        return _make(lineno, header, RemoveFile, path=path)
    if marker in ("@@move", "@@move_module"):
        expected = f"'{marker} SOURCE TARGET'"
        src, dst = _words(rest, lineno, 2, expected)
        if dst.startswith('"'):
            dst, extra = _split_path(dst, lineno)
            if extra:
                raise OpParseError(lineno, expected, rest)
        return _make(lineno, header, MoveFile if marker == "@@move" else MoveModule, path=src, to=dst)
    if marker == "@@rename":
        path, symbol, new_name = _words(rest, lineno, 3, "'@@rename PATH SYMBOL NEW_NAME'")
        return _make(lineno, header, RenameSymbol, path=path, symbol=symbol, new_name=new_name)
    if marker == "@@import":
        path, statement = _words(rest, lineno, 2, "'@@import PATH import ...' or '@@import PATH from ...'")
        return _make(lineno, header, AddImport, path=path, statement=statement)
    if marker == "@@static":
        path, symbol = _words(rest, lineno, 2, "'@@static PATH Class.method'")
        return _make(lineno, header, MakeStatic, path=path, symbol=symbol)
    if marker == "@@forward":
        path, symbol, tail = _words(rest, lineno, 3, "'@@forward PATH FUNCTION NAME CALLEE'")
        name, _, callee = tail.partition(" ")
        if not name or not callee or " " in callee:
            raise OpParseError(lineno, "'@@forward PATH FUNCTION NAME CALLEE'", rest)
        return _make(lineno, header, ForwardArgument, path=path, symbol=symbol, name=name, callee=callee)
    if marker == "@@decorate":
        path, symbol, decorator = _words(rest, lineno, 3, "'@@decorate PATH SYMBOL @DECORATOR'")
        if not decorator.startswith("@"):
            raise OpParseError(lineno, "'@' before the decorator", rest)
        return _make(lineno, header, Decorate, path=path, symbol=symbol, decorator=decorator)
    if marker == "@@dataclass":
        path, tail = _split_path(rest, lineno)
        words = tail.strip().split(" ")
        if not tail.startswith(" ") or any(not w for w in words):
            raise OpParseError(lineno, "'@@dataclass PATH CLASS [OPTION ...]'", rest)
        return _make(lineno, header, MakeDataclass, path=path, symbol=words[0], options=tuple(words[1:]))
    path, symbol, parameter = _words(rest, lineno, 3, "'@@param PATH FUNCTION PARAMETER'")
    return _make(lineno, header, AddParameter, path=path, symbol=symbol, parameter=parameter)


def _unescape(line: str) -> str:
    return line[1:] if line.startswith("\\") else line


class _Reader:
    """Walks a stream line by line; `None` from `next_line` means the text ran out."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        # The text after the last "\n" is an unfinished line: it never counts as a whole line.
        self.whole = len(self.lines) - 1
        self.pos = 0

    def next_line(self) -> str | None:
        if self.pos >= self.whole:
            return None
        self.pos += 1
        return self.lines[self.pos - 1]

    def body(self, stops: tuple[str, ...]) -> tuple[str, str] | None:
        """Body lines up to one of `stops`; returns (text, the stop) or None when the text ran out."""
        collected: list[str] = []
        while (line := self.next_line()) is not None:
            if line in stops:
                return "".join(part + "\n" for part in collected), line
            if line.startswith("@@"):
                raise OpParseError(self.pos, " or ".join(repr(s) for s in stops) + " or a body line", line)
            collected.append(_unescape(line))
        return None


class _Unfinished(Exception):
    """The stream stops inside an op."""


def _body_op(marker: str, rest: str, header: str, lineno: int, reader: _Reader) -> Op:
    if marker == "@@create":
        path, tail = _split_path(rest, lineno)
        if tail:
            raise OpParseError(lineno, "one path", rest)
        body = reader.body((END,))
        if body is None:
            raise _Unfinished
        return _make(lineno, header, CreateFile, path=path, content=body[0])
    path, hint = _path_and_hint(rest, lineno)
    first = reader.body((WITH, END) if marker in _TWO_BODY else (END,))
    if first is None:
        raise _Unfinished
    if marker == "@@delete":
        return _make(lineno, header, Delete, path=path, old=first[0], line=hint)
    if first[1] != WITH:
        raise OpParseError(reader.pos, f"'{WITH}' before '{END}' in {marker}", END)
    second = reader.body((END,))
    if second is None:
        raise _Unfinished
    if marker == "@@replace":
        return _make(lineno, header, Replace, path=path, old=first[0], new=second[0], line=hint)
    return _make(lineno, header, Insert, kind=marker[2:], path=path, anchor=first[0], text=second[0], line=hint)


def parse_prefix(text: str) -> ParsedPrefix:
    """Parse the ops a (possibly unfinished) stream has completed so far.

    A grammar error in a completed part raises OpParseError; an op cut off by the end of the text is
    left out and reported as `complete=False`.
    """
    reader = _Reader(text)
    ops: list[Op] = []
    consumed = 0
    while (header := reader.next_line()) is not None:
        lineno = reader.pos
        if header.strip() == "":
            consumed = reader.pos
            continue
        marker, _, rest = header.partition(" ")
        if marker not in OP_MARKERS:
            raise OpParseError(lineno, "an op header (" + ", ".join(OP_MARKERS) + ")", header)
        try:
            if marker in LINE_OPS:
                ops.append(_line_op(marker, rest, lineno, header))
            else:
                ops.append(_body_op(marker, rest, header, lineno, reader))
        except _Unfinished:
            return ParsedPrefix(ops=ops, complete=False, consumed_lines=consumed)
        consumed = reader.pos
    unfinished_tail = reader.lines[-1] != ""
    return ParsedPrefix(ops=ops, complete=not unfinished_tail, consumed_lines=consumed)


def parse(text: str) -> list[Op]:
    """Parse a whole stream; an unfinished op or any grammar error raises OpParseError."""
    if text and not text.endswith("\n"):
        text += "\n"
    prefix = parse_prefix(text)
    if not prefix.complete:
        line_count = text.count("\n")
        raise OpParseError(line_count + 1, f"'{END}' to close the op that starts after line {prefix.consumed_lines}", "end of text")
    return prefix.ops
