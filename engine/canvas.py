"""The canvas: skeletons (engine/skeleton.py) laid out over token positions with their per-position
constraints (engine/constraints.py): what the sampler may write where.

A `Skeleton` is a row of segments. `Pinned(text)` tokens are fixed forever; a `Slot` is denoised,
holds at most `max_tokens` tokens (None: the rest of the canvas) and fills unused length with the
pad token. The run-time case the planner builds most often:

    Skeleton.replace_line(prefix)  ==  Pinned("@@replace path:LINE\\n<old line>\\n@@with\\n")
                                       + Slot(None, BODY, closes="@@end\\n")

so the model writes only the new line(s), then `@@end`, then pads.

Constraints are boolean masks over the vocabulary, computed once per tokenizer and cached.
`ANY`, `IDENTIFIER`, `IDENTIFIER_START`, `DOTTED`, `ONE_LINE`, `NO_MARKERS` and `tokens(...)` compose
with `&` and `|`.

What the grammar constraint enforces, and what it does not
- Enforced, position by position: each slot's allowed token set (and its first position's, `first`:
  a one-line op's words start with an identifier's first token and are never empty; an import
  statement starts with `import` or `from`, then a space and a word; a static method's symbol has its
  `.` pinned between class and method); a slot's pad
  tokens only at its tail (the sampler forbids pad before a decided content token, and everything after
  a decided pad is pad); a slot's closing text (`closes`): once its first token is decided, the rest of
  the closing text and then pads follow, so nothing is written after `@@end`; in a closing slot a pad
  ends the slot the same way (it becomes `@@end`), and `@@end` only ever starts a line (the token before
  it ends one); a blank token (whitespace only) never blocks an `@@end` before it; in a dotted name
  (`DOTTED` slot) a token ending with a dot is followed by a name's first token, never by a digit, a
  dot, a pad or the end of the word.
- A slot's start (`Slot.starts`, a token trie): its text starts with one of the given texts. Each
  position every start still possible reaches takes only their tokens there; a position they all hold
  alike is decided at once; positions decided together from two starts keep the start most of them
  agree with. `Skeleton.anchored` uses it for a free canvas: its first op is a body op anchored at a
  line the context shows (engine/stream_starts.py). Once one start is left and written, the row
  continues from that start's draft (`start_drafts`), as a pinned replace continues from its old line.
- Not enforced while sampling: the op grammar's line structure past a slot's start (later ops, the
  new lines and their `@@end`). A free canvas (`Skeleton.free()`) may hold any token; `validate(text)`
  checks it with `ops.syntax.parse` afterwards and the caller rejects what does not parse. (Its first
  token pinned to the op markers was tried and cost valid streams: see `Skeleton.free`.)
- `NO_MARKERS` and `closes` act only where the op markers are single tokens (dagent's tokenizer);
  with another model's tokenizer a marker spans several tokens and only the text check applies.

Canvas length: the model's trained length, grown (`drafted_canvas`) only when a draft (the old line of
a replace) would not fit next to its pinned header, or a slot's longest start with the draft it continues
from would not fit the slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from dagent.engine.constraints import BLANK, DOT_END, LINE_END, NAME_START, NO_MARKERS, Constraint, Vocab, vocab_for
from dagent.engine.skeleton import CanvasTooSmall, Pinned, Skeleton, Slot, validate
from dagent.engine.stream_starts import start_draft
from dagent.ops.syntax import END, is_pinned_head


@dataclass
class Canvas:
    """B rows of L positions, as tensors the sampler reads.

    `ids`: pinned tokens (pad elsewhere). `allowed` is kept compact: `mask_index` (B, L) points into
    `mask_table` (M, V); pinned positions point at row 0 (all true, never sampled). A slot is a run of
    positions with the same `slot_id` (-1 where pinned) from `slot_start` to `slot_end`; `close_id` is
    the first token of its closing text (-1: none) and `tail` (B, S, T+1) the tokens that follow it,
    then pads. `blank` and `line_end` (V,) flag whitespace-only tokens and tokens that end a line, and
    `code` (V,) the tokens that can stand inside a line of code (text, no op marker);
    `dotted` (B, L) marks the positions of dotted-name slots, where a token ending with a dot
    (`dot_end`, V) must be followed by a name's first token (`name_start`, V). `starts` (B, N, L): the
    token of each row's N slot starts (`Slot.starts`) at each column, -1 where a start says nothing
    (past its end, outside its slot); `start_ok` (B, N) marks the real ones (rows hold different counts).
    `start_drafts` (B, N, L): what the row continues from once that start is its settled one (its
    `stream_starts.start_draft`, then pads to the slot's end), -1 where it says nothing (a start with
    no draft, and every column up to the start's end).
    """

    ids: torch.LongTensor
    pinned: torch.BoolTensor
    mask_index: torch.LongTensor
    mask_table: torch.BoolTensor
    slot_id: torch.LongTensor
    slot_start: torch.LongTensor
    slot_end: torch.LongTensor
    close_id: torch.LongTensor
    tail: torch.LongTensor
    blank: torch.BoolTensor
    line_end: torch.BoolTensor
    code: torch.BoolTensor
    dotted: torch.BoolTensor
    dot_end: torch.BoolTensor
    name_start: torch.BoolTensor
    starts: torch.LongTensor
    start_ok: torch.BoolTensor
    start_drafts: torch.LongTensor
    pad_id: int
    tokenizer: Any = field(repr=False)
    row_skeleton: list[int] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.ids.shape)  # type: ignore[return-value]

    @property
    def allowed(self) -> torch.BoolTensor:
        """Dense (B, L, V) allowed-token mask."""
        return self.mask_table[self.mask_index]

    def repeat(self, k: int) -> Canvas:
        """Each row k times in a row (k candidates per skeleton, one batch)."""
        rep = {name: getattr(self, name).repeat_interleave(k, dim=0) for name in _ROW_TENSORS}
        rows = [r for r in self.row_skeleton for _ in range(k)]
        shared = {name: getattr(self, name) for name in _SHARED_TENSORS}
        return Canvas(**rep, **shared, pad_id=self.pad_id, tokenizer=self.tokenizer, row_skeleton=rows)

    def to(self, device: torch.device) -> Canvas:
        moved = {name: getattr(self, name).to(device) for name in (*_ROW_TENSORS, *_SHARED_TENSORS)}
        return Canvas(**moved, pad_id=self.pad_id, tokenizer=self.tokenizer, row_skeleton=self.row_skeleton)


_ROW_TENSORS = ("ids", "pinned", "mask_index", "slot_id", "slot_start", "slot_end", "close_id", "tail", "dotted",
                "starts", "start_ok", "start_drafts")


_SHARED_TENSORS = ("mask_table", "blank", "line_end", "code", "dot_end", "name_start")


@dataclass
class _Row:
    ids: list[int] = field(default_factory=list)
    pinned: list[bool] = field(default_factory=list)
    masks: list[int] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    tails: list[list[int]] = field(default_factory=list)
    dotted: list[bool] = field(default_factory=list)
    starts: list[list[int]] = field(default_factory=list)  # token ids of each slot start that fits
    start_drafts: list[list[int] | None] = field(default_factory=list)  # what each continues from, if anything
    starts_at: int = 0  # the column they begin at
    starts_end: int = 0  # the end of their slot


class _Tables:
    """Distinct slot masks of one canvas; row 0 is the all-true row of pinned positions."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.rows: list[torch.Tensor] = [torch.ones(vocab.size, dtype=torch.bool)]
        self.index: dict[tuple[str, int, bool], int] = {}

    def slot_mask(self, constraint: Constraint, close_id: int, pad: bool = True) -> int:
        key = (constraint.name, close_id, pad)
        if key not in self.index:
            allowed = self.vocab.mask(constraint).clone()
            allowed[self.vocab.pad_id] = pad  # a slot may pad its unused tail
            if close_id >= 0:
                allowed[close_id] = True
            self.index[key] = len(self.rows)
            self.rows.append(allowed)
        return self.index[key]


def _slot_lengths(skeleton: Skeleton, pinned_ids: list[list[int]], length: int) -> list[int]:
    """Each slot's length; at most one slot without `max_tokens` takes what the canvas has left."""
    slots = [s for s in skeleton.segments if isinstance(s, Slot)]
    open_slots = sum(1 for s in slots if s.max_tokens is None)
    if open_slots > 1:
        raise ValueError("a skeleton may have at most one slot without max_tokens")
    used = sum(len(ids) for ids in pinned_ids) + sum(s.max_tokens or 0 for s in slots)
    if used > length or (open_slots and used == length):
        raise CanvasTooSmall(f"the skeleton needs {used + open_slots} tokens, the canvas holds {length}")
    return [s.max_tokens if s.max_tokens is not None else length - used for s in slots]


def _layout(skeleton: Skeleton, tokenizer: Any, length: int, tables: _Tables) -> _Row:
    pad = tables.vocab.pad_id
    pinned_ids = [tokenizer.encode(s.text, add_special_tokens=False) for s in skeleton.segments if isinstance(s, Pinned)]
    lengths = iter(_slot_lengths(skeleton, pinned_ids, length))
    pinned_iter = iter(pinned_ids)
    row = _Row()
    for segment in skeleton.segments:
        if isinstance(segment, Pinned):
            ids = next(pinned_iter)
            _extend(row, ids, True, 0, -1, -1)
            continue
        close, tail = _closing(segment.closes, tokenizer, tables.vocab)
        row.tails.append(tail)
        slot, size = len(row.tails) - 1, next(lengths)
        if segment.starts:
            if row.starts or segment.first is not None:
                raise ValueError("a skeleton may hold one slot with starts, and that slot no `first`")
            fitting = _fitting_starts(segment.starts, tokenizer, tables.vocab, size)
            row.starts, row.start_drafts = [ids for ids, _ in fitting], [draft for _, draft in fitting]
            row.starts_at, row.starts_end = len(row.ids), len(row.ids) + size
        if _first_applies(segment, tables.vocab) and size > 0:
            _extend(row, [pad], False, tables.slot_mask(segment.first, close, pad=False), slot, close, segment.dotted)  # type: ignore[arg-type]
            size -= 1
        _extend(row, [pad] * size, False, tables.slot_mask(segment.constraint, close), slot, close, segment.dotted)
    _extend(row, [pad] * (length - len(row.ids)), True, 0, -1, -1)  # unused canvas: pinned pad
    return row


START_ROOM = 2  # a start leaves its slot room for at least this many tokens (`@@end` and its newline)


def _fitting_starts(starts: Sequence[str], tokenizer: Any, vocab: Vocab,
                    size: int) -> list[tuple[list[int], list[int] | None]]:
    """The token ids of each start that fits a slot of `size` with START_ROOM to spare and holds only
    content tokens of this vocabulary (a start with a control token could never be written), and those
    of its draft (tokenized apart, as training tokenizes a drafted replace's head and draft)."""
    fitting = []
    for text in starts:
        ids = tokenizer.encode(text, add_special_tokens=False)
        content = all(i < len(vocab.infos) and vocab.infos[i].kind in ("text", "marker") for i in ids)
        if ids and content and len(ids) + START_ROOM <= size:
            draft = start_draft(text)
            draft_ids = None if draft is None else tokenizer.encode(draft, add_special_tokens=False)
            # a draft cut short is not the draft training edits: past the canvas's growth limit the row
            # keeps its start and stays free after it
            fitting.append((ids, draft_ids if draft_ids is None or len(ids) + len(draft_ids) <= size else None))
    return fitting


def _first_applies(slot: Slot, vocab: Vocab) -> bool:
    """A `first` constraint no token of this vocabulary meets (a keyword the tokenizer splits) is
    dropped: the position then takes the slot's own constraint."""
    return slot.first is not None and bool(vocab.mask(slot.first).any())


def _closing(text: str | None, tokenizer: Any, vocab: Vocab) -> tuple[int, list[int]]:
    """The closing trigger token and the tokens after it. Only a marker token (a single vocabulary entry
    such as `@@end`) can trigger: an ordinary token like a newline appears inside bodies too."""
    if not text:
        return -1, []
    ids = tokenizer.encode(text, add_special_tokens=False)
    if not ids or ids[0] >= len(vocab.infos) or vocab.infos[ids[0]].kind != "marker":
        return -1, []
    return ids[0], ids[1:]


def _extend(row: _Row, ids: Sequence[int], pinned: bool, mask: int, slot: int, close: int, dotted: bool = False) -> None:
    row.dotted.extend([dotted] * len(ids))
    row.ids.extend(ids)
    row.pinned.extend([pinned] * len(ids))
    row.masks.extend([mask] * len(ids))
    row.slots.extend([slot] * len(ids))
    row.closes.extend([close] * len(ids))


def _spans(slots: torch.LongTensor) -> tuple[torch.LongTensor, torch.LongTensor]:
    """For each position, the first and last index of its run of equal slot ids (pinned: itself)."""
    batch, length = slots.shape
    index = torch.arange(length).expand(batch, length)
    new_run = torch.ones_like(slots, dtype=torch.bool)
    new_run[:, 1:] = slots[:, 1:] != slots[:, :-1]
    start = torch.where(new_run, index, torch.zeros_like(index)).cummax(dim=1).values
    end_run = torch.ones_like(slots, dtype=torch.bool)
    end_run[:, :-1] = new_run[:, 1:]
    flipped = torch.where(end_run, index, torch.full_like(index, length)).flip(1).cummin(dim=1).values.flip(1)
    pinned = slots < 0
    return torch.where(pinned, index, start), torch.where(pinned, index, flipped)


def build_canvas(tokenizer: Any, skeletons: Sequence[Skeleton] | None, length: int, vocab_size: int | None = None) -> Canvas:
    """One canvas row per skeleton; no skeleton means one free row (the whole canvas one slot)."""
    vocab = vocab_for(tokenizer, vocab_size)
    tables = _Tables(vocab)
    rows = [_layout(s, tokenizer, length, tables) for s in (skeletons or [Skeleton.free()])]
    slot_id = torch.tensor([r.slots for r in rows])
    start, end = _spans(slot_id)
    return Canvas(
        ids=torch.tensor([r.ids for r in rows]),
        pinned=torch.tensor([r.pinned for r in rows]),
        mask_index=torch.tensor([r.masks for r in rows]),
        mask_table=torch.stack(tables.rows),
        slot_id=slot_id,
        slot_start=start,
        slot_end=end,
        close_id=torch.tensor([r.closes for r in rows]),
        tail=_tail_table(rows, vocab.pad_id),
        blank=vocab.mask(BLANK),
        line_end=vocab.mask(LINE_END),
        code=vocab.mask(NO_MARKERS),
        dotted=torch.tensor([r.dotted for r in rows]),
        dot_end=vocab.mask(DOT_END),
        name_start=vocab.mask(NAME_START),
        **_start_table(rows, length, vocab.pad_id),
        pad_id=vocab.pad_id,
        tokenizer=tokenizer,
        row_skeleton=list(range(len(rows))),
    )


def _tail_table(rows: list[_Row], pad: int) -> torch.LongTensor:
    """(B, S, T+1): each slot's closing tail, padded with pad (the extra column makes "after the tail" pad)."""
    slots = max(1, max(len(r.tails) for r in rows))
    width = 1 + max([len(t) for r in rows for t in r.tails] or [0])
    table = torch.full((len(rows), slots, width), pad, dtype=torch.long)
    for b, row in enumerate(rows):
        for s, tail in enumerate(row.tails):
            table[b, s, : len(tail)] = torch.tensor(tail, dtype=torch.long)
    return table


def _start_table(rows: list[_Row], length: int, pad_id: int) -> dict[str, torch.Tensor]:
    """`starts` (B, N, L), `start_ok` (B, N) and `start_drafts` (B, N, L) of the rows' slot starts (N: the
    most any row holds)."""
    most = max(len(r.starts) for r in rows)
    starts = torch.full((len(rows), most, length), -1, dtype=torch.long)
    drafts = torch.full((len(rows), most, length), -1, dtype=torch.long)
    ok = torch.zeros(len(rows), most, dtype=torch.bool)
    for b, row in enumerate(rows):
        for n, (ids, draft) in enumerate(zip(row.starts, row.start_drafts, strict=True)):
            starts[b, n, row.starts_at : row.starts_at + len(ids)] = torch.tensor(ids, dtype=torch.long)
            ok[b, n] = True
            if draft is not None:  # the draft (it fits the slot: `_fitting_starts`), then pads to its end
                begin = row.starts_at + len(ids)
                drafts[b, n, begin : row.starts_end] = pad_id
                drafts[b, n, begin : begin + len(draft)] = torch.tensor(draft, dtype=torch.long)
    return {"starts": starts, "start_ok": ok, "start_drafts": drafts}


def slot_init(canvas: Canvas, drafts: Sequence[str | None]) -> torch.LongTensor:
    """Per row, the draft's tokens right after the pinned head, then pads; -1 (noise) for rows
    without a draft and for what does not fit."""
    init = torch.full(canvas.shape, -1, dtype=torch.long)
    for row, draft in enumerate(drafts):
        if draft is None:
            continue
        start = int(canvas.pinned[row].long().cumprod(0).sum())  # the pinned head's length
        ids = canvas.tokenizer.encode(draft, add_special_tokens=False)[: canvas.shape[1] - start]
        init[row, start:] = canvas.pad_id
        init[row, start : start + len(ids)] = torch.tensor(ids, dtype=torch.long)
    return init


# A canvas grows past the trained length only when a draft needs it, and only so far: dagent-tiny was
# trained on 48-token canvases; on held-out replaces, a canvas grown to fit the line kept every output
# valid where the trained length cut long lines off (see `dagent bench engine`).
GROWTH = 2  # at most this many times the trained length


HEADROOM = 8  # room for a replacement longer than the draft it edits


OPEN_ROOM = 16  # room for a slot that starts from noise


GRAIN = 16  # grown lengths are multiples of this


def drafted_canvas(tokenizer: Any, skeletons: Sequence[Skeleton], drafts: Sequence[str | None], trained_length: int,
                   vocab_size: int | None = None, max_length: int | None = None) -> tuple[Canvas, torch.LongTensor | None]:
    """The canvas for `skeletons` whose slots start from `drafts` (None: noise), and the drafts as the
    sampler's `init`. Its length is the trained one when every pinned text plus its draft (and headroom),
    and every slot start plus its own draft, fits; else the smallest multiple of GRAIN that fits, up to
    `max_length` (default GROWTH x the trained length; beyond it `build_canvas` raises CanvasTooSmall
    for a pinned text that does not fit)."""
    limit = max_length or GROWTH * trained_length
    need = max(_needed(tokenizer, s, d) for s, d in zip(skeletons, drafts, strict=True))
    length = trained_length if need <= trained_length else max(trained_length, min(-(-need // GRAIN) * GRAIN, limit))
    canvas = build_canvas(tokenizer, skeletons, length, vocab_size)
    return canvas, slot_init(canvas, drafts) if any(drafts) else None


def _needed(tokenizer: Any, skeleton: Skeleton, draft: str | None) -> int:
    pinned = sum(len(tokenizer.encode(s.text, add_special_tokens=False)) for s in skeleton.segments if isinstance(s, Pinned))
    room = OPEN_ROOM if draft is None else len(tokenizer.encode(draft, add_special_tokens=False)) + HEADROOM
    starts = [text for s in skeleton.segments if isinstance(s, Slot) for text in s.starts]
    return pinned + max([room, *(_start_needs(tokenizer, text) for text in starts)])


def _start_needs(tokenizer: Any, start: str) -> int:
    """A slot start's tokens and what its row continues from once it settles: a replace's draft with
    headroom (as a pinned replace's canvas grows to fit its draft), nothing more after a delete, open room
    for an insert's new lines."""
    draft = start_draft(start)
    room = OPEN_ROOM if draft is None else len(tokenizer.encode(draft, add_special_tokens=False)) + HEADROOM * bool(draft)
    return len(tokenizer.encode(start, add_special_tokens=False)) + room


def close_slot(text: str, pinned_prefix: str) -> str:
    """A candidate whose slot never wrote its closing `@@end` is closed after the lines it wrote, up to
    the first blank line (the model's filler); anything that still does not parse is left as it is."""
    if validate(text) is None or not text.startswith(pinned_prefix) or not is_pinned_head(pinned_prefix):
        return text
    written = text[len(pinned_prefix):].split(END)[0]
    lines = []
    for line in written.split("\n"):
        if not line.strip():
            break
        lines.append(line + "\n")
    closed = pinned_prefix + "".join(lines) + END + "\n"
    return closed if lines and validate(closed) is None else text
