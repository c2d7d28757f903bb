"""Fixed sampler calls and their candidates: the golden file `tests/data/sampler_golden.json` holds what
the sampler wrote before its speed work (commit e3c510a), so every exact speed change is checked to leave
the candidates identical (same seed).

The calls run on `ExactDenoiser`, whose logits are small integers over 4, computed from the canvas with
integer arithmetic: every machine computes them bit for bit, and no decision rests on a rounding. (The
golden was first written on the tiny random DiffusionGemma, whose logits sit within about 1e-5 of a tie
at some decisions: on 2026-12-06 a machine whose matmuls round differently changed six of its calls.)

Only the argmax path (temperature 0) is golden: drawing proposals by inverse-CDF at the undecided
positions consumes the random stream differently from `torch.multinomial` over every position, so
sampled candidates changed there by design (a test checks the new draws' distribution instead).
Regenerate (only for a deliberate change of behaviour): `python -m helpers.sampler_golden` from tests/;
`scripts/sampler_golden_at.sh COMMIT` writes it from an older commit's sampler.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from dagent.engine.canvas import build_canvas, drafted_canvas
from dagent.engine.constraints import DOTTED, IDENTIFIER
from dagent.engine.denoiser import PrefixState
from dagent.engine.sampler import one_token_per_forward, sample
from dagent.engine.skeleton import Pinned, Skeleton, Slot
from helpers.engine import CANVAS, ScriptedDenoiser, context_ids, tiny_tokenizer

GOLDEN = Path(__file__).parent.parent / "data" / "sampler_golden.json"
PREFIX = "@@replace m.py:2\n    return x - 1\n@@with\n"


class ExactDenoiser(ScriptedDenoiser):
    """A uniform-noise denoiser whose logits depend on the context, each position's token and its
    neighbours, its column and the last step's argmax (the self-conditioning signal it returns), through
    integer arithmetic only: logits are integers over 4 (at most 23), exact in float32 on every machine."""

    def __init__(self, vocab_size: int, canvas_length: int, pad_id: int) -> None:
        super().__init__(vocab_size, canvas_length, pad_id, prefer=pad_id)

    def denoise(self, prefix: PrefixState, canvas: torch.LongTensor, self_cond: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        self.decoder_calls += 1
        columns = torch.arange(canvas.shape[1])
        neighbours = canvas.roll(1, dims=1) + 3 * canvas.roll(-1, dims=1)
        key = 5 * canvas + 11 * neighbours + 13 * columns + int(prefix.ids.sum())
        last = self_cond.argmax(dim=-1) if self_cond is not None else torch.zeros_like(canvas)
        vocab = torch.arange(self.vocab_size)
        logits = ((7 * key + 3 * last).unsqueeze(-1) + 29 * vocab).remainder(61).float() / 4.0
        # one favourite token per position, favoured by 0 to 8: the model is sure of some, unsure of others
        favourite = (3 * key + last).remainder(self.vocab_size)
        logits.scatter_add_(-1, favourite.unsqueeze(-1), (2 * key.remainder(5)).float().unsqueeze(-1))
        return logits, logits.clone()


def exact_denoiser() -> ExactDenoiser:
    tok = tiny_tokenizer()
    return ExactDenoiser(len(tok), CANVAS, tok.pad_token_id)


def _canvases() -> dict[str, tuple[Any, Any]]:
    tok = tiny_tokenizer()
    replace, init = drafted_canvas(tok, [Skeleton.replace_line(PREFIX)], ["    return x + 1\n"], CANVAS)
    return {
        "replace-draft": (replace, init),
        "replace-noise": (build_canvas(tok, [Skeleton.replace_line(PREFIX), Skeleton.free()], CANVAS), None),
        "static": (build_canvas(tok, [Skeleton.words("@@static m.py ", [DOTTED])], CANVAS), None),
        "def": (build_canvas(tok, [Skeleton((Pinned("def "), Slot(6, IDENTIFIER), Pinned("():\n")))], CANVAS), None),
        "rename": (build_canvas(tok, [Skeleton.for_prefix("@@rename m.py ")], CANVAS), None),
    }


def fingerprint() -> dict[str, list[list[Any]]]:
    model = exact_denoiser()
    prefix = model.encode(context_ids())
    out: dict[str, list[list[Any]]] = {}
    for name, (canvas, init) in _canvases().items():
        for seed in (0, 1):
            for rule in ("entropy", "confidence"):
                # loose bounds: several positions decided a step, rows finishing early
                found = sample(model, prefix, canvas, k=3, seed=seed, rule=rule, temperature=0.0, init=init,  # type: ignore[arg-type]
                               entropy_bound=3.0, confidence=0.02, steps=40, stop_entropy=4.0)
                out[f"{name}/{rule}/{seed}"] = [[c.ids, round(c.score, 5), c.steps] for c in found]
            found = one_token_per_forward(model, prefix, canvas, k=2, seed=seed, temperature=0.0, init=init)  # type: ignore[arg-type]
            out[f"{name}/one/{seed}"] = [[c.ids, round(c.score, 5), c.steps] for c in found]
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(fingerprint()))
    print(f"wrote {GOLDEN}")
