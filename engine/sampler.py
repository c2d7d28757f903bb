"""dagent's sampler: a small loop over a `Denoiser` that keeps a skeleton, in one sitting.

Why not transformers' `generate()`: it re-randomises every position it does not accept and cannot
hold pinned tokens or per-position constraints. Here:

    start:  pinned positions hold their tokens; every other position holds noise
            (a uniform random token from its allowed set, or the mask token for masked models); what
            every start of a slot with starts (`Slot.starts`, a token trie) holds alike is written
    step:   one batched decoder forward over the live candidates, self-conditioned on the last step;
            logits masked to the allowed sets (and, where every start still possible reaches, to their
            tokens); a token proposed per undecided position (temperature, annealed);
            some undecided positions accepted in parallel (entropy bound or confidence threshold on
            the model's untempered distribution, at least one per row; a row with nothing pinned at its
            start only within `free_window` columns of its first undecided one); accepted positions keep their
            token for good; the rest are re-noised; the slot fix-up keeps the decided tokens on one
            start and writes what the starts still possible hold alike, keeps pads at the tail, ends a
            closing slot at its first pad or `@@end` (which must start a line), then fills its tail;
            a row whose start has settled with a draft (`Canvas.start_drafts`: a replace's old line,
            a delete's end of stream) starts its undecided positions from it and from then on samples
            as a pinned row (its threshold, no window): its header is written
    check:  a row with every position decided gets one more forward over its whole canvas: content
            tokens the model now doubts (tokens decided together in one step never saw each other)
            are undecided and denoised again (`revise`; the one-token-per-forward baseline has none, and
            `dagent` runs none: DAGENT_REVISE)
    stop:   every position decided (and checked), or the argmax canvas unchanged for 2 steps with low
            entropy (undecided positions then take the argmax, an unfinished start its likeliest
            possible start), or out of steps (the same).

The prefix (the encoded context) is an input: the context is encoded once by the caller and the same
`PrefixState` serves every step, every candidate and every later call.

Where the time goes (issue 16): full-vocabulary work runs only where it is read. A forward runs on the
rows still live (finished rows leave the batch); its logits are copied and masked once, at the free
positions of those rows, with the static allowed sets as one gathered mask and the slot rules applied
only at the positions they touch (`_Logits.masked`); log-probabilities, entropies and the tempered
distribution are computed at the positions that read them (`_Positions`). Proposals are drawn by
inverse CDF, one uniform per undecided position, instead of `torch.multinomial` over every position:
the random stream differs from the sampler before this change, so sampled candidates differ for a
seed; the argmax path (temperature 0) is unchanged, checked against candidates recorded before
(`tests/helpers/sampler_golden.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import torch

from dagent.engine.canvas import Canvas, build_canvas
from dagent.engine.denoiser import Denoiser, PrefixState
from dagent.engine.skeleton import Skeleton
from dagent.engine.tokenizer import decode
from dagent.ops.syntax import OpParseError, parse_prefix

Rule = Literal["entropy", "confidence", "one", "first"]
ENTROPY_BOUND = 0.1  # nats, summed over the positions accepted together (less the largest)
REVISE = 0.3  # a finished row's check undecides content tokens the model now gives less than this
# `dagent` samples without the check (its `revise` is 0): under the confidence rule the check bought no fix
# and cost 38% more time. Chosen on the training split (`python scripts/sampling_rules.py --split train -n 200
# --rules confidence-check,confidence`, 2 seeds, both at CONFIDENCE): top candidate exact 50 with the check against 49 without, of
# 376; any of 4 exact 63 against 64; free canvases valid 72 against 73 of 96; 74.1 s against 53.8 s.
# Held out (the same command with --split heldout, not tuned on): 47 against 47 of 354, 65 against 66,
# 125 against 126 of 184, 79.9 s against 59.8 s.
DAGENT_REVISE = 0.0
# Untempered probability. Chosen on training-split examples (scripts/tune_confidence.py -n 80 --k 4): against
# one-token-per-forward's 95% valid and 14% exact, 0.7 gave 2.85x its tokens/s at 96% / 14%, 0.3 4.51x at
# 94% / 12%, 0.2 4.18x at 93% / 15% (lower thresholds: no faster, valid no better); 0.3 is the lowest that
# kept the valid rate within a point.
CONFIDENCE = 0.3
# `dagent` accepts at a lower threshold on rows with their op pinned (they parse by construction there, so the
# choice weighed exactness; a replace can still copy its draft, a no-op the bench now counts invalid) and keeps
# CONFIDENCE on free rows, whose validity fell at 0.1 (73 to 58 of 96; valid = parses, then). Chosen on
# the training split (`python scripts/sampling_rules.py --split train -n 200 --rules confidence,dagent`, 2
# seeds): top candidate exact 49 against 49 of 376, any of 4 exact 71 against 64, free valid 73 against 73
# of 96, 39.9 s against 52.9 s. Held out (--split heldout, not tuned on): top exact 43 against 47 of 354,
# any of 4 72 against 66, free valid 126 against 126 of 184, 45.1 s against 58.6 s.
PINNED_CONFIDENCE = 0.1
# A free row (nothing pinned at its start: the model writes the op stream's header too) accepts only within
# FREE_WINDOW columns from its first undecided position, a block that slides right as it is decided (LLaDA's
# semi-autoregressive blocks): accepted anywhere at once, a free stream's header falls apart. Chosen on
# training-split free examples (`python scripts/tune_free_window.py -n 400`, 25 examples x 4, before the starts
# were anchored, valid = parses): no window 34%
# valid at 3.12x one-token-per-forward's tokens/s (58% valid; the entropy rule 38% at 1.22x); window 4 51%
# at 1.93x, 6 51% at 2.04x, 8 44% at 2.25x, 12 31% at 2.37x.
# Once a free row's start has settled with a draft, it samples as a pinned row: on the training split
# (`python scripts/tune_free_window.py -n 1200 --windows 6`, 90 free examples x 4, valid = parses and
# changes something) that gave 652 tok/s at 82% valid against left to right's 364 at 82% (1.79x); the
# draft under the free rules 577 at 79%; no draft (before) 466 at 80% against 387 at 73% (1.21x). With
# `python scripts/sampling_rules.py --split train -n 1200 --rules dagent` (the same 90 x 4, two seeds):
# valid 535 of 720 against 521 before; pinned canvases unchanged (they have no starts).
FREE_WINDOW = 6
StepCallback = Callable[[int, torch.LongTensor], None]
NEG_INF = float("-inf")


@dataclass
class Candidate:
    """One denoised canvas (or stream of canvases). `score`: mean log-prob of its final tokens at the
    non-pinned positions, under the model's untempered, constraint-masked distribution at the step
    each token was decided."""

    ids: list[int]
    text: str
    score: float
    steps: int
    accepted_per_step: list[int]
    skeleton: int = 0
    canvases: int = 1
    written: int = 0  # non-pad tokens at non-pinned positions
    free: int = 0  # non-pinned positions (the score's denominator)


@dataclass
class _State:
    tokens: torch.LongTensor  # (B, L) current canvas
    accepted: torch.BoolTensor  # (B, L) decided (pinned positions count as decided)
    logp: torch.Tensor  # (B, L) log-prob of each decided token when it was decided
    live: torch.BoolTensor  # (B,) rows still denoising
    filled: torch.BoolTensor  # (B, L) written by the slot fix-up (closing tail, pads), not by the model
    forbid_pad: torch.BoolTensor  # (B, L) undecided positions before a decided non-pad token
    forbid_close: torch.BoolTensor  # (B, L) undecided positions before decided content
    steps: torch.LongTensor  # (B,) forwards each row took part in
    accepted_per_step: list[list[int]] = field(default_factory=list)
    # Where a position was decided as its draft's token: the best other token the rules allowed there and
    # its log-prob (-1 / -inf elsewhere), the row's one-token edit should it end as a copy of its draft.
    runner_up: torch.LongTensor | None = None
    runner_up_logp: torch.Tensor | None = None


# ---------------------------------------------------------------- noise and masking


class _Noise:
    """Fresh noise for undecided positions: uniform over each position's allowed set, or the mask token."""

    def __init__(self, canvas: Canvas, table: torch.BoolTensor, mask_id: int | None, generator: torch.Generator) -> None:
        self.mask_id = mask_id
        self.index = canvas.mask_index
        self.generator = generator
        self.choices = [row.nonzero().squeeze(1) for row in table]

    def __call__(self, shape: torch.Size, device: torch.device) -> torch.LongTensor:
        if self.mask_id is not None:
            return torch.full(shape, self.mask_id, dtype=torch.long, device=device)
        noise = torch.empty(shape, dtype=torch.long, device=device)
        for m in self.index.unique().tolist():
            where = self.index == m
            picks = torch.randint(len(self.choices[m]), (int(where.sum()),), generator=self.generator, device=device)
            noise[where] = self.choices[m][picks]
        return noise


def _fit_table(canvas: Canvas, denoiser: Denoiser) -> torch.BoolTensor:
    """The canvas's mask table at the model's logits width, never allowing the mask token."""
    width = denoiser.vocab_size
    table = _to_width(canvas.mask_table, width)  # a new tensor: the canvas's table stays as it is
    table[0] = True  # pinned row: all true, never sampled
    if denoiser.mask_id is not None and denoiser.mask_id < width:
        table[1:, denoiser.mask_id] = False
    return table.to(denoiser.device)


def _to_width(x: torch.BoolTensor, width: int) -> torch.BoolTensor:
    """`x` with its last (vocabulary) dimension cut or padded with False to the model's logits width."""
    pad = x.new_zeros(*x.shape[:-1], max(width - x.shape[-1], 0))
    return torch.cat([x, pad], dim=-1)[..., :width]


def _fit_flags(canvas: Canvas, width: int) -> Canvas:
    """The canvas's per-token flags at the model's logits width (ids past the tokenizer: neither)."""
    flags = ("blank", "line_end", "dot_end", "name_start")
    return replace(canvas, **{name: _to_width(getattr(canvas, name), width) for name in flags})


@dataclass
class _Rules:
    """Where the slot rules, as they stand, take tokens away (each (B, L)): pad before a decided token
    (pads stay at the tail); a close (and, in a closing slot, a pad: it ends the slot the same way)
    before decided content or after a token that leaves its line open; anything but a line-ending
    token right before a decided close; in a dotted name, anything but a name's first token right
    after a decided dot, and a dot where no name can follow."""

    no_pad: torch.BoolTensor
    no_close: torch.BoolTensor
    ends_line: torch.BoolTensor
    after_dot: torch.BoolTensor
    no_dot: torch.BoolTensor

    @property
    def touched(self) -> torch.BoolTensor:
        return self.no_pad | self.no_close | self.ends_line | self.after_dot | self.no_dot


def _rules(canvas: Canvas, state: _State) -> _Rules:
    closing = canvas.close_id >= 0
    no_close = (state.forbid_close | _line_open_before(canvas, state)) & closing
    no_pad = torch.where(closing, no_close, state.forbid_pad)
    return _Rules(no_pad, no_close, _before_decided_close(canvas, state), _after_decided_dot(canvas, state),
                  _no_name_next(canvas, state) & ~state.accepted)


class _Logits:
    """One forward's logits for the live rows (b, L, V), read only at the positions a step asks about:
    no full-vocabulary work at pinned positions or for rows that have left the batch."""

    def __init__(self, logits: torch.Tensor, rows: torch.LongTensor, canvas: Canvas, blocked: torch.BoolTensor) -> None:
        self.flat = logits.reshape(-1, logits.shape[-1])
        self.length = logits.shape[1]
        self.sub = torch.full((canvas.shape[0],), -1, dtype=torch.long, device=rows.device)
        self.sub[rows] = torch.arange(len(rows), device=rows.device)
        self.canvas, self.blocked = canvas, blocked

    def masked(self, where: torch.BoolTensor, state: _State) -> _Positions:
        """Logits at `where` masked to the allowed sets and the slot rules as they stand (a position the
        rules would leave with no token at all keeps its static allowed set)."""
        canvas = self.canvas
        rows, cols = where.nonzero(as_tuple=True)
        x = self.flat[self.sub[rows] * self.length + cols]
        x.masked_fill_(self.blocked[canvas.mask_index[rows, cols]], NEG_INF)
        _hold_to_starts(x, rows, cols, canvas, state)
        rules = _rules(canvas, state)
        touched = rules.touched[rows, cols].nonzero().squeeze(1)
        if touched.numel():
            r, c = rows[touched], cols[touched]
            static = x[touched]
            dynamic = static.clone()
            dynamic[rules.no_pad[r, c], canvas.pad_id] = NEG_INF
            close = rules.no_close[r, c].nonzero().squeeze(1)
            dynamic[close, canvas.close_id[r[close], c[close]]] = NEG_INF
            dynamic.masked_fill_(rules.ends_line[r, c].unsqueeze(-1) & ~canvas.line_end, NEG_INF)
            dynamic.masked_fill_(rules.after_dot[r, c].unsqueeze(-1) & ~canvas.name_start, NEG_INF)
            dynamic.masked_fill_(rules.no_dot[r, c].unsqueeze(-1) & canvas.dot_end, NEG_INF)
            dead = torch.isinf(dynamic).all(dim=-1, keepdim=True)
            x[touched] = torch.where(dead, static, dynamic)
        return _Positions(where, rows, cols, x)


@dataclass
class _Positions:
    """Masked logits (P, V) at the positions `where` (B, L) marks, in row-major order; every other
    figure is computed from them on demand, and only for the positions that read it."""

    where: torch.BoolTensor
    rows: torch.LongTensor
    cols: torch.LongTensor
    masked: torch.Tensor
    _logp: torch.Tensor | None = None
    _argmax: torch.LongTensor | None = None

    @property
    def logp(self) -> torch.Tensor:
        if self._logp is None:
            self._logp = torch.log_softmax(self.masked, dim=-1)
        return self._logp

    def spread(self, values: torch.Tensor, fill: float | int, among: torch.BoolTensor | None = None) -> torch.Tensor:
        """Values at these positions (or at those of `among`, a subset) back on the (B, L) grid, `fill` elsewhere."""
        out = torch.full(self.where.shape, fill, dtype=values.dtype, device=values.device)
        out[self.where if among is None else self.where & among] = values
        return out

    def token_logp(self, tokens: torch.LongTensor) -> torch.Tensor:
        """log p of `tokens` (B, L) at these positions, 0 elsewhere."""
        picked = self.logp.gather(1, tokens[self.rows, self.cols].unsqueeze(1)).squeeze(1)
        return self.spread(picked, 0.0)

    @property
    def best(self) -> torch.LongTensor:
        """The argmax token at each of these positions (P,), computed once: a step reads it up to three times."""
        if self._argmax is None:
            self._argmax = self.masked.argmax(dim=-1)
        return self._argmax

    def argmax(self) -> torch.LongTensor:
        return self.spread(self.best, 0)

    def _subset(self, among: torch.BoolTensor) -> torch.BoolTensor:
        return among[self.rows, self.cols]

    def entropy(self, among: torch.BoolTensor) -> torch.Tensor:
        """The untempered distribution's entropy at the positions of `among` (a subset), 0 elsewhere."""
        return self.spread(_entropy(self.logp[self._subset(among)].exp()), 0.0, among)

    def tempered_entropy(self, among: torch.BoolTensor, temperature: float) -> torch.Tensor:
        """The proposal distribution's entropy (at `temperature`) at the positions of `among`, 0 elsewhere."""
        x = self.masked[self._subset(among)]
        return self.spread(_entropy(torch.softmax(x / temperature if temperature > 0 else x, dim=-1)), 0.0, among)

    def draw(self, among: torch.BoolTensor, temperature: float, generator: torch.Generator) -> torch.LongTensor:
        """A proposed token at each position of `among` (0 elsewhere): the argmax at temperature 0, else
        one inverse-CDF draw (one uniform per position) from the tempered distribution."""
        pick = self._subset(among)
        x = self.masked[pick]
        if temperature <= 0 or x.shape[0] == 0:
            chosen = self.best[pick]
        else:
            probs = torch.softmax(x / temperature, dim=-1)
            cdf = probs.cumsum(dim=-1)
            u = torch.rand((x.shape[0], 1), generator=generator, device=x.device) * cdf[:, -1:]
            chosen = torch.searchsorted(cdf, u, right=True).squeeze(1).clamp(max=x.shape[1] - 1)
            # rounding at the top of the CDF could land on a zero-probability (masked) token
            zero = probs.gather(1, chosen.unsqueeze(1)).squeeze(1) <= 0
            chosen = torch.where(zero, self.best[pick], chosen)
        return self.spread(chosen, 0, among)


def _is_close(canvas: Canvas, tokens: torch.LongTensor) -> torch.BoolTensor:
    return (tokens == canvas.close_id) & (canvas.close_id >= 0)


def _content(canvas: Canvas, state: _State, written: torch.BoolTensor) -> torch.BoolTensor:
    """Written positions holding content a close may not precede: not pad, not a close, not blank."""
    tokens = state.tokens
    return written & (tokens != canvas.pad_id) & ~_is_close(canvas, tokens) & ~canvas.blank[tokens]


def _shift_right(x: torch.Tensor, fill: int | bool) -> torch.Tensor:
    return torch.cat([torch.full_like(x[:, :1], fill), x[:, :-1]], dim=1)


def _line_open_before(canvas: Canvas, state: _State) -> torch.BoolTensor:
    """Positions whose previous position holds a decided token that does not end a line (a closing
    marker there would not start its own line)."""
    previous = _shift_right(state.tokens, 0)
    return _shift_right(state.accepted, False) & ~canvas.line_end[previous]


def _shift_left(x: torch.Tensor, fill: int | bool) -> torch.Tensor:
    return torch.cat([x[:, 1:], torch.full_like(x[:, :1], fill)], dim=1)


def _after_decided_dot(canvas: Canvas, state: _State) -> torch.BoolTensor:
    """Undecided positions of a dotted name right after a decided token of the same name ending with a dot."""
    same_slot = canvas.slot_id == _shift_right(canvas.slot_id, -2)
    dot_before = _shift_right(state.accepted, False) & canvas.dot_end[_shift_right(state.tokens, 0)]
    return canvas.dotted & ~state.accepted & same_slot & dot_before


def _no_name_next(canvas: Canvas, state: _State) -> torch.BoolTensor:
    """Positions of a dotted name after which no name can start: the name's last position, or one
    before a decided token that does not start a name (a pad, a digit, a dot)."""
    last = torch.arange(canvas.shape[1], device=state.tokens.device) == canvas.slot_end
    decided_next = _shift_left(state.accepted, True) & ~canvas.name_start[_shift_left(state.tokens, canvas.pad_id)]
    return canvas.dotted & (last | decided_next)


def _bad_dots(canvas: Canvas, state: _State, written: torch.BoolTensor) -> torch.BoolTensor:
    """Written dots of a dotted name that no name follows (two decided in one step: `x.` then a pad)."""
    return written & canvas.dot_end[state.tokens] & _no_name_next(canvas, state)


def _before_decided_close(canvas: Canvas, state: _State) -> torch.BoolTensor:
    """Undecided slot positions right before a decided close of the same slot."""
    close_next = _is_close(canvas, state.tokens) & state.accepted
    same_slot = canvas.slot_id[:, 1:] == canvas.slot_id[:, :-1]
    before = torch.zeros_like(close_next)
    before[:, :-1] = close_next[:, 1:] & same_slot
    return before & ~state.accepted & (canvas.slot_id >= 0)


# ---------------------------------------------------------------- slot starts (a token trie)


def _clashes(canvas: Canvas, state: _State) -> torch.BoolTensor:
    """(B, N, L): decided positions whose token differs from what a start holds there."""
    decided = (state.accepted & ~canvas.pinned).unsqueeze(1)
    return decided & (canvas.starts >= 0) & (canvas.starts != state.tokens.unsqueeze(1))


def _consistent(canvas: Canvas, state: _State) -> torch.BoolTensor:
    """(B, N): the starts every decided token of the row agrees with."""
    return canvas.start_ok & ~_clashes(canvas, state).any(dim=2)


def _start_of_each_row(canvas: Canvas, which: torch.LongTensor) -> torch.LongTensor:
    """(B, L): start `which[b]` of each row b."""
    return canvas.starts[torch.arange(len(which), device=which.device), which]


def _hold_to_starts(x: torch.Tensor, rows: torch.LongTensor, cols: torch.LongTensor, canvas: Canvas,
                    state: _State) -> None:
    """Masks logits `x` (P, V) at positions (`rows`, `cols`) that every start still possible reaches to
    the tokens those starts hold there; a position past some possible start's end stays free."""
    if canvas.starts.shape[1] == 0:
        return
    held = canvas.starts[rows, :, cols]  # (P, N)
    possible = _consistent(canvas, state)[rows]
    bound = (possible.any(dim=1) & ~(possible & (held < 0)).any(dim=1)).nonzero().squeeze(1)
    if bound.numel() == 0:
        return
    allowed = torch.zeros(len(bound), x.shape[1], dtype=torch.bool, device=x.device)
    p, n = possible[bound].nonzero(as_tuple=True)
    allowed[p, held[bound][p, n]] = True
    limited = x[bound].masked_fill(~allowed, NEG_INF)
    dead = torch.isinf(limited).all(dim=-1, keepdim=True)  # every start's token blocked here: keep the rest
    x[bound] = torch.where(dead, x[bound], limited)


def _settle_starts(canvas: Canvas, state: _State, token_logp: TokenLogp | None, rows: torch.BoolTensor) -> None:
    """Keeps the decided tokens of `rows` on one start, and decides what every start still possible
    holds alike. Positions decided together in one step can each agree with some start but not all with
    one: the start agreeing with most of them wins and the rest are undecided. A position every possible
    start holds with the same token is that token (its log-prob from `token_logp`, 0 before the first
    forward): once the model has chosen the op and the line, the rest of the start is written at once."""
    if canvas.starts.shape[1] == 0:
        return
    rows = rows & canvas.start_ok.any(dim=1)
    possible = _consistent(canvas, state)
    lost = rows & ~possible.any(dim=1)
    if lost.any():
        decided = (state.accepted & ~canvas.pinned).unsqueeze(1)
        agree = (decided & (canvas.starts == state.tokens.unsqueeze(1))).sum(dim=2).masked_fill(~canvas.start_ok, -1)
        kept = _start_of_each_row(canvas, agree.argmax(dim=1))
        state.accepted &= ~(lost.unsqueeze(1) & decided.squeeze(1) & (kept >= 0) & (kept != state.tokens))
        possible = _consistent(canvas, state)
    held = canvas.starts.masked_fill(~possible.unsqueeze(2), -1)
    lowest = canvas.starts.masked_fill(~possible.unsqueeze(2), torch.iinfo(torch.long).max).min(dim=1).values
    forced = rows.unsqueeze(1) & ~state.accepted & (lowest == held.max(dim=1).values) & (lowest >= 0)
    if not forced.any():
        return
    state.tokens = torch.where(forced, lowest, state.tokens)
    logp = token_logp(state.tokens) if token_logp is not None else torch.zeros_like(state.logp)
    state.logp = torch.where(forced, logp, state.logp)
    state.accepted |= forced


def _complete_starts(table: _Positions, canvas: Canvas, state: _State, rows: torch.BoolTensor) -> None:
    """Rows that stop now with a start unfinished take the possible start the model finds likeliest at
    their undecided positions (summed log-probs), so the argmax never mixes two starts."""
    if canvas.starts.shape[1] == 0:
        return
    open_ = rows.unsqueeze(1) & ~state.accepted
    possible = _consistent(canvas, state) & rows.unsqueeze(1) & canvas.start_ok
    if not (possible.any(dim=1) & open_.any(dim=1)).any():
        return
    held = canvas.starts[table.rows, :, table.cols]  # (P, N)
    logp = table.logp.gather(1, held.clamp(min=0))
    counted = (held >= 0) & open_[table.rows, table.cols].unsqueeze(1)
    gain = torch.zeros(possible.shape, dtype=logp.dtype, device=logp.device)
    gain.index_add_(0, table.rows, torch.where(counted, logp, torch.zeros_like(logp)))
    best = gain.masked_fill(~possible, NEG_INF).argmax(dim=1)
    chosen = _start_of_each_row(canvas, best)
    fill = possible.any(dim=1, keepdim=True) & open_ & (chosen >= 0)
    state.tokens = torch.where(fill, chosen, state.tokens)
    state.logp = torch.where(fill, table.token_logp(state.tokens), state.logp)
    state.accepted |= fill


def _draft_settled(canvas: Canvas, state: _State, init: torch.LongTensor, drafted: torch.BoolTensor) -> torch.BoolTensor:
    """Live rows whose start has just settled (one start still possible, all of it decided) and has a
    draft (`Canvas.start_drafts`): their draft goes into `init`, so their undecided positions start from
    it from now on, as a pinned replace starts from its old line. Returns those rows."""
    if canvas.starts.shape[1] == 0:
        return torch.zeros_like(drafted)
    possible = _consistent(canvas, state)
    which = possible.long().argmax(dim=1)
    start = _start_of_each_row(canvas, which)
    draft = canvas.start_drafts[torch.arange(len(which), device=which.device), which]
    written = ((start < 0) | state.accepted).all(dim=1)
    now = state.live & ~drafted & (possible.sum(dim=1) == 1) & written & (draft >= 0).any(dim=1)
    init.copy_(torch.where(now.unsqueeze(1) & (draft >= 0), draft, init))
    return now


# ---------------------------------------------------------------- acceptance rules


def _in_window(open_: torch.BoolTensor, rows: torch.BoolTensor, window: int) -> torch.BoolTensor:
    """`open_` with each of `rows` cut to the `window` columns that start at its first open position
    (other rows unchanged)."""
    columns = torch.arange(open_.shape[1], device=open_.device).unsqueeze(0)
    first = open_.long().argmax(dim=1, keepdim=True)  # 0 for a row with none open: nothing to cut there
    return open_ & (~rows.unsqueeze(1) | (columns < first + window))


def _accept(rule: Rule, table: _Positions, proposal: torch.LongTensor, open_: torch.BoolTensor,
            entropy_bound: float, confidence: float | torch.Tensor) -> torch.BoolTensor:
    """Which open positions to decide this step; at least one per row that has any open position.
    Acceptance reads the model's own (untempered) distribution: the temperature shapes what is
    proposed, not how sure the model is of it."""
    if rule == "entropy":
        return _accept_entropy(table.entropy(open_), open_, entropy_bound)
    if rule == "first":  # left to right: each row's first open position
        return open_ & (open_.long().cumsum(dim=1) == 1)
    conf = table.token_logp(proposal).exp().masked_fill(~open_, -1.0)
    best = torch.zeros_like(open_).scatter_(1, conf.argmax(dim=1, keepdim=True), True) & open_
    if rule == "one":
        return best
    return (open_ & (conf >= confidence)) | best


def _entropy(probs: torch.Tensor) -> torch.Tensor:
    return -(probs * probs.clamp_min(1e-30).log()).sum(dim=-1)


def _accept_entropy(entropy: torch.Tensor, open_: torch.BoolTensor, bound: float) -> torch.BoolTensor:
    """EB-sampler: sort open positions by entropy and take the longest run whose summed entropy, less
    its largest member, stays within `bound` (an upper bound on their joint dependence)."""
    ordered, order = entropy.masked_fill(~open_, math.inf).sort(dim=1)
    take = (ordered.cumsum(dim=1) - ordered <= bound) & torch.isfinite(ordered)
    return torch.zeros_like(open_).scatter_(1, order, take)


# ---------------------------------------------------------------- slot fix-up


def _seg_before(x: torch.Tensor, start: torch.LongTensor) -> torch.Tensor:
    """Count of x strictly before each position, within its slot."""
    cs = x.cumsum(dim=1)
    return cs - x - (cs.gather(1, start) - x.gather(1, start))


def _seg_after(x: torch.Tensor, end: torch.LongTensor) -> torch.Tensor:
    """Count of x strictly after each position, within its slot."""
    rcs = x.flip(1).cumsum(dim=1).flip(1)
    return rcs - x - (rcs.gather(1, end) - x.gather(1, end))


TokenLogp = Callable[[torch.LongTensor], torch.Tensor]  # (B, L) tokens -> their log-probs where known


def _fixup(canvas: Canvas, state: _State, token_logp: TokenLogp, rows: torch.BoolTensor, content_wins: bool = True) -> None:
    """Keep each slot of `rows` as `content... [closing tail] pad...`.

    New decisions only ever land before a slot's first decided end (everything after it is filled and
    decided), so conflicts come from one step's parallel decisions. While denoising (`content_wins`) a
    decided pad with a decided non-pad token after it, or a decided end of a closing slot (its close,
    or a pad, which ends it the same way) with decided non-blank content after it or an open line
    before it, is undecided again; so is a dot of a dotted name that no name follows. A pad that ends a
    closing slot becomes its close. Then everything after the slot's first decided end is filled (the
    closing tail, then pads) and decided. At the end (`content_wins=False`) every position is decided
    and the slot simply ends at its first end.
    """
    if content_wins:
        _settle_starts(canvas, state, token_logp, rows)
    in_slot = (canvas.slot_id >= 0) & rows.unsqueeze(1)
    closing = in_slot & (canvas.close_id >= 0)
    is_pad = state.tokens == canvas.pad_id
    is_close = _is_close(canvas, state.tokens)
    if content_wins:
        written = state.accepted & in_slot & ~state.filled
        nonpad_after = _seg_after((written & ~is_pad).long(), canvas.slot_end) > 0
        content_after = _seg_after(_content(canvas, state, written).long(), canvas.slot_end) > 0
        bad_end = (is_close | (is_pad & closing)) & (content_after | _line_open_before(canvas, state))
        state.accepted &= ~(written & (bad_end | (is_pad & ~closing & nonpad_after)) | _bad_dots(canvas, state, written))
    pad_ends = state.accepted & closing & is_pad & ~state.filled
    state.tokens = torch.where(pad_ends, canvas.close_id, state.tokens)
    is_pad, is_close = is_pad & ~pad_ends, is_close | pad_ends
    ends = state.accepted & in_slot & (is_pad | is_close)
    after_end = in_slot & (_seg_before(ends.long(), canvas.slot_start) > 0)
    fill = _fill_after_end(canvas, state.tokens, ends)
    changed = after_end & ((state.tokens != fill) | ~state.accepted)
    state.tokens = torch.where(after_end, fill, state.tokens)
    state.logp = torch.where(changed, token_logp(state.tokens), state.logp)
    state.accepted |= after_end
    state.filled = torch.where(in_slot, after_end, state.filled)
    _update_forbids(canvas, state, in_slot)


def _update_forbids(canvas: Canvas, state: _State, in_slot: torch.BoolTensor) -> None:
    """Undecided positions may not pad before a decided non-pad token, nor close before decided
    non-blank content (a blank line may be dropped; content may not)."""
    is_pad = state.tokens == canvas.pad_id
    written = state.accepted & in_slot & ~state.filled
    undecided = in_slot & ~state.accepted
    forbid_pad = undecided & (_seg_after((written & ~is_pad).long(), canvas.slot_end) > 0)
    forbid_close = undecided & (_seg_after(_content(canvas, state, written).long(), canvas.slot_end) > 0)
    rows = in_slot.any(dim=1, keepdim=True)
    state.forbid_pad = torch.where(rows, forbid_pad, state.forbid_pad)
    state.forbid_close = torch.where(rows, forbid_close, state.forbid_close)


def _fill_after_end(canvas: Canvas, tokens: torch.LongTensor, ends: torch.BoolTensor) -> torch.LongTensor:
    """For every position, what belongs there if it follows its slot's first end: the closing tail when
    that end is the closing token, else pad. (Only read where a position does follow an end.)"""
    length = tokens.shape[1]
    index = torch.arange(length, device=tokens.device).expand_as(tokens)
    # Slot ids grow along a row, so a running max of this key finds the current slot's earliest end.
    key = torch.where(ends, canvas.slot_id * length + (length - 1 - index), torch.full_like(index, -1))
    first = (length - 1) - key.cummax(dim=1).values.remainder(length)
    closed = tokens.gather(1, first) == canvas.close_id
    width = canvas.tail.shape[2]
    tails = canvas.tail.gather(1, canvas.slot_id.clamp(min=0).unsqueeze(-1).expand(-1, -1, width))
    offset = (index - first - 1).clamp(0, width - 1)
    return torch.where(closed, tails.gather(2, offset.unsqueeze(-1)).squeeze(-1), torch.full_like(index, canvas.pad_id))


# ---------------------------------------------------------------- the loop


def _temperature(temperature: float | tuple[float, float], step: int, steps: int) -> float:
    """Linear anneal from the first value to the second over the step budget."""
    if isinstance(temperature, (int, float)):
        return float(temperature)
    start, end = temperature
    return start + (end - start) * step / max(steps - 1, 1)


def _finalize(rows: torch.BoolTensor, canvas: Canvas, state: _State, logits: _Logits | None,
              keep: torch.BoolTensor | None = None, init: torch.LongTensor | None = None) -> None:
    """Rows that stop now: undecided positions take the argmax (under the constraints as they stand
    after this step), then each slot ends at its first end and no dotted name ends with a dot. Rows in
    `keep` stay live (for their check)."""
    if not rows.any() or logits is None:
        return
    table = logits.masked(rows.unsqueeze(1) & ~canvas.pinned, state)
    _complete_starts(table, canvas, state, rows)
    argmax = table.argmax()
    todo = rows.unsqueeze(1) & ~state.accepted
    state.tokens = torch.where(todo, argmax, state.tokens)
    state.logp = torch.where(todo, table.token_logp(argmax), state.logp)
    state.accepted |= todo
    _note_runner_up(canvas, state, table, todo, init)
    _fixup(canvas, state, table.token_logp, rows, content_wins=False)
    _drop_bad_dots(canvas, state, rows)
    state.live &= ~(rows if keep is None else rows & ~keep)


def _inside_line(canvas: Canvas) -> torch.BoolTensor:
    """(V,) the tokens a one-token edit may write or replace: code inside a line. `Canvas.code` is text
    only, so no op marker (a closing `@@end` included: a settled start's draft ends with it, and a free
    slot does not know it as its closing token) and no pad; nor a line end or whitespace."""
    return canvas.code & ~canvas.line_end & ~canvas.blank


def _draft_content(canvas: Canvas, init: torch.LongTensor) -> torch.BoolTensor:
    """(B, L) the positions of the draft's code inside its line (not pinned)."""
    return (init >= 0) & ~canvas.pinned & _inside_line(canvas)[init.clamp(min=0)]


def _note_runner_up(canvas: Canvas, state: _State, table: _Positions, decided: torch.BoolTensor,
                    init: torch.LongTensor | None) -> None:
    """At the positions of `decided` that took their draft's own code token, the best other token the
    rules allow that is code inside a line (`_inside_line`)."""
    if init is None:
        return
    where = decided & (state.tokens == init) & _draft_content(canvas, init)
    if not where.any():
        return
    if state.runner_up is None or state.runner_up_logp is None:
        state.runner_up = torch.full_like(state.tokens, -1)
        state.runner_up_logp = torch.full_like(state.logp, NEG_INF)
    pick = where[table.rows, table.cols]
    rows, cols = table.rows[pick], table.cols[pick]
    logp = table.logp[pick].clone()
    logp[torch.arange(len(rows), device=logp.device), state.tokens[rows, cols]] = NEG_INF
    logp[:, ~_inside_line(canvas)] = NEG_INF
    best, token = logp.max(dim=1)
    state.runner_up[rows, cols] = torch.where(torch.isinf(best), torch.full_like(token, -1), token)
    state.runner_up_logp[rows, cols] = best


def _differ_from_draft(canvas: Canvas, state: _State, init: torch.LongTensor | None) -> None:
    """A row that ends as an exact copy of its replace's draft edits nothing (`dagent` drops it
    unvalidated: 27 of 144 pinned outputs of the engine bench, every method alike). It takes instead a
    one-token edit the model liked: at a position where it decided a draft token, the runner-up, the
    likeliest first; rows that copied the same draft take different edits. No forward; the row's score
    reads that token's log-prob."""
    if init is None or state.runner_up is None or state.runner_up_logp is None:
        return
    content = _draft_content(canvas, init)
    copy = content.any(dim=1) & ((state.tokens == init) | (init < 0)).all(dim=1)
    options = torch.where(copy.unsqueeze(1) & content & (state.runner_up >= 0), state.runner_up_logp,
                          torch.full_like(state.runner_up_logp, NEG_INF))
    taken: dict[tuple[int, ...], set[tuple[int, int]]] = {}
    for row in copy.nonzero().squeeze(1).tolist():
        edits = taken.setdefault(tuple(state.tokens[row].tolist()), set())
        for col in options[row].argsort(descending=True).tolist():
            if torch.isinf(options[row, col]):
                break
            edit = (col, int(state.runner_up[row, col]))
            if edit not in edits:
                edits.add(edit)
                state.tokens[row, col], state.logp[row, col] = edit[1], options[row, col]
                break


def _drop_bad_dots(canvas: Canvas, state: _State, rows: torch.BoolTensor) -> None:
    """A dot and what follows it taken together at the end (`x.` then a pad) break the name: the dot
    becomes a pad, which drops out of a word's text."""
    written = rows.unsqueeze(1) & canvas.dotted
    while (bad := _bad_dots(canvas, state, written)).any():
        state.tokens = torch.where(bad, canvas.pad_id, state.tokens)


def _revise(canvas: Canvas, state: _State, logits: _Logits, rows: torch.BoolTensor, threshold: float) -> None:
    """The check of a finished row: one forward over its whole canvas, then every content token the
    model now doubts (probability below `threshold`, another token more likely) is undecided again
    and denoised anew, as is a dot of a dotted name that the last argmax left with no name after it.
    Tokens decided together in one step never saw each other; here each sees all the others."""
    if not rows.any():
        return
    table = logits.masked(rows.unsqueeze(1) & ~canvas.pinned, state)
    probs = torch.softmax(table.masked, dim=-1)
    current = table.spread(probs.gather(1, state.tokens[table.rows, table.cols].unsqueeze(1)).squeeze(1), 0.0)
    in_slot = canvas.slot_id >= 0
    written = state.accepted & in_slot & ~state.filled & rows.unsqueeze(1)
    doubt = _content(canvas, state, written) & (current < threshold) & (table.argmax() != state.tokens)
    state.accepted &= ~(doubt | _bad_dots(canvas, state, written))
    _update_forbids(canvas, state, in_slot & rows.unsqueeze(1))


@dataclass(frozen=True)
class _Options:
    steps: int
    rule: Rule
    entropy_bound: float
    confidence: float
    temperature: float | tuple[float, float]
    early_stop: bool
    stop_entropy: float
    stable_steps: int
    revise: float = 0.0  # 0: a finished row stops; else it gets one check (`_revise`) at this threshold
    free_window: int | None = None  # free rows accept only within this many columns of their first open one
    free_confidence: float | None = None  # the confidence threshold of free rows (None: `confidence`)


def _thresholds(opts: _Options, free_rows: torch.BoolTensor) -> float | torch.Tensor:
    """The confidence threshold: one for every row, or (B, 1) with free rows at `free_confidence`."""
    if opts.free_confidence is None:
        return opts.confidence
    pinned = torch.full(free_rows.shape, opts.confidence, device=free_rows.device)
    return torch.where(free_rows, opts.free_confidence, pinned).unsqueeze(1)


def _initial_state(canvas: Canvas, noise: _Noise, device: torch.device, init: torch.LongTensor | None) -> _State:
    batch, length = canvas.shape
    start = noise(canvas.ids.shape, device)
    if init is not None:  # a draft to edit (e.g. the old line) instead of pure noise; still undecided
        start = torch.where(init.to(device) >= 0, init.to(device), start)
    return _State(
        tokens=torch.where(canvas.pinned, canvas.ids, start),
        accepted=canvas.pinned.clone(),
        logp=torch.zeros(batch, length, device=device),
        live=torch.ones(batch, dtype=torch.bool, device=device),
        filled=torch.zeros(batch, length, dtype=torch.bool, device=device),
        forbid_pad=torch.zeros(batch, length, dtype=torch.bool, device=device),
        forbid_close=torch.zeros(batch, length, dtype=torch.bool, device=device),
        steps=torch.zeros(batch, dtype=torch.long, device=device),
        accepted_per_step=[[] for _ in range(batch)],
    )


def _run(denoiser: Denoiser, prefix: PrefixState, canvas: Canvas, opts: _Options, seed: int,
         on_step: StepCallback | None, init: torch.LongTensor | None = None) -> list[Candidate]:
    device = denoiser.device
    canvas = _fit_flags(canvas.to(device), denoiser.vocab_size)
    generator = torch.Generator(device=device).manual_seed(seed)
    table = _fit_table(canvas, denoiser)
    noise = _Noise(canvas, table, denoiser.mask_id, generator)
    init = _own_init(canvas, init, device)
    state = _initial_state(canvas, noise, device, init)
    _settle_starts(canvas, state, None, state.live)  # what every start holds alike, before the first forward
    drafted = torch.zeros(canvas.shape[0], dtype=torch.bool, device=device)
    free = ~canvas.pinned
    blocked = ~table  # (M, V): the tokens each mask kind forbids
    self_cond: torch.Tensor | None = None
    logits: _Logits | None = None
    last_argmax: torch.LongTensor | None = None
    stable = torch.zeros(canvas.shape[0], dtype=torch.long, device=device)
    free_rows = ~canvas.pinned[:, 0]  # rows whose stream starts with the model's own tokens: its header too
    free_rows = _pin_settled(canvas, state, init, drafted, free_rows)
    threshold = _thresholds(opts, free_rows)
    checked = torch.full_like(stable, opts.revise <= 0, dtype=torch.bool)  # rows past their check (or with none)
    for step in range(opts.steps):
        if not state.live.any():
            break
        live, before = state.live.clone(), state.accepted.clone()
        rows = live.nonzero().squeeze(1)
        if self_cond is not None and logits is not None and len(rows) < self_cond.shape[0]:
            self_cond = self_cond[logits.sub[rows]]  # finished rows have left the batch
        raw, self_cond = denoiser.denoise(prefix, state.tokens[rows], self_cond)
        logits = _Logits(raw, rows, canvas, blocked)
        state.steps += live.long()
        checking = live & state.accepted.all(dim=1) & ~checked
        if checking.any():
            _revise(canvas, state, logits, checking, opts.revise)
            checked |= checking
        step_table = logits.masked(free & live.unsqueeze(1), state)
        temperature = _temperature(opts.temperature, step, opts.steps)
        open_ = ~state.accepted & live.unsqueeze(1)
        proposal = step_table.draw(open_, temperature, generator)
        acceptable = open_ if opts.free_window is None else _in_window(open_, free_rows, opts.free_window)
        newly = _accept(opts.rule, step_table, proposal, acceptable, opts.entropy_bound, threshold)
        state.tokens = torch.where(newly, proposal, state.tokens)
        state.logp = torch.where(newly, step_table.token_logp(proposal), state.logp)
        state.accepted |= newly
        _fixup(canvas, state, step_table.token_logp, live)
        settled = _pin_settled(canvas, state, init, drafted, free_rows)
        _note_runner_up(canvas, state, step_table, newly, init)  # after a start that settled now has its draft
        if not torch.equal(settled, free_rows):
            free_rows, threshold = settled, _thresholds(opts, settled)
        draft = torch.where(state.accepted, state.tokens, step_table.argmax())
        done = live & state.accepted.all(dim=1)
        if opts.early_stop and last_argmax is not None:
            stable = torch.where((draft == last_argmax).all(dim=1), stable + 1, torch.zeros_like(stable))
            ripe = live & (stable + 1 >= opts.stable_steps)
            if ripe.any():  # the proposal distribution's entropy, only for the rows that read it
                entropy = step_table.tempered_entropy(free & ripe.unsqueeze(1), temperature)
                done |= ripe & (entropy.sum(dim=1) / free.sum(dim=1).clamp(min=1) < opts.stop_entropy)
        last_argmax = draft
        _finalize(done, canvas, state, logits, keep=~checked, init=init)
        _record(state, live, state.accepted & ~before)
        if on_step is not None:
            on_step(step, torch.where(state.accepted, state.tokens, draft))
        assert torch.equal(state.tokens[canvas.pinned], canvas.ids[canvas.pinned]), "a pinned token changed"
        # Uniform-noise diffusion: undecided positions are re-noised, as in DiffusionGemma's own generate;
        # drafted positions go back to their draft, the lightly corrupted start the model was trained on.
        fresh = noise(canvas.ids.shape, device)
        if init is not None:
            fresh = torch.where(init >= 0, init, fresh)
        state.tokens = torch.where(~state.accepted & state.live.unsqueeze(1), fresh, state.tokens)
    _finalize(state.live.clone(), canvas, state, logits, init=init)
    _differ_from_draft(canvas, state, init)
    return _candidates(canvas, state)


def _own_init(canvas: Canvas, init: torch.LongTensor | None, device: torch.device) -> torch.LongTensor | None:
    """The drafts the rows start from (-1: noise), this call's own copy (a settled start's draft is
    written into it): the caller's, or none yet (all -1) on a canvas whose rows may settle a start."""
    if init is not None:
        return init.to(device).clone()
    return torch.full(canvas.shape, -1, dtype=torch.long, device=device) if canvas.starts.shape[1] > 0 else None


def _pin_settled(canvas: Canvas, state: _State, init: torch.LongTensor | None, drafted: torch.BoolTensor,
                 free_rows: torch.BoolTensor) -> torch.BoolTensor:
    """`free_rows` less the rows whose start settles now with a draft (`_draft_settled`): their header is
    written, so from here they sample as a pinned row would (its threshold, no window); their undecided
    positions take the draft at once."""
    if init is None:
        return free_rows
    now = _draft_settled(canvas, state, init, drafted)
    if not now.any():
        return free_rows
    drafted |= now
    state.tokens = torch.where(now.unsqueeze(1) & ~state.accepted & (init >= 0), init, state.tokens)
    return free_rows & ~now


def _record(state: _State, live: torch.BoolTensor, decided: torch.BoolTensor) -> None:
    counts = decided.sum(dim=1).tolist()
    for row, was_live in enumerate(live.tolist()):
        if was_live:
            state.accepted_per_step[row].append(int(counts[row]))


def _candidates(canvas: Canvas, state: _State) -> list[Candidate]:
    assert torch.equal(state.tokens[canvas.pinned], canvas.ids[canvas.pinned]), "a pinned token changed"
    free = ~canvas.pinned
    scores = (state.logp * free).sum(dim=1) / free.sum(dim=1).clamp(min=1)
    written = (free & (state.tokens != canvas.pad_id)).sum(dim=1)
    out = [
        Candidate(
            ids=ids,
            text=decode(canvas.tokenizer, ids, canvas.pad_id),
            score=float(scores[row]),
            steps=int(state.steps[row]),
            accepted_per_step=state.accepted_per_step[row],
            skeleton=canvas.row_skeleton[row],
            written=int(written[row]),
            free=int(free[row].sum()),
        )
        for row, ids in enumerate(state.tokens.tolist())
    ]
    return sorted(out, key=lambda c: c.score, reverse=True)


# ---------------------------------------------------------------- public entry points


def sample(
    denoiser: Denoiser,
    prefix: PrefixState,
    canvas: Canvas,
    k: int = 1,
    steps: int = 48,
    rule: Literal["entropy", "confidence"] = "entropy",
    entropy_bound: float = ENTROPY_BOUND,
    confidence: float = CONFIDENCE,
    temperature: float | tuple[float, float] = (0.8, 0.4),
    seed: int = 0,
    on_step: StepCallback | None = None,
    stop_entropy: float = 0.005,
    stable_steps: int = 2,
    init: torch.LongTensor | None = None,
    revise: float = REVISE,
    free_window: int | None = None,
    free_confidence: float | None = None,
) -> list[Candidate]:
    """k candidates per canvas row, denoised in one batch, best score first.

    `rule="entropy"`: EB-sampler acceptance within `entropy_bound` (DiffusionGemma's rule);
    `rule="confidence"`: accept every position whose proposed token has probability >= `confidence`
    (Fast-dLLM). `on_step(step, ids)` gets the draft (decided tokens, argmax elsewhere) after each step.
    Early stop: a row whose draft stayed the same over `stable_steps` steps with mean entropy below
    `stop_entropy` takes its draft. `init` (rows, L; -1 = noise) starts non-pinned positions from a
    draft instead of noise, e.g. the old line for a replace (see `canvas.slot_init`). `revise`: the
    threshold of a finished row's check (0: no check). `free_window`: a row with nothing pinned at its
    start accepts only within this many columns of its first undecided one (None: anywhere; see
    FREE_WINDOW); `free_confidence`: such a row's confidence threshold (None: `confidence`).
    """
    if free_window is not None and free_window < 1:
        raise ValueError(f"free_window must be at least 1 (or None for no window), got {free_window}")
    opts = _Options(steps, rule, entropy_bound, confidence, temperature, True, stop_entropy, stable_steps, revise,
                    free_window, free_confidence)
    repeated = init.repeat_interleave(k, dim=0) if init is not None else None
    return _run(denoiser, prefix, canvas.repeat(k), opts, seed, on_step, repeated)


def one_token_per_forward(
    denoiser: Denoiser,
    prefix: PrefixState,
    canvas: Canvas,
    k: int = 1,
    temperature: float | tuple[float, float] = (0.8, 0.4),
    seed: int = 0,
    on_step: StepCallback | None = None,
    init: torch.LongTensor | None = None,
    left_to_right: bool = False,
) -> list[Candidate]:
    """The baseline: each forward decides one position per row (the most confident; with
    `left_to_right`, the first undecided one, as an autoregressive decoder would), with the same
    constraints, draft and slot fix-up, and no early stop; as many forwards as it takes. On a canvas with
    stream starts the fix-up also writes forced tokens without a forward, for every method alike: the
    rest of a start once only one is left, and a settled start's draft (what a constrained decoder's
    jump-forward does), so there a forward may write more than one token."""
    budget = int((~canvas.pinned).sum(dim=1).max())
    opts = _Options(max(budget, 1), "first" if left_to_right else "one", 0.0, 1.0, temperature, False, 0.0, 0)
    repeated = init.repeat_interleave(k, dim=0) if init is not None else None
    return _run(denoiser, prefix, canvas.repeat(k), opts, seed, on_step, repeated)


def stream_finished(candidate: Candidate, pad_id: int, stream_text: str) -> bool:
    """A stream is done when its canvas kept room (a pad), or its text so far ends a complete op
    stream, or it cannot parse (continuing an invalid stream is wasted work)."""
    if pad_id in candidate.ids:
        return True
    try:
        return parse_prefix(stream_text).complete and stream_text.strip() != ""
    except OpParseError:
        return True


def sample_stream(
    denoiser: Denoiser,
    prefix: PrefixState,
    canvas: Canvas,
    k: int = 1,
    max_canvases: int = 4,
    seed: int = 0,
    **options: object,
) -> list[Candidate]:
    """Block diffusion: a candidate whose canvas ran out before its stream ended is continued on a new,
    free canvas after its own text (the prefix is extended by the finished canvas), up to `max_canvases`.
    Continuations run one candidate at a time (their prefixes differ)."""
    streams = []
    for first in sample(denoiser, prefix, canvas, k=k, seed=seed, **options):  # type: ignore[arg-type]
        streams.append(_continue(denoiser, prefix, canvas, first, max_canvases, seed, options))
    return sorted(streams, key=lambda c: c.score, reverse=True)


def _continue(denoiser: Denoiser, prefix: PrefixState, canvas: Canvas, first: Candidate, max_canvases: int,
              seed: int, options: dict[str, object]) -> Candidate:
    stream, last, state = first, first, prefix
    free = build_canvas(canvas.tokenizer, [Skeleton.free()], denoiser.canvas_length, denoiser.vocab_size)
    while stream.canvases < max_canvases and not stream_finished(last, canvas.pad_id, stream.text):
        state = denoiser.extend(state, torch.tensor([last.ids], dtype=torch.long))
        last = sample(denoiser, state, free, k=1, seed=seed + stream.canvases, **options)[0]  # type: ignore[arg-type]
        stream = _join(stream, last, canvas)
    return stream


def _join(head: Candidate, tail: Candidate, canvas: Canvas) -> Candidate:
    ids = head.ids + tail.ids
    free = head.free + tail.free
    return Candidate(
        ids=ids,
        text=decode(canvas.tokenizer, ids, canvas.pad_id),
        score=(head.score * head.free + tail.score * tail.free) / max(free, 1),
        steps=head.steps + tail.steps,
        accepted_per_step=head.accepted_per_step + tail.accepted_per_step,
        skeleton=head.skeleton,
        canvases=head.canvases + tail.canvases,
        written=head.written + tail.written,
        free=free,
    )
