"""A token n-gram model of code: the cheap, real baseline any learned ranker must beat.

Trained on the same training modules as dagent-tiny, over the same tokenizer's ids: counts of every
n-gram up to `order`, interpolated Witten-Bell smoothing down to an add-one unigram. A candidate edit
is scored as the search's model score is: relative to the code as it is, here the log-probability of
the edited lines and the line after them (their right context) given the two lines before, minus the
same for the original lines.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

ORDER = 4
BEFORE, AFTER = 2, 1  # lines of context around an edit that its score reads


@dataclass
class NgramModel:
    order: int = ORDER
    counts: list[Counter[tuple[int, ...]]] = field(default_factory=list)  # counts[n][gram of n+1 tokens]
    history: list[Counter[tuple[int, ...]]] = field(default_factory=list)  # counts[n][history of n tokens]
    followers: list[Counter[tuple[int, ...]]] = field(default_factory=list)  # distinct next tokens per history
    vocab: int = 1
    tokens: int = 0

    @classmethod
    def train(cls, sequences: Iterable[Sequence[int]], vocab: int, order: int = ORDER) -> NgramModel:
        model = cls(order, [Counter() for _ in range(order)], [Counter() for _ in range(order)],
                    [Counter() for _ in range(order)], vocab)
        seen: list[set[tuple[int, ...]]] = [set() for _ in range(order)]
        for ids in sequences:
            model.tokens += len(ids)
            for i, token in enumerate(ids):
                for n in range(order):
                    if i - n < 0:
                        break
                    history = tuple(ids[i - n : i])
                    gram = (*history, token)
                    model.counts[n][gram] += 1
                    model.history[n][history] += 1
                    if gram not in seen[n]:
                        seen[n].add(gram)
                        model.followers[n][history] += 1
        return model

    def logp(self, history: Sequence[int], token: int) -> float:
        """log P(token | the last order-1 tokens of history), Witten-Bell interpolated."""
        p = (self.counts[0][(token,)] + 1) / (self.history[0][()] + self.vocab)
        for n in range(1, self.order):
            if len(history) < n:
                break
            h = tuple(history[len(history) - n :])
            total = self.history[n][h]
            if total == 0:
                break
            distinct = self.followers[n][h]
            p = (self.counts[n][(*h, token)] + distinct * p) / (total + distinct)
        return math.log(p)

    def sequence_logp(self, ids: Sequence[int], start: int = 0) -> float:
        """Sum of log P over ids[start:], each given what precedes it."""
        return sum(self.logp(ids[max(0, i - self.order + 1) : i], ids[i]) for i in range(start, len(ids)))


def train_on_modules(tokenizer: Any, modules: Iterable[Any], limit: int = 400) -> NgramModel:
    """The baseline trained on (up to `limit` of) the training modules, over the model's tokenizer."""
    from dagent.engine.tokenizer import encode
    from dagent.engine.train.data import read_source

    sequences = []
    for module in list(modules)[:limit]:
        source = read_source(module)
        if source is not None:
            sequences.append(encode(tokenizer, source.text))
    return NgramModel.train(sequences, len(tokenizer))


def edit_score(model: NgramModel, tokenizer: Any, lines: Sequence[str], start: int, end: int, new: str,
               cache: dict[str, float] | None = None) -> float:
    """The n-gram's score of replacing lines[start-1:end] (1-based, inclusive) with `new`, relative to
    leaving them: log P(new + the line after | two lines before) minus the same for the old lines."""
    from dagent.engine.tokenizer import encode

    before = "".join(lines[max(0, start - 1 - BEFORE) : start - 1])
    after = "".join(lines[end : end + AFTER])
    head = encode(tokenizer, before) if before else []
    memo = cache if cache is not None else {}

    def score(text: str) -> float:
        if text not in memo:
            memo[text] = model.sequence_logp(head + encode(tokenizer, text + after), start=len(head))
        return memo[text]

    return score(new) - score("".join(lines[start - 1 : end]))


__all__ = ["NgramModel", "edit_score", "train_on_modules"]
