"""The engine: one object that holds the loaded model and the encoded contexts, and scores repairs.

`Engine.load()` loads the embedded dagent-tiny (or a model directory / downloaded HF id, never the
network); `encode(text)` turns a context block into the encoder's prefix state once per text;
`score(context, requests)` ranks candidate replace ops by AlphaRepair's pseudo-log-likelihood;
`fill(context, requests, names)` writes k short fillings of a template's hole (engine/fill.py).

How a candidate is scored (the trained canvas of engine/train/data.py: the pinned head
`@@replace path:LINE\\n<old>@@with\\n`, then the new lines and `@@end\\n`, padded to the canvas length):
1. the body tokens of the candidate and of the original (the old lines written back unchanged) are
   compared; their common token prefix and suffix are context, what lies between is the changed span
   (an empty span on either side, a pure insertion or deletion, widens both by one token each way);
2. those positions are corrupted as in training: a uniform-random token each (DiffusionGemma), or
   the mask id (a masked-diffusion model); every other position stays clean. Rows that differ only
   inside a span of the same place and length then have the same input (a one-token candidate and its
   original; the grammar's alternatives at one site): they share one decoder row;
3. one decoder pass per canvas length over the distinct inputs, no self-conditioning (its block is
   skipped: with no signal it adds exactly zero); the last layer's queries and feed-forward, the
   vocabulary projection and the softcap run only at the scored positions (the backend's `logits_at`,
   engine/backends/decoder_pass.py; `stats.projected_positions` counts them); the decoder's matmuls run
   under bf16 autocast where the CPU has bf16 instructions (`score_dtype`, engine/precision.py), the
   log-softmax in float32;
4. a row's score is the mean log-probability of its true tokens there, averaged over `draws` noise
   draws; a candidate's score is its row's minus its original's, so > 0 means the model prefers it
   (read from the same distribution where they share an input: a paired comparison).

Noise is drawn per input from a seed derived from the tokens the corruption leaves, so a candidate's
score does not depend on which other candidates share its batch, and a candidate equal to the
original scores 0.
"""

from __future__ import annotations

import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

import torch

from dagent.engine.canvas import GRAIN, GROWTH, drafted_canvas
from dagent.engine.denoiser import Denoiser, PositionLogits, PrefixState, model_dtype
from dagent.engine.fill import HOLE_LENGTHS, Filling, FillRequest
from dagent.engine.fill import fill as fill_holes
from dagent.engine.load import load_denoiser, resolve_model_dir
from dagent.engine.precision import autocast_to, score_autocast_dtype
from dagent.engine.prompt import context_limit, context_tensor, visible_context
from dagent.engine.sampler import CONFIDENCE, DAGENT_REVISE, FREE_WINDOW, PINNED_CONFIDENCE, Candidate, sample
from dagent.engine.skeleton import Skeleton
from dagent.engine.tokenizer import decode, encode
from dagent.ops.model import Replace
from dagent.ops.syntax import render_op, split_pinned

NOT_SCORED = float("-inf")  # a candidate whose canvas does not fit the model, or that cannot be rendered
MAX_ROWS = 256  # rows per decoder pass: bounds the activations' memory, costs nothing in speed
CONTEXT_CACHE = 8  # encoded contexts kept (the loop scores a few plans' contexts at a time)


@dataclass(frozen=True)
class ScoreRequest:
    """A candidate replace op: lines `old` at `path:line` become `new` (whole lines; "" deletes)."""

    path: str
    line: int
    old: str
    new: str

    @property
    def canvas(self) -> str:
        """The candidate's canvas text, exactly as dagent-tiny was trained to write it."""
        return _render(self.path, self.line, self.old, self.new)

    @property
    def original_canvas(self) -> str:
        """The same op writing the old lines back: what the candidate is scored against."""
        return _render(self.path, self.line, self.old, self.old)


@dataclass(frozen=True)
class EncodedContext:
    text: str
    ids: torch.LongTensor  # (1, T) after truncation to the model's context window
    prefix: PrefixState


@dataclass
class EngineStats:
    load_s: float = 0.0
    encoder_calls: int = 0
    forwards: int = 0  # decoder passes
    rows: int = 0  # canvases run through the decoder (candidates and originals, times draws)
    scored: int = 0  # candidates scored (not counting those answered without the model)
    projected_positions: int = 0  # rows of the vocabulary projection: must equal the scored positions
    score_s: float = 0.0
    fill_s: float = 0.0
    sample_s: float = 0.0
    tokens_written: int = 0  # non-pad tokens the sampler wrote


@dataclass(frozen=True)
class ScoreRow:
    """One canvas to score: its tokens (unpadded) and the positions [start, end) whose tokens count."""

    ids: tuple[int, ...]
    start: int
    end: int


def input_key(row: ScoreRow) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
    """What a row's corrupted input is made of: the tokens around its span, and the span's place and length."""
    return row.ids[: row.start], row.ids[row.end :], row.start, row.end


def score_rows(tokens: Callable[[str], list[int]], request: ScoreRequest,
               max_canvas: int) -> tuple[ScoreRow, ScoreRow] | None:
    """The candidate's row and its original's (training's listwise loss builds the same rows), or
    None when the op cannot be rendered or its canvas is longer than `max_canvas`."""
    try:
        head, new_body = split_pinned(request.canvas)
        _, old_body = split_pinned(request.original_canvas)
    except (ValueError, TypeError):  # pydantic rejects the op (empty old, a bad line number)
        return None
    head_ids = tokens(head)
    new_ids, old_ids = tokens(new_body), tokens(old_body)
    if len(head_ids) + max(len(new_ids), len(old_ids)) > max_canvas:
        return None
    (ns, ne), (os_, oe) = changed_spans(new_ids, old_ids)
    h = len(head_ids)
    return ScoreRow(tuple(head_ids + new_ids), h + ns, h + ne), ScoreRow(tuple(head_ids + old_ids), h + os_, h + oe)


def _ensure_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _render(path: str, line: int, old: str, new: str) -> str:
    return render_op(Replace(path=path, line=line, old=_ensure_newline(old), new=_ensure_newline(new)))


def _common_ends(a: Sequence[int], b: Sequence[int]) -> tuple[int, int]:
    """Lengths of the common prefix and of the common suffix (not overlapping the prefix) of a and b."""
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def changed_spans(new: Sequence[int], old: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The [start, end) token spans of `new` and of `old` that differ. A pure insertion or deletion
    leaves one side empty: both then widen by a token each way, so each side scores the seam."""
    prefix, suffix = _common_ends(new, old)
    new_span, old_span = (prefix, len(new) - suffix), (prefix, len(old) - suffix)
    if new_span[0] == new_span[1] or old_span[0] == old_span[1]:
        new_span = (max(0, new_span[0] - 1), min(len(new), new_span[1] + 1))
        old_span = (max(0, old_span[0] - 1), min(len(old), old_span[1] + 1))
    return new_span, old_span


def softcap(logits: torch.Tensor, cap: float | None) -> torch.Tensor:
    """Gemma's final logit softcapping (cap * tanh(logits / cap)), as the model's own forward does: the
    differentiable form training needs (inference uses the backend's in-place `softcap_`)."""
    return logits if not cap else torch.tanh(logits / cap) * cap


class SamplingCut(Exception):
    """The deadline came inside a sampling call: its drafts are dropped."""


# (label, draft text) after each denoising step, for a live view of the canvas settling
DraftCallback = Callable[[int, str], None]


class Engine:
    """The loaded model, its tokenizer and context window, and the contexts encoded so far: load,
    encode, fill, score and sample go through here."""

    def __init__(self, denoiser: Denoiser, tokenizer: Any, context_tokens: int, draws: int = 1, seed: int = 0,
                 canvas_length: int | None = None, score_precision: str = "auto") -> None:
        self.denoiser = denoiser
        # bf16 autocast for scoring where the CPU runs bf16 matmuls natively (engine/precision.py)
        self.score_dtype = score_autocast_dtype(score_precision, model_dtype(denoiser), denoiser.device)
        # The shortest canvas scored: the trained length by default (the padding the model learned with).
        self.canvas_length = canvas_length or denoiser.canvas_length
        self.tokenizer = tokenizer
        self.context_tokens = context_tokens
        self.draws = draws  # noise draws per scored row: more is steadier and proportionally slower
        self.seed = seed
        self.stats = EngineStats()
        self._contexts: OrderedDict[str, EncodedContext] = OrderedDict()
        self._token_cache: dict[str, list[int]] = {}

    @classmethod
    def load(cls, model: str | None = None, device: str = "cpu", dtype: str = "auto", draws: int = 1,
             score_precision: str = "auto") -> Engine:
        """The embedded dagent-tiny by default; a directory or a downloaded HF id otherwise (no network)."""
        began = time.perf_counter()
        denoiser, tokenizer = load_denoiser(model, device, dtype)
        engine = cls(denoiser, tokenizer, context_limit(_model_dir(model)), draws=draws, score_precision=score_precision)
        engine.stats.load_s = time.perf_counter() - began
        return engine

    # ------------------------------------------------------------ encode

    def encode(self, context_text: str) -> EncodedContext:
        """The context's prefix state, encoded once per text (later calls return the cached one)."""
        if context_text in self._contexts:
            self._contexts.move_to_end(context_text)
            return self._contexts[context_text]
        ids = context_tensor(self.tokenizer, context_text, self.context_tokens)
        encoded = EncodedContext(context_text, ids, self.denoiser.encode(ids))
        self.stats.encoder_calls += 1
        self._contexts[context_text] = encoded
        if len(self._contexts) > CONTEXT_CACHE:
            self._contexts.popitem(last=False)
        return encoded

    def visible(self, context_text: str) -> str:
        """The part of `context_text` the model sees (its context window), as text."""
        return visible_context(self.tokenizer, context_text, self.context_tokens)

    # ------------------------------------------------------------ sample

    def sample(self, context_text: str, skeletons: list[Skeleton], drafts: Sequence[str | None] | None = None,
               k: int = 4, seed: int = 0, deadline: float | None = None,
               on_draft: DraftCallback | None = None) -> list[Candidate]:  # fmt: skip
        """k candidates per skeleton, denoised in one batch, best first. A skeleton's slot starts from its
        draft (None: noise) on a canvas grown to fit it; past `deadline` (perf_counter time) the call
        raises SamplingCut; `on_draft(step, text)` sees the first row settle.

        The confidence rule decides the positions (a free canvas within FREE_WINDOW of its first undecided
        one): on pinned canvases it matches the entropy rule's fixes at a third of its time (`python
        scripts/sampling_rules.py`), and on free ones it is faster and at least as often valid. Rows with
        their op pinned accept at PINNED_CONFIDENCE, free rows at CONFIDENCE; a finished row gets no check
        forward (DAGENT_REVISE): it bought no fix under this rule."""
        began, forwards = time.perf_counter(), self.denoiser.decoder_calls
        prefix = self.encode(context_text).prefix
        canvas, init = drafted_canvas(self.tokenizer, skeletons, list(drafts or [None] * len(skeletons)),
                                      self.denoiser.canvas_length, self.denoiser.vocab_size)  # fmt: skip

        def step(index: int, ids: torch.Tensor) -> None:
            if deadline is not None and time.perf_counter() > deadline:
                raise SamplingCut(f"the deadline came at denoising step {index}")
            if on_draft is not None:
                on_draft(index, decode(self.tokenizer, ids[0].tolist(), canvas.pad_id))

        try:
            with torch.inference_mode():
                found = sample(self.denoiser, prefix, canvas, k=k, seed=seed, init=init, rule="confidence",
                               confidence=PINNED_CONFIDENCE, free_confidence=CONFIDENCE, free_window=FREE_WINDOW,
                               revise=DAGENT_REVISE,
                               on_step=step if deadline is not None or on_draft is not None else None)  # fmt: skip
        finally:
            self.stats.sample_s += time.perf_counter() - began
            self.stats.forwards += self.denoiser.decoder_calls - forwards
        self.stats.tokens_written += sum(c.written for c in found)
        return found

    # ------------------------------------------------------------ fill

    def fill(self, context: str, requests: Sequence[FillRequest], names: Iterable[str], k: int = 3,
             lengths: Sequence[int] = HOLE_LENGTHS) -> list[list[Filling]]:
        """k denoised fillings of each template's hole, best first (see engine/fill.py)."""
        return fill_holes(self, context, requests, names, k, lengths)

    # ------------------------------------------------------------ score

    def score_repairs(self, context_text: str, path: str, line: int, old_line: str, new_lines: list[str]) -> list[float]:
        """`score` for candidates that all replace `old_line` (one or more lines) at `path:line`."""
        requests = [ScoreRequest(path, line, old_line, new) for new in new_lines]
        return self.score(context_text, requests)

    def score(self, context: str | EncodedContext, candidates: Sequence[ScoreRequest]) -> list[float]:
        """Each candidate's pseudo-log-likelihood relative to its original's (> 0: the model prefers it);
        0 for a candidate equal to the original, -inf for one whose canvas does not fit the model."""
        began = time.perf_counter()
        scores = [0.0] * len(candidates)
        pairs: dict[int, tuple[ScoreRow, ScoreRow]] = {}
        for i, request in enumerate(candidates):
            pair = self._rows(request)
            if pair is None:
                scores[i] = NOT_SCORED
            elif pair[0] != pair[1]:
                pairs[i] = pair
        if pairs:
            encoded = context if isinstance(context, EncodedContext) else self.encode(context)
            unique = list(dict.fromkeys(row for pair in pairs.values() for row in pair))
            values = dict(zip(unique, self._score_rows(encoded.prefix, unique), strict=True))
            for i, (new_row, old_row) in pairs.items():
                scores[i] = values[new_row] - values[old_row]
            self.stats.scored += len(pairs)
        self.stats.score_s += time.perf_counter() - began
        return scores

    def _tokens(self, text: str) -> list[int]:
        # Heads repeat across every candidate at one line: tokenize each once.
        if text not in self._token_cache:
            if len(self._token_cache) > 4096:
                self._token_cache.clear()
            self._token_cache[text] = encode(self.tokenizer, text)
        return self._token_cache[text]

    def _rows(self, request: ScoreRequest) -> tuple[ScoreRow, ScoreRow] | None:
        return score_rows(self._tokens, request, self.max_canvas)

    @property
    def score_matmul_dtype(self) -> torch.dtype:
        """The dtype scoring's matmuls run in: the autocast's, else the model's."""
        return self.score_dtype or model_dtype(self.denoiser)

    @property
    def max_canvas(self) -> int:
        """The longest canvas scored: the sampler's growth limit over the trained length."""
        return GROWTH * self.denoiser.canvas_length

    def canvas_length_for(self, tokens: int) -> int:
        """The trained length when the row fits it, else the next multiple of GRAIN (as the sampler grows)."""
        trained = self.canvas_length
        return trained if tokens <= trained else max(trained, -(-tokens // GRAIN) * GRAIN)

    def _score_rows(self, prefix: PrefixState, rows: list[ScoreRow]) -> list[float]:
        """Mean log-probability of each row's true tokens at its span, corrupted, averaged over draws.

        Rows that differ only inside a span of the same place and length (a candidate and its original;
        the grammar's alternatives at one site) have the same corrupted input: one forward serves all of
        them, each reading its own tokens' log-probabilities there. Inputs are grouped by canvas length so
        a row always sees the padding it would see alone."""
        shared: dict[tuple[tuple[int, ...], tuple[int, ...], int, int], list[int]] = {}
        for index, row in enumerate(rows):
            shared.setdefault(input_key(row), []).append(index)
        inputs = [rows[members[0]] for members in shared.values()]
        by_length: dict[int, list[int]] = {}
        for index, row in enumerate(inputs):
            by_length.setdefault(self.canvas_length_for(len(row.ids)), []).append(index)
        totals = [0.0] * len(rows)
        groups = list(shared.values())
        for length, members in by_length.items():
            expanded = [m for m in members for _ in range(self.draws)]
            for chunk in range(0, len(expanded), MAX_ROWS):
                part = expanded[chunk : chunk + MAX_ROWS]
                draws = [d % self.draws for d in range(chunk, chunk + len(part))]
                spans = self._forward(prefix, [inputs[m] for m in part], draws, length)
                for m, logp in zip(part, spans, strict=True):
                    for r in groups[m]:
                        row = rows[r]
                        targets = torch.tensor(row.ids[row.start : row.end], dtype=torch.long)
                        picked = logp.gather(1, targets.unsqueeze(1)).double()
                        totals[r] += float(picked.mean()) / self.draws if len(targets) else 0.0
        return totals

    def _noisy(self, row: ScoreRow, draw: int) -> list[int]:
        """The row with its span corrupted as in training, from a seed of what the corruption leaves."""
        ids = list(row.ids)
        mask_id = self.denoiser.mask_id
        key = zlib.crc32(repr((input_key(row), draw)).encode()) ^ self.seed
        rng = Random(key)
        for position in range(row.start, row.end):
            ids[position] = mask_id if mask_id is not None else rng.randrange(self.denoiser.vocab_size)
        return ids

    def _forward(self, prefix: PrefixState, rows: list[ScoreRow], draws: list[int], length: int) -> list[torch.Tensor]:
        """For each row, the (span, V) log-probabilities at its corrupted span, in one decoder pass."""
        canvas = torch.full((len(rows), length), self.denoiser.pad_id, dtype=torch.long)
        flat: list[int] = []
        for r, (row, draw) in enumerate(zip(rows, draws, strict=True)):
            canvas[r, : len(row.ids)] = torch.tensor(self._noisy(row, draw))
            flat += range(r * length + row.start, r * length + row.end)
        logp = self.projected_log_probs(prefix, canvas, torch.tensor(flat, dtype=torch.long))
        return list(logp.split([row.end - row.start for row in rows]))

    def projected_log_probs(self, prefix: PrefixState, canvas: torch.LongTensor, index: torch.LongTensor) -> torch.Tensor:
        """(P, V) log-probabilities at the flat positions `index` of `canvas`, in that order. A backend with
        `logits_at` (`PositionLogits`) projects onto the vocabulary only there (DiffusionGemma: its last layer
        too); any other gives the whole canvas's logits, then the positions are gathered. Matmuls run in
        `score_dtype` (bf16 autocast) when set, the log-softmax in float32."""
        with torch.inference_mode(), autocast_to(self.score_dtype, self.denoiser.device):
            if not isinstance(self.denoiser, PositionLogits):
                logits, _ = self.denoiser.denoise(prefix, canvas, None)
                picked = logits.reshape(-1, logits.shape[-1])[index.to(logits.device)].float()
                self.stats.projected_positions += canvas.numel()
            else:
                picked = self.denoiser.logits_at(prefix, canvas, index)
                self.stats.projected_positions += int(index.numel())
            self.stats.forwards += 1
            self.stats.rows += canvas.shape[0]
            return torch.log_softmax(picked.float(), dim=-1).cpu()


def _model_dir(model: str | None) -> Path | None:
    try:
        return resolve_model_dir(model)
    except Exception:  # the loader already resolved it once; a second failure only loses the limits file
        return None


__all__ = ["Engine", "EncodedContext", "EngineStats", "NOT_SCORED", "ScoreRequest", "ScoreRow", "changed_spans", "input_key",
           "score_rows", "softcap"]
