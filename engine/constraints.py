"""Per-position constraints: boolean masks over the vocabulary (`ANY`, `IDENTIFIER`, `DOTTED`, `ONE_LINE`,
`NO_MARKERS`, `tokens(...)`, composed with `&` and `|`), computed once per tokenizer and cached."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch

from dagent.ops.syntax import END, MARKERS

TokenKind = Literal["text", "marker", "pad", "control"]


@dataclass(frozen=True)
class TokenInfo:
    id: int
    text: str  # what the token decodes to on its own
    kind: TokenKind  # control: special tokens that never belong in a canvas (bos, eos, mask, context markers)


@dataclass(frozen=True, eq=False)
class Constraint:
    """A set of allowed tokens, as a predicate; `name` identifies it in the per-tokenizer cache."""

    name: str
    test: Callable[[TokenInfo], bool]

    def __and__(self, other: Constraint) -> Constraint:
        return Constraint(f"({self.name} & {other.name})", lambda t: self.test(t) and other.test(t))

    def __or__(self, other: Constraint) -> Constraint:
        return Constraint(f"({self.name} | {other.name})", lambda t: self.test(t) or other.test(t))


def _content(t: TokenInfo) -> bool:
    return t.kind in ("text", "marker")


ANY = Constraint("ANY", _content)


def _identifier(t: TokenInfo) -> bool:
    return t.kind == "text" and t.text != "" and all(c.isalnum() or c == "_" for c in t.text)


IDENTIFIER = Constraint("IDENTIFIER", _identifier)


def _starts_name(text: str) -> bool:
    return text[:1].isalpha() or text[:1] == "_"


def _dotted_piece(t: TokenInfo) -> bool:
    """A piece of a dotted name: name characters and dots, each dot inside it followed by a name's first
    character (the sampler checks the dots at its edges against its neighbours)."""
    if t.kind != "text" or t.text == "" or not all(c.isalnum() or c in "_." for c in t.text):
        return False
    inner_dots = (i for i, c in enumerate(t.text[:-1]) if c == ".")
    return all(_starts_name(t.text[i + 1]) for i in inner_dots)


IDENTIFIER_START = Constraint("IDENTIFIER_START", lambda t: _identifier(t) and not t.text[0].isdigit())


DOTTED = Constraint("DOTTED", _dotted_piece)


ONE_LINE = Constraint("ONE_LINE", lambda t: _content(t) and "\n" not in t.text)


NO_MARKERS = Constraint("NO_MARKERS", lambda t: t.kind == "text" and "@@" not in t.text)


# Token classes the slot rules read: blank tokens (whitespace only) are not content a close must precede;
# a closing marker starts a line, so the token before it must end one.
SPACED_WORD = Constraint("SPACED_WORD", lambda t: t.kind == "text" and t.text[:1] == " " and t.text[1:2].strip() != "")


BLANK = Constraint("BLANK", lambda t: t.kind == "text" and t.text != "" and t.text.strip() == "")


LINE_END = Constraint("LINE_END", lambda t: t.text.endswith("\n"))


# ... and in a dotted name, a dot is followed by a name's first token (never by a digit, a dot or the end).
DOT_END = Constraint("DOT_END", lambda t: t.kind == "text" and t.text.endswith("."))


NAME_START = Constraint("NAME_START", lambda t: t.kind == "text" and _starts_name(t.text))


def tokens(*texts: str) -> Constraint:
    """Exactly the tokens that decode to one of `texts` (e.g. `tokens("@@end")`)."""
    wanted = frozenset(texts)
    return Constraint(f"tokens{tuple(sorted(wanted))}", lambda t: _content(t) and t.text in wanted)


BODY = NO_MARKERS | tokens(END)  # an op body's lines, closed by @@end


def filler_id(tokenizer: Any) -> int:
    """The token that fills unused slot length: pad, else EOS (models without a pad token pad with EOS)."""
    for value in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if isinstance(value, int):
            return value
    raise ValueError("the tokenizer has neither a pad nor an EOS token to fill unused canvas length")


class Vocab:
    """Token texts and kinds of one tokenizer at one logits width, and the constraint masks over them."""

    def __init__(self, tokenizer: Any, size: int) -> None:
        self.size = size
        self.pad_id = filler_id(tokenizer)
        known = min(len(tokenizer), size)
        texts = tokenizer.batch_decode([[i] for i in range(known)], skip_special_tokens=False,
                                       clean_up_tokenization_spaces=False)
        special = set(tokenizer.all_special_ids)
        mask_id = getattr(tokenizer, "mask_token_id", None)
        self.infos = [TokenInfo(i, text, self._kind(i, text, special, mask_id)) for i, text in enumerate(texts)]
        self._masks: dict[str, torch.Tensor] = {}

    def _kind(self, i: int, text: str, special: set[int], mask_id: int | None) -> TokenKind:
        if i == self.pad_id:
            return "pad"
        if text in MARKERS:
            return "marker"
        return "control" if i in special or i == mask_id else "text"

    def mask(self, constraint: Constraint) -> torch.Tensor:
        """(V,) bool; ids past the tokenizer's length (padded embedding rows) are never allowed."""
        if constraint.name not in self._masks:
            allowed = torch.zeros(self.size, dtype=torch.bool)
            allowed[: len(self.infos)] = torch.tensor([constraint.test(t) for t in self.infos], dtype=torch.bool)
            self._masks[constraint.name] = allowed
        return self._masks[constraint.name]


_VOCABS: weakref.WeakKeyDictionary[Any, dict[int, Vocab]] = weakref.WeakKeyDictionary()


def vocab_for(tokenizer: Any, size: int | None = None) -> Vocab:
    """The cached `Vocab` of `tokenizer` (decoding a 262k vocabulary takes seconds: do it once)."""
    width = size or len(tokenizer)
    per_size = _VOCABS.setdefault(tokenizer, {})
    if width not in per_size:
        per_size[width] = Vocab(tokenizer, width)
    return per_size[width]
