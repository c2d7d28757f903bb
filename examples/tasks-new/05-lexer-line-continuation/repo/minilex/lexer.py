"""A tokenizer for a small indentation-based scripting language.

    let total = 0x1F + 2_500 * 1.5e3   # numbers: decimal, hex, binary, floats, _ separators
    if total >= 10 and name != "x\\ty":
        print(total, \\
              name)                    # a backslash at the end of a line continues it

Produces NAME, KEYWORD, NUMBER, STRING, OP, NEWLINE, INDENT, DEDENT and EOF tokens. Inside
brackets, newlines and indentation are ignored (implicit line joining), as in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

KEYWORDS = frozenset({
    "let", "if", "elif", "else", "while", "for", "in", "def", "return", "and", "or", "not",
    "true", "false", "nil", "break", "continue",
})
# longest first, so that '**=' wins over '**' and '*'
OPERATORS = sorted({
    "+", "-", "*", "/", "//", "%", "**", "=", "==", "!=", "<", "<=", ">", ">=", "+=", "-=", "*=",
    "/=", "**=", "->", "(", ")", "[", "]", "{", "}", ",", ":", ".", "..", "...", "|>",
}, key=len, reverse=True)
OPENING = {"(": ")", "[": "]", "{": "}"}
CLOSING = {v: k for k, v in OPENING.items()}
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}
TAB_SIZE = 8


class LexError(SyntaxError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} at {line}:{column}")
        self.line, self.column = line, column


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int
    column: int
    value: object = None

    def __repr__(self) -> str:
        return f"{self.kind}({self.text!r})@{self.line}:{self.column}"


class Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.indents = [0]
        self.brackets: list[tuple[str, int, int]] = []
        self.at_line_start = True

    # -- helpers -------------------------------------------------------------------------

    @property
    def column(self) -> int:
        return self.pos - self.line_start + 1

    def error(self, message: str) -> LexError:
        return LexError(message, self.line, self.column)

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.src[i] if i < len(self.src) else ""

    def _token(self, kind: str, start: int, value: object = None) -> Token:
        return Token(kind, self.src[start:self.pos], self.line, start - self.line_start + 1, value)

    # -- trivia --------------------------------------------------------------------------

    def _skip_trivia(self) -> None:
        """Spaces, comments, continuations, and (inside brackets) newlines."""
        src, n = self.src, len(self.src)
        while self.pos < n:
            ch = src[self.pos]
            if ch in " \t\f":
                self.pos += 1
            elif ch == "#":
                end = src.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif ch == "\\" and src.startswith(("\\\n", "\\\r\n"), self.pos):
                self.line += 1
                self.line_start = self.pos
            elif ch in "\r\n" and self.brackets:
                self.pos += 2 if src.startswith("\r\n", self.pos) else 1
                self.line += 1
                self.line_start = self.pos
            else:
                return

    def _measure_indent(self) -> int | None:
        """At the start of a logical line: its indentation width, or None for a blank line."""
        width = 0
        while self.pos < len(self.src) and self.src[self.pos] in " \t":
            width = (width // TAB_SIZE + 1) * TAB_SIZE if self.src[self.pos] == "\t" else width + 1
            self.pos += 1
        rest = self.peek()
        if rest in ("\n", "\r", "#", ""):
            return None
        return width

    # -- token readers -------------------------------------------------------------------

    def _number(self) -> Token:
        start, src = self.pos, self.src
        if src.startswith(("0x", "0X", "0b", "0B", "0o", "0O"), self.pos):
            base = {"x": 16, "b": 2, "o": 8}[src[self.pos + 1].lower()]
            self.pos += 2
            digits_start = self.pos
            while self.pos < len(src) and (src[self.pos].isalnum() or src[self.pos] == "_"):
                self.pos += 1
            text = src[digits_start:self.pos]
            try:
                value = int(text, base)
            except ValueError:
                raise LexError(f"bad base-{base} literal {src[start:self.pos]!r}", self.line,
                               start - self.line_start + 1) from None
            return self._token("NUMBER", start, value)
        is_float = False
        while self.peek().isdigit() or (self.peek() == "_" and self.peek(1).isdigit()):
            self.pos += 1
        if self.peek() == "." and self.peek(1).isdigit():
            is_float = True
            self.pos += 1
            while self.peek().isdigit() or (self.peek() == "_" and self.peek(1).isdigit()):
                self.pos += 1
        if self.peek() in ("e", "E") and (self.peek(1).isdigit() or (self.peek(1) in "+-" and self.peek(2).isdigit())):
            is_float = True
            self.pos += 2
            while self.peek().isdigit():
                self.pos += 1
        if self.peek().isalpha() or self.peek() == "_":
            raise self.error(f"bad number {src[start:self.pos + 1]!r}")
        text = src[start:self.pos].replace("_", "")
        return self._token("NUMBER", start, float(text) if is_float else int(text))

    def _string(self) -> Token:
        start, quote = self.pos, self.peek()
        self.pos += 1
        chars: list[str] = []
        while True:
            ch = self.peek()
            if ch == "" or ch == "\n":
                raise LexError("unterminated string", self.line, start - self.line_start + 1)
            if ch == quote:
                self.pos += 1
                break
            if ch == "\\":
                code = self.peek(1)
                if code == "u":
                    digits = self.src[self.pos + 2:self.pos + 6]
                    if len(digits) < 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                        raise self.error("bad \\u escape")
                    chars.append(chr(int(digits, 16)))
                    self.pos += 6
                    continue
                if code not in ESCAPES:
                    raise self.error(f"unknown escape \\{code}")
                chars.append(ESCAPES[code])
                self.pos += 2
                continue
            chars.append(ch)
            self.pos += 1
        return self._token("STRING", start, "".join(chars))

    def _name(self) -> Token:
        start = self.pos
        while self.peek().isalnum() or self.peek() == "_":
            self.pos += 1
        text = self.src[start:self.pos]
        if text in KEYWORDS:
            value = {"true": True, "false": False, "nil": None}.get(text, text)
            return self._token("KEYWORD", start, value)
        return self._token("NAME", start, text)

    def _operator(self) -> Token:
        start = self.pos
        for op in OPERATORS:
            if self.src.startswith(op, self.pos):
                self.pos += len(op)
                break
        else:
            raise self.error(f"unexpected character {self.peek()!r}")
        if op in OPENING:
            self.brackets.append((op, self.line, start - self.line_start + 1))
        elif op in CLOSING:
            if not self.brackets or self.brackets[-1][0] != CLOSING[op]:
                raise LexError(f"unmatched {op!r}", self.line, start - self.line_start + 1)
            self.brackets.pop()
        return self._token("OP", start)

    # -- main loop -----------------------------------------------------------------------

    def tokens(self) -> Iterator[Token]:
        src = self.src
        while True:
            if self.at_line_start and not self.brackets:
                width = self._measure_indent()
                if width is not None:
                    yield from self._indentation(width)
                    self.at_line_start = False
            self._skip_trivia()
            if self.pos >= len(src):
                break
            ch = src[self.pos]
            if ch in "\r\n":
                start = self.pos
                self.pos += 2 if src.startswith("\r\n", self.pos) else 1
                if not self.at_line_start:
                    yield Token("NEWLINE", src[start:self.pos], self.line, start - self.line_start + 1)
                self.line += 1
                self.line_start = self.pos
                self.at_line_start = True
            elif ch.isdigit() or (ch == "." and self.peek(1).isdigit()):
                yield self._number()
            elif ch in "'\"":
                yield self._string()
            elif ch.isalpha() or ch == "_":
                yield self._name()
            else:
                yield self._operator()
        if self.brackets:
            op, line, column = self.brackets[-1]
            raise LexError(f"{op!r} was never closed", line, column)
        if not self.at_line_start:
            yield Token("NEWLINE", "", self.line, self.column)
        for _ in self.indents[1:]:
            yield Token("DEDENT", "", self.line, self.column)
        yield Token("EOF", "", self.line, self.column)

    def _indentation(self, width: int) -> Iterator[Token]:
        if width > self.indents[-1]:
            self.indents.append(width)
            yield Token("INDENT", "", self.line, 1)
            return
        while width < self.indents[-1]:
            self.indents.pop()
            yield Token("DEDENT", "", self.line, 1)
        if width != self.indents[-1]:
            raise self.error("dedent does not match any outer indentation level")


def tokenize(source: str) -> list[Token]:
    return list(Lexer(source).tokens())


def kinds(source: str) -> list[str]:
    return [t.kind for t in tokenize(source)]


def untokenize(tokens: list[Token]) -> str:
    """Source text that tokenizes to the same kinds and texts (spacing normalised)."""
    out: list[str] = []
    depth = 0
    previous: Token | None = None
    for tok in tokens:
        if tok.kind == "INDENT":
            depth += 1
        elif tok.kind == "DEDENT":
            depth -= 1
        elif tok.kind == "NEWLINE":
            out.append("\n")
        elif tok.kind != "EOF":
            if previous is None or previous.kind in ("NEWLINE", "INDENT", "DEDENT"):
                out.append("    " * depth)
            elif not (
                tok.text in ")],.:"
                or (previous.text in "([." and previous.kind == "OP")
                or (tok.text in "([" and (previous.kind == "NAME" or previous.text in ")]"))
            ):
                out.append(" ")
            out.append(tok.text)
        previous = tok
    return "".join(out)
