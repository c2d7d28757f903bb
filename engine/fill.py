"""The engine's fill: k denoised fillings of a short hole in many templates, in one batch per step.

A template is a candidate replace op whose new text has one hole (`before` + hole + `after`). Each
template is tried at a few hole lengths (in tokens); the hole starts fully corrupted, as in training
(uniform-random tokens for DiffusionGemma, the mask id for a masked model). Each step runs one decoder
pass over every row, projects onto the vocabulary only at the undecided hole positions, and decides
the position the model is surest of (argmax over the allowed tokens). The first step branches each row
into its k likeliest tokens; later steps are greedy. A filling's score is the mean log-probability of
its tokens, each renormalised over the allowed tokens when it was decided.

Allowed tokens keep a hole short and on one line: no newline, comment, quote or statement punctuation,
no special token, and every identifier piece part of a name in scope, a keyword or a digit run. The
caller checks that each filled candidate parses.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING

import torch

from dagent.engine.tokenizer import decode, encode
from dagent.ops.model import Replace
from dagent.ops.syntax import WITH, render_op

if TYPE_CHECKING:
    from dagent.engine.engine import Engine

HOLE_MARK = "\u2983HOLE\u2984"  # never in source: where the template is cut into before / after
HOLE_LENGTHS = (1, 2, 3)  # tokens a hole is tried at
KEYWORDS = frozenset({"not", "and", "or", "in", "is", "None", "True", "False", "len", "abs", "min", "max", "self"})
_FORBIDDEN = re.compile(r"[\n\r#'\"`;:\\@{}]")
_WORD = re.compile(r"[A-Za-z_]\w*|\d+")


@dataclass(frozen=True)
class FillRequest:
    """Lines `old` at `path:line` become `before` + (a filling) + `after`."""

    path: str
    line: int
    old: str
    before: str
    after: str


@dataclass(frozen=True)
class Filling:
    text: str  # the filled span, stripped
    score: float  # mean log-probability of its tokens (renormalised over the allowed tokens)


@dataclass
class _Row:
    request: int
    ids: list[int]
    holes: list[int]  # undecided positions
    decided: list[int]  # decided positions, in the order decided
    logps: list[float]


def vocabulary_mask(engine: Engine, names: Iterable[str]) -> torch.Tensor:
    """(V,) bool: the tokens a hole may hold, given the names in scope."""
    texts = _vocabulary(engine)
    words = set(KEYWORDS) | {n for n in names if n}
    special = set(engine.tokenizer.all_special_ids)
    allowed = torch.zeros(len(texts), dtype=torch.bool)
    for token, text in enumerate(texts):
        if token in special or not text or _FORBIDDEN.search(text):
            continue
        allowed[token] = all(w.isdigit() or any(w in name for name in words) for w in _WORD.findall(text))
    return allowed


def _vocabulary(engine: Engine) -> list[str]:
    cached = getattr(engine, "_vocabulary_texts", None)
    if cached is None:
        cached = [decode(engine.tokenizer, [i], pad_id=-1) for i in range(engine.denoiser.vocab_size)]
        engine._vocabulary_texts = cached  # type: ignore[attr-defined]
    return cached


def fill(engine: Engine, context: str, requests: Sequence[FillRequest], names: Iterable[str], k: int = 3,
         lengths: Sequence[int] = HOLE_LENGTHS) -> list[list[Filling]]:
    """For each request, up to k fillings, best first (distinct texts, any of the hole lengths)."""
    began = time.perf_counter()
    allowed = vocabulary_mask(engine, names)
    encoded = engine.encode(context)
    rows = [row for i, r in enumerate(requests) for n in lengths if (row := _start(engine, i, r, n)) is not None]
    first = True
    while any(row.holes for row in rows):
        rows = _step(engine, encoded.prefix, rows, allowed, k if first else 1)
        first = False
    found: list[dict[str, float]] = [{} for _ in requests]
    for row in rows:
        text = decode(engine.tokenizer, [row.ids[p] for p in sorted(row.decided)], pad_id=-1).strip()
        score = sum(row.logps) / max(len(row.logps), 1)
        if text and score > found[row.request].get(text, float("-inf")):
            found[row.request][text] = score
    engine.stats.fill_s += time.perf_counter() - began
    return [[Filling(t, s) for t, s in sorted(f.items(), key=lambda kv: -kv[1])[:k]] for f in found]


def _start(engine: Engine, index: int, request: FillRequest, length: int) -> _Row | None:
    text = render_op(Replace(path=request.path, line=request.line, old=request.old,
                             new=request.before + HOLE_MARK + request.after))
    cut = text.index(WITH + "\n") + len(WITH) + 1
    body_before, body_after = text[cut:].split(HOLE_MARK)
    head, before, after = (encode(engine.tokenizer, t) for t in (text[:cut], body_before, body_after))
    ids = head + before + [0] * length + after
    if len(ids) > engine.max_canvas:
        return None
    holes = list(range(len(head) + len(before), len(head) + len(before) + length))
    rng = Random(zlib.crc32(repr((ids, index)).encode()) ^ engine.seed)
    mask_id = engine.denoiser.mask_id
    for p in holes:
        ids[p] = mask_id if mask_id is not None else rng.randrange(engine.denoiser.vocab_size)
    return _Row(index, ids, holes, [], [])


def _step(engine: Engine, prefix, rows: list[_Row], allowed: torch.Tensor, branch: int) -> list[_Row]:  # type: ignore[no-untyped-def]
    """One decoder pass per canvas length; each open row decides its surest position (branching)."""
    open_rows = [row for row in rows if row.holes]
    out = [row for row in rows if not row.holes]
    by_length: dict[int, list[_Row]] = {}
    for row in open_rows:
        by_length.setdefault(engine.canvas_length_for(len(row.ids)), []).append(row)
    for length, members in by_length.items():
        canvas = torch.full((len(members), length), engine.denoiser.pad_id, dtype=torch.long)
        index: list[int] = []
        for r, row in enumerate(members):
            canvas[r, : len(row.ids)] = torch.tensor(row.ids)
            index += [r * length + p for p in row.holes]
        logp = engine.projected_log_probs(prefix, canvas, torch.tensor(index, dtype=torch.long))
        logp = torch.log_softmax(logp.masked_fill(~allowed, float("-inf")), dim=-1)
        at = 0
        for row in members:
            part = logp[at : at + len(row.holes)]
            at += len(row.holes)
            best = part.max(dim=-1).values
            slot = int(best.argmax())
            top = part[slot].topk(branch)
            for value, token in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                if value == float("-inf"):
                    continue
                out.append(_decide(row, slot, token, value))
    return out


def _decide(row: _Row, slot: int, token: int, logp: float) -> _Row:
    ids = list(row.ids)
    position = row.holes[slot]
    ids[position] = token
    holes = row.holes[:slot] + row.holes[slot + 1 :]
    return _Row(row.request, ids, holes, [*row.decided, position], [*row.logps, logp])


__all__ = ["FillRequest", "Filling", "HOLE_LENGTHS", "fill", "vocabulary_mask"]
