"""Mutations of real functions: each plants one small bug and knows the op stream that undoes it.

A mutation works on one line of a module (token by token, with `tokenize`, so strings and comments
are never touched) or removes/duplicates a line. The mutated module must still parse: real bugs
compile. Everything is driven by a `random.Random`, so a seed fixes the data.
"""

from __future__ import annotations

import ast
import io
import keyword
import random
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

from dagent.ops.model import Delete, Insert, Op, Replace

KINDS = (
    "operator",
    "comparison",
    "off_by_one",
    "slice",
    "swap_names",
    "swap_args",
    "attribute",
    "missing_line",
    "extra_line",
    "dropped_return",
    "boolean",
)

_OPERATORS = {"+": "-", "-": "+", "*": "/", "/": "*", "//": "/", "%": "//", "+=": "-=", "-=": "+="}
_COMPARISONS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
_BOOLEANS = {"True": "False", "False": "True", "and": "or", "or": "and"}
_ATTRIBUTE_SWAPS = {
    "append": "extend", "extend": "append", "keys": "values", "values": "keys", "items": "values",
    "startswith": "endswith", "endswith": "startswith", "lower": "upper", "upper": "lower",
    "lstrip": "rstrip", "rstrip": "lstrip", "get": "pop", "add": "discard", "min": "max", "max": "min",
    "index": "find", "find": "rfind", "rfind": "find", "insert": "append", "remove": "discard",
}


@dataclass(frozen=True)
class Mutation:
    kind: str
    line: int  # 1-based line of the bug in the mutated source
    mutated: str  # the whole mutated module
    fix: Op  # the op that restores the original


@dataclass(frozen=True)
class _Token:
    type: int
    string: str
    start: int  # column offsets within the line
    end: int


def _line_tokens(line: str) -> list[_Token]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.lstrip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    indent = len(line) - len(line.lstrip())
    return [_Token(t.type, t.string, t.start[1] + indent, t.end[1] + indent) for t in tokens if t.start[0] == 1]


def _replace_token(line: str, token: _Token, new: str) -> str:
    return line[: token.start] + new + line[token.end :]


def _swap_token(line: str, rng: random.Random, table: dict[str, str], types: tuple[int, ...]) -> str | None:
    choices = [t for t in _line_tokens(line) if t.type in types and t.string in table]
    if not choices:
        return None
    token = rng.choice(choices)
    return _replace_token(line, token, table[token.string])


def _operator(line: str, rng: random.Random) -> str | None:
    return _swap_token(line, rng, _OPERATORS, (tokenize.OP,))


def _comparison(line: str, rng: random.Random) -> str | None:
    tokens = _line_tokens(line)
    names = [t for t in tokens if t.type == tokenize.NAME and t.string in ("in", "is")]
    if names and rng.random() < 0.3:
        token = rng.choice(names)
        return _replace_token(line, token, token.string + " not")
    return _swap_token(line, rng, _COMPARISONS, (tokenize.OP,))


def _off_by_one(line: str, rng: random.Random) -> str | None:
    numbers = [t for t in _line_tokens(line) if t.type == tokenize.NUMBER and t.string.isdigit() and len(t.string) < 5]
    if not numbers:
        return None
    token = rng.choice(numbers)
    value = int(token.string)
    new = value + 1 if value == 0 or rng.random() < 0.5 else value - 1
    return _replace_token(line, token, str(new))


def _slice(line: str, rng: random.Random) -> str | None:
    tokens = _line_tokens(line)
    spots = [tokens[i] for i in range(1, len(tokens) - 1) if tokens[i].string == ":" and tokens[i - 1].string == "["]
    if spots and rng.random() < 0.4:  # x[:n] → x[1:n]
        token = rng.choice(spots)
        return line[: token.start] + "1" + line[token.start :]
    # `n - 1` / `n + 1` → `n`: the classic fence-post bug (range(len(xs) - k + 1) written without the + 1).
    spots = [i for i in range(1, len(tokens) - 1) if tokens[i].string in ("-", "+") and tokens[i + 1].string == "1"
             and (tokens[i - 1].type in (tokenize.NAME, tokenize.NUMBER) or tokens[i - 1].string in (")", "]"))]
    if not spots:
        return None
    i = rng.choice(spots)
    return line[: tokens[i - 1].end] + line[tokens[i + 1].end :]


def _names(line: str) -> list[_Token]:
    return [t for t in _line_tokens(line) if t.type == tokenize.NAME and not keyword.iskeyword(t.string)
            and t.string not in ("self", "cls")]


def _swap_names(line: str, rng: random.Random) -> str | None:
    names = _names(line)
    distinct = sorted({t.string for t in names})
    if len(distinct) < 2:
        return None
    first, second = rng.sample(distinct, 2)
    a = next(t for t in names if t.string == first)
    return _replace_token(line, a, second)


def _swap_args(line: str, rng: random.Random) -> str | None:
    tokens = _line_tokens(line)
    for i, tok in enumerate(tokens[:-4]):
        if tok.type == tokenize.NAME and tokens[i + 1].string == "(":
            a, comma, b = tokens[i + 2], tokens[i + 3], tokens[i + 4]
            closing = tokens[i + 5].string if i + 5 < len(tokens) else ""
            if a.type == tokenize.NAME and comma.string == "," and b.type == tokenize.NAME and closing in (")", ","):
                if a.string != b.string:
                    return line[: a.start] + b.string + ", " + a.string + line[b.end :]
    return None


def _attribute(line: str, rng: random.Random) -> str | None:
    tokens = _line_tokens(line)
    spots = [tokens[i] for i in range(1, len(tokens)) if tokens[i - 1].string == "." and tokens[i].string in _ATTRIBUTE_SWAPS]
    if not spots:
        return None
    token = rng.choice(spots)
    return _replace_token(line, token, _ATTRIBUTE_SWAPS[token.string])


def _dropped_return(line: str, rng: random.Random) -> str | None:
    stripped = line.lstrip()
    if stripped.startswith("return ") and len(stripped) > 8:
        return line[: len(line) - len(stripped)] + stripped[len("return ") :]
    return None


def _boolean(line: str, rng: random.Random) -> str | None:
    tokens = _line_tokens(line)
    nots = [t for t in tokens if t.string == "not"]
    if nots and rng.random() < 0.4:
        token = rng.choice(nots)
        return line[: token.start] + line[token.end :].lstrip(" ")
    return _swap_token(line, rng, _BOOLEANS, (tokenize.NAME,))


_LINE_MUTATORS: dict[str, Callable[[str, random.Random], str | None]] = {
    "operator": _operator,
    "comparison": _comparison,
    "off_by_one": _off_by_one,
    "slice": _slice,
    "swap_names": _swap_names,
    "swap_args": _swap_args,
    "attribute": _attribute,
    "dropped_return": _dropped_return,
    "boolean": _boolean,
}


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _region_parses(lines: list[str], first: int, last: int) -> bool:
    """Whether lines[first:last] (a whole def, maybe indented inside a class) parses on its own:
    much cheaper than re-parsing the module, and a def parses alone exactly when it parses in place."""
    indent = len(lines[first]) - len(lines[first].lstrip())
    wrapped = ["if True:\n"] + lines[first:last] if indent else lines[first:last]
    return _parses("".join(wrapped))


def _is_statement_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "@", '"""', "'''", "def ", "class ", "async def "))


def mutate_line(lines: list[str], index: int, kind: str, path: str, rng: random.Random,
                function: tuple[int, int] | None = None) -> Mutation | None:
    """Plant a `kind` bug at 0-based `index` of `lines` (each ending in "\\n"); None if it does not fit.

    With `function` (the 1-based first and last line of the def holding `index`), only that def is
    re-parsed to check the bug compiles."""
    original = lines[index]
    if kind == "missing_line":
        if index == 0 or not _is_statement_line(original) or original.strip() in ("pass", "else:", "try:"):
            return None
        mutated_lines = lines[:index] + lines[index + 1 :]
        anchor = lines[index - 1]
        fix: Op = Insert(kind="insert_after", path=path, anchor=anchor, text=original, line=index)
        bug_line = index  # the line after which one is missing (1-based index of the anchor)
    elif kind == "extra_line":
        if not _is_statement_line(original) or original.rstrip().endswith(":"):
            return None
        mutated_lines = lines[: index + 1] + [original] + lines[index + 1 :]
        fix = Delete(path=path, old=original, line=index + 2)
        bug_line = index + 2
    else:
        if not _is_statement_line(original):
            return None
        changed = _LINE_MUTATORS[kind](original.rstrip("\n"), rng)
        if changed is None or changed + "\n" == original:
            return None
        mutated_lines = lines[:index] + [changed + "\n"] + lines[index + 1 :]
        fix = Replace(path=path, old=changed + "\n", new=original, line=index + 1)
        bug_line = index + 1
    if function is not None:
        shift = len(mutated_lines) - len(lines)
        if not _region_parses(mutated_lines, function[0] - 1, function[1] + shift):
            return None
    elif not _parses("".join(mutated_lines)):
        return None
    mutated = "".join(mutated_lines)
    return Mutation(kind=kind, line=bug_line, mutated=mutated, fix=fix)
