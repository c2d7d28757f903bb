"""The listwise ranking objective: train the score the repair search asks of the model.

For a mutated line the repair grammar lists its candidate edits; the one that restores the original
code is the positive. Each candidate is scored exactly as `Engine.score` scores it at run time: its
canvas (`@@replace path:LINE`, the buggy line, `@@with`, the candidate, `@@end`) with the changed
token span corrupted by uniform noise, one decoder pass without self-conditioning, the mean
log-probability of the true tokens there, minus the same for the buggy line written back. The
buggy line itself is a member of the list with score 0 (keeping the code as it is), so the model
learns to prefer the fix over the bug, not only over the other edits. Loss: cross-entropy of the
softmax over the list against the positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

import torch
import torch.nn.functional as F

from dagent.engine.backends.diffusion_gemma import shallow_copy_cache
from dagent.engine.engine import ScoreRequest, ScoreRow, input_key, score_rows, softcap
from dagent.engine.tokenizer import encode


@dataclass(frozen=True)
class RankExample:
    """A candidate list at one buggy line; `candidates[0]` is the fix (the original code)."""

    context: str  # already fitted to the context window (the bug line inside)
    path: str
    line: int
    old: str  # the buggy line(s) as in the mutated file
    candidates: tuple[str, ...]
    kind: str


@dataclass
class _Rows:
    noisy: torch.LongTensor  # (I, L) the distinct corrupted inputs
    owner: torch.LongTensor  # (I,) index of the example whose context the input reads
    input_of: torch.LongTensor  # (R,) the input each scored row reads
    index: torch.LongTensor  # flat positions (into `noisy`) of every scored token
    targets: torch.LongTensor  # the true token at each
    row_of: torch.LongTensor  # the scored row of each scored token
    lists: list[list[tuple[int, int]]]  # per example, (candidate row, original row) per candidate


def _corrupted(row: ScoreRow, length: int, pad_id: int, vocab: int, rng: Random) -> list[int]:
    ids = list(row.ids) + [pad_id] * (length - len(row.ids))
    for position in range(row.start, row.end):
        ids[position] = rng.randrange(vocab)
    return ids


def build_rows(tokenizer, examples: Sequence[RankExample], length: int, vocab: int, rng: Random) -> _Rows:  # type: ignore[no-untyped-def]
    """Every candidate's row and its original's, corrupted at the changed span, as the engine scores them:
    rows of one example that differ only inside a same-place, same-length span read one corrupted input
    (the paired comparison `Engine.score` makes), drawn once."""
    pad_id = tokenizer.pad_token_id
    cache: dict[str, list[int]] = {}

    def tokens(text: str) -> list[int]:
        if text not in cache:
            cache[text] = encode(tokenizer, text)
        return cache[text]

    noisy: list[list[int]] = []
    owner: list[int] = []
    input_of: list[int] = []
    index: list[int] = []
    targets: list[int] = []
    row_of: list[int] = []
    lists: list[list[tuple[int, int]]] = []
    for e, example in enumerate(examples):
        pairs: list[tuple[int, int]] = []
        shared: dict[object, int] = {}
        for new in example.candidates:
            found = score_rows(tokens, ScoreRequest(example.path, example.line, example.old, new), length)
            if found is None or found[0] == found[1]:
                pairs.append((-1, -1))  # not scorable: left out of the list
                continue
            pair = []
            for row in found:
                key = input_key(row)
                if key not in shared:
                    shared[key] = len(noisy)
                    noisy.append(_corrupted(row, length, pad_id, vocab, rng))
                    owner.append(e)
                r = len(input_of)
                input_of.append(shared[key])
                for position in range(row.start, row.end):
                    index.append(shared[key] * length + position)
                    targets.append(row.ids[position])
                    row_of.append(r)
                pair.append(r)
            pairs.append((pair[0], pair[1]))
        lists.append(pairs)
    as_long = lambda values: torch.tensor(values, dtype=torch.long)  # noqa: E731
    return _Rows(torch.tensor(noisy, dtype=torch.long).reshape(-1, length), as_long(owner), as_long(input_of),
                 as_long(index), as_long(targets), as_long(row_of), lists)


def _select_cache(cache, rows: torch.LongTensor):  # type: ignore[no-untyped-def]
    """The encoder cache with one row per decoder row (rows of the same example share a context)."""
    selected = shallow_copy_cache(cache)
    for layer in selected.layers:
        if getattr(layer, "keys", None) is not None and layer.keys.numel() > 0:
            layer.keys = layer.keys.index_select(0, rows)
            layer.values = layer.values.index_select(0, rows)
    return selected


def rank_loss(model, tokenizer, examples: Sequence[RankExample], context: torch.Tensor,  # type: ignore[no-untyped-def]
              context_mask: torch.Tensor, length: int, rng: Random) -> tuple[torch.Tensor, dict[str, float]]:
    """The listwise loss over `examples` whose contexts are `context` (E, T), left-padded."""
    device = next(model.parameters()).device
    rows = build_rows(tokenizer, examples, length, model.config.text_config.vocab_size, rng)
    if rows.noisy.shape[0] == 0:
        zero = torch.zeros((), device=device, requires_grad=True)
        return zero, {"rank": 0.0, "rank_top1": 0.0}
    encoded = model.model.encoder(input_ids=context.to(device), attention_mask=context_mask.to(device), use_cache=True)
    owner = rows.owner.to(device)
    mask = torch.cat([context_mask.to(device)[owner], torch.ones_like(rows.noisy, device=device)], dim=1)
    hidden = model.model.decoder(decoder_input_ids=rows.noisy.to(device),
                                 past_key_values=_select_cache(encoded.past_key_values, owner),
                                 decoder_attention_mask=mask).last_hidden_state
    picked = hidden.reshape(-1, hidden.shape[-1])[rows.index.to(device)]
    logits = softcap(model.lm_head(picked).float(), getattr(model, "final_logit_softcapping", None))
    logp = torch.log_softmax(logits, dim=-1).gather(1, rows.targets.to(device).unsqueeze(1)).squeeze(1)
    count = rows.input_of.shape[0]
    sums = torch.zeros(count, device=device).index_add(0, rows.row_of.to(device), logp)
    sizes = torch.zeros(count, device=device).index_add(0, rows.row_of.to(device), torch.ones_like(logp))
    mean = sums / sizes.clamp(min=1)
    losses, hits = [], 0
    for pairs in rows.lists:
        if not pairs or pairs[0][0] < 0:
            continue  # the fix itself is not scorable: nothing to learn from this list
        scored = [mean[new] - mean[old] for new, old in pairs if new >= 0]
        scores = torch.stack([*scored, torch.zeros((), device=device)])  # the last: keep the buggy line
        losses.append(F.cross_entropy(scores.unsqueeze(0), torch.zeros(1, dtype=torch.long, device=device)))
        hits += int(scores.argmax().item() == 0)
    if not losses:
        zero = torch.zeros((), device=device, requires_grad=True)
        return zero, {"rank": 0.0, "rank_top1": 0.0}
    loss = torch.stack(losses).mean()
    return loss, {"rank": loss.item(), "rank_top1": hits / len(losses)}


__all__ = ["RankExample", "build_rows", "rank_loss"]
