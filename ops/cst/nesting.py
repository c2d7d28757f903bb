"""A token-level gauge of bracket nesting, run before libcst sees a file (libcst overflows its stack on
thousands of nested brackets and hits RecursionError a few hundred levels down)."""

from __future__ import annotations

import io
import keyword
import tokenize
from dataclasses import dataclass, field

from dagent.errors import ApplyError

# CPython itself refuses more nested brackets ("too many nested parentheses"), so no valid file is lost.
MAX_BRACKETS = 200


# Estimated tree depth (operators chained in an expression, brackets, indentation). libcst's native parser
# needs about 7 KiB of stack per bracket, 2.4 KiB per lambda and 1.2-1.5 KiB per other operator, so on an
# 8 MiB stack it dies near 1,500 nested brackets or 5,000 chained operators; both caps together stay under
# 2.5 MiB. Its Python passes give up (RecursionError, caught) from a few hundred levels anyway.
MAX_DEPTH = 500


# How tightly each operator binds, loosest first. An operator closes the chains of tighter ones before it
# (`a*b + c*d`: each product is its own subtree), and adds one level to the chain of its own class.
_BINARY = {"|": 4, "^": 5, "&": 6, "<<": 7, ">>": 7, "+": 8, "-": 8, "*": 9, "/": 9, "//": 9, "%": 9, "@": 9, "**": 11}


_COMPARE = {"<", ">", "==", ">=", "<=", "!=", "<>", "in", "is"}  # one flat node in libcst however long


_WORDS = {"lambda": 0, "yield": 0, "if": 1, "else": 1, "for": 1, "or": 2, "and": 3, "not": 4, "await": 12}


_PREFIX, _COMPARISON, _TRAILER, _CONCAT = 10, 5, 13, 14


_CLASSES = 15


_SEPARATORS = {",", ";", "=", ":="}  # end an item (augmented assignments too, see _is_separator)


_CLOSERS = (")", "]", "}")


@dataclass
class _Level:
    """One bracket level of an expression (or the statement level): its operator chains by class."""

    runs: list[int] = field(default_factory=lambda: [0] * _CLASSES)
    lambda_params: int = 0  # lambdas whose parameter list is still open here


class NestingRefused(ApplyError):
    """Source nested too deeply for libcst (whose native parser can crash the process on it)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: too deeply nested for libcst ({problem}): refused, as libcst crashes or gives up on such code; edit it as text (@@replace) instead")
        self.path, self.problem = path, problem


def _is_separator(text: str) -> bool:
    return text in _SEPARATORS or (text.endswith("=") and len(text) > 1 and text[:-1] in _BINARY)


class _NestingGauge:
    """Follows tokens and estimates how deep the tree libcst builds gets: bracket levels, plus each
    level's operator chains, plus indentation. Commas, semicolons and assignments end an item, so flat
    data (a 100,000-element list) stays shallow however long it is."""

    def __init__(self) -> None:
        self.levels = [_Level()]
        self.links = 0  # the levels' runs, summed
        self.indent = 0
        self.previous: tokenize.TokenInfo | None = None

    def depth(self) -> int:
        return self.links + len(self.levels) - 1 + self.indent

    def feed(self, token: tokenize.TokenInfo) -> str | None:
        """Take one token; returns why the source is too deep, or None."""
        kind, text = token.type, token.string
        if kind in (tokenize.INDENT, tokenize.DEDENT):
            self.indent += 1 if kind == tokenize.INDENT else -1
        elif kind == tokenize.NEWLINE:  # a statement ends (its brackets are all closed)
            self._reset(self.levels[0])
        elif kind == tokenize.OP:
            self._operator(text)
        elif kind == tokenize.NAME and text in _COMPARE:
            self._chain(_COMPARISON, grow=False)
        elif kind == tokenize.NAME and text in _WORDS:
            self._chain(_WORDS[text], closes=self._after_operand())
            if text == "lambda":  # twice the native stack of another operator
                self._chain(_WORDS[text], closes=False)
                self.levels[-1].lambda_params += 1
        elif kind == tokenize.STRING:
            if self.previous is not None and self.previous.type == tokenize.STRING:
                self._chain(_CONCAT)  # implicit concatenation nests too
            inner = _fstring_depth(text)
            if inner and (len(self.levels) - 1 + inner > MAX_BRACKETS or self.depth() + inner > MAX_DEPTH):
                return f"an f-string nested too deeply at line {token.start[0]}"
        if kind not in (tokenize.NL, tokenize.COMMENT):
            self.previous = token
        if len(self.levels) - 1 > MAX_BRACKETS:
            return f"more than {MAX_BRACKETS} nested brackets at line {token.start[0]}"
        if self.depth() > MAX_DEPTH:
            return f"an expression more than {MAX_DEPTH} levels deep at line {token.start[0]}"
        return None

    def _after_operand(self) -> bool:
        """Whether the previous token ends an operand (so `-` is binary and `(` a call)."""
        prev = self.previous
        if prev is None:
            return False
        if prev.type == tokenize.NAME:
            return not keyword.iskeyword(prev.string) or prev.string in ("True", "False", "None")
        return prev.type in (tokenize.NUMBER, tokenize.STRING) or prev.string in (*_CLOSERS, "...")

    def _chain(self, rank: int, grow: bool = True, closes: bool = True) -> None:
        """An operator of class `rank` grows its own chain by one level. After an operand it also ends
        the tighter chains before it (their subtree is complete); in prefix position (`-`, `not`,
        `lambda` right after another operator) it sits inside that operator's operand and ends nothing."""
        runs = self.levels[-1].runs
        for tighter in range(rank + 1, _CLASSES if closes else 0):
            self.links -= runs[tighter]
            runs[tighter] = 0
        runs[rank] += grow
        self.links += grow

    def _reset(self, level: _Level) -> None:
        self.links -= sum(level.runs)
        level.runs = [0] * _CLASSES

    def _operator(self, text: str) -> None:
        level = self.levels[-1]
        if text in ("(", "[", "{"):
            if self._after_operand():
                self._chain(_TRAILER)  # a call or subscript nests its target
            self.levels.append(_Level())
        elif text in _CLOSERS:
            if len(self.levels) > 1:
                self._reset(self.levels.pop())
        elif text == ":":
            level.lambda_params -= level.lambda_params > 0  # a lambda's body follows its parameters
        elif _is_separator(text):
            if not level.lambda_params:  # else a lambda's parameter list: the lambdas still nest
                self._reset(level)
        elif text == ".":
            self._chain(_TRAILER)
        elif text in _COMPARE:
            self._chain(_COMPARISON, grow=False)
        elif text in _BINARY and self._after_operand():
            self._chain(_BINARY[text])
        elif text in _BINARY or text == "~":  # unary -x, ~x, *args, **kwargs, @decorator
            self._chain(_PREFIX, closes=False)


def _fstring_depth(token: str) -> int:
    """A generous depth estimate for the expressions of an f-string, which libcst parses but the
    tokenize of Python < 3.12 keeps inside one STRING token: brackets, plus operator characters
    chained within a bracket (a comma ends the chain). 0 for other strings."""
    prefix = token[: len(token) - len(token.lstrip("rRbBuUfF"))]
    if "f" not in prefix.lower():
        return 0
    depth = chain = deepest = 0
    for char in token[len(prefix) :]:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth, chain = max(depth - 1, 0), 0
        elif char == ",":
            chain = 0
        elif depth and char in "+-*/%@&|^~<>.!=:":
            chain += 1
        deepest = max(deepest, depth + chain)
    return deepest


def nesting_problem(src: str) -> str | None:
    """Why `src` is too deeply nested to hand to libcst, or None. Reads tokens only (pure Python, no
    recursion), and stops at the first excess, so a huge hostile file costs little."""
    gauge = _NestingGauge()
    try:
        for token in tokenize.generate_tokens(io.StringIO(src).readline):
            problem = gauge.feed(token)
            if problem is not None:
                return problem
    except (tokenize.TokenError, SyntaxError) as err:
        if "too many" in str(err):  # Python 3.12+ tokenizes in C, which caps nesting and indentation itself
            return f"Python's tokenizer refuses it: {err}"
        # else unfinished or badly indented: libcst's tokenizer refuses it before parsing anything
    return None


def guard_nesting(src: str, path: str) -> None:
    problem = nesting_problem(src)
    if problem is not None:
        raise NestingRefused(path, problem)


def nesting_refusal(path: str, stage: str) -> NestingRefused:
    return NestingRefused(path, f"RecursionError in its {stage}")
